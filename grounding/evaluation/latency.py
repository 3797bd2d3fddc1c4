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
from grounding.engine.quantize import INT8_KEEP_FP32, INT8_SUBMODULES, quantize_linear_int8
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
    cached_new_text_int8_p50_ms: float
    """As cached_new_text_p50_ms, with the model's Linear layers in dynamic int8."""
    speedup: float
    """uncached_p50_ms / cached_new_text_p50_ms."""
    speedup_repeat_text: float
    """uncached_p50_ms / cached_repeat_text_p50_ms."""

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
    cached8 = SceneQueryEngine(model, config=EngineConfig(cache=True, int8=True))
    uncached = SceneQueryEngine(model, config=EngineConfig(cache=False))
    for e in (cached, cached8, uncached):
        e.set_scene(list(proposals))

    def new_text(engine: SceneQueryEngine) -> None:
        engine.clear_text_cache()
        engine.ground(query, view)

    # Rounds alternate between the ways, so a change in machine load hits all of them alike.
    t_new, t_rep, t_unc, t_new8 = [], [], [], []
    for _ in range(max(repeats // 5, 1)):
        t_new.append(_times_ms(lambda: new_text(cached), 5, warmup=1))
        t_rep.append(_times_ms(lambda: cached.ground(query, view), 5, warmup=1))
        t_unc.append(_times_ms(lambda: uncached.ground(query, view), 5, warmup=1))
        t_new8.append(_times_ms(lambda: new_text(cached8), 5, warmup=1))
    p50 = float(np.median(np.concatenate(t_new)))
    p50_rep = float(np.median(np.concatenate(t_rep)))
    return CacheLatency(
        num_objects=len(proposals),
        cached_new_text_p50_ms=p50,
        cached_repeat_text_p50_ms=p50_rep,
        uncached_p50_ms=float(np.median(np.concatenate(t_unc))),
        cached_new_text_int8_p50_ms=float(np.median(np.concatenate(t_new8))),
        speedup=float(np.median(np.concatenate(t_unc))) / p50,
        speedup_repeat_text=float(np.median(np.concatenate(t_unc))) / p50_rep,
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
    q8 = quantize_linear_int8(model, INT8_SUBMODULES, INT8_KEEP_FP32)
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


QUERY_12_WORDS = "pick up the small red mug on the left of the laptop"
"""The 12-word query of the latency figures."""


def synthetic_proposals(num_objects: int, points_per_object: int = 512, seed: int = 0) -> list[ObjectProposal]:
    """``num_objects`` box-shaped proposals with random sizes, places and colours in a 6 m x 6 m room.

    Latency does not depend on what the objects are, only on how many there are and their point counts.
    """
    from perception import Box3D
    from perception.proposal import COLOR_HIST_BINS

    rng = np.random.default_rng(seed)
    out = []
    for i in range(num_objects):
        size = rng.uniform(0.05, 1.0, 3)
        center = np.array([rng.uniform(-3, 3), rng.uniform(-3, 3), size[2] / 2])
        box = Box3D(center=center, size=size)
        pts = (center + (rng.random((points_per_object, 3)) - 0.5) * size).astype(np.float32)
        rgb = rng.integers(0, 256, 3).astype(np.uint8)
        out.append(
            ObjectProposal(
                object_id=i,
                points=pts,
                colors=np.tile(rgb, (points_per_object, 1)),
                indices=np.arange(points_per_object, dtype=np.int64),
                aabb=box,
                obb=box,
                mean_color=rgb.astype(np.float32),
                color_hist=np.full(3 * COLOR_HIST_BINS, 1.0 / COLOR_HIST_BINS, np.float32),
            )
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m grounding.evaluation.latency``: print the cache and int8 latency figures as JSON."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--checkpoint",
        default=None,
        help="checkpoint folder; default: the shipped one, or a "
        "freshly initialised model of the default config when none ships yet",
    )
    parser.add_argument("--objects", type=int, default=50, help="objects in the synthetic scene")
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per figure")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: leave torch's default)")
    parser.add_argument(
        "--fusion",
        default="cross_attention",
        choices=["late", "early", "cross_attention"],
        help="fusion of the untrained default-config model used when no checkpoint is found",
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    model, source = _model(args.checkpoint, args.fusion)
    scene = synthetic_proposals(args.objects)
    view = {"position": [0.0, -4.0, 1.5], "look_at": [0.0, 0.0, 0.5]}
    cache = measure_cache_latency(model, scene, QUERY_12_WORDS, view, args.repeats)
    int8 = measure_int8_text_latency(model, QUERY_12_WORDS, args.repeats)
    print(
        json.dumps(
            {
                "model": source,
                "threads": torch.get_num_threads(),
                "query": QUERY_12_WORDS,
                "cache": cache.to_json(),
                "int8_text": int8.to_json(),
            },
            indent=1,
        )
    )
    return 0


def _model(checkpoint: str | None, fusion: str) -> tuple[GroundingModel, str]:
    """The checkpoint's model, or (latency does not depend on the weights' values) an untrained one of the
    default config with ``fusion`` when no checkpoint is given and none ships yet."""
    from grounding.engine.engine import resolve_checkpoint
    from grounding.model.checkpoint import WEIGHTS_FILE, load_model
    from grounding.model.config import GroundingModelConfig
    from grounding.model.grounding_model import build_model

    folder = resolve_checkpoint(checkpoint)
    if (folder / WEIGHTS_FILE).is_file():
        return load_model(folder), str(folder)
    model = build_model(GroundingModelConfig(fusion=fusion)).eval()
    return model, f"untrained default config, fusion {fusion} (no checkpoint ships yet)"


if __name__ == "__main__":
    raise SystemExit(main())
