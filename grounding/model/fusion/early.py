"""Early fusion: object tokens and word tokens concatenated into one transformer."""

from __future__ import annotations

import torch
from torch import nn

from grounding.model.config import GroundingModelConfig
from grounding.model.fusion.base import (
    AttentionBlock,
    FeedForward,
    Fusion,
    FusionOutput,
    SceneMemory,
    TextFeatures,
    key_padding_bias,
)
from grounding.model.geometry import FourierFeatures, ViewGeometry


class EarlyFusion(Fusion):
    """[summary token; objects + view position; words] -> scene_layers + object_layers joint self-attention layers.

    Only the object tokens with their position encoding are cacheable: every layer mixes both
    modalities, so each query reruns the whole transformer over objects and words together.
    """

    similarity = "mlp"

    def __init__(self, config: GroundingModelConfig) -> None:
        super().__init__()
        d, h, p = config.d_model, config.num_heads, config.dropout
        self.pos = FourierFeatures(6, config.fourier_bands)
        self.pos_proj = nn.Linear(self.pos.out_dim, d)
        self.type_embed = nn.Parameter(torch.randn(3, d) * 0.02)  # summary, object, word
        layers = max(1, config.scene_layers + config.object_layers)
        self.attn = nn.ModuleList(AttentionBlock(d, h, p) for _ in range(layers))
        self.ffn = nn.ModuleList(FeedForward(d, p) for _ in range(layers))
        self.norm = nn.LayerNorm(d)

    def encode_scene(self, object_tokens: torch.Tensor, geometry: ViewGeometry, mask: torch.Tensor) -> SceneMemory:
        """(B, N, D) tokens + view position + type embedding (B, N, D); the layers need the words."""
        pe = self.pos_proj(self.pos(torch.cat([geometry.centers, geometry.extents], -1)))
        return SceneMemory(tokens=object_tokens + pe + self.type_embed[1], mask=mask)

    def fuse(self, text: TextFeatures, memory: SceneMemory) -> FusionOutput:
        """Joint self-attention over 1 + N + L tokens."""
        B, N, _ = memory.tokens.shape
        summary = self.type_embed[0].expand(B, 1, -1)
        x = torch.cat([summary, memory.tokens, text.tokens + self.type_embed[2]], dim=1)  # (B, 1+N+L, D)
        valid = torch.cat([torch.ones(B, 1, dtype=torch.bool, device=x.device), memory.mask, text.mask], dim=1)
        bias = key_padding_bias(valid, x.dtype)
        for attn, ffn in zip(self.attn, self.ffn, strict=True):
            x = ffn(attn(x, x, bias))
        x = self.norm(x)
        return FusionOutput(object_features=x[:, 1 : 1 + N], query_feature=x[:, 0], mask=memory.mask)
