"""Support patches: each at its own surface's height, and a footprint that counts what stands on it."""

from __future__ import annotations

import numpy as np

from perception import PointCloud
from perception.geometry.planes import HORIZONTAL
from perception.geometry.proposals import extract_proposals


def _surface(x0: float, x1: float, y0: float, y1: float, z: float, step: float = 0.012) -> np.ndarray:
    """Points on a horizontal rectangle, (M, 3) float32."""
    x, y = np.meshgrid(np.arange(x0, x1 + 1e-9, step), np.arange(y0, y1 + 1e-9, step), indexing="ij")
    return np.stack([x.ravel(), y.ravel(), np.full(x.size, z)], -1).astype(np.float32)


def _floor() -> np.ndarray:
    return _surface(-2.0, 2.0, -2.0, 2.0, 0.0, 0.02)


def test_patches_found_at_one_level_of_the_height_search_each_sit_on_their_own_surface() -> None:
    tops = [_surface(-1.3, -0.3, -0.3, 0.3, 0.75), _surface(0.3, 1.3, -0.3, 0.3, 0.762)]
    planes = extract_proposals(PointCloud(xyz=np.concatenate([_floor(), *tops]))).planes
    heights = sorted(p.height for p in planes if p.kind == HORIZONTAL and not p.is_floor)
    np.testing.assert_allclose(heights, [0.75, 0.762], atol=1e-3)
    for p in planes:
        np.testing.assert_allclose(p.model[3], -p.height * p.model[2])


def test_the_footprint_covers_a_hole_inside_the_patch_but_not_a_point_beside_it() -> None:
    top = _surface(-0.5, 0.5, -0.5, 0.5, 0.75)
    hidden = (np.abs(top[:, 0]) < 0.2) & (np.abs(top[:, 1]) < 0.2)  # under something standing on the top
    planes = extract_proposals(PointCloud(xyz=np.concatenate([_floor(), top[~hidden]]))).planes
    table = next(p for p in planes if p.kind == HORIZONTAL and not p.is_floor)
    probes = np.array([[0.0, 0.0, 0.8], [0.1, -0.1, 0.8], [0.4, 0.4, 0.8], [0.8, 0.0, 0.8]])
    assert table.covers(probes, grow_cells=-1).tolist() == [True, True, True, False]
