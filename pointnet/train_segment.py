"""Semantic segmentation of whole scenes of a ground3d dataset (background + categories); mIoU on test scenes.

    python -m pointnet.train_segment --data /tmp/g3d-data/sim200 --model pointnet2_ssg --out runs/seg-pn2

Trains on random subsets of each scene's points; evaluates on every point of the held-out test scenes.
Writes OUT/encoder/ (``pointnet.load_encoder``), OUT/head.safetensors and OUT/results.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from pointnet.checkpoint import save_encoder, save_weights
from pointnet.data.scene_clouds import SceneCloud, load_scene_clouds
from pointnet.heads import SegmentationHead, encoder_width
from pointnet.registry import build_encoder

# Scene-scale presets in metres. relative=False: absolute height tells floor from table top.
SCENE_PRESETS: dict[str, dict[str, Any]] = {
    "pointnet2_ssg": {"ratios": (0.25, 0.25, 0.25), "radii": ((0.15,), (0.3,), (0.6,)),
                      "max_neighbors": (16, 24, 32), "sa_channels": ((32, 32, 64), (64, 64, 128), (128, 128, 256)),
                      "global_channels": (256,), "fp_channels": (128, 128, 64), "relative": False},
    "sparse_voxel": {"voxel_size": 0.05, "channels": (32, 64, 96, 128), "out_channels": 128},
    "pointnet": {"point_channels": (64, 128), "out_channels": 256, "token_channels": 128},
}


def pack(scenes: list[SceneCloud], num_points: int | None, rng: np.random.Generator, augment: bool,
         ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pack scenes (a random subset of ``num_points`` each, or all) into (x, pos, batch, labels)."""
    xs, ps, bs, ls = [], [], [], []
    for b, s in enumerate(scenes):
        rows = np.arange(len(s.points)) if num_points is None else rng.choice(
            len(s.points), num_points, replace=len(s.points) < num_points)
        p = s.points[rows].astype(np.float32)
        if augment:  # yaw about +z around the scene centre, keeps heights
            theta = rng.uniform(0, 2 * np.pi)
            c, si = np.cos(theta), np.sin(theta)
            centre = p.mean(0)
            xy = (p[:, :2] - centre[:2]) @ np.array([[c, si], [-si, c]], dtype=np.float32)
            p = np.concatenate([xy + centre[:2], p[:, 2:]], axis=1)
        ps.append(torch.from_numpy(p))
        xs.append(torch.from_numpy(s.colors[rows].astype(np.float32) / 255.0))
        bs.append(torch.full((len(rows),), b, dtype=torch.int64))
        ls.append(torch.from_numpy(s.labels[rows]))
    return torch.cat(xs), torch.cat(ps), torch.cat(bs), torch.cat(ls)


def miou(pred: torch.Tensor, labels: torch.Tensor, num_classes: int) -> tuple[float, dict[int, float]]:
    """Mean IoU over the classes present in ``labels`` or ``pred``, and the IoU of each."""
    ious = {}
    for c in range(num_classes):
        inter = int(((pred == c) & (labels == c)).sum())
        union = int(((pred == c) | (labels == c)).sum())
        if union:
            ious[c] = inter / union
    return float(np.mean(list(ious.values()))), ious


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", default="pointnet2_ssg", choices=sorted(SCENE_PRESETS))
    ap.add_argument("--out", required=True)
    ap.add_argument("--points", type=int, default=8192, help="points sampled per scene per training step")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads; 1 by default: on a shared, busy CPU extra threads spin and slow it down")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    torch.manual_seed(args.seed)
    train, classes = load_scene_clouds(args.data, "train")
    test, _ = load_scene_clouds(args.data, "test")
    encoder = build_encoder(args.model, {**SCENE_PRESETS[args.model], "in_channels": 3})
    head = SegmentationHead(encoder_width(encoder, "point"), len(classes), norm=str(encoder.config.norm))
    params = [*encoder.parameters(), *head.parameters()]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(train) + args.batch_size - 1) // args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    # Background dominates (about 60% of points): weight classes by inverse sqrt frequency.
    counts = np.bincount(np.concatenate([s.labels for s in train]), minlength=len(classes)).astype(np.float64)
    weight = torch.tensor(1.0 / np.sqrt(np.maximum(counts, 1.0)), dtype=torch.float32)
    loss_fn = nn.CrossEntropyLoss(weight=weight / weight.mean())
    rng = np.random.default_rng(args.seed)
    print(f"{args.model}: {len(train)} train / {len(test)} test scenes, {len(classes)} classes, "
          f"{sum(p.numel() for p in params)} parameters, {torch.get_num_threads()} threads", flush=True)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        encoder.train()
        head.train()
        order = rng.permutation(len(train))
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            x, pos, batch, labels = pack([train[j] for j in order[i : i + args.batch_size]], args.points, rng, True)
            loss = loss_fn(head(encoder(x, pos, batch)), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        steps_per_epoch = (len(order) + args.batch_size - 1) // args.batch_size
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / steps_per_epoch:.3f} "
              f"{time.perf_counter() - start:.0f}s", flush=True)
    train_seconds = time.perf_counter() - start
    encoder.eval()
    head.eval()
    preds, gts = [], []
    with torch.no_grad():
        for s in test:
            x, pos, batch, labels = pack([s], None, rng, False)
            preds.append(head(encoder(x, pos, batch)).argmax(1))
            gts.append(labels)
    pred, gt = torch.cat(preds), torch.cat(gts)
    m, ious = miou(pred, gt, len(classes))
    results = {"model": args.model, "epochs": args.epochs, "points_per_scene": args.points,
               "train_scenes": len(train), "test_scenes": len(test), "train_seconds": round(train_seconds, 1),
               "threads": torch.get_num_threads(), "test_miou": m,
               "test_point_accuracy": float((pred == gt).float().mean()),
               "test_iou": {classes[c]: v for c, v in ious.items()}}
    out = Path(args.out)
    save_encoder(out / "encoder", args.model, encoder, extra={"task": "segment", "classes": classes,
                                                              "input": "rgb in [0,1], world metres"})
    save_weights(head, out / "head.safetensors")
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps({k: results[k] for k in ("model", "test_miou", "test_point_accuracy", "train_seconds")}))
    return results


if __name__ == "__main__":
    main()
