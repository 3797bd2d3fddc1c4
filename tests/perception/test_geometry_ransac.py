"""RANSAC plane fit: finds a noisy plane among outliers, is reproducible, and agrees with open3d's."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import open3d as o3d
from hypothesis import given, settings
from hypothesis import strategies as st

from perception.geometry.ransac import fit_plane, ransac_plane

THRESHOLD = 0.01


def _noisy_plane(normal: np.ndarray, offset: float, rng: np.random.Generator, n: int = 3000,
                 outliers: int = 2000) -> np.ndarray:
    """(n + outliers, 3): points within 3 mm of the plane n.x + offset = 0 and uniform clutter in a 4 m cube."""
    normal = normal / np.linalg.norm(normal)
    basis = np.linalg.svd(normal[None])[2][1:]  # (2, 3) spans the plane
    on = rng.uniform(-2, 2, (n, 2)) @ basis - offset * normal + rng.normal(0, 0.003, (n, 1)) * normal
    return np.concatenate([on, rng.uniform(-2, 2, (outliers, 3))])


@settings(max_examples=25, deadline=None)
@given(st.floats(-1, 1), st.floats(-1, 1), st.floats(0.2, 1), st.floats(-1, 1), st.integers(0, 2**31))
def test_finds_the_plane_among_outliers(nx: float, ny: float, nz: float, offset: float, seed: int) -> None:
    normal = np.array([nx, ny, nz]) / np.linalg.norm([nx, ny, nz])
    points = _noisy_plane(normal, offset, np.random.default_rng(seed))
    fit = ransac_plane(points, THRESHOLD, 300, np.random.default_rng(0))
    sign = np.sign(fit.model[:3] @ normal)
    assert np.degrees(np.arccos(min(1.0, abs(fit.model[:3] @ normal)))) < 1.0
    assert abs(sign * fit.model[3] - offset) < 0.005
    assert np.isclose(np.linalg.norm(fit.model[:3]), 1.0)
    assert 0.95 * 3000 <= fit.inliers.size <= 3000 + 2000 * 0.05  # the plane's points, a few clutter points


def test_same_points_and_seed_give_the_same_plane() -> None:
    points = _noisy_plane(np.array([0.1, 0.2, 1.0]), 0.3, np.random.default_rng(4))
    a = ransac_plane(points, THRESHOLD, 200, np.random.default_rng(7))
    b = ransac_plane(points, THRESHOLD, 200, np.random.default_rng(7))
    assert np.array_equal(a.model, b.model) and np.array_equal(a.inliers, b.inliers)


def test_a_fresh_process_gives_the_same_plane_bytes() -> None:
    """The reason this exists: open3d's threaded RANSAC gave different planes from process to process."""
    code = ("import numpy as np; from perception.geometry.ransac import ransac_plane; "
            "r = np.random.default_rng(1); p = np.concatenate([np.c_[r.uniform(-2, 2, (4000, 2)), "
            "r.normal(0, 0.004, 4000)], r.uniform(-2, 2, (3000, 3))]); "
            "f = ransac_plane(p, 0.01, 300, np.random.default_rng(0)); print(f.model.tobytes().hex(), f.inliers.sum())")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(3)}
    assert len(outs) == 1, outs


def test_agrees_with_open3d_segment_plane() -> None:
    points = _noisy_plane(np.array([0.0, 0.3, 1.0]), -0.5, np.random.default_rng(2))
    ours = ransac_plane(points, THRESHOLD, 300, np.random.default_rng(0))
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points))
    o3d.utility.random.seed(0)
    model, inliers = cloud.segment_plane(THRESHOLD, 3, 300)
    theirs = np.asarray(model) / np.linalg.norm(np.asarray(model)[:3])
    theirs *= np.sign(theirs[:3] @ ours.model[:3])
    assert np.allclose(ours.model, theirs, atol=2e-3)
    assert abs(ours.inliers.size - len(inliers)) <= 0.02 * len(inliers)


def test_degenerate_inputs_give_an_empty_fit() -> None:
    line = np.c_[np.linspace(0, 1, 50), np.zeros(50), np.zeros(50)]  # collinear: every triple is degenerate
    assert ransac_plane(line, THRESHOLD, 50, np.random.default_rng(0)).inliers.size == 0
    assert ransac_plane(np.zeros((2, 3)), THRESHOLD, 50, np.random.default_rng(0)).inliers.size == 0


def test_fit_plane_is_the_least_squares_plane() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(-1, 1, (500, 2))
    points = np.c_[xy, 0.2 * xy[:, 0] - 0.1 * xy[:, 1] + 0.4]  # z = 0.2x - 0.1y + 0.4, exactly
    model = fit_plane(points)
    assert np.abs(points @ model[:3] + model[3]).max() < 1e-9
