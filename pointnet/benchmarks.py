"""Measurements for the README and ``bench/``: each reports our time beside a peer measured in the same run.

    python -m pointnet.benchmarks [--quick]

- FPS of 50k points to 4096: ``pointnet.ops.farthest_point_sample`` (fpsample bucket FPS) vs open3d's
  ``farthest_point_down_sample``;
- kNN (k=16) of 10k queries into 100k points: the KD-tree and the blocked torch.cdist backends;
- encoder forward (eval, no grad) at 10k / 50k / 100k points of a room-sized cloud, each against PointNet.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch


def best_seconds(fn: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` calls of ``fn`` after one warm-up call, in seconds."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def room_points(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """pos (n, 3) on the floor, walls and a few boxes of a 6 x 5 x 2.5 m room, and RGB features (n, 3)."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, n)
    p = rng.random((n, 3)) * [6.0, 5.0, 2.5]
    p[kind == 0, 2] = 0.0  # floor
    p[kind == 1, 0] = 0.0  # a wall
    boxes = int((kind == 2).sum())
    p[kind == 2] = rng.random((boxes, 3)) * 0.5 + rng.integers(0, 5, (boxes, 1)) * [1.0, 0.8, 0.0]  # 5 crates
    return torch.from_numpy(p.astype(np.float32)), torch.from_numpy(rng.random((n, 3)).astype(np.float32))


def fps_vs_open3d(n: int = 50_000, m: int = 4096, repeats: int = 5) -> dict[str, Any]:
    """Seconds of FPS n -> m: ours (fpsample) and open3d, and open3d / ours."""
    import open3d as o3d

    from pointnet.ops import farthest_point_sample

    pos, _ = room_points(n)
    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pos.numpy().astype(np.float64)))
    ours = best_seconds(lambda: farthest_point_sample(pos, num_samples=m), repeats)
    peer = best_seconds(lambda: pcd.farthest_point_down_sample(m), repeats)
    return {"case": f"fps {n} -> {m}", "fpsample_s": ours, "open3d_s": peer, "speedup": peer / ours}


def knn_backends(n: int = 100_000, q: int = 10_000, k: int = 16, repeats: int = 3) -> dict[str, Any]:
    """Seconds of kNN with the KD-tree and the brute-force torch cdist backend, and torch / KD-tree."""
    from pointnet.ops import knn

    x, _ = room_points(n, seed=0)
    y, _ = room_points(q, seed=1)
    kd = best_seconds(lambda: knn(x, y, k, backend="kdtree"), repeats)
    brute = best_seconds(lambda: knn(x, y, k, backend="torch"), max(1, repeats // 2))
    return {"case": f"knn k={k} {q} queries into {n}", "kdtree_s": kd, "torch_cdist_s": brute,
            "speedup": brute / kd}


def _forward(encoder: torch.nn.Module, x: torch.Tensor, pos: torch.Tensor) -> Callable[[], object]:
    return lambda: encoder(x, pos)


def encoder_forward(sizes: tuple[int, ...] = (10_000, 50_000, 100_000), repeats: int = 2) -> list[dict[str, Any]]:
    """Forward seconds of each encoder (scene presets of ``train_segment``) per size, and its ratio to PointNet."""
    from pointnet.registry import build_encoder
    from pointnet.train_segment import SCENE_PRESETS

    rows = []
    torch.manual_seed(0)
    encoders = {name: build_encoder(name, {**cfg, "in_channels": 3}).eval() for name, cfg in SCENE_PRESETS.items()}
    for n in sizes:
        pos, rgb = room_points(n)
        times = {}
        with torch.no_grad():
            for name, enc in encoders.items():
                times[name] = best_seconds(_forward(enc, rgb, pos), repeats)
        for name, t in times.items():
            rows.append({"case": f"{name} forward {n} pts", "seconds": t, "ratio_to_pointnet": t / times["pointnet"]})
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads; 1 by default: on a shared, busy CPU extra threads spin and slow it down")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"threads: {torch.get_num_threads()}")
    if args.quick:
        results = [fps_vs_open3d(5000, 256), knn_backends(5000, 500), *encoder_forward((2000,), 1)]
    else:
        results = [fps_vs_open3d(), knn_backends(), *encoder_forward()]
    for row in results:
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}))


if __name__ == "__main__":
    main()
