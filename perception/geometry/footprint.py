"""Gravity-aligned oriented boxes: the minimum-area rectangle of the xy footprint, extruded along z.

open3d's ``get_oriented_bounding_box`` is not used: it rotates about any axis (PCA or minimal volume), so a
mug's box tilts with its handle. ``Box3D`` and every consumer expect yaw-only boxes.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from perception.box3d import Box3D
from perception.errors import ShapeError


def min_area_rectangle(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The smallest rectangle around points xy (M, 2): (centre (2,), size (2,), yaw in [-pi/4, pi/4)).

    The optimal rectangle has a side on a convex hull edge (rotating calipers), so every hull edge
    direction is tried at once: hull (H, 2) rotated by each of the E edge angles gives (E, H, 2).
    """
    if xy.shape[0] == 0:
        raise ShapeError("min_area_rectangle: expected at least one point, got 0")
    try:
        hull = xy[ConvexHull(xy).vertices]  # (H, 2)
    except (QhullError, ValueError):
        hull = xy  # fewer than 3 points, or all on a line: no hull, the points themselves do
    edges = np.roll(hull, -1, axis=0) - hull  # (E, 2)
    angles = np.mod(np.arctan2(edges[:, 1], edges[:, 0]), np.pi / 2)  # (E,) a rectangle repeats every 90 deg
    angles = np.unique(np.append(angles, 0.0))
    c, s = np.cos(angles), np.sin(angles)
    # Rotate the hull by -angle: local = R(angle)^T p, so local axes align with the edge.
    u = hull[None, :, 0] * c[:, None] + hull[None, :, 1] * s[:, None]  # (E, H)
    v = -hull[None, :, 0] * s[:, None] + hull[None, :, 1] * c[:, None]  # (E, H)
    u_lo, u_hi, v_lo, v_hi = u.min(axis=1), u.max(axis=1), v.min(axis=1), v.max(axis=1)
    areas = (u_hi - u_lo) * (v_hi - v_lo)  # (E,)
    best = int(np.argmin(areas + 1e-12 * angles))  # ties go to the smallest angle, so squares stay axis-aligned
    yaw, cu, cv = float(angles[best]), (u_lo[best] + u_hi[best]) / 2, (v_lo[best] + v_hi[best]) / 2
    size = np.array([u_hi[best] - u_lo[best], v_hi[best] - v_lo[best]])
    if yaw >= np.pi / 4:  # the same rectangle turned back by 90 degrees, sides swapped
        yaw -= np.pi / 2
        size = size[::-1].copy()
    cb, sb = np.cos(angles[best]), np.sin(angles[best])
    center = np.array([cu * cb - cv * sb, cu * sb + cv * cb])
    return center, size, yaw


def gravity_aligned_box(points: np.ndarray) -> Box3D:
    """The yaw-only box of points (M, 3): minimum-area footprint rectangle, z from min to max."""
    center_xy, size_xy, yaw = min_area_rectangle(points[:, :2].astype(np.float64))
    z_lo, z_hi = float(points[:, 2].min()), float(points[:, 2].max())
    return Box3D(
        center=np.array([center_xy[0], center_xy[1], (z_lo + z_hi) / 2]),
        size=np.array([size_xy[0], size_xy[1], z_hi - z_lo]),
        yaw=yaw,
    )
