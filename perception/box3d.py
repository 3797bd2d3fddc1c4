"""Box3D: a gravity-aligned box (yaw about +z only), with containment and exact 3D IoU."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception._checks import check_array
from perception.columnwise import column_bounds, rows_all
from perception.errors import ShapeError


@dataclass
class Box3D:
    """A box with its centre, full extents along its own axes, and a yaw about the world +z axis."""

    center: np.ndarray
    """(3,) float64 centre in metres."""
    size: np.ndarray
    """(3,) float64 full extents (dx, dy, dz) in metres, along the box's own x, y and z."""
    yaw: float = 0.0
    """Rotation about +z in radians; 0 for an axis-aligned box."""

    def __post_init__(self) -> None:
        self.center = np.asarray(check_array("Box3D.center", np.asarray(self.center, dtype=np.float64), (3,)))
        self.size = np.asarray(check_array("Box3D.size", np.asarray(self.size, dtype=np.float64), (3,)))
        if not (np.isfinite(self.center).all() and np.isfinite(self.size).all()):
            raise ShapeError(f"Box3D: expected finite center and size, got {self.center}, {self.size}")
        if (self.size < 0).any():
            raise ShapeError(f"Box3D.size: expected non-negative extents, got {self.size}")
        self.yaw = float(self.yaw)

    @classmethod
    def from_points_axis_aligned(cls, points: np.ndarray) -> Box3D:
        """The tightest axis-aligned box around points (M, 3), M >= 1."""
        check_array("points", points, (None, 3))
        if points.shape[0] == 0:
            raise ShapeError("Box3D.from_points_axis_aligned: expected at least one point, got 0")
        lo, hi = column_bounds(points)
        return cls(center=(lo + hi) / 2.0, size=hi - lo, yaw=0.0)

    @property
    def volume(self) -> float:
        """Volume in cubic metres."""
        return float(np.prod(self.size))

    @property
    def rotation(self) -> np.ndarray:
        """(3, 3) rotation from box axes to world axes."""
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])

    def corners(self) -> np.ndarray:
        """(8, 3) corners in metres: the bottom four counter-clockwise, then the top four."""
        half = self.size / 2.0
        signs = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64)
        xy = signs * half[:2]  # (4, 2)
        bottom = np.column_stack([xy, np.full(4, -half[2])])
        top = np.column_stack([xy, np.full(4, half[2])])
        return np.vstack([bottom, top]) @ self.rotation.T + self.center

    def contains(self, points: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """(M,) bool: which points (M, 3) lie inside the box grown by ``margin`` metres on each side."""
        local = (points - self.center) @ self.rotation  # (M, 3) in box axes
        return rows_all(np.abs(local) <= self.size / 2.0 + margin)

    def iou(self, other: Box3D) -> float:
        """Exact 3D intersection over union of two yaw-rotated boxes."""
        inter = _bev_intersection_area(self, other) * _z_overlap(self, other)
        union = self.volume + other.volume - inter
        return float(inter / union) if union > 0 else 0.0

    def to_json(self) -> dict[str, object]:
        """{"center", "size", "yaw"} as plain lists and floats."""
        return {"center": self.center.tolist(), "size": self.size.tolist(), "yaw": self.yaw}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Box3D:
        """Inverse of ``to_json``."""
        return cls(center=np.asarray(data["center"]), size=np.asarray(data["size"]), yaw=float(data.get("yaw", 0.0)))  # type: ignore[arg-type]


def _z_overlap(a: Box3D, b: Box3D) -> float:
    lo = max(a.center[2] - a.size[2] / 2, b.center[2] - b.size[2] / 2)
    hi = min(a.center[2] + a.size[2] / 2, b.center[2] + b.size[2] / 2)
    return max(0.0, hi - lo)


def _bev_intersection_area(a: Box3D, b: Box3D) -> float:
    # Sutherland-Hodgman clipping of two convex quads: four edges each, so a library would be overkill.
    poly = a.corners()[:4, :2]
    clip = b.corners()[:4, :2]
    for i in range(4):
        p, q = clip[i], clip[(i + 1) % 4]
        if len(poly) == 0:
            return 0.0
        poly = _clip(poly, p, q)
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return float(0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _clip(poly: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    def side(v: np.ndarray) -> float:
        return float((q[0] - p[0]) * (v[1] - p[1]) - (q[1] - p[1]) * (v[0] - p[0]))

    out = []
    n = len(poly)
    for i in range(n):
        cur, nxt = poly[i], poly[(i + 1) % n]
        sc, sn = side(cur), side(nxt)
        if sc >= 0:
            out.append(cur)
        if (sc >= 0) != (sn >= 0):
            t = sc / (sc - sn)
            out.append(cur + t * (nxt - cur))
    return np.array(out).reshape(-1, 2)
