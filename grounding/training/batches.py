"""Group queries by (scene, view) and turn a few groups into one step's tensors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from grounding.model.grounding_model import GroundingModel
from grounding.model.scene_batch import AugmentConfig, SceneBatch
from grounding.model.view import QueryView
from grounding.text.encoder import TextEncoding
from grounding.training.data import PreparedDataset, QueryItem


@dataclass
class QueryGroup:
    """Queries that share a scene and a view, so the scene side is encoded once for all of them."""

    scene_id: str
    """Scene."""
    view: QueryView | None
    """Shared view."""
    items: list[QueryItem]
    """The queries."""


def group_queries(items: Sequence[QueryItem]) -> list[QueryGroup]:
    """Groups in first-seen order of (scene_id, view_key)."""
    groups: dict[tuple[str, str], QueryGroup] = {}
    for q in items:
        key = (q.scene_id, q.view_key)
        if key not in groups:
            groups[key] = QueryGroup(q.scene_id, q.view, [])
        groups[key].items.append(q)
    return list(groups.values())


@dataclass
class StepBatch:
    """B queries over S (scene, view) pairs, as tensors."""

    scenes: SceneBatch
    """S scenes padded to N objects."""
    views: list[QueryView | None]
    """S views."""
    text: TextEncoding
    """B sentences."""
    scene_index: torch.Tensor
    """(B,) int64 scene row of each query."""
    is_refer: torch.Tensor
    """(B,) bool, True for a referring expression, False for a question."""
    target: torch.Tensor
    """(B,) int64 target column (-1: absent or ambiguous); meaningful where is_refer."""
    candidates: torch.Tensor
    """(B, N) bool: the objects an ambiguous sentence fits (rows of False for every other query)."""
    answer_targets: torch.Tensor
    """(B, A) float32 soft answer targets (rows of zeros for refer or out-of-vocabulary answers)."""
    evidence: torch.Tensor
    """(B, N) float32 0/1 evidence targets (zeros for refer)."""
    items: list[QueryItem]
    """The B queries."""


def make_step_batch(
    model: GroundingModel,
    data: PreparedDataset,
    groups: Sequence[QueryGroup],
    texts: TextEncoding | None,
    rng: np.random.Generator | None,
    augment: AugmentConfig | None,
) -> StepBatch:
    """Tensorise the queries of ``groups``; ``texts`` are their encodings in group order (None: encode now)."""
    items = [q for g in groups for q in g.items]
    scene_index = torch.tensor([i for i, g in enumerate(groups) for _ in g.items], dtype=torch.int64)
    scenes = model.prepare_scenes([data.scenes[g.scene_id].scene for g in groups], rng, augment)
    N = scenes.num_objects
    vocab = {a: i for i, a in enumerate(model.answer_vocab)}
    answers = torch.zeros(len(items), max(1, len(vocab)))
    evidence = torch.zeros(len(items), N)
    candidates = torch.zeros(len(items), N, dtype=torch.bool)
    for b, q in enumerate(items):
        candidates[b, q.candidates] = True
        hits = [vocab[a] for a in dict.fromkeys(q.answers) if a in vocab]
        for h in hits:
            answers[b, h] = 1.0 / len(hits)
        for c in q.evidence:
            evidence[b, c] = 1.0
    text = texts if texts is not None else model.encode_text([q.text for q in items])
    device = model.device
    return StepBatch(
        scenes=scenes,
        views=[g.view for g in groups],
        text=text.to(device),
        scene_index=scene_index.to(device),
        is_refer=torch.tensor([q.kind == "refer" for q in items], device=device),
        target=torch.tensor([q.target for q in items], dtype=torch.int64, device=device),
        candidates=candidates.to(device),
        answer_targets=answers.to(device),
        evidence=evidence.to(device),
        items=items,
    )
