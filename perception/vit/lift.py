"""Lift patch tokens to 3D: each patch gets the robust centroid of its valid depth pixels, in the world."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from perception._checks import check_array
from perception.camera import CameraIntrinsics
from perception.errors import ShapeError
from perception.spatial_tokens import SpatialTokens
from perception.transforms import transform_points
from perception.vit.camera_encoder import PatchTokens


@dataclass
class LiftConfig:
    """How patches are placed in 3D."""

    min_valid_fraction: float = 0.25
    """A patch with fewer valid depth pixels than this fraction of its pixels is dropped."""
    max_depth_m: float = 10.0
    """Depth beyond this many metres counts as invalid."""

    def __post_init__(self) -> None:
        if not 0.0 < self.min_valid_fraction <= 1.0:
            raise ShapeError(f"LiftConfig.min_valid_fraction: expected in (0, 1], got {self.min_valid_fraction}")
        if self.max_depth_m <= 0:
            raise ShapeError(f"LiftConfig.max_depth_m: expected > 0, got {self.max_depth_m}")


def lift_patch_tokens(
    patches: PatchTokens,
    depth_m: np.ndarray,
    intrinsics: CameraIntrinsics,
    T_world_cam: np.ndarray,
    config: LiftConfig | None = None,
    frame_id: str = "world",
) -> SpatialTokens:
    """Place each patch token at the per-axis median of its valid depth pixels, in the world frame.

    patches: (Hp, Wp, D) tokens covering the whole (H, W) image. depth_m: (H, W) float32 metres, 0 or NaN
    invalid. T_world_cam: (4, 4) pose of the optical frame. Returns SpatialTokens with K <= Hp * Wp rows:
    patches without enough valid depth are dropped. The median keeps a patch that straddles an object edge
    on the majority surface instead of floating between foreground and background.
    """
    config = config or LiftConfig()
    h, w = patches.image_size
    check_array("depth_m", depth_m, (h, w))
    if (intrinsics.height, intrinsics.width) != (h, w):
        got = f"{intrinsics.width} x {intrinsics.height}"
        raise ShapeError(f"intrinsics: expected {w} x {h} to match the image, got {got}")
    hp, wp = patches.grid

    rows = np.arange(h)[:, None] * hp // h  # (H, 1) patch row of each pixel row
    cols = np.arange(w)[None, :] * wp // w  # (1, W)
    patch_of_pixel = (rows * wp + cols).reshape(-1)  # (H * W,)

    z = depth_m.reshape(-1).astype(np.float64)
    valid = np.isfinite(z) & (z > 0) & (z <= config.max_depth_m)
    v, u = np.divmod(np.arange(h * w), w)
    x = (u - intrinsics.cx) * z / intrinsics.fx
    y = (v - intrinsics.cy) * z / intrinsics.fy
    points_cam = np.stack([x, y, z], axis=1)[valid]  # (M, 3)
    patch_ids = patch_of_pixel[valid]  # (M,)

    pixels_per_patch = np.bincount(patch_of_pixel, minlength=hp * wp)
    valid_per_patch = np.bincount(patch_ids, minlength=hp * wp)
    keep = valid_per_patch >= np.maximum(1, config.min_valid_fraction * pixels_per_patch)  # (Hp * Wp,)

    centroid_cam = _grouped_median(points_cam, patch_ids, hp * wp)  # (Hp * Wp, 3)
    centroid_world = transform_points(centroid_cam[keep], T_world_cam)  # (K, 3)

    features = patches.features.reshape(hp * wp, -1)[torch.from_numpy(np.flatnonzero(keep))]  # (K, D)
    return SpatialTokens.single(
        pos=torch.from_numpy(centroid_world.astype(np.float32)),
        features=features.float(),
        frame_id=frame_id,
    )


def _grouped_median(values: np.ndarray, groups: np.ndarray, num_groups: int) -> np.ndarray:
    """Per-group, per-column median of values (M, C) by group id (M,); NaN for empty groups. Vectorised."""
    out = np.full((num_groups, values.shape[1]), np.nan)
    if values.shape[0] == 0:
        return out
    counts = np.bincount(groups, minlength=num_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    nonempty = counts > 0
    lo = starts + (counts - 1) // 2  # lower and upper middle: their mean is the median
    hi = starts + counts // 2
    for c in range(values.shape[1]):
        order = np.lexsort((values[:, c], groups))
        sorted_vals = values[order, c]
        out[nonempty, c] = 0.5 * (sorted_vals[lo[nonempty]] + sorted_vals[hi[nonempty]])
    return out
