"""Depth image + pinhole intrinsics -> organized point cloud with colour, vectorised over the whole image."""

from __future__ import annotations

from typing import Any

import numpy as np

from perception._checks import check_array
from perception.camera import CameraIntrinsics
from perception.convert.camera_info import camera_info_to_intrinsics
from perception.convert.image import image_to_depth_m, image_to_rgb
from perception.convert.msg_data import stamp_to_ns
from perception.errors import ShapeError
from perception.point_cloud import PointCloud
from perception.rgbd_frame import RGBDFrame


def depth_to_cloud(
    depth: np.ndarray,
    intrinsics: CameraIntrinsics,
    rgb: np.ndarray | None = None,
    depth_scale: float | None = None,
    frame_id: str = "camera",
    stamp_ns: int = 0,
) -> PointCloud:
    """Back-project a depth image into an organized cloud in the camera optical frame (x right, y down, z forward).

    ``depth`` is (H, W) uint16 in units of 1 / ``depth_scale`` metres (default 1000: millimetres), or
    float32 / float64 (default scale 1: metres). ``rgb`` is an optional (H, W, 3) uint8 image registered to
    the depth. Returns N = H * W rows in row-major pixel order with ``grid_shape`` (H, W):
    x = (u - cx) z / fx, y = (v - cy) z / fy, z = depth / depth_scale; rows where the depth is 0, negative
    or not finite are NaN. Distortion is not applied (the depth image is taken as rectified).
    """
    h, w = intrinsics.height, intrinsics.width
    if not isinstance(depth, np.ndarray) or depth.dtype not in (np.uint16, np.float32, np.float64):
        got = depth.dtype if isinstance(depth, np.ndarray) else type(depth).__name__
        raise ShapeError(f"depth: expected dtype uint16 (scaled units) or float32/float64 (metres), got {got}")
    check_array("depth", depth, (h, w))
    if rgb is not None:
        check_array("rgb", rgb, (h, w, 3), (np.uint8,))
    scale = (1000.0 if depth.dtype == np.uint16 else 1.0) if depth_scale is None else float(depth_scale)
    if not (np.isfinite(scale) and scale > 0):
        raise ShapeError(f"depth_scale: expected a finite value > 0 (units per metre), got {depth_scale}")
    z = depth.astype(np.float32)
    if scale != 1.0:
        z /= np.float32(scale)
    z[~(z > 0) | ~np.isfinite(z)] = np.nan  # (H, W): no return -> NaN
    # Per-column and per-row ray slopes, broadcast over the image instead of building (H, W) pixel grids.
    ray_x = ((np.arange(w) - intrinsics.cx) / intrinsics.fx).astype(np.float32)  # (W,)
    ray_y = ((np.arange(h) - intrinsics.cy) / intrinsics.fy).astype(np.float32)  # (H,)
    xyz = np.empty((h, w, 3), dtype=np.float32)
    np.multiply(z, ray_x[None, :], out=xyz[:, :, 0])
    np.multiply(z, ray_y[:, None], out=xyz[:, :, 1])
    xyz[:, :, 2] = z
    return PointCloud(
        xyz=xyz.reshape(h * w, 3),
        rgb=None if rgb is None else np.ascontiguousarray(rgb).reshape(h * w, 3),
        frame_id=frame_id,
        stamp_ns=int(stamp_ns),
        grid_shape=(h, w),
    )


def rgbd_frame_to_cloud(frame: RGBDFrame, world: bool = False) -> PointCloud:
    """The organized coloured cloud of an RGBDFrame: in its camera frame, or in ``world`` via ``T_world_cam``.

    Returns N = H * W rows with ``grid_shape`` (H, W); rows without depth are NaN in either frame.
    """
    cloud = depth_to_cloud(
        frame.depth_m,
        frame.intrinsics,
        rgb=frame.rgb,
        depth_scale=1.0,
        frame_id=frame.frame_id,
        stamp_ns=frame.stamp_ns,
    )
    return cloud.transformed(frame.T_world_cam, "world") if world else cloud


def rgbd_messages_to_frame(
    rgb_msg: Any,
    depth_msg: Any,
    info_msg: Any,
    depth_scale: float = 1000.0,
    T_world_cam: np.ndarray | None = None,
) -> RGBDFrame:
    """An RGBDFrame from registered colour and depth Images and the depth camera's CameraInfo.

    The stamp and frame come from the depth message. ``depth_scale`` applies to integer depth (units per
    metre). Raises a MessageFormatError subclass for a bad message and ShapeError when the sizes disagree.
    """
    intrinsics = camera_info_to_intrinsics(info_msg)
    depth_m = image_to_depth_m(depth_msg, depth_scale)
    rgb = image_to_rgb(rgb_msg)
    return RGBDFrame(
        rgb=rgb,
        depth_m=depth_m,
        intrinsics=intrinsics,
        T_world_cam=np.eye(4) if T_world_cam is None else T_world_cam,
        stamp_ns=stamp_to_ns(depth_msg.header),
        frame_id=str(depth_msg.header.frame_id),
    )
