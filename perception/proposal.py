"""ObjectProposal: one object candidate cut out of a cloud, with its boxes and appearance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception._checks import check_array, check_length
from perception.box3d import Box3D

COLOR_HIST_BINS = 8
"""Bins per HSV channel of ``ObjectProposal.color_hist``."""


@dataclass
class ObjectProposal:
    """An object candidate: its points, where they came from, two boxes and appearance statistics."""

    object_id: int
    """Id of the proposal, stable across scene updates where the fusion can match it."""
    points: np.ndarray
    """(M, 3) float32 points in metres, world frame."""
    colors: np.ndarray
    """(M, 3) uint8 colours of the points."""
    indices: np.ndarray
    """(M,) int64 row of each point in the input cloud it was cut from."""
    aabb: Box3D
    """Axis-aligned box (yaw 0)."""
    obb: Box3D
    """Gravity-aligned oriented box (yaw only)."""
    mean_color: np.ndarray
    """(3,) float32 mean RGB in [0, 255]."""
    color_hist: np.ndarray
    """(3 * COLOR_HIST_BINS,) float32 HSV histogram, each channel normalised to sum 1."""

    def __post_init__(self) -> None:
        check_array("ObjectProposal.points", self.points, (None, 3), (np.float32,))
        m = self.points.shape[0]
        check_array("ObjectProposal.colors", self.colors, (m, 3), (np.uint8,))
        check_array("ObjectProposal.indices", self.indices, (None,), (np.int64,))
        check_length("ObjectProposal.indices", self.indices, m, "points")
        check_array("ObjectProposal.mean_color", self.mean_color, (3,))
        check_array("ObjectProposal.color_hist", self.color_hist, (3 * COLOR_HIST_BINS,))

    @property
    def num_points(self) -> int:
        """M, the number of points."""
        return int(self.points.shape[0])

    @property
    def box(self) -> Box3D:
        """The box reported to users: the oriented one."""
        return self.obb
