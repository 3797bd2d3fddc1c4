"""Object point clouds cut from the scenes of a ground3d dataset, for object classification."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from perception.dataset import Dataset
from pointnet.errors import ConfigError


@dataclass
class ObjectCloud:
    """The points of one object instance of one scene."""

    points: np.ndarray
    """(N, 3) float32 world positions, metres."""
    colors: np.ndarray
    """(N, 3) uint8 RGB."""
    label: int
    """Category index into the dataset's ``categories``."""
    scene_id: str
    """Scene the object was cut from."""
    object_id: int
    """Instance id in that scene."""


@dataclass
class ObjectCloudSet:
    """All objects of some splits, and the category names their labels index."""

    objects: list[ObjectCloud]
    """The object clouds."""
    categories: list[str]
    """Category names; ``ObjectCloud.label`` indexes this list."""


def load_object_clouds(root: str, split: str, min_points: int = 32) -> ObjectCloudSet:
    """Every object with at least ``min_points`` points in the scenes of ``split`` ("train", "val", "test")."""
    ds = Dataset(root)
    if split not in ds.splits:
        raise ConfigError(f"split: expected one of {sorted(ds.splits)}, got {split!r}")
    index = {name: i for i, name in enumerate(ds.categories)}
    objects = []
    for scene_id in ds.splits[split]:
        scene = ds.scene(scene_id)
        order = np.argsort(scene.instance, kind="stable")  # group each instance's rows once per scene
        ids, starts = np.unique(scene.instance[order], return_index=True)
        bounds = dict(zip(ids.tolist(), zip(starts, [*starts[1:], len(order)], strict=True), strict=True))
        for obj in scene.objects:
            if obj.object_id not in bounds:
                continue
            lo, hi = bounds[obj.object_id]
            rows = order[lo:hi]
            if len(rows) < min_points:
                continue
            objects.append(ObjectCloud(scene.points[rows], scene.colors[rows], index[obj.label], scene_id,
                                       obj.object_id))
    return ObjectCloudSet(objects, list(ds.categories))


def normalise_object(
    points: np.ndarray, colors: np.ndarray, num_points: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, float]:
    """Resample an object to ``num_points`` and move it to its centre and unit radius.

    Returns pos (num_points, 3) float32 centred on the bounding-box centre and divided by the largest
    distance from it, features (num_points, 3) float32 RGB in [0, 1], and that radius in metres.
    Points are drawn without replacement when the object has enough, else with replacement.
    """
    n = points.shape[0]
    rows = rng.choice(n, num_points, replace=n < num_points)
    p = points[rows].astype(np.float32)
    centre = (p.min(0) + p.max(0)) / 2
    p = p - centre
    radius = float(np.linalg.norm(p, axis=1).max()) or 1.0
    return p / radius, colors[rows].astype(np.float32) / 255.0, radius


def augment(pos: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Random yaw about +z, scale in [0.85, 1.15] and 0.01 jitter of a (N, 3) object cloud."""
    theta = float(torch.rand(1, generator=rng)) * 2 * np.pi
    c, s = np.cos(theta), np.sin(theta)
    R = torch.tensor([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], dtype=pos.dtype)
    scale = 0.85 + 0.3 * float(torch.rand(1, generator=rng))
    return pos @ R.T * scale + 0.01 * torch.randn(pos.shape, generator=rng)
