"""Cross-attention fusion: words attend to objects, objects attend to words and to each other in the view frame."""

from __future__ import annotations

from typing import cast

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
    masked_mean,
)
from grounding.model.geometry import FourierFeatures, ViewGeometry


class CrossAttentionFusion(Fusion):
    """Scene side (cached): objects + view-relative position -> relational self-attention -> memory, and the
    keys/values every word layer reads from it. Query side: word layers (self-attention, then attention to
    the cached memory), then object layers (attention to the words, then relational self-attention).

    Relational self-attention adds a per-head bias learnt from Fourier features of the pair offset
    c_j - c_i in the view frame (right, forward, up) and its length, so heads can specialise in "to my
    left", "in front of me" or "near me". Those biases depend only on the scene and the view, so they are
    cached too: a query pays for the word layers and N x L + N x N attention, never for the scene again.
    """

    similarity = "mlp"

    def __init__(self, config: GroundingModelConfig) -> None:
        super().__init__()
        d, h, p = config.d_model, config.num_heads, config.dropout
        self.h = h
        self.pos = FourierFeatures(6, config.fourier_bands)
        self.pos_proj = nn.Linear(self.pos.out_dim, d)
        self.pair = FourierFeatures(4, config.fourier_bands)
        n_rel = config.scene_layers + config.object_layers
        self.pair_bias = nn.Sequential(nn.Linear(self.pair.out_dim, 64), nn.GELU(), nn.Linear(64, h * n_rel))
        self.scene_attn = nn.ModuleList(AttentionBlock(d, h, p) for _ in range(config.scene_layers))
        self.scene_ffn = nn.ModuleList(FeedForward(d, p) for _ in range(config.scene_layers))
        self.word_self = nn.ModuleList(AttentionBlock(d, h, p) for _ in range(config.text_layers))
        self.word_cross = nn.ModuleList(AttentionBlock(d, h, p) for _ in range(config.text_layers))
        self.word_ffn = nn.ModuleList(FeedForward(d, p) for _ in range(config.text_layers))
        self.obj_cross = nn.ModuleList(AttentionBlock(d, h, p) for _ in range(config.object_layers))
        self.obj_self = nn.ModuleList(AttentionBlock(d, h, p) for _ in range(config.object_layers))
        self.obj_ffn = nn.ModuleList(FeedForward(d, p) for _ in range(config.object_layers))
        self.norm_words = nn.LayerNorm(d)
        self.norm_objects = nn.LayerNorm(d)

    def encode_scene(self, object_tokens: torch.Tensor, geometry: ViewGeometry, mask: torch.Tensor) -> SceneMemory:
        """Object tokens (B, N, D) -> memory (B, N, D) with cached relation biases and word-layer keys/values."""
        B, N, _ = object_tokens.shape
        x = object_tokens + self.pos_proj(self.pos(torch.cat([geometry.centers, geometry.extents], -1)))
        pad = key_padding_bias(mask, x.dtype)  # (B, 1, 1, N)
        rel = self.pair_bias(self.pair(geometry.pair_offsets()))  # (B, N, N, H * n_rel)
        rel = rel.view(B, N, N, -1, self.h).permute(3, 0, 4, 1, 2) + pad  # (n_rel, B, H, N, N)
        for i, (attn, ffn) in enumerate(zip(self.scene_attn, self.scene_ffn, strict=True)):
            x = ffn(attn(x, x, rel[i]))
        cache: dict[str, torch.Tensor] = {}
        for i in range(len(self.obj_self)):
            cache[f"relation_bias.{i}"] = rel[len(self.scene_attn) + i]  # (B, H, N, N)
        for i, block in enumerate(cast(list[AttentionBlock], self.word_cross)):
            cache[f"word_keys.{i}"], cache[f"word_values.{i}"] = block.keys_values(x)  # (B, H, N, D/H)
        cache["object_bias"] = pad.expand(B, 1, 1, N).contiguous()
        return SceneMemory(tokens=x, mask=mask, cache=cache)

    def fuse(self, text: TextFeatures, memory: SceneMemory) -> FusionOutput:
        """Words (B, L, D) and cached memories (B, N, D) -> fused objects (B, N, D) and query (B, D)."""
        words_bias = key_padding_bias(text.mask, text.tokens.dtype)  # (B, 1, 1, L)
        object_bias = memory.cache["object_bias"]
        t = text.tokens
        for i, (self_blk, cross_blk, ffn) in enumerate(
            zip(self.word_self, cast(list[AttentionBlock], self.word_cross), self.word_ffn, strict=True)
        ):
            t = self_blk(t, t, words_bias)
            t = cross_blk.forward_cached(
                t, memory.cache[f"word_keys.{i}"], memory.cache[f"word_values.{i}"], object_bias
            )
            t = ffn(t)
        o = memory.tokens
        for i, (o_cross, o_self, o_ffn) in enumerate(zip(self.obj_cross, self.obj_self, self.obj_ffn, strict=True)):
            o = o_cross(o, t, words_bias)
            o = o_self(o, o, memory.cache[f"relation_bias.{i}"])
            o = o_ffn(o)
        query = self.norm_words(masked_mean(t, text.mask))  # (B, D)
        return FusionOutput(object_features=self.norm_objects(o), query_feature=query, mask=memory.mask)
