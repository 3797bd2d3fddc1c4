"""Train the shipped camera ViT on object crops of sim views (category and colour labels).

    python -m perception.vit.train --data DATASET --out perception/vit/weights --seed 0

Crops come from each view's instance mask, rebuilt from the labelled scene cloud (``view_instances``), and
are cached beside the output (``--cache``) because cutting them costs more than an epoch. It picks nothing
on test: the last epoch is saved, and test accuracy is reported in ``metrics.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from perception.dataset import Dataset
from perception.vit.classifier import CropClassifier, CropClassifierConfig
from perception.vit.crops import CropConfig, object_crops
from perception.vit.view_instances import view_instance_mask


@dataclass
class TrainConfig:
    """Optimisation settings of the crop classifier."""

    epochs: int = 30
    """Passes over the training crops."""
    batch_size: int = 128
    """Crops per step."""
    lr: float = 1e-3
    """Peak AdamW learning rate (cosine decay)."""
    weight_decay: float = 0.05
    """AdamW weight decay."""
    seed: int = 0
    """Seed of initialisation, shuffling and augmentation."""

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name}: expected >= 1, got {getattr(self, name)}")


@dataclass
class CropSet:
    """Crops of one split with their labels."""

    crops: torch.Tensor
    """(K, 3, S, S) float in [0, 1]."""
    category: torch.Tensor
    """(K,) int64 category index."""
    color: torch.Tensor
    """(K,) int64 colour index."""


def collect_crops(dataset: Dataset, split: str, config: CropConfig) -> CropSet:
    """Every visible object crop of every view of ``split``."""
    crops, cats, cols = [], [], []
    for scene_id in tqdm(dataset.splits[split], desc=f"crops {split}", unit="scene"):
        scene = dataset.scene(scene_id)
        by_id = {o.object_id: o for o in scene.objects}
        for view in scene.views:
            mask = view_instance_mask(view.depth_m, view.intrinsics, view.T_world_cam, scene.points, scene.instance)
            batch, ids = object_crops(view.rgb, mask, config)
            for crop, oid in zip(batch, ids, strict=True):
                obj = by_id[int(oid)]
                crops.append(crop)
                cats.append(dataset.categories.index(obj.label))
                cols.append(dataset.colors.index(obj.color))
    return CropSet(torch.stack(crops), torch.tensor(cats), torch.tensor(cols))


def cached_crops(dataset: Dataset, split: str, config: CropConfig, cache_dir: Path | None) -> CropSet:
    """``collect_crops``, read from or written to ``cache_dir/crops-SPLIT.safetensors`` when given."""
    if cache_dir is None:
        return collect_crops(dataset, split, config)
    path = cache_dir / f"crops-{split}-{config.size}px.safetensors"
    if path.is_file():
        t = load_file(str(path))
        return CropSet(t["crops"], t["category"], t["color"])
    data = collect_crops(dataset, split, config)
    cache_dir.mkdir(parents=True, exist_ok=True)
    save_file({"crops": data.crops, "category": data.category, "color": data.color}, str(path))
    return data


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    # Flips and small brightness changes only: hue must survive, it is the colour label.
    flip = torch.rand(x.shape[0], generator=gen) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
    gain = 0.8 + 0.4 * torch.rand(x.shape[0], 1, 1, 1, generator=gen)
    return (x * gain).clamp(0, 1)


@torch.inference_mode()
def accuracy(model: CropClassifier, data: CropSet, batch_size: int = 256) -> tuple[float, float]:
    """(category accuracy, colour accuracy) on ``data``."""
    model.eval()
    right_cat = right_col = 0
    for i in range(0, data.crops.shape[0], batch_size):
        out = model(data.crops[i : i + batch_size])
        right_cat += int((out.category.argmax(1) == data.category[i : i + batch_size]).sum())
        right_col += int((out.color.argmax(1) == data.color[i : i + batch_size]).sum())
    n = max(1, data.crops.shape[0])
    return right_cat / n, right_col / n


def train(dataset: Dataset, out: Path, config: TrainConfig, cache_dir: Path | None = None) -> dict[str, float]:
    """Train on the train split, save to ``out``, and return the test figures."""
    torch.manual_seed(config.seed)
    crop_config = CropConfig()
    train_set = cached_crops(dataset, "train", crop_config, cache_dir)
    test_set = cached_crops(dataset, "test", crop_config, cache_dir)
    model = CropClassifier(
        CropClassifierConfig(categories=dataset.categories, colors=dataset.colors, image_size=crop_config.size)
    )
    steps_per_epoch = -(-train_set.crops.shape[0] // config.batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, config.lr, total_steps=config.epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(config.seed)
    start = time.perf_counter()
    for epoch in range(config.epochs):
        model.train()
        order = torch.randperm(train_set.crops.shape[0], generator=gen)
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{config.epochs}", unit="step")
        for step in bar:
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            logits = model(_augment(train_set.crops[idx], gen))
            loss = F.cross_entropy(logits.category, train_set.category[idx]) + F.cross_entropy(
                logits.color, train_set.color[idx]
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            bar.set_postfix(loss=f"{loss.item():.3f}")
    cat_acc, col_acc = accuracy(model, test_set)
    metrics = {
        "test_category_accuracy": cat_acc,
        "test_color_accuracy": col_acc,
        "train_crops": int(train_set.crops.shape[0]),
        "test_crops": int(test_set.crops.shape[0]),
        "train_seconds": time.perf_counter() - start,
        "seed": config.seed,
        "epochs": config.epochs,
    }
    model.save(out)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="dataset folder (format v1)")
    parser.add_argument("--out", required=True, help="output model folder")
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    parser.add_argument("--cache", default=None, help="folder to keep the cut crops in between runs")
    args = parser.parse_args(argv)
    cache = Path(args.cache) if args.cache else None
    metrics = train(Dataset(args.data), Path(args.out), TrainConfig(epochs=args.epochs, seed=args.seed), cache)
    print(json.dumps(metrics, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
