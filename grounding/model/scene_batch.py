"""SceneBatch: scenes of objects as padded tensors, with the augmentation that makes oracle boxes look predicted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch
from matplotlib.colors import rgb_to_hsv

from grounding.errors import GroundingConfigError, SceneInputError
from grounding.model.scene_input import SceneInput
from perception.proposal import COLOR_HIST_BINS

COLOR_STATS_DIM = 3 + 3 * COLOR_HIST_BINS
"""Mean RGB (3) and the HSV histogram (3 * COLOR_HIST_BINS) of ``perception.ObjectProposal``."""


@dataclass
class AugmentConfig:
    """Random changes applied to each object while training, so predicted proposals look familiar."""

    point_keep_min: float = 0.6
    """Each object keeps a random fraction in [point_keep_min, 1] of its points (dropout)."""
    jitter_m: float = 0.005
    """Standard deviation of the Gaussian noise added to each point, metres."""
    center_jitter_m: float = 0.02
    """Standard deviation of the noise added to each box centre, metres."""
    size_jitter: float = 0.1
    """Each box extent is scaled by a factor drawn in [1 - size_jitter, 1 + size_jitter]."""
    color_jitter: float = 0.03
    """Standard deviation of the noise added to point colours in [0, 1]."""
    # What a camera-fused map does to an object, which the sampled ground-truth cloud never shows:
    size_grow_m: float = 0.0
    """Each box extent also grows by a length drawn in [0, size_grow_m] metres: fused depth noise and voxels
    add a centimetre or two on each side of a small object."""
    brightness_min: float = 1.0
    """Each object's colours are scaled by a factor drawn in [brightness_min, 1]: a sensor sees shaded
    surfaces, 0.6-0.9 of their albedo."""
    one_side_prob: float = 0.0
    """With this probability an object keeps only the points on one side of a random vertical plane through
    its centre, and its box shrinks to them: what a single view sees of it."""

    def __post_init__(self) -> None:
        if not 0.0 < self.point_keep_min <= 1.0:
            raise GroundingConfigError(f"AugmentConfig.point_keep_min: expected in (0, 1], got {self.point_keep_min}")
        if not 0.0 < self.brightness_min <= 1.0:
            raise GroundingConfigError(f"AugmentConfig.brightness_min: expected in (0, 1], got {self.brightness_min}")
        if not 0.0 <= self.one_side_prob <= 1.0:
            raise GroundingConfigError(f"AugmentConfig.one_side_prob: expected in [0, 1], got {self.one_side_prob}")
        for name in ("jitter_m", "center_jitter_m", "color_jitter", "size_grow_m"):
            if getattr(self, name) < 0:
                raise GroundingConfigError(f"AugmentConfig.{name}: expected >= 0, got {getattr(self, name)}")
        if not 0.0 <= self.size_jitter < 1.0:
            raise GroundingConfigError(f"AugmentConfig.size_jitter: expected in [0, 1), got {self.size_jitter}")


@dataclass
class SceneBatch:
    """B scenes padded to N objects, each object sampled to K points."""

    points: torch.Tensor
    """(B, N, K, 3) float32 points relative to the box centre, divided by the object's largest half-extent."""
    point_colors: torch.Tensor
    """(B, N, K, 3) float32 RGB in [0, 1]."""
    color_stats: torch.Tensor
    """(B, N, COLOR_STATS_DIM) float32 mean RGB in [0, 1] and the HSV histogram."""
    centers: torch.Tensor
    """(B, N, 3) float32 box centres in metres, world frame."""
    sizes: torch.Tensor
    """(B, N, 3) float32 box extents in metres, along the box axes."""
    yaws: torch.Tensor
    """(B, N) float32 box yaw in radians."""
    image_features: torch.Tensor
    """(B, N, C_img) float32 pooled camera-ViT features; zeros where ``image_present`` is False."""
    image_present: torch.Tensor
    """(B, N) bool, True where an image feature was given."""
    mask: torch.Tensor
    """(B, N) bool, True for a real object, False for padding."""
    object_ids: torch.Tensor
    """(B, N) int64 object ids; -1 for padding."""

    @property
    def batch_size(self) -> int:
        """B."""
        return int(self.mask.shape[0])

    @property
    def num_objects(self) -> int:
        """N, the padded number of objects."""
        return int(self.mask.shape[1])

    def to(self, device: torch.device | str) -> SceneBatch:
        """The same batch on ``device``."""
        return SceneBatch(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    def select(self, index: torch.Tensor) -> SceneBatch:
        """Scenes at ``index`` (B',) int64, in that order."""
        return SceneBatch(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def color_statistics(colors: np.ndarray) -> np.ndarray:
    """(COLOR_STATS_DIM,) float32: mean RGB in [0, 1], then an HSV histogram with each channel summing to 1."""
    rgb = colors.astype(np.float32) / 255.0  # (M, 3)
    hsv = rgb_to_hsv(rgb)  # (M, 3) each in [0, 1]
    hists = [
        np.histogram(hsv[:, c], bins=COLOR_HIST_BINS, range=(0.0, 1.0))[0].astype(np.float32) / len(hsv)
        for c in range(3)
    ]
    return np.concatenate([rgb.mean(axis=0), *hists]).astype(np.float32)


def _one_side(
    pts: np.ndarray, cols: np.ndarray, center: np.ndarray, size: np.ndarray, yaw: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The points (M, 3) and colours (M, 3) on one side of a random vertical plane through ``center``, and
    the centre (3,) and size (3,) of their box in the object's own axes (yaw about z); all of them when
    fewer than 4 points are on that side."""
    angle = rng.uniform(0.0, 2.0 * np.pi)
    side = (pts[:, :2] - center[:2]) @ np.array([np.cos(angle), np.sin(angle)], np.float32) >= 0  # (M,)
    if side.sum() < 4:
        return pts, cols, center, size
    c, s = np.cos(yaw), np.sin(yaw)
    axes = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], np.float32)  # columns: the box axes
    local = (pts[side] - center) @ axes  # (M', 3) in the box's axes
    lo, hi = local.min(axis=0), local.max(axis=0)
    return pts[side], cols[side], (center + axes @ ((lo + hi) / 2)).astype(np.float32), (hi - lo).astype(np.float32)


def build_scene_batch(
    scenes: Sequence[SceneInput],
    points_per_object: int,
    image_dim: int,
    rng: np.random.Generator | None = None,
    augment: AugmentConfig | None = None,
) -> SceneBatch:
    """Pad and sample B scenes into a SceneBatch.

    Without ``augment`` the K points are an evenly strided subset (deterministic); with it they are drawn
    at random after point dropout, then jittered, and boxes are jittered too. ``image_dim`` is C_img; an
    object whose image feature has another width is an error, and with ``image_dim`` 0 image features are
    not used.
    """
    if not scenes:
        raise SceneInputError("build_scene_batch: expected at least one scene, got none")
    if augment is not None and rng is None:
        raise GroundingConfigError("build_scene_batch: augmentation needs an rng, got None")
    B, N, K = len(scenes), max(s.num_objects for s in scenes), points_per_object
    points = np.zeros((B, N, K, 3), np.float32)
    point_colors = np.zeros((B, N, K, 3), np.float32)
    stats = np.zeros((B, N, COLOR_STATS_DIM), np.float32)
    centers = np.zeros((B, N, 3), np.float32)
    sizes = np.zeros((B, N, 3), np.float32)
    yaws = np.zeros((B, N), np.float32)
    image = np.zeros((B, N, image_dim), np.float32)
    present = np.zeros((B, N), bool)
    mask = np.zeros((B, N), bool)
    ids = np.full((B, N), -1, np.int64)
    for b, scene in enumerate(scenes):
        for n, obj in enumerate(scene.objects):
            pts, cols = obj.points, obj.colors
            center, size = obj.box.center.astype(np.float32), obj.box.size.astype(np.float32)
            origin = center  # local coordinates are taken about the un-jittered box centre
            if augment is not None and rng is not None:
                if augment.one_side_prob > 0 and rng.random() < augment.one_side_prob:
                    pts, cols, center, size = _one_side(pts, cols, center, size, obj.box.yaw, rng)
                    origin = center
                keep = max(1, round(len(pts) * rng.uniform(augment.point_keep_min, 1.0)))
                chosen = rng.choice(len(pts), size=keep, replace=False)
                pts, cols = pts[chosen], cols[chosen]
                center = center + rng.normal(0.0, augment.center_jitter_m, 3).astype(np.float32)
                size = size * rng.uniform(1 - augment.size_jitter, 1 + augment.size_jitter, 3).astype(np.float32)
                if augment.size_grow_m > 0:
                    size = size + rng.uniform(0.0, augment.size_grow_m, 3).astype(np.float32)
                if augment.brightness_min < 1:
                    gain = rng.uniform(augment.brightness_min, 1.0)
                    cols = np.clip(cols.astype(np.float32) * gain + 0.5, 0, 255).astype(np.uint8)
                rows = rng.choice(len(pts), size=K, replace=len(pts) < K)
            else:
                rows = np.linspace(0, len(pts) - 1, K).round().astype(np.int64)
            local = pts[rows] - origin  # (K, 3)
            rgb = cols[rows].astype(np.float32) / 255.0  # (K, 3)
            if augment is not None and rng is not None:
                local = local + rng.normal(0.0, augment.jitter_m, local.shape).astype(np.float32)
                rgb = np.clip(rgb + rng.normal(0.0, augment.color_jitter, rgb.shape), 0.0, 1.0)
            scale = max(float(np.abs(local).max()), 1e-3)
            points[b, n] = local / scale
            point_colors[b, n] = rgb
            stats[b, n] = color_statistics(cols)
            centers[b, n], sizes[b, n], yaws[b, n] = center, size, obj.box.yaw
            mask[b, n], ids[b, n] = True, obj.object_id
            if obj.image_feature is not None and image_dim > 0:
                if obj.image_feature.shape != (image_dim,):
                    raise SceneInputError(
                        f"object {obj.object_id}: expected an image feature of shape ({image_dim},), "
                        f"got {obj.image_feature.shape}"
                    )
                image[b, n], present[b, n] = obj.image_feature, True
    t = torch.from_numpy
    return SceneBatch(
        points=t(points),
        point_colors=t(point_colors),
        color_stats=t(stats),
        centers=t(centers),
        sizes=t(sizes),
        yaws=t(yaws),
        image_features=t(image),
        image_present=t(present),
        mask=t(mask),
        object_ids=t(ids),
    )
