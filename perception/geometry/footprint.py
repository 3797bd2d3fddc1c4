"""Gravity-aligned oriented boxes: the minimum-area rectangle of the xy footprint, extruded along z.

open3d's ``get_oriented_bounding_box`` is not used: it rotates about any axis (PCA or minimal volume), so a
mug's box tilts with its handle. ``Box3D`` and every consumer expect yaw-only boxes.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from perception.box3d import Box3D
from perception.columnwise import column_bounds
from perception.errors import ShapeError


def min_area_rectangle(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The smallest rectangle around points xy (M, 2): (centre (2,), size (2,), yaw in [-pi/4, pi/4)).

    The optimal rectangle has a side on a convex hull edge (rotating calipers), so every hull edge
    direction is tried at once: hull (H, 2) rotated by each of the E edge angles gives (E, H, 2).
    """
    if xy.shape[0] == 0:
        raise ShapeError("min_area_rectangle: expected at least one point, got 0")
    try:
        candidates = _outside_octagon(xy)
        hull = candidates[ConvexHull(candidates).vertices]  # (H, 2)
    except (QhullError, ValueError):
        hull = xy  # fewer than 3 points, or all on a line: no hull, the points themselves do
    edges = np.roll(hull, -1, axis=0) - hull  # (E, 2)
    angles = np.empty(edges.shape[0] + 1)
    angles[0] = 0.0  # axis-aligned first, so ties (squares, single points) keep yaw 0
    np.mod(np.arctan2(edges[:, 1], edges[:, 0]), np.pi / 2, out=angles[1:])  # a rectangle repeats every 90 deg
    c, s = np.cos(angles)[:, None], np.sin(angles)[:, None]
    # Rotate the hull by -angle: local = R(angle)^T p, so local axes align with the edge.
    u = hull[:, 0] * c + hull[:, 1] * s  # (E, H)
    v = hull[:, 1] * c - hull[:, 0] * s  # (E, H)
    u_lo, u_hi, v_lo, v_hi = u.min(axis=1), u.max(axis=1), v.min(axis=1), v.max(axis=1)
    areas = (u_hi - u_lo) * (v_hi - v_lo)  # (E,)
    best = int(np.argmin(areas))
    yaw, cu, cv = float(angles[best]), (u_lo[best] + u_hi[best]) / 2, (v_lo[best] + v_hi[best]) / 2
    size = np.array([u_hi[best] - u_lo[best], v_hi[best] - v_lo[best]])
    if yaw >= np.pi / 4:  # the same rectangle turned back by 90 degrees, sides swapped
        yaw -= np.pi / 2
        size = size[::-1].copy()
    cb, sb = np.cos(angles[best]), np.sin(angles[best])
    center = np.array([cu * cb - cv * sb, cu * sb + cv * cb])
    return center, size, yaw


def _outside_octagon(xy: np.ndarray) -> np.ndarray:
    """The points of xy (M, 2) that are not strictly inside the octagon of its extreme points along x, y and
    the two diagonals (Akl-Toussaint): no hull vertex is, and on a dense footprint (a wall, a sofa: tens of
    thousands of points) this drops most points before qhull, which took most of the box's time."""
    if xy.shape[0] < 64:
        return xy
    diag, anti = xy[:, 0] + xy[:, 1], xy[:, 0] - xy[:, 1]  # (M,) each
    corners = xy[[xy[:, 0].argmin(), diag.argmin(), xy[:, 1].argmin(), anti.argmax(),
                  xy[:, 0].argmax(), diag.argmax(), xy[:, 1].argmax(), anti.argmin()]]  # (8, 2) counter-clockwise
    outside = np.zeros(xy.shape[0], dtype=bool)
    for a, b in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        edge = b - a
        if edge.any():  # corners repeat where two extremes are one point
            outside |= edge[0] * (xy[:, 1] - a[1]) - edge[1] * (xy[:, 0] - a[0]) <= 0  # not left of the edge
    return xy[outside]


def gravity_aligned_box(points: np.ndarray, outline: np.ndarray | None = None, yaw: float | None = None) -> Box3D:
    """The yaw-only box of points (M, 3): minimum-area footprint rectangle, z from min to max.

    ``outline`` (K, 3), e.g. the voxel centroids of the same object, picks the yaw from far fewer points
    (the convex hull is the costly part); the box is then fitted to all ``points`` at that yaw. ``yaw``
    (radians), when the same outline gave it before, skips the rectangle search.
    """
    z_lo, z_hi = float(points[:, 2].min()), float(points[:, 2].max())
    if yaw is None:
        if outline is None:
            # The rectangle searched over the points' own hull is their footprint: no second pass over them.
            center, size, yaw = min_area_rectangle(points[:, :2].astype(np.float64))
            return Box3D(center=np.append(center, (z_lo + z_hi) / 2), size=np.append(size, z_hi - z_lo), yaw=yaw)
        _, _, yaw = min_area_rectangle(outline[:, :2].astype(np.float64))
    c, s = np.cos(yaw), np.sin(yaw)
    local = points[:, :2].astype(np.float64) @ np.array([[c, -s], [s, c]])  # (M, 2) in the box's axes
    lo, hi = column_bounds(local)
    cu, cv = (lo + hi) / 2
    return Box3D(
        center=np.array([cu * c - cv * s, cu * s + cv * c, (z_lo + z_hi) / 2]),
        size=np.array([hi[0] - lo[0], hi[1] - lo[1], z_hi - z_lo]),
        yaw=yaw,
    )
