"""Box geometry that the spatial relations are built from: yaw-only boxes and the viewer's frame.

Every object is a box that turns only about world +z (``SceneObject.yaw``), so a box is the product of a
rotated rectangle in the floor plane (its *footprint*) and a height interval ``[zmin, zmax]``. All values
are metres in the world frame, z up; N is the number of objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.language.errors import LanguageError
from sim.scene_object import SceneObject, ViewPose


@dataclass(frozen=True)
class BoxSet:
    """The boxes of N objects, as arrays (world frame, metres)."""

    center: np.ndarray
    """(N, 3) box centres."""
    size: np.ndarray
    """(N, 3) full extents along each box's own axes."""
    yaw: np.ndarray
    """(N,) rotation about +z in radians."""

    @classmethod
    def from_objects(cls, objects: Sequence[SceneObject]) -> BoxSet:
        """Stack the boxes of ``objects``; raises LanguageError on a non-finite or non-positive box."""
        if not objects:
            return cls(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0))
        center = np.stack([np.asarray(o.center, dtype=np.float64).reshape(-1) for o in objects])
        size = np.stack([np.asarray(o.size, dtype=np.float64).reshape(-1) for o in objects])
        yaw = np.array([float(o.yaw) for o in objects], dtype=np.float64)
        if center.shape[1] != 3 or size.shape[1] != 3:
            raise LanguageError(f"expected center and size of shape (3,), got {center.shape[1:]} and {size.shape[1:]}")
        bad = ~(np.isfinite(center).all(1) & np.isfinite(size).all(1) & (size > 0).all(1) & np.isfinite(yaw))
        if bad.any():
            o = objects[int(np.argmax(bad))]
            raise LanguageError(
                f"expected a finite box with positive size, got object {o.object_id}: "
                f"center={list(o.center)}, size={list(o.size)}, yaw={o.yaw}"
            )
        return cls(center, size, yaw)

    def __len__(self) -> int:
        return int(self.center.shape[0])

    @property
    def zmin(self) -> np.ndarray:
        """(N,) bottom heights."""
        return self.center[:, 2] - self.size[:, 2] / 2

    @property
    def zmax(self) -> np.ndarray:
        """(N,) top heights."""
        return self.center[:, 2] + self.size[:, 2] / 2

    def footprint(self) -> np.ndarray:
        """(N, 4, 2) footprint corners in the floor plane, counter-clockwise."""
        signs = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64)
        local = signs[None] * self.size[:, None, :2] / 2  # (N, 4, 2)
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        rot = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)  # (N, 2, 2)
        return np.einsum("nij,nkj->nki", rot, local) + self.center[:, None, :2]


def inside_margin(boxes: BoxSet) -> np.ndarray:
    """(N, N) how far the footprint centre of box i lies inside the footprint of box j, in metres.

    ``m[i, j] = min(hx_j - |u|, hy_j - |v|)`` where (u, v) is centre i in box j's own axes and (hx_j, hy_j)
    its half extents: positive inside (the distance to the nearest edge line), negative outside.
    """
    d = boxes.center[:, None, :2] - boxes.center[None, :, :2]  # (N, N, 2)
    c, s = np.cos(boxes.yaw)[None, :], np.sin(boxes.yaw)[None, :]
    u = c * d[..., 0] + s * d[..., 1]
    v = -s * d[..., 0] + c * d[..., 1]
    half = boxes.size[None, :, :2] / 2
    return np.minimum(half[..., 0] - np.abs(u), half[..., 1] - np.abs(v))


