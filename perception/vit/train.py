"""Train the shipped camera ViT on object crops of sim views (category and colour labels).

    OMP_NUM_THREADS=1 python -m perception.vit.train --data DATASET --out perception/vit/weights --seed 0

Crops come from each view's instance mask, rebuilt from the labelled scene cloud (``view_instances``), and
are cached beside the output (``--cache``) because cutting them costs more than an epoch. Each crop keeps its
pixel size in metres, from the view's depth, which the model reads as a fourth channel (``pixel_size``;
``--rgb-only`` trains a model without it, which then needs no depth). Training crops are
augmented in geometry and brightness only (``augment``), so the colour label stays true. It picks nothing on
test: val accuracy is printed after each epoch, the last epoch is saved, and val and test accuracy are
reported in ``metrics.json``."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
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
class AugmentConfig:
    """Random changes to each training crop (``augment``); zeros switch a change off."""

    log_scale: float = 0.25
    """Zoom factor drawn log-uniformly in exp(+-log_scale)."""
    shift: float = 0.1
    """Translation, uniform in +-shift of the crop's half-edge."""
    rotate_rad: float = 0.2
    """Rotation, uniform in +-rotate_rad radians."""
    brightness: float = 0.2
    """Gain, uniform in 1 +- brightness."""
    erase_prob: float = 0.25
    """Chance of greying out one rectangle of 20-50 % of the edge on each side."""

    def __post_init__(self) -> None:
        for name in ("log_scale", "shift", "rotate_rad", "brightness"):
            if getattr(self, name) < 0:
                raise ValueError(f"AugmentConfig.{name}: expected >= 0, got {getattr(self, name)}")
        if not 0.0 <= self.erase_prob <= 1.0 or self.brightness >= 1.0:
            raise ValueError(
                f"AugmentConfig: expected erase_prob in [0, 1] and brightness < 1, got {self.erase_prob}, "
                f"{self.brightness}"
            )


@dataclass
class TrainConfig:
    """Optimisation settings of the crop classifier."""

    epochs: int = 30
    """Passes over the training crops."""
    batch_size: int = 64
    """Crops per step."""
    lr: float = 1e-3
    """Peak AdamW learning rate (cosine decay)."""
    weight_decay: float = 0.05
    """AdamW weight decay."""
    label_smoothing: float = 0.1
    """Label smoothing of the category loss."""
    seed: int = 0
    """Seed of initialisation, shuffling and augmentation."""
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    """Augmentation of training crops."""
    init: str = ""
    """Directory of a saved crop classifier to start from (continued training); empty starts from scratch."""
    pixel_size_channel: bool = True
    """Give the model each crop's pixel size in metres as a fourth channel (``CropClassifierConfig``)."""

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
    pixel_size_m: torch.Tensor
    """(K,) float32 metres of surface per crop pixel (``perception.vit.pixel_size``)."""


def collect_crops(dataset: Dataset, split: str, config: CropConfig) -> CropSet:
    """Every visible object crop of every view of ``split``."""
    crops, cats, cols, sizes = [], [], [], []
    for scene_id in tqdm(dataset.splits[split], desc=f"crops {split}", unit="scene"):
        scene = dataset.scene(scene_id)
        by_id = {o.object_id: o for o in scene.objects}
        for view in scene.views:
            mask = view_instance_mask(view.depth_m, view.intrinsics, view.T_world_cam, scene.points, scene.instance)
            cut = object_crops(view.rgb, mask, config, view.depth_m, view.intrinsics)
            assert cut.pixel_size_m is not None
            for crop, oid, size in zip(cut.crops, cut.ids, cut.pixel_size_m, strict=True):
                obj = by_id[int(oid)]
                crops.append(crop)
                cats.append(dataset.categories.index(obj.label))
                cols.append(dataset.colors.index(obj.color))
                sizes.append(size)
    return CropSet(torch.stack(crops), torch.tensor(cats), torch.tensor(cols), torch.stack(sizes))


def cached_crops(dataset: Dataset, split: str, config: CropConfig, cache_dir: Path | None) -> CropSet:
    """``collect_crops``, read from or written to ``cache_dir/crops-SPLIT-SIZEpx.safetensors`` when given
    (a cache written before crops had pixel sizes is cut again)."""
    if cache_dir is None:
        return collect_crops(dataset, split, config)
    path = cache_dir / f"crops-{split}-{config.size}px.safetensors"
    if path.is_file():
        t = load_file(str(path))
        if "pixel_size_m" in t:
            return CropSet(t["crops"], t["category"], t["color"], t["pixel_size_m"])
    data = collect_crops(dataset, split, config)
    cache_dir.mkdir(parents=True, exist_ok=True)
    save_file({"crops": data.crops, "category": data.category, "color": data.color,
               "pixel_size_m": data.pixel_size_m}, str(path))
    return data


