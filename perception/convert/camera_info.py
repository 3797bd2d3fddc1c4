"""sensor_msgs/CameraInfo <-> CameraIntrinsics, with binning and region of interest applied as image_geometry does."""

from __future__ import annotations

from typing import Any

import numpy as np

from perception.camera import CameraIntrinsics
from perception.convert.errors import CameraInfoError
from perception.convert.msg_data import CameraInfoData, RegionOfInterestData, make_header


def camera_info_to_intrinsics(msg: Any, rectified: bool = False) -> CameraIntrinsics:
    """The intrinsics of the image a CameraInfo describes.

    With ``rectified`` False: K and the distortion ``d`` (for the raw image). With ``rectified`` True:
    the left 3x3 of P and no distortion (for the rectified image). Binning divides the focal lengths,
    the principal point and the size; a region of interest shifts the principal point and sets the size.
    Raises CameraInfoError for an uncalibrated (all-zero) message or a matrix of the wrong size.
    """
    k = _vector(msg, "k", 9)
    p = _vector(msg, "p", 12)
    width, height = _int(msg.width, "width"), _int(msg.height, "height")
    if not k.any() and not p.any():
        raise CameraInfoError(
            f"CameraInfo: expected a calibrated camera (K with fx, fy > 0), got all-zero K and P "
            f"(uncalibrated; width {width}, height {height})"
        )
    K = p.reshape(3, 4)[:, :3].copy() if rectified else k.reshape(3, 3).copy()
    distortion = np.zeros(0) if rectified else _vector(msg, "d", None)
    if not (K[0, 0] > 0 and K[1, 1] > 0 and np.isfinite(K).all()):
        which = "P" if rectified else "K"
        raise CameraInfoError(f"CameraInfo.{which.lower()}: expected finite fx, fy > 0, got fx={K[0, 0]}, fy={K[1, 1]}")
    bin_x = max(1, _int(getattr(msg, "binning_x", 0), "binning_x"))
    bin_y = max(1, _int(getattr(msg, "binning_y", 0), "binning_y"))
    roi = getattr(msg, "roi", None)
    if roi is not None and int(roi.width) > 0 and int(roi.height) > 0:
        K[0, 2] -= int(roi.x_offset)
        K[1, 2] -= int(roi.y_offset)
        width, height = int(roi.width), int(roi.height)
    K[0, :] /= bin_x
    K[1, :] /= bin_y
    width, height = width // bin_x, height // bin_y
    if width <= 0 or height <= 0:
        raise CameraInfoError(f"CameraInfo: expected width, height > 0, got {width} x {height}")
    return CameraIntrinsics(K=K, width=width, height=height, distortion=distortion)


def intrinsics_to_camera_info(intrinsics: CameraIntrinsics, frame_id: str = "", stamp_ns: int = 0) -> CameraInfoData:
    """A CameraInfoData for ``intrinsics``: K, D, R = identity, P = [K | 0], no binning, full image."""
    n = intrinsics.distortion.size
    model = "rational_polynomial" if n == 8 else "plumb_bob"
    p = np.zeros((3, 4))
    p[:, :3] = intrinsics.K
    return CameraInfoData(
        header=make_header(frame_id, stamp_ns),
        height=int(intrinsics.height),
        width=int(intrinsics.width),
        distortion_model=model,
        d=intrinsics.distortion.copy(),
        k=intrinsics.K.reshape(-1).copy(),
        r=np.eye(3).reshape(-1),
        p=p.reshape(-1),
        roi=RegionOfInterestData(),
    )


def _vector(msg: Any, name: str, size: int | None) -> np.ndarray:
    # ROS 2 spells the matrices k, d, r, p; ROS 1 spelled them K, D, R, P.
    value = getattr(msg, name, None)
    if value is None:
        value = getattr(msg, name.upper(), None)
    try:
        out = np.asarray(value if value is not None else [], dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise CameraInfoError(f"CameraInfo.{name}: expected numbers, got {type(value).__name__}") from exc
    if size is not None and out.size != size:
        raise CameraInfoError(f"CameraInfo.{name}: expected {size} values, got {out.size}")
    return out


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise CameraInfoError(f"CameraInfo.{name}: expected an int >= 0, got {value!r}")
    return int(value)
