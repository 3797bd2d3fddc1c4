"""Sampling and grouping ops on packed batches: farthest point sampling, kNN, ball query, interpolation."""

from pointnet.ops.interpolate import knn_interpolate
from pointnet.ops.neighbors import Backend, ball_query, knn, resolve_backend
from pointnet.ops.sampling import farthest_point_sample, fps_indices

__all__ = [
    "Backend",
    "ball_query",
    "farthest_point_sample",
    "fps_indices",
    "knn",
    "knn_interpolate",
    "resolve_backend",
]
