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
    point_to_voxel: np.ndarray
    """(N,) int64 voxel row of each input point."""


def voxel_keys(points: np.ndarray, voxel_size: float) -> np.ndarray:
    """(N,) int64 packed integer key of the voxel of each point (N, 3); equal keys mean the same voxel."""
    keys = np.zeros(points.shape[0], dtype=np.int64)  # (N,)
    # One axis at a time: an (N, 3) int64 cell array would be 24 bytes a point at the peak, twice the input.
    for axis, shift in enumerate((2 * _BITS, _BITS, 0)):
        cell = np.floor(points[:, axis] / voxel_size).astype(np.int64)  # (N,)
        cell += 1 << (_BITS - 1)  # signed cells -> non-negative, so the three fields pack without overlap
        np.clip(cell, 0, (1 << _BITS) - 1, out=cell)
        cell <<= shift
        keys |= cell
    return keys


def _group_index(keys: np.ndarray) -> np.ndarray:
    """(N,) int64 rank of each of ``keys`` (N,) among the distinct keys: ``np.unique``'s inverse, built with
    about half its peak memory (a sort, a flag per row and a scatter), which is most of a frame's budget."""
    order = np.argsort(keys)  # (N,)
    first = np.empty(keys.shape[0], dtype=bool)  # (N,) where a new key starts, in sorted order
    first[:1] = True
    sorted_keys = keys[order]
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
    del sorted_keys
    inverse = np.empty(keys.shape[0], dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return inverse


def voxel_downsample(points: np.ndarray, colors: np.ndarray | None, voxel_size: float) -> VoxelGrid:
    """Average points (N, 3) and colours (N, 3) uint8 per voxel of edge ``voxel_size`` metres.

    Voxels come out sorted by packed key, so the same input always gives the same order.
    """
    inverse = _group_index(voxel_keys(points, voxel_size))
    counts = np.bincount(inverse)
    num = counts.shape[0]
    inv_counts = 1.0 / counts
    centroids = np.empty((num, 3), dtype=np.float32)  # (V, 3)
    for axis in range(3):
        centroids[:, axis] = np.bincount(inverse, weights=points[:, axis], minlength=num) * inv_counts
    mean_rgb = None
    if colors is not None:
        mean_rgb = np.empty((num, 3), dtype=np.uint8)  # (V, 3)
        for axis in range(3):
            channel = np.bincount(inverse, weights=colors[:, axis], minlength=num) * inv_counts
            mean_rgb[:, axis] = np.clip(np.rint(channel), 0, 255)
    return VoxelGrid(points=centroids, colors=mean_rgb, counts=counts.astype(np.int64), point_to_voxel=inverse)