def _point_segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from points p to segments ab, all broadcast over leading axes; last axis 2."""
    ab = b - a
    t = np.clip(((p - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0.0, 1.0)
    return np.linalg.norm(p - (a + t[..., None] * ab), axis=-1)


def footprint_gap(boxes: BoxSet) -> np.ndarray:
    """(N, N) signed distance between footprints in the floor plane, metres.

    Positive: the shortest distance between the two rectangles (exact: for disjoint convex polygons it is
    reached from a vertex of one to an edge of the other). Negative: they overlap, and the value is minus
    the smallest overlap of their projections on the four edge normals (separating-axis penetration).
    The diagonal is the footprint's own negative half width and is not meant to be used.
    """
    fp = boxes.footprint()  # (N, 4, 2)
    n = len(boxes)
    edges_a, edges_b = fp, np.roll(fp, -1, axis=1)  # (N, 4, 2) each
    # Vertex k of box i against edge l of box j: (N, N, 4, 4).
    pv = fp[:, None, :, None, :]
    d_ij = _point_segment_distance(pv, edges_a[None, :, None, :, :], edges_b[None, :, None, :, :])
    vertex_edge = np.minimum(d_ij.min(axis=(2, 3)), d_ij.min(axis=(2, 3)).T)
    # Separating axes: the two edge normals of each box.
    axes = np.stack([np.stack([np.cos(boxes.yaw), np.sin(boxes.yaw)], -1),
                     np.stack([-np.sin(boxes.yaw), np.cos(boxes.yaw)], -1)], 1)  # (N, 2, 2)
    all_axes = np.concatenate([np.broadcast_to(axes[:, None], (n, n, 2, 2)),
                               np.broadcast_to(axes[None, :], (n, n, 2, 2))], axis=2)  # (N, N, 4, 2)
    proj_i = np.einsum("ijad,ikd->ijak", all_axes, fp)  # (N, N, 4 axes, 4 corners)
    proj_j = np.einsum("ijad,jkd->ijak", all_axes, fp)
    overlap = np.minimum(proj_i.max(-1), proj_j.max(-1)) - np.maximum(proj_i.min(-1), proj_j.min(-1))
    penetration = overlap.min(-1)  # (N, N)
    return np.where(penetration > 0, -penetration, vertex_edge)


def vertical_gap(boxes: BoxSet) -> np.ndarray:
    """(N, N) signed gap between height intervals: positive distance apart, negative overlap length."""
    zmin, zmax = boxes.zmin, boxes.zmax
    return np.maximum(zmin[:, None] - zmax[None, :], zmin[None, :] - zmax[:, None])


def box_gap(boxes: BoxSet) -> np.ndarray:
    """(N, N) Euclidean distance between the boxes (0 when they touch or overlap), metres.

    Exact for yaw-only boxes: each is a footprint times a height interval, and the distance between two
    such products is the root of the summed squared distances of the factors.
    """
    h = np.maximum(footprint_gap(boxes), 0.0)
    v = np.maximum(vertical_gap(boxes), 0.0)
    return np.sqrt(h * h + v * v)


@dataclass(frozen=True)
class ViewFrame:
    """The frame a sentence is spoken in: x right, depth forward, z up, origin at the camera.

    ``forward`` is the horizontal part of the direction from ``ViewPose.position`` to ``look_at``; ``right``
    is ``forward x z_world``; up is world +z. So "left" and "right" do not tilt when the camera pitches.
    """

    origin: np.ndarray
    """(3,) camera position, world frame, metres."""
    right: np.ndarray
    """(3,) unit right axis (horizontal), world frame."""
    forward: np.ndarray
    """(3,) unit forward axis (horizontal), world frame."""

    @classmethod
    def from_pose(cls, pose: ViewPose) -> ViewFrame:
        """The frame of ``pose``; raises LanguageError when it looks straight up or down."""
        origin = np.asarray(pose.position, dtype=np.float64).reshape(3)
        fwd = np.asarray(pose.look_at, dtype=np.float64).reshape(3) - origin
        fwd[2] = 0.0
        norm = float(np.linalg.norm(fwd))
        if not np.isfinite(norm) or norm < 1e-6:
            raise LanguageError(
                f"expected a view whose look_at differs horizontally from its position, got "
                f"position={origin.tolist()}, look_at={list(pose.look_at)}"
            )
        fwd /= norm
        right = np.cross(fwd, np.array([0.0, 0.0, 1.0]))
        return cls(origin, right, fwd)

    def to_view(self, points_world: np.ndarray) -> np.ndarray:
        """(..., 3) world points -> (..., 3) view coordinates (x right, depth forward, z up relative)."""
        d = np.asarray(points_world, dtype=np.float64) - self.origin
        return np.stack([d @ self.right, d @ self.forward, d[..., 2]], -1)

    def footprint_intervals(self, boxes: BoxSet) -> tuple[np.ndarray, np.ndarray]:
        """Each footprint's extent on the right axis and on the depth axis: two (N, 2) arrays of [min, max]."""
        fp = boxes.footprint() - self.origin[:2]  # (N, 4, 2)
        x = fp @ self.right[:2]
        depth = fp @ self.forward[:2]
        return np.stack([x.min(1), x.max(1)], 1), np.stack([depth.min(1), depth.max(1)], 1)


def default_view(boxes: BoxSet) -> ViewPose:
    """A view for scenes that come without one: 2 m outside the scene's -y side, 1.5 m up, looking at its middle."""
    if len(boxes) == 0:
        return ViewPose(position=np.array([0.0, -2.0, 1.5]), look_at=np.zeros(3))
    lo = (boxes.center - boxes.size / 2).min(0)
    hi = (boxes.center + boxes.size / 2).max(0)
    mid = (lo + hi) / 2
    return ViewPose(position=np.array([mid[0], lo[1] - 2.0, 1.5]), look_at=np.array([mid[0], mid[1], 0.5]))
