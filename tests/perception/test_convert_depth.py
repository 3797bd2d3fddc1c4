"""Depth + intrinsics -> organized coloured clouds, in the camera frame and in the world frame."""

from __future__ import annotations

import numpy as np
import pytest

from perception import CameraIntrinsics, RGBDFrame
from perception.convert import (
    array_to_image,
    depth_to_cloud,
    intrinsics_to_camera_info,
    rgbd_frame_to_cloud,
    rgbd_messages_to_frame,
)

INTRINSICS = CameraIntrinsics(K=np.array([[100.0, 0, 2.0], [0, 50.0, 1.0], [0, 0, 1]]), width=4, height=3)


def expected_xyz(z: np.ndarray) -> np.ndarray:
    v, u = np.mgrid[0:3, 0:4]
    return np.stack([(u - 2.0) * z / 100.0, (v - 1.0) * z / 50.0, z], axis=-1).reshape(-1, 3)


def test_millimetres_scaled_units_and_metres_agree() -> None:
    mm = np.arange(1, 13, dtype=np.uint16).reshape(3, 4) * 250
    metres = mm.astype(np.float32) / 1000
    reference = expected_xyz(metres.astype(np.float64))
    for depth, scale in ((mm, None), (mm * 5, 5000.0), (metres, None), (metres.astype(np.float64), 1.0)):
        cloud = depth_to_cloud(depth, INTRINSICS, depth_scale=scale)
        assert cloud.grid_shape == (3, 4) and cloud.xyz.dtype == np.float32
        np.testing.assert_allclose(cloud.xyz, reference, rtol=1e-6, atol=1e-7)


def test_invalid_depth_is_nan_and_colour_is_attached_to_every_pixel() -> None:
    depth = np.full((3, 4), 1.0, np.float32)
    depth[0, 0], depth[1, 1], depth[2, 2], depth[2, 3] = 0.0, np.nan, -1.0, np.inf
    rgb = np.arange(36, dtype=np.uint8).reshape(3, 4, 3)
    cloud = depth_to_cloud(depth, INTRINSICS, rgb=rgb, frame_id="cam", stamp_ns=9)
    invalid = ~np.isfinite(cloud.xyz).any(axis=1)
    assert invalid.reshape(3, 4).tolist() == [
        [True, False, False, False],
        [False, True, False, False],
        [False, False, True, True],
    ]
    np.testing.assert_array_equal(cloud.rgb, rgb.reshape(-1, 3))
    assert (cloud.frame_id, cloud.stamp_ns) == ("cam", 9)


def test_rgbd_frame_in_world_frame_moves_valid_points_only() -> None:
    depth = np.full((3, 4), 2.0, np.float32)
    depth[0, 0] = 0.0
    T = np.eye(4)
    T[:3, :3] = [[0, 0, 1], [-1, 0, 0], [0, -1, 0]]  # optical frame (z forward) -> z up world
    T[:3, 3] = [1.0, 2.0, 3.0]
    frame = RGBDFrame(rgb=np.zeros((3, 4, 3), np.uint8), depth_m=depth, intrinsics=INTRINSICS, T_world_cam=T)
    cam = rgbd_frame_to_cloud(frame)
    world = rgbd_frame_to_cloud(frame, world=True)
    assert world.frame_id == "world" and world.grid_shape == (3, 4)
    assert np.isnan(world.xyz[0]).all()
    np.testing.assert_allclose(world.xyz[1:], cam.xyz[1:] @ T[:3, :3].T + T[:3, 3], atol=1e-6)
    np.testing.assert_allclose(world.xyz[5], [3.0, 2.02, 3.0], atol=1e-6)  # pixel (u=1, v=1): cam (-0.02, 0, 2)


def test_rgbd_messages_to_frame() -> None:
    rgb = np.arange(36, dtype=np.uint8).reshape(3, 4, 3)
    depth = np.full((3, 4), 1500, np.uint16)
    frame = rgbd_messages_to_frame(
        array_to_image(np.ascontiguousarray(rgb[:, :, ::-1]), "bgr8"),
        array_to_image(depth, "16UC1", frame_id="depth_optical", stamp_ns=42),
        intrinsics_to_camera_info(INTRINSICS),
    )
    np.testing.assert_array_equal(frame.rgb, rgb)
    np.testing.assert_allclose(frame.depth_m, 1.5)
    assert (frame.frame_id, frame.stamp_ns) == ("depth_optical", 42)


def test_depth_of_the_wrong_size_is_refused() -> None:
    from perception import ShapeError

    with pytest.raises(ShapeError, match=r"expected shape \(3, 4\), got \(4, 3\)"):
        depth_to_cloud(np.ones((4, 3), np.float32), INTRINSICS)
