"""Whole scenes of a ground3d dataset with per-point semantic labels, for semantic segmentation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception.dataset import Dataset
from pointnet.errors import ConfigError

BACKGROUND = "background"


@dataclass
class SceneCloud:
    """One scene's points with a semantic class per point (0 = background, k = category k - 1)."""

    points: np.ndarray
    """(N, 3) float32 world positions, metres, z up."""
    colors: np.ndarray
    """(N, 3) uint8 RGB."""
    labels: np.ndarray
    """(N,) int64 class index into ``["background", *categories]``."""
    scene_id: str
    """Scene id."""


def load_scene_clouds(root: str, split: str) -> tuple[list[SceneCloud], list[str]]:
    """The scenes of ``split`` and the class names ``["background", *categories]`` their labels index."""
    ds = Dataset(root)
    if split not in ds.splits:
        raise ConfigError(f"split: expected one of {sorted(ds.splits)}, got {split!r}")
    classes = [BACKGROUND, *ds.categories]
    index = {name: i + 1 for i, name in enumerate(ds.categories)}
    scenes = []
    for scene_id in ds.splits[split]:
        scene = ds.scene(scene_id)
        lut = np.zeros(max([o.object_id for o in scene.objects], default=0) + 2, dtype=np.int64)
        for obj in scene.objects:
            lut[obj.object_id] = index[obj.label]
        labels = np.where(scene.instance >= 0, lut[np.maximum(scene.instance, 0)], 0)
        scenes.append(SceneCloud(scene.points, scene.colors, labels, scene_id))
    return scenes, classes
