"""Oriented-box tests (yaw about z only) used to keep objects apart and to check scenes afterwards."""

from __future__ import annotations

import numpy as np

from sim.scene_object import SceneObject


def yaw_matrix(yaw: float) -> np.ndarray:
    """(3, 3) rotation about +z by ``yaw`` radians."""
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def footprint(center_xy: np.ndarray, half_xy: np.ndarray, yaw: float) -> np.ndarray:
    """(4, 2) corners of a rectangle of half extents ``half_xy`` turned by ``yaw`` about ``center_xy``."""
    c, s = np.cos(yaw), np.sin(yaw)
    local = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64) * half_xy  # (4, 2)
    R = np.array([[c, -s], [s, c]])
    return local @ R.T + center_xy


def rects_overlap(a: np.ndarray, b: np.ndarray, margin: float = 0.0) -> bool:
    """Separating-axis test of two convex quads (4, 2); ``margin`` > 0 also rejects gaps narrower than it."""
    for quad in (a, b):
        for i in range(4):
            edge = quad[(i + 1) % 4] - quad[i]
            axis = np.array([-edge[1], edge[0]])
            axis = axis / np.linalg.norm(axis)
            pa, pb = a @ axis, b @ axis
            if pa.max() + margin <= pb.min() or pb.max() + margin <= pa.min():
                return False
    return True


def object_footprint(obj: SceneObject) -> np.ndarray:
    """(4, 2) world corners of ``obj``'s box seen from above."""
    return footprint(np.asarray(obj.center[:2]), np.asarray(obj.size[:2]) / 2.0, obj.yaw)


def boxes_overlap(a: SceneObject, b: SceneObject, margin: float = 0.0, z_tol: float = 1e-6) -> bool:
    """True when the oriented boxes of ``a`` and ``b`` share volume (touching faces within ``z_tol`` do not count)."""
    a_lo, a_hi = a.center[2] - a.size[2] / 2, a.center[2] + a.size[2] / 2
    b_lo, b_hi = b.center[2] - b.size[2] / 2, b.center[2] + b.size[2] / 2
    if a_hi <= b_lo + z_tol or b_hi <= a_lo + z_tol:
        return False
    # Bounding circles first: most pairs are far apart, and the separating-axis test is the costly part.
    reach = 0.5 * (np.hypot(a.size[0], a.size[1]) + np.hypot(b.size[0], b.size[1])) + margin
    if (a.center[0] - b.center[0]) ** 2 + (a.center[1] - b.center[1]) ** 2 > reach * reach:
        return False
    return rects_overlap(object_footprint(a), object_footprint(b), margin)


def box_corners(obj: SceneObject) -> np.ndarray:
    """(8, 3) world corners of ``obj``'s box."""
    signs = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64)
    return (signs * np.asarray(obj.size) / 2.0) @ yaw_matrix(obj.yaw).T + np.asarray(obj.center)
