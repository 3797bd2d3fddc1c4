"""Gravity-aligned boxes: the minimum-area footprint rectangle recovers rotated boxes, and the hull's
pre-filter keeps every hull vertex."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import ConvexHull, QhullError

from perception import Box3D
from perception.geometry import footprint
from perception.geometry.footprint import gravity_aligned_box, min_area_rectangle


@settings(max_examples=40, deadline=None)
@given(
    yaw=st.floats(-np.pi, np.pi),
    sx=st.floats(0.05, 2.0),
    sy=st.floats(0.05, 2.0),
    seed=st.integers(0, 1000),
)
def test_recovers_a_rotated_box(yaw: float, sx: float, sy: float, seed: int) -> None:
    truth = Box3D(center=np.array([1.0, -2.0, 0.3]), size=np.array([sx, sy, 0.4]), yaw=yaw)
    rng = np.random.default_rng(seed)
    local = rng.uniform(-0.5, 0.5, (400, 3)) * truth.size
    local[:8] = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)]) * truth.size
    points = local @ truth.rotation.T + truth.center
    box = gravity_aligned_box(points)
    assert -np.pi / 4 <= box.yaw < np.pi / 4
    assert box.iou(truth) > 0.98
    assert box.contains(points, margin=1e-6).all()


def test_degenerate_inputs_give_flat_boxes() -> None:
    center, size, yaw = min_area_rectangle(np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 0.0]]))
    np.testing.assert_allclose(center, [1.0, 0.0])
    np.testing.assert_allclose(size, [2.0, 0.0], atol=1e-12)
    assert yaw == 0.0
    one = min_area_rectangle(np.array([[3.0, 4.0]]))
    np.testing.assert_allclose(one[0], [3.0, 4.0])
    np.testing.assert_allclose(one[1], [0.0, 0.0])


def test_a_known_yaw_gives_the_searched_box_and_fits_new_points() -> None:
    """The incremental extractor hands back an unchanged outline's yaw: the box must be the one the search
    gives, fitted to the points as they are now."""
    rng = np.random.default_rng(3)
    outline = rng.uniform(-0.5, 0.5, (60, 3)) * [1.2, 0.4, 0.8] @ Box3D(np.zeros(3), np.ones(3), 0.5).rotation.T
    points = np.concatenate([outline, outline + rng.normal(0.0, 0.004, outline.shape)])
    searched = gravity_aligned_box(points, outline)
    given_yaw = gravity_aligned_box(points, outline, yaw=searched.yaw)
    assert given_yaw.yaw == searched.yaw
    np.testing.assert_array_equal(given_yaw.center, searched.center)
    np.testing.assert_array_equal(given_yaw.size, searched.size)
    grown = np.concatenate([points, [[2.0, 0.0, 0.0]]])  # a point added since: the extents follow it
    assert gravity_aligned_box(grown, outline, yaw=searched.yaw).contains(grown, margin=1e-6).all()


@settings(max_examples=100, deadline=None, database=None, derandomize=True)
@given(st.integers(64, 3000), st.sampled_from(["disk", "grid", "line", "square"]), st.integers(0, 2**16))
def test_the_octagon_filter_keeps_every_hull_vertex(num: int, shape: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    if shape == "disk":
        angle, radius = rng.uniform(0, 2 * np.pi, num), np.sqrt(rng.uniform(0, 1, num))
        xy = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    elif shape == "grid":  # voxel centroids: many points share an extreme coordinate
        xy = rng.integers(0, 12, (num, 2)).astype(np.float64) * 0.02
    elif shape == "line":
        xy = np.outer(rng.uniform(0, 1, num), [0.6, 0.8])
    else:
        xy = rng.uniform(-1, 1, (num, 2)) @ np.array([[0.8, -0.6], [0.6, 0.8]])
    kept = footprint._outside_octagon(xy)
    try:
        vertices = xy[ConvexHull(xy).vertices]
    except QhullError:  # all on a line: the rectangle search falls back to every point
        length = np.ptp(xy @ np.array([0.6, 0.8]))
        np.testing.assert_allclose(np.sort(min_area_rectangle(xy)[1]), [0.0, length], atol=1e-9)
        return
    assert {tuple(v) for v in vertices} <= {tuple(p) for p in kept}
    if shape == "disk":
        assert len(kept) < 0.5 * num  # the filter's point: most of a dense footprint is inside
