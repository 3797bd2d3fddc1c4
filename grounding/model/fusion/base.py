"""The one fusion interface: encode the scene side once (cacheable), then fuse any number of queries with it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import torch
from torch import nn

from grounding.model.geometry import ViewGeometry


@dataclass
class TextFeatures:
    """Sentences projected to the model width D."""

    tokens: torch.Tensor
    """(B, L, D) word tokens."""
    mask: torch.Tensor
    """(B, L) bool, True for a real token."""
    pooled: torch.Tensor
    """(B, D) sentence vector."""


@dataclass
class SceneMemory:
    """The scene side of a fusion for B (scene, view) pairs: everything a query needs that the text does not change."""

    tokens: torch.Tensor
    """(B, N, D) object tokens after the scene-side layers (view-relative position included)."""
    mask: torch.Tensor
    """(B, N) bool, True for a real object."""
    cache: dict[str, torch.Tensor] = field(default_factory=dict)
    """Fusion-specific precomputed tensors (per-layer keys and values, relational attention biases), batch-first."""

    def select(self, index: torch.Tensor) -> SceneMemory:
        """The memory of the pairs at ``index`` (B',) int64, in that order."""
        return SceneMemory(self.tokens[index], self.mask[index], {k: v[index] for k, v in self.cache.items()})


@dataclass
class FusionOutput:
    """What the heads read: one fused feature per object and one per query."""

    object_features: torch.Tensor
    """(B, N, D) per-object features, conditioned on the query for early and cross-attention fusion."""
    query_feature: torch.Tensor
    """(B, D) per-query feature (the sentence for late fusion, the scene-aware sentence otherwise)."""
    mask: torch.Tensor
    """(B, N) bool, True for a real object."""


class Fusion(nn.Module, ABC):
    """A fusion strategy. ``similarity`` tells the grounding head how to score: 'cosine' or 'mlp'."""

    similarity: str = "mlp"

    @abstractmethod
    def encode_scene(self, object_tokens: torch.Tensor, geometry: ViewGeometry, mask: torch.Tensor) -> SceneMemory:
        """Object tokens (B, N, D) and their view geometry -> the cacheable scene side."""

    @abstractmethod
    def fuse(self, text: TextFeatures, memory: SceneMemory) -> FusionOutput:
        """B queries against B scene memories (row b with row b) -> FusionOutput."""


def key_padding_bias(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B, 1, 1, S) additive attention bias: 0 where mask (B, S) is True, -inf where it is padding."""
    bias = torch.zeros(mask.shape, dtype=dtype, device=mask.device)
    return bias.masked_fill(~mask, float("-inf"))[:, None, None, :]


class MultiHeadAttention(nn.Module):
    """Multi-head attention whose keys and values can be computed once and reused (the scene-side cache)."""

    def __init__(self, d_model: int, num_heads: int, dropout: float) -> None:
        super().__init__()
        self.h, self.dh = num_heads, d_model // num_heads
        self.q = nn.Linear(d_model, d_model)
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = dropout

    def keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Source tokens (B, S, D) -> keys and values, each (B, H, S, D/H)."""
        B, S, _ = x.shape
        k, v = self.kv(x).view(B, S, 2, self.h, self.dh).permute(2, 0, 3, 1, 4)
        return k, v

    def attend(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """Queries from x (B, T, D) over keys/values (B, H, S, D/H) with an additive bias (B, 1|H, 1|T, S)."""
        B, T, D = x.shape
        q = self.q(x).view(B, T, self.h, self.dh).transpose(1, 2)  # (B, H, T, D/H)
        y = nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=bias, dropout_p=self.dropout if self.training else 0.0
        )  # (B, H, T, D/H)
        return self.out(y.transpose(1, 2).reshape(B, T, D))


class FeedForward(nn.Module):
    """Pre-norm residual MLP block."""

    def __init__(self, d_model: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(d_model),
            nn.Linear(d_model, 2 * d_model),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(2 * d_model, d_model),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, D) -> (B, T, D)."""
        return x + self.net(x)


class AttentionBlock(nn.Module):
    """Pre-norm residual attention: x + Attn(LN(x), kv(LN(source))). Self-attention when source is x."""

    def __init__(self, d_model: int, num_heads: int, dropout: float) -> None:
        super().__init__()
        self.norm_q = nn.LayerNorm(d_model)
        self.norm_kv = nn.LayerNorm(d_model)
        self.attn = MultiHeadAttention(d_model, num_heads, dropout)

    def keys_values(self, source: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Source tokens (B, S, D) -> cacheable keys and values (B, H, S, D/H)."""
        return self.attn.keys_values(self.norm_kv(source))

    def forward_cached(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """x (B, T, D) attending to precomputed keys/values -> (B, T, D)."""
        return x + self.attn.attend(self.norm_q(x), k, v, bias)

    def forward(self, x: torch.Tensor, source: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """x (B, T, D) attending to source (B, S, D) under bias (B, 1|H, 1|T, S) -> (B, T, D)."""
        k, v = self.keys_values(source)
        return self.forward_cached(x, k, v, bias)


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, D) mean of x (B, T, D) over the rows where mask (B, T) is True."""
    w = mask.to(x.dtype).unsqueeze(-1)
    return (x * w).sum(1) / w.sum(1).clamp(min=1.0)
