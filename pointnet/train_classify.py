"""Object classification on object clouds cut from a ground3d dataset; evaluated on held-out scenes.

    python -m pointnet.train_classify --data /tmp/g3d-data/sim200 --model pointnet2_ssg --out runs/cls-pn2

Writes OUT/encoder/{encoder.safetensors, encoder.json} (loadable with ``pointnet.load_encoder``),
OUT/head.safetensors and OUT/results.json (accuracies, per-category accuracy, training seconds).
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
from pointnet.data.object_clouds import ObjectCloud, augment, load_object_clouds, normalise_object
from pointnet.heads import ClassificationHead, encoder_width
from pointnet.registry import ENCODER_NAMES, build_encoder

# Object-scale presets: clouds are normalised to the unit sphere, so radii and voxel sizes are fractions of it.
OBJECT_PRESETS: dict[str, dict[str, Any]] = {
    "pointnet": {"point_channels": (64, 128), "out_channels": 256, "token_channels": 64},
    "pointnet2_ssg": {"ratios": (0.25, 0.25), "radii": ((0.2,), (0.4,)), "max_neighbors": (16, 16),
                      "sa_channels": ((32, 32, 64), (64, 64, 128)), "global_channels": (128, 256),
                      "point_features": False, "fp_channels": (128, 64)},
    "pointnet2_msg": {"ratios": (0.25, 0.25), "radii": ((0.1, 0.2), (0.3, 0.5)), "max_neighbors": (16, 16),
                      "sa_channels": ((16, 32), (32, 64)), "global_channels": (128, 256),
                      "point_features": False, "fp_channels": (128, 64)},
    "sparse_voxel": {"voxel_size": 0.08, "channels": (32, 64, 128), "out_channels": 256, "point_features": False},
}


def batch_objects(
    objects: list[ObjectCloud], num_points: int, rng: np.random.Generator, aug: torch.Generator | None,
    size_feature: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pack objects into (x (B*P, C), pos (B*P, 3), batch (B*P,), labels (B,))."""
    xs, ps = [], []
    for obj in objects:
        pos, rgb, radius = normalise_object(obj.points, obj.colors, num_points, rng)
        p = torch.from_numpy(pos)
        if aug is not None:
            p = augment(p, aug)
        feats = torch.from_numpy(rgb)
        if size_feature:
            feats = torch.cat([feats, torch.full((num_points, 1), radius)], dim=1)
        xs.append(feats)
        ps.append(p.float())
    batch = torch.repeat_interleave(torch.arange(len(objects)), num_points)
    labels = torch.tensor([o.label for o in objects])
    return torch.cat(xs), torch.cat(ps), batch, labels


def evaluate(encoder: nn.Module, head: nn.Module, objects: list[ObjectCloud], num_points: int,
             num_classes: int, size_feature: bool, batch_size: int = 64) -> dict[str, Any]:
    """Accuracy and per-category accuracy on ``objects`` (a fixed resampling, no augmentation)."""
    encoder.eval()
    head.eval()
    rng = np.random.default_rng(1234)
    preds = []
    with torch.no_grad():
        for i in range(0, len(objects), batch_size):
            x, pos, batch, _ = batch_objects(objects[i : i + batch_size], num_points, rng, None, size_feature)
            preds.append(head(encoder(x, pos, batch)).argmax(1))
    pred = torch.cat(preds)
    labels = torch.tensor([o.label for o in objects])
    per_class = {int(c): float((pred[labels == c] == c).float().mean()) for c in labels.unique()}
    return {"accuracy": float((pred == labels).float().mean()), "count": len(objects), "per_class": per_class,
            "confusion": torch.bincount(labels * num_classes + pred, minlength=num_classes**2)
            .view(num_classes, num_classes).tolist()}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="ground3d dataset folder")
    ap.add_argument("--model", required=True, choices=ENCODER_NAMES)
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--points", type=int, default=512, help="points sampled per object")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--size-feature", action=argparse.BooleanOptionalAction, default=True,
                    help="append the object radius in metres as a 4th input feature (normalising to the unit "
                         "sphere removes metric size, which tells a box from a cabinet)")
    ap.add_argument("--config", type=str, default="{}", help="JSON overrides of the encoder config")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads; 1 by default: on a shared, busy CPU extra threads spin and slow it down")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    torch.manual_seed(args.seed)
    train = load_object_clouds(args.data, "train")
    val = load_object_clouds(args.data, "val").objects
    test = load_object_clouds(args.data, "test").objects
    categories = train.categories
    in_channels = 4 if args.size_feature else 3
    config = {**OBJECT_PRESETS[args.model], "in_channels": in_channels, **json.loads(args.config)}
    encoder = build_encoder(args.model, config)
    head = ClassificationHead(encoder_width(encoder, "global"), len(categories), norm=str(encoder.config.norm))
    params = [*encoder.parameters(), *head.parameters()]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(train.objects) + args.batch_size - 1) // args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    rng = np.random.default_rng(args.seed)
    aug = torch.Generator().manual_seed(args.seed)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    print(f"{args.model}: {len(train.objects)} train / {len(val)} val / {len(test)} test objects, "
          f"{sum(p.numel() for p in params)} parameters, {torch.get_num_threads()} threads", flush=True)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        encoder.train()
        head.train()
        order = rng.permutation(len(train.objects))
        total, correct, seen = 0.0, 0, 0
        for i in range(0, len(order), args.batch_size):
            chunk = [train.objects[j] for j in order[i : i + args.batch_size]]
            if len(chunk) < 2:  # BatchNorm needs two clouds
                continue
            x, pos, batch, labels = batch_objects(chunk, args.points, rng, aug, args.size_feature)
            logits = head(encoder(x, pos, batch))
            loss = loss_fn(logits, labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(chunk)
            correct += int((logits.argmax(1) == labels).sum())
            seen += len(chunk)
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / seen:.3f} train acc {correct / seen:.3f} "
              f"{time.perf_counter() - start:.0f}s", flush=True)
    train_seconds = time.perf_counter() - start
    val_res = evaluate(encoder, head, val, args.points, len(categories), args.size_feature)
    test_res = evaluate(encoder, head, test, args.points, len(categories), args.size_feature)
    out = Path(args.out)
    results = {
        "model": args.model, "points": args.points, "epochs": args.epochs, "size_feature": args.size_feature,
        "train_objects": len(train.objects), "train_seconds": round(train_seconds, 1),
        "threads": torch.get_num_threads(), "val_accuracy": val_res["accuracy"],
        "test_accuracy": test_res["accuracy"], "categories": categories,
        "test_per_class": {categories[k]: v for k, v in test_res["per_class"].items()},
        "test_confusion": test_res["confusion"],
    }
    save_encoder(out / "encoder", args.model, encoder, extra={"task": "classify", "categories": categories,
                                                              "input": "rgb in [0,1]" + (", radius m" if
                                                                                         args.size_feature else ""),
                                                              "normalisation": "bbox centre, unit radius"})
    save_weights(head, out / "head.safetensors")
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps({k: results[k] for k in ("model", "val_accuracy", "test_accuracy", "train_seconds")}))
    return results


if __name__ == "__main__":
    main()
