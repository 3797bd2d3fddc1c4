"""rosbags message classes for what perception's ``*Data`` classes do not cover: odometry, tf, a JSON string."""

from __future__ import annotations

from typing import Any

import numpy as np
from rosbags.typesys.store import Typestore
from scipy.spatial.transform import Rotation

from perception.convert import build_message, make_header


def _header(ts: Typestore, frame_id: str, stamp_ns: int) -> Any:
    return build_message(make_header(frame_id, stamp_ns), ts.types.__getitem__)


def _pose(ts: Typestore, T: np.ndarray) -> Any:
    T_ = ts.types
    qx, qy, qz, qw = Rotation.from_matrix(T[:3, :3]).as_quat()
    return T_["geometry_msgs/msg/Pose"](
        position=T_["geometry_msgs/msg/Point"](x=float(T[0, 3]), y=float(T[1, 3]), z=float(T[2, 3])),
        orientation=T_["geometry_msgs/msg/Quaternion"](x=float(qx), y=float(qy), z=float(qz), w=float(qw)),
    )


def odometry(
    ts: Typestore, T_world_body: np.ndarray, velocity_world: np.ndarray, frame_id: str, child_frame_id: str,
    stamp_ns: int,
) -> Any:
    """nav_msgs/msg/Odometry: pose of ``child_frame_id`` in ``frame_id``; twist in the child frame (m/s)."""
    T_ = ts.types
    v_body = T_world_body[:3, :3].T @ velocity_world
    vec = T_["geometry_msgs/msg/Vector3"]
    cov = np.diag([1e-4] * 6).reshape(-1)
    return T_["nav_msgs/msg/Odometry"](
        header=_header(ts, frame_id, stamp_ns),
        child_frame_id=child_frame_id,
        pose=T_["geometry_msgs/msg/PoseWithCovariance"](pose=_pose(ts, T_world_body), covariance=cov),
        twist=T_["geometry_msgs/msg/TwistWithCovariance"](
            twist=T_["geometry_msgs/msg/Twist"](
                linear=vec(x=float(v_body[0]), y=float(v_body[1]), z=float(v_body[2])),
                angular=vec(x=0.0, y=0.0, z=0.0),
            ),
            covariance=cov.copy(),
        ),
    )


def tf_message(ts: Typestore, transforms: list[tuple[str, str, np.ndarray]], stamp_ns: int) -> Any:
    """tf2_msgs/msg/TFMessage of (parent, child, T_parent_child) triples."""
    T_ = ts.types
    items = []
    for parent, child, T in transforms:
        pose = _pose(ts, T)
        items.append(T_["geometry_msgs/msg/TransformStamped"](
            header=_header(ts, parent, stamp_ns),
            child_frame_id=child,
            transform=T_["geometry_msgs/msg/Transform"](
                translation=T_["geometry_msgs/msg/Vector3"](x=pose.position.x, y=pose.position.y, z=pose.position.z),
                rotation=pose.orientation,
            ),
        ))
    return T_["tf2_msgs/msg/TFMessage"](transforms=items)


def string(ts: Typestore, text: str) -> Any:
    """std_msgs/msg/String."""
    return ts.types["std_msgs/msg/String"](data=text)
