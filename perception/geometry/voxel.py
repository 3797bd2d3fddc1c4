"""Voxel grid downsampling that keeps the map from each input point to its voxel.

Written in numpy rather than with open3d's ``voxel_down_sample``: open3d returns only the centroids, and its
``voxel_down_sample_and_trace`` (the variant that traces input indices) is legacy-only and several times
slower. The point -> voxel map is what lets each proposal carry its indices into the input cloud.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_BITS = 21
"""Bits per axis in a packed voxel key: 2**21 voxels per axis, e.g. 20 km at 1 cm."""


@dataclass
class VoxelGrid:
    """The occupied voxels of a cloud: one centroid per voxel, and which voxel each input point fell in."""

    points: np.ndarray
    """(V, 3) float32 centroid of each voxel's points, metres."""
    colors: np.ndarray | None
    """(V, 3) uint8 mean colour of each voxel, or None when the input had none."""
    counts: np.ndarray
    """(V,) int64 number of input points in each voxel."""
    keys: np.ndarray
    """(V,) int64 packed key (``voxel_keys``) of each voxel, ascending: a voxel's identity, which its centroid's
    key need not be (a centroid rounded onto the voxel's upper face keys the next one)."""
    point_to_voxel: np.ndarray
    """(N,) int32 voxel row of each input point (-1 for rows left out by ``valid``). int32 rather than int64:
    it is held through a frame's whole proposal step, and half its size keeps that step's peak down."""


def voxel_keys(points: np.ndarray, voxel_size: float, rows: np.ndarray | None = None) -> np.ndarray:
    """(N,) int64 packed integer key of the voxel of each point (N, 3), or (R,) of the points at ``rows``
    (R,) only; equal keys mean the same voxel."""
    keys = np.zeros(points.shape[0] if rows is None else rows.shape[0], dtype=np.int64)  # (N,) or (R,)
    # One axis at a time: an (N, 3) int64 cell array would be 24 bytes a point at the peak, twice the input.
    for axis, shift in enumerate((2 * _BITS, _BITS, 0)):
        scaled = (points[:, axis] if rows is None else points[rows, axis]) / voxel_size  # (N,) or (R,)
        cell = np.floor(scaled, out=scaled).astype(np.int64)
        del scaled
        cell += 1 << (_BITS - 1)  # signed cells -> non-negative, so the three fields pack without overlap
        np.clip(cell, 0, (1 << _BITS) - 1, out=cell)
        cell <<= shift
        keys |= cell
        del cell  # else the next axis's arrays are allocated while this one is still held
    return keys


def _group_index(order: np.ndarray, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,) int32 rank of each key among the distinct keys (``np.unique``'s inverse) and those distinct keys
    (G,) int64, ascending, from the keys' sort ``order`` (N,) and the sorted keys ``ranks`` (N,), which is
    overwritten. Built with less than half the peak memory of ``np.unique`` (a flag per row and a scatter into
    int32), which is most of a frame's budget."""
    first = np.empty(ranks.shape[0], dtype=bool)  # (N,) where a new key starts, in sorted order
    first[:1] = True
    np.not_equal(ranks[1:], ranks[:-1], out=first[1:])
    distinct = ranks[first]  # (G,)
    np.cumsum(first, out=ranks)  # each sorted row's group, in the sorted keys' buffer
    ranks -= 1
    inverse = np.empty(ranks.shape[0], dtype=np.int32)
    inverse[order] = ranks
    return inverse, distinct


def voxel_downsample(
    points: np.ndarray, colors: np.ndarray | None, voxel_size: float, valid: np.ndarray | None = None
) -> VoxelGrid:
    """Average points (N, 3) and colours (N, 3) uint8 per voxel of edge ``voxel_size`` metres.

    Voxels come out sorted by packed key, so the same input always gives the same order. Rows where the
    (N,) bool ``valid`` is False (NaN returns, cropped points) belong to no voxel: their ``point_to_voxel``
    is -1. Passing the mask rather than the kept rows saves a copy of the cloud at a frame's peak memory.
    """
    n = points.shape[0]
    # Only the kept rows are keyed, sorted and summed: the dropped ones are often most of the cloud (a LiDAR
    # scan's NaN returns), and all sharing one key they slowed numpy's sort down several times.
    rows = None if valid is None or bool(valid.all()) else np.flatnonzero(valid)  # (K,) or every row
    with np.errstate(invalid="ignore"):  # without a mask, a NaN row gets a garbage key (its own voxel)
        keys = voxel_keys(points, voxel_size, rows)  # (K,)
    order = np.argsort(keys)  # (K,)
    ranks = keys[order]
    del keys  # freed before the inverse is allocated: two (K,) int64 arrays and an int32 live at once
    inverse, distinct = _group_index(order, ranks)
    del order, ranks
    groups = inverse.astype(np.int64)  # bincount counts intp: one cast here rather than one per call
    num = distinct.shape[0]
    counts = np.bincount(groups, minlength=num)
    inv_counts = 1.0 / counts
    centroids = np.empty((num, 3), dtype=np.float32)  # (V, 3)
    for axis in range(3):
        column = points[:, axis] if rows is None else points[rows, axis]  # (K,)
        centroids[:, axis] = np.bincount(groups, column, minlength=num) * inv_counts
    mean_rgb = None
    if colors is not None:
        mean_rgb = np.empty((num, 3), dtype=np.uint8)  # (V, 3)
        for axis in range(3):
            column = colors[:, axis] if rows is None else colors[rows, axis]
            mean_rgb[:, axis] = np.clip(np.rint(np.bincount(groups, column, minlength=num) * inv_counts), 0, 255)
    del groups
    if rows is not None:
        inverse, kept_inverse = np.full(n, -1, dtype=np.int32), inverse
        inverse[rows] = kept_inverse
    return VoxelGrid(points=centroids, colors=mean_rgb, counts=counts.astype(np.int64), keys=distinct,
                     point_to_voxel=inverse)
