"""Gravity-aligned boxes: the minimum-area footprint rectangle recovers rotated boxes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from perception import Box3D
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
