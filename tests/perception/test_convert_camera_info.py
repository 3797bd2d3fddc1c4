"""CameraInfo <-> CameraIntrinsics, including binning, a region of interest, P for rectified images and ROS 1 names."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from perception import CameraIntrinsics
from perception.convert import (
    CameraInfoData,
    HeaderData,
    RegionOfInterestData,
    camera_info_to_intrinsics,
    intrinsics_to_camera_info,
)

K = np.array([[525.0, 0.0, 319.5], [0.0, 520.0, 239.5], [0.0, 0.0, 1.0]])
D = np.array([0.1, -0.2, 0.001, 0.002, 0.03])


def test_round_trip_keeps_k_d_and_size() -> None:
    intrinsics = CameraIntrinsics(K=K, width=640, height=480, distortion=D)
    msg = intrinsics_to_camera_info(intrinsics, frame_id="cam", stamp_ns=3_000_000_001)
    assert msg.distortion_model == "plumb_bob"
    np.testing.assert_array_equal(msg.p.reshape(3, 4)[:, :3], K)
    np.testing.assert_array_equal(msg.r.reshape(3, 3), np.eye(3))
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (3, 1)
    back = camera_info_to_intrinsics(msg)
    np.testing.assert_array_equal(back.K, K)
    np.testing.assert_array_equal(back.distortion, D)
    assert (back.width, back.height) == (640, 480)


def test_rectified_uses_p_and_no_distortion() -> None:
    p = np.array([[500.0, 0, 300, 0], [0, 500, 200, 0], [0, 0, 1, 0]])
    msg = CameraInfoData(HeaderData(), 480, 640, "plumb_bob", D, K.reshape(-1), np.eye(3).reshape(-1), p.reshape(-1))
    rect = camera_info_to_intrinsics(msg, rectified=True)
    np.testing.assert_array_equal(rect.K, p[:, :3])
    assert not rect.distortion.any()


def test_binning_and_region_of_interest_as_image_geometry() -> None:
    roi = RegionOfInterestData(x_offset=100, y_offset=40, width=320, height=240)
    msg = CameraInfoData(
        HeaderData(), 480, 640, "plumb_bob", D, K.reshape(-1), np.eye(3).reshape(-1), np.zeros(12), 2, 2, roi
    )
    out = camera_info_to_intrinsics(msg)
    assert (out.width, out.height) == (160, 120)
    np.testing.assert_allclose(out.K, [[262.5, 0, (319.5 - 100) / 2], [0, 260.0, (239.5 - 40) / 2], [0, 0, 1]])


def test_ros1_upper_case_names_are_read() -> None:
    msg = SimpleNamespace(height=480, width=640, K=list(K.reshape(-1)), D=list(D), P=[0.0] * 12, R=[0.0] * 9)
    out = camera_info_to_intrinsics(msg)
    np.testing.assert_array_equal(out.K, K)
