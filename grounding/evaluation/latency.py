"""Query latency of the SceneQueryEngine: cached vs uncached scene, fp32 vs int8 text encoding.

Benchmarks call these functions; each reports its figures next to a peer measured in the same run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from grounding.engine.engine import EngineConfig, SceneQueryEngine
from grounding.engine.quantize import quantize_linear_int8
from grounding.model.grounding_model import GroundingModel
from perception import ObjectProposal


def _times_ms(fn: Callable[[], Any], repeats: int, warmup: int = 2) -> np.ndarray:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return np.asarray(out)


@dataclass
class CacheLatency:
    """Per-query latency on a cached scene against the same query with the scene re-encoded."""

    num_objects: int
    """Objects in the scene."""
    cached_new_text_p50_ms: float
    """p50 of ground() on the cached scene with the text cache cleared (text encoder + text-side fusion)."""
    cached_repeat_text_p50_ms: float
    """p50 of ground() on the cached scene with the text cached too (text-side fusion only)."""
    uncached_p50_ms: float
    """p50 of ground() re-encoding scene and text every time (EngineConfig(cache=False))."""
    speedup: float
    """uncached_p50_ms / cached_new_text_p50_ms."""

    def to_json(self) -> dict[str, float]:
        return asdict(self)


def measure_cache_latency(
    model: GroundingModel,
    proposals: Sequence[ObjectProposal],
    query: str,
    view: Any = None,
    repeats: int = 30,
) -> CacheLatency:
    """Time ``query`` on ``proposals`` three ways (see CacheLatency), interleaving nothing else."""
    cached = SceneQueryEngine(model, config=EngineConfig(cache=True))
    uncached = SceneQueryEngine(model, config=EngineConfig(cache=False))
    cached.set_scene(list(proposals))
    uncached.set_scene(list(proposals))

    def new_text() -> None:
        cached.clear_text_cache()
        cached.ground(query, view)

    torch.set_grad_enabled(False)
    try:
        t_new = _times_ms(new_text, repeats)
        t_rep = _times_ms(lambda: cached.ground(query, view), repeats)
        t_unc = _times_ms(lambda: uncached.ground(query, view), repeats)
    finally:
        torch.set_grad_enabled(True)
    p50 = float(np.median(t_new))
    return CacheLatency(
        num_objects=len(proposals),
        cached_new_text_p50_ms=p50,
        cached_repeat_text_p50_ms=float(np.median(t_rep)),
        uncached_p50_ms=float(np.median(t_unc)),
        speedup=float(np.median(t_unc)) / p50,
    )


@dataclass
class Int8Latency:
    """Text-encoding latency of one query, fp32 against dynamic int8 Linear layers."""

    words: int
    """Words in the query."""
    fp32_p50_ms: float
    """p50 of model.encode_text([query]) in fp32."""
    int8_p50_ms: float
    """The same with the int8 model."""
    speedup: float
    """fp32_p50_ms / int8_p50_ms."""
    max_abs_token_diff: float
    """Largest absolute difference between the fp32 and int8 word tokens."""

    def to_json(self) -> dict[str, float]:
        return asdict(self)


def measure_int8_text_latency(model: GroundingModel, query: str, repeats: int = 30) -> Int8Latency:
    """Time the text encoder on ``query`` in fp32 and int8 (alternating rounds, so load drifts hit both)."""
    q8 = quantize_linear_int8(model)
    model = model.eval()
    t32, t8 = [], []
    with torch.no_grad():
        a = model.encode_text([query])
        b = q8.encode_text([query])  # type: ignore[operator]
        for _ in range(repeats // 5):
            t32.append(_times_ms(lambda: model.encode_text([query]), 5, warmup=1))
            t8.append(_times_ms(lambda: q8.encode_text([query]), 5, warmup=1))  # type: ignore[operator]
    p32, p8 = float(np.median(np.concatenate(t32))), float(np.median(np.concatenate(t8)))
    return Int8Latency(
        words=len(query.split()),
        fp32_p50_ms=p32,
        int8_p50_ms=p8,
        speedup=p32 / p8,
        max_abs_token_diff=float((a.tokens - b.tokens).abs().max()),
    )
