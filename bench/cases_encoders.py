"""Encoder forward (PointNet++ SSG and the spconv sparse U-Net, default configs, RGB input) at 10k / 50k / 100k
points, as effective GFLOP/s against the fp32 torch matmul rate of this machine measured in the same process.

FLOPs are counted by ``bench.flops.gflop`` (torch's ``FlopCounterMode``): it sees every matmul of the linear
layers and of spconv's CPU convolution (gather, ``torch.mm`` per kernel offset, scatter-add), so the count is the
useful work of the active voxel pairs, not of a dense grid. Grouping, FPS, neighbour search and voxel hashing
count zero FLOPs, which is why the percentage is low: it shows how much of the time is spent outside matmul.
"""

from __future__ import annotations

import functools

import torch

from bench.flops import MATMUL_SIZE, gflop, matmul_gflops
from bench.harness import Row, ms, timed
from bench.inputs import colored_scene_points


def encoders(quick: bool) -> list[Row]:
    """One row per (encoder, size): effective GFLOP/s and its % of the matmul rate."""
    from pointnet import build_encoder

    sizes = (500,) if quick else (10_000, 50_000, 100_000)
    repeats = {500: 1, 10_000: 3, 50_000: 2, 100_000: 2}
    rate, t_mm = matmul_gflops(512 if quick else MATMUL_SIZE, 3 if quick else 10)
    rows = []
    torch.manual_seed(0)
    for name in ("pointnet2_ssg", "sparse_voxel"):
        encoder = build_encoder(name).eval()
        for n in sizes:
            pos, rgb = colored_scene_points(n, quick)
            with torch.no_grad():
                encoder(rgb, pos)  # warm-up (spconv builds its kernels' tables lazily)
                work = gflop(functools.partial(encoder, rgb, pos))
                t = timed(functools.partial(encoder, rgb, pos), repeats[n], warmup=0)
            gflops = work / (t.median_ms * 1e-3)
            pct = 100.0 * gflops / rate
            label = f"{n // 1000}k" if n >= 1000 else str(n)
            note = "spconv convs run on 1 thread (pointnet.spconv_compat: multi-threaded CPU conv is wrong)" \
                if name == "sparse_voxel" else "PyG PointNetConv; FPS and ball query count 0 FLOPs"
            rows.append(Row(
                case=f"{name} forward, {label} pts",
                ours=f"{gflops:.2f} GFLOP/s ({ms(t)}, {work:.2f} GFLOP)",
                peer=f"fp32 matmul {rate:.1f} GFLOP/s",
                ratio=pct / 100.0,
                ratio_text=f"{pct:.1f}% of matmul",
                goal="report effective GFLOP/s as % of matmul",
                met=None,
                ours_timing=t,
                peer_timing=t_mm,
                note=note,
                numbers={"gflop": work, "gflops": gflops, "matmul_gflops": rate,
                         "threads": float(torch.get_num_threads())},
            ))
    return rows
