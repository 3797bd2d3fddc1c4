"""GroundingModel: text encoder + object encoder + one fusion + the three heads, with a cacheable scene side."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from grounding.errors import SceneInputError
from grounding.model.config import GroundingModelConfig
from grounding.model.fusion import TextFeatures, build_fusion
from grounding.model.geometry import view_geometry
from grounding.model.heads import ContrastiveHead, GroundingHead, QAHead
from grounding.model.object_encoder import ObjectEncoder
from grounding.model.outputs import GroundingOutput, ObjectEncoding, SceneEncoding
from grounding.model.scene_batch import AugmentConfig, SceneBatch, build_scene_batch
from grounding.model.scene_input import SceneInput
from grounding.model.view import QueryView, views_to_frames
from grounding.text.encoder import TextEncoder, TextEncoding

SceneLike = SceneInput | Sequence[SceneInput] | SceneBatch
ViewLike = QueryView | Sequence[QueryView | None] | None


class GroundingModel(nn.Module):
    """Language grounding and QA over the objects of a scene.

    Use: ``scene = model.encode_scene(scene_input, view)`` once per scene (and view), then for any number
    of sentences ``model.query(model.encode_text(texts), scene)``. The scene side (object tokens, the
    fusion's keys, values and relation biases) is computed in ``encode_scene``; ``query`` runs only the
    text side. When only the view changes, ``model.attach_view(scene.objects, view)`` skips the point
    encoder.
    """

    def __init__(
        self, config: GroundingModelConfig, answer_vocab: Sequence[str], text_encoder: TextEncoder | None = None
    ) -> None:
        super().__init__()
        self.config = config
        self.answer_vocab = list(answer_vocab)
        self.text_encoder = text_encoder or TextEncoder(config.text)
        c_text = self.text_encoder.width
        d = config.d_model
        self.text_proj = nn.Sequential(nn.Linear(c_text, d), nn.LayerNorm(d))
        self.object_encoder = ObjectEncoder(config)
        self.fusion = build_fusion(config)
        self.grounding_head = GroundingHead(d, self.fusion.similarity)
        self.qa_head = QAHead(d, len(self.answer_vocab))
        self.contrastive_head = ContrastiveHead(d, c_text, config.contrastive_dim)

    @property
    def uses_image_features(self) -> bool:
        """Whether per-object camera-ViT features are read (``config.image_dim > 0``)."""
        return self.config.image_dim > 0

    @property
    def device(self) -> torch.device:
        """Device of the fusion weights."""
        return next(self.fusion.parameters()).device

    def prepare_scenes(
        self,
        scenes: Sequence[SceneInput],
        rng: np.random.Generator | None = None,
        augment: AugmentConfig | None = None,
    ) -> SceneBatch:
        """Scenes -> SceneBatch padded to the largest scene, on the model's device."""
        batch = build_scene_batch(scenes, self.config.points_per_object, self.config.image_dim, rng, augment)
        return batch.to(self.device)

    def encode_text(self, texts: Sequence[str]) -> TextEncoding:
        """B sentences -> TextEncoding with (B, L, C) word tokens, (B, L) mask, (B, C) pooled vector."""
        return self.text_encoder(list(texts))

    def encode_objects(self, scenes: SceneLike) -> ObjectEncoding:
        """The view-independent part of B scenes: object tokens (B, N, D) and retrieval embeddings (B, N, E)."""
        batch = scenes if isinstance(scenes, SceneBatch) else self.prepare_scenes(_as_scene_list(scenes))
        tokens = self.object_encoder(batch)  # (B, N, D)
        return ObjectEncoding(batch=batch, tokens=tokens, embedding=self.contrastive_head.embed_objects(tokens))

    def attach_view(self, objects: ObjectEncoding, views: ViewLike = None) -> SceneEncoding:
        """Add the view-dependent scene side (positions in the view frame, fusion cache) to encoded objects.

        ``views``: one view for all B scenes, one per scene (None entries take the default view), or None.
        """
        batch = objects.batch
        B = batch.batch_size
        view_list: list[QueryView | None]
        view_list = [views] * B if views is None or isinstance(views, QueryView) else list(views)
        centers = [batch.centers[b][batch.mask[b]].detach().cpu().numpy() for b in range(B)]
        origins, rotations = views_to_frames(view_list, centers)
        to_t = lambda a: torch.as_tensor(a, dtype=torch.float32, device=batch.centers.device)  # noqa: E731
        geometry = view_geometry(batch.centers, batch.sizes, batch.yaws, to_t(origins), to_t(rotations))
        memory = self.fusion.encode_scene(objects.tokens, geometry, batch.mask)
        return SceneEncoding(objects=objects, memory=memory, view_origins=origins, view_rotations=rotations)

    def encode_scene(self, scenes: SceneLike, views: ViewLike = None) -> SceneEncoding:
        """Encode B scenes as seen from their views; cache the result and reuse it for every query."""
        return self.attach_view(self.encode_objects(scenes), views)

    def query(
        self, text: TextEncoding, scene: SceneEncoding, scene_index: torch.Tensor | None = None
    ) -> GroundingOutput:
        """B_q sentences against encoded scenes -> GroundingOutput with (B_q, N) scores.

        ``scene_index`` (B_q,) int64 picks the scene row of each sentence; without it, one scene serves
        all sentences, or B_q scenes pair with B_q sentences row by row.
        """
        Bq, Bs = text.batch_size, scene.batch_size
        device = scene.memory.tokens.device
        if scene_index is None:
            if Bs not in (1, Bq):
                raise SceneInputError(f"query: expected 1 or {Bq} encoded scenes without scene_index, got {Bs}")
            scene_index = torch.zeros(Bq, dtype=torch.int64, device=device) if Bs == 1 else None
        memory = scene.memory if scene_index is None else scene.memory.select(scene_index)
        objects_embedding = scene.objects.embedding if scene_index is None else scene.objects.embedding[scene_index]
        ids = scene.objects.batch.object_ids if scene_index is None else scene.objects.batch.object_ids[scene_index]
        text = text.to(device)
        features = TextFeatures(tokens=self.text_proj(text.tokens), mask=text.mask, pooled=self.text_proj(text.pooled))
        fused = self.fusion.fuse(features, memory)
        retrieval = self.contrastive_head(self.contrastive_head.embed_text(text.pooled), objects_embedding, memory.mask)
        return GroundingOutput(
            grounding=self.grounding_head(fused, retrieval.similarity),
            answer=self.qa_head(fused),
            retrieval=retrieval,
            object_ids=ids,
            mask=memory.mask,
        )


def _as_scene_list(scenes: SceneInput | Sequence[SceneInput]) -> list[SceneInput]:
    return [scenes] if isinstance(scenes, SceneInput) else list(scenes)


def build_model(
    config: GroundingModelConfig | None = None,
    answer_vocab: Sequence[str] = (),
    text_encoder: TextEncoder | None = None,
) -> GroundingModel:
    """A freshly initialised GroundingModel (the text encoder is pretrained, the rest random)."""
    return GroundingModel(config or GroundingModelConfig(), answer_vocab, text_encoder)
