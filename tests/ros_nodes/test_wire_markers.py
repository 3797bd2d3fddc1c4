"""Typestore messages: defaults, CDR round trips (also through rclpy), markers, poses and diagnostics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perception import Box3D
from ros_nodes import markers, wire
from ros_nodes.diagnostics import NodeHealth, parse_status
from ros_nodes.errors import WireError
from ros_nodes.pose_buffer import PoseBuffer, matrix_to_pose, pose_to_matrix


def test_make_fills_zero_defaults_and_refuses_unknown_fields() -> None:
    info = wire.make("sensor_msgs/msg/CameraInfo", width=4)
    assert info.width == 4 and info.k.shape == (9,) and info.d.shape == (0,) and info.header.frame_id == ""
    with pytest.raises(WireError, match="colour"):
        wire.make("std_msgs/msg/ColorRGBA", colour=1.0)


def test_decode_of_garbage_is_a_wire_error() -> None:
    with pytest.raises(WireError, match="PointCloud2"):
        wire.decode(b"\x00\x01\x00\x00\xff", "sensor_msgs/msg/PointCloud2")


def test_box_markers_have_stable_ids_pose_and_label() -> None:
    box = Box3D(center=np.array([1.0, 2.0, 0.5]), size=np.array([0.2, 0.4, 0.6]), yaw=math.pi / 2)
    cube, text = markers.box_markers(7, box, "mug 7", markers.CHOSEN_RGBA, 5_000_000_123, "world", "objects")
    assert (cube.id, text.id, cube.type, text.type) == (14, 15, 1, 9)
    assert (cube.scale.x, cube.scale.y, cube.scale.z) == pytest.approx((0.2, 0.4, 0.6))
    assert cube.pose.orientation.z == pytest.approx(math.sqrt(0.5))
    assert text.text == "mug 7" and text.pose.position.z > 0.8
    assert cube.header.stamp.sec == 5 and cube.header.stamp.nanosec == 123


def test_marker_array_bytes_parse_in_rclpy() -> None:
    from rclpy.serialization import deserialize_message
    from visualization_msgs.msg import MarkerArray

    box = Box3D(center=np.zeros(3), size=np.ones(3))
    arr = markers.marker_array([markers.delete_all(0, "world", "x"), *markers.box_markers(1, box, "a", (1, 0, 0, 1), 0,
                                                                                           "world", "x")])
    back = deserialize_message(wire.encode(arr), MarkerArray)
    assert [m.id for m in back.markers] == [0, 2, 3] and back.markers[0].action == 3


def test_pose_matrix_round_trip() -> None:
    yaw = 0.7
    T = np.eye(4)
    T[:3, :3] = [[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]]
    T[:3, 3] = [1, -2, 3]
    assert np.allclose(pose_to_matrix(matrix_to_pose(T)), T)
    bad = matrix_to_pose(T)
    bad.orientation.w = bad.orientation.x = bad.orientation.y = bad.orientation.z = 0.0
    with pytest.raises(ValueError, match="quaternion"):
        pose_to_matrix(bad)


def test_pose_buffer_nearest_within_tolerance() -> None:
    buf = PoseBuffer(max_poses=3, tolerance_ns=10)
    for t in (100, 50, 200):
        T = np.eye(4)
        T[0, 3] = t
        buf.add("cam", t, T)
    assert buf.lookup("cam", 104)[0, 3] == 100  # type: ignore[index]
    assert buf.lookup("cam", 150) is None
    assert buf.lookup("other", 100) is None
    assert buf.latest()[0, 3] == 200  # type: ignore[index]


def test_health_counts_and_reports() -> None:
    h = NodeHealth("/n")
    for t in range(11):
        h.received_on("/points", now=100.0 + 0.1 * t)
    h.done(0.025)
    h.error("bad PointCloud2: data too short\nsecond line")
    assert h.rate_hz("/points", now=101.0) == pytest.approx(11.0, rel=0.01)
    msg = wire.decode(wire.encode(h.to_msg(1, {"objects": 3})), "diagnostic_msgs/msg/DiagnosticArray")
    values = parse_status(msg)
    assert values["errors"] == "1" and values["last_error"] == "bad PointCloud2: data too short"
    assert values["latency_ms"] == "25.0" and values["objects"] == "3" and values["received//points"] == "11"
    assert msg.status[0].level == 1
