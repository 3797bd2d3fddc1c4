"""Late fusion: two towers, scored by the cosine between each object's token and the sentence."""

from __future__ import annotations

import torch
from torch import nn

from grounding.model.config import GroundingModelConfig
from grounding.model.fusion.base import Fusion, FusionOutput, SceneMemory, TextFeatures
from grounding.model.geometry import FourierFeatures, ViewGeometry


class LateFusion(Fusion):
    """Object tower: MLP(object token + view position); sentence tower: MLP(pooled sentence). No interaction.

    The baseline of the ablation: it can match attributes ("red mug") but sees no other object, so it
    cannot resolve relations ("the mug left of the laptop").
    """

    similarity = "cosine"

    def __init__(self, config: GroundingModelConfig) -> None:
        super().__init__()
        d = config.d_model
        self.pos = FourierFeatures(6, config.fourier_bands)
        self.pos_proj = nn.Linear(self.pos.out_dim, d)
        self.object_tower = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d), nn.GELU(), nn.Linear(d, d))
        self.text_tower = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d), nn.GELU(), nn.Linear(d, d))

    def encode_scene(self, object_tokens: torch.Tensor, geometry: ViewGeometry, mask: torch.Tensor) -> SceneMemory:
        """(B, N, D) tokens -> tower outputs (B, N, D); nothing else to cache."""
        pe = self.pos_proj(self.pos(torch.cat([geometry.centers, geometry.extents], -1)))  # (B, N, D)
        return SceneMemory(tokens=self.object_tower(object_tokens + pe), mask=mask)

    def fuse(self, text: TextFeatures, memory: SceneMemory) -> FusionOutput:
        """Query side: only the sentence tower runs."""
        return FusionOutput(object_features=memory.tokens, query_feature=self.text_tower(text.pooled), mask=memory.mask)
