"""Where each sensor was: poses from nav_msgs/Odometry kept by time, looked up by stamp and frame."""

from __future__ import annotations

import bisect
from collections import deque
from typing import Any

import numpy as np

from ros_nodes import wire


def pose_to_matrix(pose: Any) -> np.ndarray:
    """(4, 4) float64 transform of a ``geometry_msgs/Pose`` (position + unit quaternion)."""
    q = pose.orientation
    x, y, z, w = float(q.x), float(q.y), float(q.z), float(q.w)
    n = x * x + y * y + z * z + w * w
    if not np.isfinite(n) or n < 1e-12:
        raise ValueError(f"pose: expected a non-zero finite quaternion, got ({x}, {y}, {z}, {w})")
    s = 2.0 / n
    T = np.eye(4)
    T[:3, :3] = [
        [1 - s * (y * y + z * z), s * (x * y - z * w), s * (x * z + y * w)],
        [s * (x * y + z * w), 1 - s * (x * x + z * z), s * (y * z - x * w)],
        [s * (x * z - y * w), s * (y * z + x * w), 1 - s * (x * x + y * y)],
    ]
    T[:3, 3] = [float(pose.position.x), float(pose.position.y), float(pose.position.z)]
    if not np.isfinite(T).all():
        raise ValueError(f"pose: expected finite values, got position {T[:3, 3].tolist()}")
    return T


def transform_to_matrix(transform: Any) -> np.ndarray:
    """(4, 4) float64 of a ``geometry_msgs/Transform`` (translation + rotation)."""
    t, q = transform.translation, transform.rotation
    pose = wire.make(
        "geometry_msgs/msg/Pose",
        position=wire.make("geometry_msgs/msg/Point", x=float(t.x), y=float(t.y), z=float(t.z)),
        orientation=wire.make("geometry_msgs/msg/Quaternion", x=float(q.x), y=float(q.y), z=float(q.z),
                              w=float(q.w)),
    )
    return pose_to_matrix(pose)


def matrix_to_pose(T: np.ndarray) -> Any:
    """A ``geometry_msgs/msg/Pose`` of a (4, 4) rigid transform."""
    R = T[:3, :3]
    w = np.sqrt(max(0.0, 1.0 + R[0, 0] + R[1, 1] + R[2, 2])) / 2.0
    x = np.copysign(np.sqrt(max(0.0, 1.0 + R[0, 0] - R[1, 1] - R[2, 2])) / 2.0, R[2, 1] - R[1, 2])
    y = np.copysign(np.sqrt(max(0.0, 1.0 - R[0, 0] + R[1, 1] - R[2, 2])) / 2.0, R[0, 2] - R[2, 0])
    z = np.copysign(np.sqrt(max(0.0, 1.0 - R[0, 0] - R[1, 1] + R[2, 2])) / 2.0, R[1, 0] - R[0, 1])
    return wire.make(
        "geometry_msgs/msg/Pose",
        position=wire.make("geometry_msgs/msg/Point", x=float(T[0, 3]), y=float(T[1, 3]), z=float(T[2, 3])),
        orientation=wire.make("geometry_msgs/msg/Quaternion", x=float(x), y=float(y), z=float(z), w=float(w)),
    )


class PoseBuffer:
    """Recent poses per child frame; ``lookup`` returns the one nearest in time within ``tolerance_ns``."""

    def __init__(self, max_poses: int = 200, tolerance_ns: int = 100_000_000) -> None:
        self.max_poses = max_poses
        self.tolerance_ns = tolerance_ns
        self._poses: dict[str, deque[tuple[int, np.ndarray]]] = {}

    def add_odometry(self, msg: Any) -> str:
        """Store the pose of an Odometry message (its ``child_frame_id`` in its header frame); returns the frame."""
        frame = str(msg.child_frame_id)
        stamp_ns = wire.stamp_to_ns(msg.header.stamp)
        self.add(frame, stamp_ns, pose_to_matrix(msg.pose.pose))
        return frame

    def add(self, frame: str, stamp_ns: int, T_world_frame: np.ndarray) -> None:
        """Store ``T_world_frame`` at ``stamp_ns``; out-of-order stamps are inserted in order."""
        poses = self._poses.setdefault(frame, deque())
        if poses and stamp_ns < poses[-1][0]:
            items = list(poses)
            items.insert(bisect.bisect([s for s, _ in items], stamp_ns), (stamp_ns, T_world_frame))
            poses.clear()
            poses.extend(items)
        else:
            poses.append((stamp_ns, T_world_frame))
        while len(poses) > self.max_poses:
            poses.popleft()

    def lookup(self, frame: str, stamp_ns: int) -> np.ndarray | None:
        """The stored pose of ``frame`` nearest to ``stamp_ns`` within the tolerance, else None."""
        poses = self._poses.get(frame)
        if not poses:
            return None
        best = min(poses, key=lambda item: abs(item[0] - stamp_ns))
        return best[1] if abs(best[0] - stamp_ns) <= self.tolerance_ns else None

    def knows(self, frame: str) -> bool:
        """True once a pose of ``frame`` has been stored."""
        return bool(self._poses.get(frame))

    def latest(self) -> np.ndarray | None:
        """The most recent pose of any frame, or None."""
        newest = [p[-1] for p in self._poses.values() if p]
        return max(newest, key=lambda item: item[0])[1] if newest else None

    def clear(self) -> None:
        self._poses.clear()
