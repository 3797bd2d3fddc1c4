"""What one viewpoint could not see: free-space reasoning on the cloud of a single view.

A depth camera or a LiDAR observes, along each ray, the first surface and nothing behind it. A place on a ray
in front of the observed surface is free space; behind it, hidden. Two pieces of one object that an occluder
in front cut apart have only hidden space between them, where two objects side by side have free space
(the wall or floor behind them is seen through the gap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from perception._checks import check_array
from perception.errors import PerceptionError


@dataclass
class ViewRays:
    """The observed points of one view as rays from its viewpoint: unit directions and ranges."""

    viewpoint: np.ndarray
    """(3,) float64 sensor origin in the points' frame."""
    directions: cKDTree
    """Tree over the (V, 3) unit directions from the viewpoint to each observed point."""
    ranges: np.ndarray
    """(V,) float64 distance of each observed point from the viewpoint, metres."""
    spacing: float
    """Distance between neighbouring observed points (the voxel size), metres: sets each ray's width."""

    @classmethod
    def from_points(cls, points: np.ndarray, viewpoint: np.ndarray, spacing: float) -> ViewRays:
        """Rays of points (V, 3) seen from ``viewpoint`` (3,), in one frame; ``spacing`` in metres."""
        check_array("points", points, (None, 3))
        check_array("viewpoint", viewpoint, (3,))
        if spacing <= 0:
            raise PerceptionError(f"ViewRays.from_points spacing: expected > 0 metres, got {spacing}")
        offset = points.astype(np.float64) - viewpoint  # (V, 3)
        ranges = np.linalg.norm(offset, axis=1)  # (V,)
        keep = ranges > 0
        return cls(viewpoint.astype(np.float64), cKDTree(offset[keep] / ranges[keep, None]), ranges[keep], spacing)

    def hidden(self, samples: np.ndarray, margin: float) -> np.ndarray:
        """(S,) bool: which places (S, 3) the view could not see. A place is hidden when an observed point on
        its ray lies more than ``margin`` metres nearer, or when nothing at all was observed along that ray
        (outside the image, or no return). It is not when an observed point lies within ``margin`` of it
        (something is there) or only beyond it (the ray passed through: free space)."""
        check_array("samples", samples, (None, 3))
        offset = samples.astype(np.float64) - self.viewpoint  # (S, 3)
        reach = np.linalg.norm(offset, axis=1)  # (S,)
        # A ray as wide as 1.5 point spacings at the place's range; nearer occluders are sampled more densely
        # in angle, so they fall inside it too.
        width = 1.5 * self.spacing / np.maximum(reach, self.spacing)  # (S,) radians, as a chord of unit vectors
        out = np.zeros(samples.shape[0], dtype=bool)
        for i, rows in enumerate(self.directions.query_ball_point(offset / reach[:, None], width)):
            if not rows:
                out[i] = True
                continue
            out[i] = float(self.ranges[rows].min()) < reach[i] - margin
        return out


def hidden_between(a: np.ndarray, b: np.ndarray, rays: ViewRays, margin: float, max_gap: float = np.inf) -> bool:
    """Whether clusters a (A, 3) and b (B, 3) have nearest points at most ``max_gap`` metres apart and the
    straight path between those points is hidden from ``rays``' viewpoint all along (places within one
    spacing of either end excepted)."""
    distance, nearest = cKDTree(b).query(a)  # (A,) each
    i = int(np.argmin(distance))
    start, end = a[i].astype(np.float64), b[int(nearest[i])].astype(np.float64)
    length = float(distance[i])
    if length > max_gap:
        return False
    count = int(length / rays.spacing)
    if count < 2:
        return True  # touching: nothing between them to see
    t = np.linspace(0.0, 1.0, count + 1)[1:-1]  # (count - 1,) inner places, one spacing apart
    return bool(rays.hidden(start + t[:, None] * (end - start), margin).all())
