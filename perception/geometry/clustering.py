"""Euclidean / DBSCAN clustering of points into object candidates (open3d's ``cluster_dbscan``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception.geometry.errors import GeometryConfigError
from perception.geometry.preprocess import to_legacy


@dataclass
class ClusterConfig:
    """DBSCAN parameters; ``min_points`` 1 turns it into plain Euclidean clustering."""

    enabled: bool = True
    """Run this step; when off no proposal is made."""
    eps: float = 0.045
    """Neighbour distance in metres that links two points into one cluster."""
    min_points: int = 3
    """Neighbours within ``eps`` for a point to be a core point."""
    min_cluster_size: int = 15
    """Smallest cluster kept, in downsampled points."""

    def __post_init__(self) -> None:
        if self.eps <= 0:
            raise GeometryConfigError(f"ClusterConfig.eps: expected > 0, got {self.eps}")
        if self.min_points < 1 or self.min_cluster_size < 1:
            raise GeometryConfigError(
                f"ClusterConfig: expected min_points, min_cluster_size >= 1, got "
                f"{self.min_points}, {self.min_cluster_size}"
            )


def cluster_points(points: np.ndarray, config: ClusterConfig | None = None) -> np.ndarray:
    """(V,) int64 cluster label of each point (V, 3), -1 for noise and clusters below the minimum size.

    Labels are renumbered 0..K-1 in the order of each cluster's first point, so equal input gives equal output.
    """
    config = config or ClusterConfig()
    num = points.shape[0]
    if not config.enabled or num == 0:
        return np.full(num, -1, dtype=np.int64)
    labels = np.asarray(to_legacy(points).cluster_dbscan(config.eps, config.min_points), dtype=np.int64)
    return relabel(labels, config.min_cluster_size)


def relabel(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Drop clusters smaller than ``min_size`` and renumber the rest by first appearance."""
    out = np.full(labels.shape[0], -1, dtype=np.int64)
    valid = labels >= 0
    if not valid.any():
        return out
    ids, first, counts = np.unique(labels[valid], return_index=True, return_counts=True)
    keep = counts >= min_size
    order = np.argsort(first[keep], kind="stable")
    new_id = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    new_id[ids[keep][order]] = np.arange(order.size)
    out[valid] = new_id[labels[valid]]
    return out
