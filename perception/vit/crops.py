"""Object crops from a labelled view: the training examples of the shipped camera ViT."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from perception._checks import check_array
from perception.camera import CameraIntrinsics
from perception.vit.pixel_size import crop_pixel_size


@dataclass
class CropConfig:
    """How object crops are cut from a view."""

    size: int = 48
    """Edge in pixels of the square crop fed to the ViT."""
    min_pixels: int = 150
    """Objects with fewer visible pixels than this are skipped."""
    pad_fraction: float = 0.15
    """The crop box grows by this fraction of its longer side on each side."""
    mask_background: bool = True
    """Grey out pixels of other instances and background, so a crop shows one object (a segment crop)."""

    def __post_init__(self) -> None:
        if self.size < 8:
            raise ValueError(f"CropConfig.size: expected >= 8, got {self.size}")
        if self.min_pixels < 1:
            raise ValueError(f"CropConfig.min_pixels: expected >= 1, got {self.min_pixels}")


@dataclass
class ObjectCrops:
    """The crops of one view, in increasing instance id order."""

    crops: torch.Tensor
    """(K, 3, S, S) float in [0, 1]."""
    ids: np.ndarray
    """(K,) int32 instance id of each crop."""
    pixel_size_m: torch.Tensor | None
    """(K,) float32 metres of the object's surface one crop pixel covers (``pixel_size``); None without depth."""


def object_crops(
    rgb: np.ndarray,
    instance_mask: np.ndarray,
    config: CropConfig,
    depth_m: np.ndarray | None = None,
    intrinsics: CameraIntrinsics | None = None,
) -> ObjectCrops:
    """Square crops around each visible object.

    rgb: (H, W, 3) uint8. instance_mask: (H, W) int32, -1 background. depth_m: (H, W) float32 metres and
    the view's intrinsics, optional: with both, each crop also gets its pixel size in metres.
    """
    h, w = instance_mask.shape
    check_array("rgb", rgb, (h, w, 3), (np.uint8,))
    depth = None if depth_m is None or intrinsics is None else (check_array("depth_m", depth_m, (h, w)), intrinsics)
    ids, counts = np.unique(instance_mask[instance_mask >= 0], return_counts=True)
    keep_ids = ids[counts >= config.min_pixels]
    image = torch.from_numpy(np.array(rgb, copy=True)).permute(2, 0, 1).float() / 255.0  # (3, H, W)
    crops, sizes = [], []
    for instance_id in keep_ids:
        rows, cols = np.nonzero(instance_mask == instance_id)
        r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
        side = max(r1 - r0, c1 - c0) * (1 + 2 * config.pad_fraction)
        rc, cc = (r0 + r1) / 2, (c0 + c1) / 2
        top, left = int(max(0, rc - side / 2)), int(max(0, cc - side / 2))
        bottom, right = int(min(h, rc + side / 2)), int(min(w, cc + side / 2))
        patch = image[:, top:bottom, left:right].unsqueeze(0)  # (1, 3, h', w')
        if config.mask_background:
            own = torch.from_numpy(instance_mask[top:bottom, left:right] == instance_id)
            patch = torch.where(own, patch, torch.full_like(patch, 0.5))
        crops.append(F.interpolate(patch, size=(config.size, config.size), mode="bilinear", antialias=True)[0])
        if depth is not None:
            z, K = depth
            sizes.append(crop_pixel_size(z[rows, cols], K.fx, K.fy, bottom - top, right - left, config.size))
    pixel_size = torch.tensor(sizes, dtype=torch.float32) if depth is not None else None
    if not crops:
        return ObjectCrops(torch.zeros(0, 3, config.size, config.size), np.zeros(0, np.int32), pixel_size)
    return ObjectCrops(torch.stack(crops), keep_ids.astype(np.int32), pixel_size)
