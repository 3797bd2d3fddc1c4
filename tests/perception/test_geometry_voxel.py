from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from perception.geometry.voxel import voxel_downsample, voxel_keys

_coords = st.floats(-3.0, 3.0, allow_nan=False, width=32)


def _reference(points: np.ndarray, colors: np.ndarray, voxel_size: float) -> tuple[np.ndarray, ...]:
    """The grid by its definition: np.unique over (N, 3) integer cells, means by np.add.at."""
    cells = np.floor(points / voxel_size).astype(np.int64)
    _, inverse, counts = np.unique(cells, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    sums = np.zeros((counts.size, 3))
    np.add.at(sums, inverse, points.astype(np.float64))
    rgb = np.zeros((counts.size, 3))
    np.add.at(rgb, inverse, colors.astype(np.float64))
    return inverse, counts, sums / counts[:, None], np.rint(rgb / counts[:, None])


@settings(max_examples=50, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 300), st.just(3)), elements=_coords),
       st.sampled_from([0.05, 0.2, 1.0]))
def test_voxel_downsample_matches_its_definition(points: np.ndarray, voxel_size: float) -> None:
    colors = (np.abs(points * 40) % 256).astype(np.uint8)
    grid = voxel_downsample(points, colors, voxel_size)
    inverse, counts, means, rgb = _reference(points, colors, voxel_size)
    # Voxels are sorted by packed key, which orders cells as np.unique(axis=0) does (x, then y, then z).
    assert np.array_equal(grid.point_to_voxel, inverse) and np.array_equal(grid.counts, counts)
    assert np.array_equal(grid.keys, np.unique(voxel_keys(points, voxel_size)))  # each voxel's points' key
    np.testing.assert_allclose(grid.points, means, atol=1e-5)
    assert grid.colors is not None and np.array_equal(grid.colors, rgb.astype(np.uint8))


@settings(max_examples=50, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 200), st.just(3)), elements=_coords),
       st.integers(0, 2**31 - 1))
def test_rows_left_out_by_the_valid_mask_belong_to_no_voxel(points: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    valid = rng.random(points.shape[0]) < 0.7
    points = points.copy()
    points[~valid & (rng.random(points.shape[0]) < 0.5)] = np.nan  # a NaN return is one kind of dropped row
    colors = (np.nan_to_num(np.abs(points * 40)) % 256).astype(np.uint8)
    grid = voxel_downsample(points, colors, 0.2, valid=valid)
    kept = voxel_downsample(points[valid], colors[valid], 0.2)
    assert np.array_equal(grid.point_to_voxel[~valid], np.full((~valid).sum(), -1))
    assert np.array_equal(grid.point_to_voxel[valid], kept.point_to_voxel)
    assert np.array_equal(grid.points, kept.points) and np.array_equal(grid.counts, kept.counts)
    assert np.array_equal(grid.keys, kept.keys)
    assert grid.colors is not None and kept.colors is not None and np.array_equal(grid.colors, kept.colors)


def test_voxel_keys_order_cells_lexicographically_and_handle_empty_input() -> None:
    points = np.array([[0.5, -1.5, 0.0], [-0.5, 2.5, 1.0], [-0.5, -1.5, 3.0]], dtype=np.float32)
    keys = voxel_keys(points, 1.0)
    assert list(np.argsort(keys)) == [2, 1, 0]
    empty = voxel_downsample(np.zeros((0, 3), np.float32), None, 0.1)
    assert empty.points.shape == (0, 3) and empty.point_to_voxel.shape == (0,) and empty.colors is None