def augment(
    x: torch.Tensor, pixel_size_m: torch.Tensor, gen: torch.Generator, config: AugmentConfig
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random flip, scale, shift, rotation, brightness and erasing of crops (B, 3, S, S) in [0, 1].

    Geometry and brightness only: hue must survive, it is the colour label. Uncovered pixels take the grey
    that ``CropConfig.mask_background`` paints, so a zoomed-out crop looks like a smaller segment crop.
    Returns the crops and their pixel sizes (B,) in metres, divided by each crop's zoom: the object keeps
    its size in metres however large it is drawn.
    """
    b = x.shape[0]
    # Brightness of the object only: the grey background stays the grey the test crops have.
    gain = 1 - config.brightness + 2 * config.brightness * torch.rand(b, 1, 1, 1, generator=gen)
    own = (x - 0.5).abs().amax(1, keepdim=True) > 1e-3  # (B, 1, S, S)
    x = torch.where(own, (x * gain).clamp(0, 1), x)
    flip = torch.where(torch.rand(b, generator=gen) < 0.5, -1.0, 1.0)
    scale = torch.exp(torch.empty(b).uniform_(-config.log_scale, config.log_scale, generator=gen))
    angle = torch.empty(b).uniform_(-config.rotate_rad, config.rotate_rad, generator=gen)
    shift = torch.empty(b, 2).uniform_(-config.shift, config.shift, generator=gen)
    # affine_grid maps output to input coordinates: dividing by the scale zooms the content by it.
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, shift[:, 0]], 1), torch.stack([sin * flip, cos, shift[:, 1]], 1)], 1
    )  # (B, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x - 0.5, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + 0.5
    # Random erasing: one grey rectangle per chosen crop, as if an occluder had been masked out.
    s = x.shape[-1]
    erase = torch.rand(b, generator=gen) < config.erase_prob
    side = (s * torch.empty(b, 2).uniform_(0.2, 0.5, generator=gen)).long()  # (B, 2) rows, cols
    corner = (torch.rand(b, 2, generator=gen) * (s - side)).long()
    idx = torch.arange(s)
    rows = (idx >= corner[:, :1]) & (idx < corner[:, :1] + side[:, :1])  # (B, S)
    cols = (idx >= corner[:, 1:]) & (idx < corner[:, 1:] + side[:, 1:])  # (B, S)
    hole = (rows[:, :, None] & cols[:, None, :] & erase[:, None, None]).unsqueeze(1)  # (B, 1, S, S)
    return torch.where(hole, torch.full_like(x, 0.5), x), pixel_size_m / scale


@torch.inference_mode()
def accuracy(model: CropClassifier, data: CropSet, batch_size: int = 256) -> tuple[float, float]:
    """(category accuracy, colour accuracy) on ``data``."""
    model.eval()
    right_cat = right_col = 0
    for i in range(0, data.crops.shape[0], batch_size):
        out = model(data.crops[i : i + batch_size], data.pixel_size_m[i : i + batch_size])
        right_cat += int((out.category.argmax(1) == data.category[i : i + batch_size]).sum())
        right_col += int((out.color.argmax(1) == data.color[i : i + batch_size]).sum())
    n = max(1, data.crops.shape[0])
    return right_cat / n, right_col / n


def train(dataset: Dataset, out: Path, config: TrainConfig, cache_dir: Path | None = None) -> dict[str, float | str]:
    """Train on the train split, save to ``out``, and return the val and test figures.

    Val accuracy is printed after every epoch to choose the recipe by; test is measured once, at the end.
    """
    torch.manual_seed(config.seed)
    crop_config = CropConfig()
    train_set = cached_crops(dataset, "train", crop_config, cache_dir)
    val_set = cached_crops(dataset, "val", crop_config, cache_dir)
    test_set = cached_crops(dataset, "test", crop_config, cache_dir)
    if config.init:
        model = CropClassifier.load(Path(config.init))
        if model.config.categories != dataset.categories or model.config.colors != dataset.colors:
            raise ValueError(f"--init {config.init}: expected the dataset's categories and colours, got "
                             f"{model.config.categories} and {model.config.colors}")
        if model.config.pixel_size_channel != config.pixel_size_channel:
            raise ValueError(f"--init {config.init}: expected pixel_size_channel {config.pixel_size_channel} "
                             f"(--rgb-only switches it off), got {model.config.pixel_size_channel}")
    else:
        model = CropClassifier(
            CropClassifierConfig(categories=dataset.categories, colors=dataset.colors, image_size=crop_config.size,
                                 pixel_size_channel=config.pixel_size_channel)
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
            crops, sizes = augment(train_set.crops[idx], train_set.pixel_size_m[idx], gen, config.augment)
            logits = model(crops, sizes)
            loss = F.cross_entropy(
                logits.category, train_set.category[idx], label_smoothing=config.label_smoothing
            ) + F.cross_entropy(logits.color, train_set.color[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            bar.set_postfix(loss=f"{loss.item():.3f}")
        val_cat, val_col = accuracy(model, val_set)
        tqdm.write(f"epoch {epoch + 1}: val category {val_cat:.3f}, colour {val_col:.3f}")
    train_seconds = time.perf_counter() - start
    cat_acc, col_acc = accuracy(model, test_set)
    metrics: dict[str, float | str] = {
        "test_category_accuracy": cat_acc,
        "test_color_accuracy": col_acc,
        "val_category_accuracy": val_cat,
        "val_color_accuracy": val_col,
        "train_crops": int(train_set.crops.shape[0]),
        "val_crops": int(val_set.crops.shape[0]),
        "test_crops": int(test_set.crops.shape[0]),
        "train_seconds": train_seconds,
        "seed": config.seed,
        "epochs": config.epochs,
        "lr": config.lr,
        "init": config.init,
        "pixel_size_channel": config.pixel_size_channel,
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
    parser.add_argument("--lr", type=float, default=TrainConfig.lr, help="peak learning rate")
    parser.add_argument("--init", default="", help="saved classifier to continue training from")
    parser.add_argument("--cache", default=None, help="folder to keep the cut crops in between runs")
    parser.add_argument("--rgb-only", action="store_true", help="no pixel-size channel: the model needs no depth")
    args = parser.parse_args(argv)
    cache = Path(args.cache) if args.cache else None
    config = TrainConfig(epochs=args.epochs, seed=args.seed, lr=args.lr, init=args.init,
                         pixel_size_channel=not args.rgb_only)
    metrics = train(Dataset(args.data), Path(args.out), config, cache)
    print(json.dumps(metrics, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
