"""How strongly the words of a query attended to each object: the source of a result's anchor objects.

The cross-attention fusion computes its word -> object attention inside ``scaled_dot_product_attention``,
which returns no weights. The weights are recomputed here from the same tensors: the query projection
of each word -> object layer (captured with a forward hook) and the keys and padding bias the scene
cache already holds, so the numbers are exactly those the model used.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from grounding.model.outputs import SceneEncoding


def has_word_object_attention(fusion: nn.Module) -> bool:
    """True for a fusion whose words attend to cached object keys (the cross-attention fusion)."""
    return hasattr(fusion, "word_cross")


@contextmanager
def capture_word_queries(fusion: nn.Module) -> Iterator[list[torch.Tensor]]:
    """Collect, per word -> object layer, its projected queries (B, L, D) during the calls inside the block."""
    captured: list[torch.Tensor] = []
    handles = []
    for block in getattr(fusion, "word_cross", []):
        handles.append(block.attn.q.register_forward_hook(lambda _m, _i, out: captured.append(out.detach())))
    try:
        yield captured
    finally:
        for h in handles:
            h.remove()


def word_object_attention(
    queries: list[torch.Tensor], scene: SceneEncoding, text_mask: torch.Tensor, num_heads: int
) -> torch.Tensor:
    """(B, N) share of attention each object received, averaged over layers, heads and real words.

    ``queries`` from ``capture_word_queries`` (one (B, L, D) per layer, scene row 0 serving all B
    queries); ``text_mask`` (B, L) bool. Rows sum to 1 over the scene's objects.
    """
    cache = scene.memory.cache
    bias = cache["object_bias"][:1]  # (1, 1, 1, N)
    total = None
    for i, q in enumerate(queries):
        B, L, D = q.shape
        dh = D // num_heads
        k = cache[f"word_keys.{i}"][:1]  # (1, H, N, dh)
        qh = q.view(B, L, num_heads, dh).transpose(1, 2)  # (B, H, L, dh)
        w = torch.softmax(qh @ k.transpose(-1, -2) / math.sqrt(dh) + bias, dim=-1)  # (B, H, L, N)
        w = w.mean(dim=1)  # (B, L, N)
        m = text_mask.to(w.dtype).unsqueeze(-1)  # (B, L, 1)
        per_query = (w * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)  # (B, N)
        total = per_query if total is None else total + per_query
    if total is None:
        raise ValueError("word_object_attention: expected at least one captured layer, got none")
    return total / len(queries)
