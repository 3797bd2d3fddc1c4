"""The shipped camera ViT's fourth input channel: how many metres of surface each pixel covers.

A segment crop scaled to a fixed edge, or a patch of a resized frame, shows an object's shape but not its
size, and several sim categories differ mostly in size (a box-shaped trash bin and a box, a mug and a can
and a bin). Depth gives the size back: a pixel at depth z of a camera with focal length f pixels covers
z / f metres, times the original pixels each input pixel stands for. The channel is that length's
logarithm, normalised, so one unit is a factor e in scale.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from perception._checks import check_array

CHANNEL_NAME = "log_pixel_size_m"
"""Name of the channel in a model directory's ``preprocessor_config.json`` (key ``extra_channel``)."""
LOG_MEAN = math.log(0.01)
"""Centre of the channel: 1 cm per pixel, the size of a pixel of a crop or a resized frame a few metres away."""
LOG_STD = 1.0
"""Spread of the channel: one unit per factor e."""
DEFAULT_SIZE_M = 0.01
"""Pixel size given where no depth is valid at all, metres."""


def normalised_log_size(pixel_size_m: torch.Tensor) -> torch.Tensor:
    """The channel's value for pixel sizes in metres (any shape, > 0)."""
    return (torch.log(pixel_size_m.clamp_min(1e-6)) - LOG_MEAN) / LOG_STD


def crop_pixel_size(depth_m: np.ndarray, fx: float, fy: float, crop_rows: int, crop_cols: int, size: int) -> float:
    """Metres per pixel of a square crop of edge ``size`` cut from ``crop_rows`` x ``crop_cols`` image pixels.

    depth_m: (K,) depths in metres of the object's own pixels (the median stands for the object). Returns
    ``DEFAULT_SIZE_M`` when none is valid.
    """
    valid = depth_m[np.isfinite(depth_m) & (depth_m > 0)]
    if valid.size == 0:
        return DEFAULT_SIZE_M
    z = float(np.median(valid))
    return z * 0.5 * (crop_rows / fy + crop_cols / fx) / size


def image_pixel_size(depth_m: np.ndarray, fx: float, fy: float, height: int, width: int) -> torch.Tensor:
    """(1, 1, height, width) metres per pixel of a frame resized from depth's (H, W) to (height, width).

    depth_m: (H, W) metres along the optical axis, NaN or <= 0 where invalid; invalid pixels take the
    median of the valid ones (``DEFAULT_SIZE_M`` when there are none), so they carry no false size.
    """
    check_array("depth_m", depth_m, (None, None))
    h0, w0 = depth_m.shape
    z = np.asarray(depth_m, dtype=np.float32)
    valid = np.isfinite(z) & (z > 0)
    if not valid.any():
        return torch.full((1, 1, height, width), DEFAULT_SIZE_M)
    z = np.where(valid, z, np.float32(np.median(z[valid])))
    per_pixel = torch.from_numpy(z * np.float32(0.5 * (h0 / (height * fy) + w0 / (width * fx))))  # (H, W)
    return F.interpolate(per_pixel[None, None], size=(height, width), mode="bilinear", antialias=True,
                         align_corners=False)
