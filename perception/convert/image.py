"""sensor_msgs/Image <-> numpy arrays, for colour and depth encodings, with row padding and either byte order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from perception.convert.errors import DataSizeError, EncodingError
from perception.convert.msg_data import ImageData, as_uint8_array, make_header, message_buffer
from perception.errors import MessageFormatError, ShapeError


@dataclass(frozen=True)
class EncodingSpec:
    """What one pixel of an encoding holds."""

    dtype: np.dtype[Any]
    """Element type in native byte order."""
    channels: int
    """Elements per pixel."""

    @property
    def pixel_bytes(self) -> int:
        """Bytes per pixel."""
        return self.dtype.itemsize * self.channels


_U8, _U16, _F32 = np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32)
ENCODINGS: dict[str, EncodingSpec] = {
    "rgb8": EncodingSpec(_U8, 3),
    "bgr8": EncodingSpec(_U8, 3),
    "rgba8": EncodingSpec(_U8, 4),
    "bgra8": EncodingSpec(_U8, 4),
    "mono8": EncodingSpec(_U8, 1),
    "8UC1": EncodingSpec(_U8, 1),
    "mono16": EncodingSpec(_U16, 1),
    "16UC1": EncodingSpec(_U16, 1),
    "32FC1": EncodingSpec(_F32, 1),
}
"""Supported encodings (sensor_msgs/image_encodings.hpp names)."""
DEPTH_ENCODINGS = ("16UC1", "mono16", "32FC1")
"""Encodings ``image_to_depth_m`` reads: integer units (millimetres by default) or float metres (REP 118)."""


def image_to_array(msg: Any) -> np.ndarray:
    """The pixels of an Image in their own type: (H, W) for one channel, else (H, W, C), native byte order.

    Row padding is skipped by striding. The result is a view of ``msg.data`` when the data is in
    native byte order (so it may be read-only and shares memory with the message); copy it before writing.
    Raises EncodingError for an unknown encoding and DataSizeError when ``step`` or ``data`` is too short.
    """
    spec = _encoding(msg.encoding)
    height, width = _dim(msg.height, "height"), _dim(msg.width, "width")
    if height * width == 0:
        raise DataSizeError(f"Image: expected width * height > 0, got width {width} x height {height}")
    step = _dim(msg.step, "step")
    if step < width * spec.pixel_bytes:
        raise DataSizeError(
            f"Image.step: expected >= width * bytes per pixel = {width} * {spec.pixel_bytes} = "
            f"{width * spec.pixel_bytes} for {msg.encoding}, got {step}"
        )
    raw = as_uint8_array(msg.data, "Image.data")
    if raw.size != step * height:
        raise DataSizeError(
            f"Image.data: expected step * height = {step} * {height} = {step * height} bytes, got {raw.size}"
        )
    dtype = spec.dtype.newbyteorder(">" if msg.is_bigendian else "<")
    item = spec.dtype.itemsize
    pixels = np.ndarray(
        (height, width, spec.channels), dtype=dtype, buffer=raw, strides=(step, spec.pixel_bytes, item)
    )  # (H, W, C) in the message's byte order
    pixels = pixels.astype(spec.dtype, copy=False)  # byte-swaps only when the order is foreign
    return pixels[:, :, 0] if spec.channels == 1 else pixels


def image_to_rgb(msg: Any) -> np.ndarray:
    """(H, W, 3) uint8 RGB from a colour or grey Image (rgb8, bgr8, rgba8, bgra8, mono8, 8UC1, mono16).

    Alpha is dropped, grey is repeated into the three channels, mono16 keeps its high byte.
    Raises EncodingError for a depth encoding (16UC1, 32FC1).
    """
    encoding = msg.encoding
    if encoding in ("16UC1", "32FC1"):
        raise EncodingError(f"Image.encoding: expected a colour or grey encoding, got depth encoding {encoding!r}")
    pixels = image_to_array(msg)
    if encoding == "rgb8":
        return np.ascontiguousarray(pixels)
    if encoding == "rgba8":
        return np.ascontiguousarray(pixels[:, :, :3])
    if encoding in ("bgr8", "bgra8"):
        return np.ascontiguousarray(pixels[:, :, 2::-1])
    if encoding == "mono16":
        pixels = (pixels >> 8).astype(np.uint8)
    return np.repeat(pixels[:, :, None], 3, axis=2)  # (H, W) -> (H, W, 3)


def image_to_depth_m(msg: Any, depth_scale: float = 1000.0) -> np.ndarray:
    """(H, W) float32 depth in metres from a 16UC1/mono16 Image (divided by ``depth_scale`` units per
    metre, 1000 for millimetres) or a 32FC1 Image (already metres; ``depth_scale`` is not applied).

    0 and NaN stay as they are: both mean "no return". Raises EncodingError for a colour encoding.
    """
    if msg.encoding not in DEPTH_ENCODINGS:
        raise EncodingError(f"Image.encoding: expected a depth encoding {list(DEPTH_ENCODINGS)}, got {msg.encoding!r}")
    if not depth_scale > 0:
        raise ShapeError(f"image_to_depth_m: expected depth_scale > 0 (units per metre), got {depth_scale}")
    pixels = image_to_array(msg)
    if pixels.dtype == np.float32:
        return np.ascontiguousarray(pixels)
    return pixels.astype(np.float32) / np.float32(depth_scale)


def array_to_image(
    array: np.ndarray, encoding: str, frame_id: str = "", stamp_ns: int = 0, is_bigendian: bool = False
) -> ImageData:
    """An ImageData holding ``array`` (H, W) or (H, W, C) of the encoding's dtype and channel count.

    The rows are packed (step = W * bytes per pixel) and the data is copied. Raises EncodingError for an
    unknown encoding and ShapeError when the array's shape or dtype does not fit the encoding.
    """
    spec = _encoding(encoding)
    if not isinstance(array, np.ndarray):
        raise ShapeError(f"array_to_image: expected a numpy array, got {type(array).__name__}")
    pixels = array[:, :, None] if array.ndim == 2 else array  # (H, W) -> (H, W, 1)
    if pixels.ndim != 3 or pixels.shape[2] != spec.channels:
        want = "(H, W)" if spec.channels == 1 else f"(H, W, {spec.channels})"
        raise ShapeError(f"array_to_image: expected shape {want} for {encoding}, got {array.shape}")
    if array.dtype.newbyteorder("=") != spec.dtype:
        raise ShapeError(f"array_to_image: expected dtype {spec.dtype} for {encoding}, got {array.dtype}")
    height, width = pixels.shape[:2]
    if height * width == 0:
        raise ShapeError(f"array_to_image: expected a non-empty image, got shape {array.shape}")
    target = spec.dtype.newbyteorder(">" if is_bigendian else "<")
    data = message_buffer(height * width * spec.pixel_bytes)  # an rclpy message takes it without a copy
    data.view(target).reshape(pixels.shape)[...] = pixels
    return ImageData(
        header=make_header(frame_id, stamp_ns),
        height=int(height),
        width=int(width),
        encoding=encoding,
        is_bigendian=int(is_bigendian),
        step=int(width) * spec.pixel_bytes,
        data=data,
    )


def _encoding(encoding: Any) -> EncodingSpec:
    spec = ENCODINGS.get(encoding) if isinstance(encoding, str) else None
    if spec is None:
        raise EncodingError(f"Image.encoding: expected one of {sorted(ENCODINGS)}, got {encoding!r}")
    return spec


def _dim(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise MessageFormatError(f"Image.{name}: expected an int, got {type(value).__name__} {value!r}")
    if value < 0:
        raise MessageFormatError(f"Image.{name}: expected >= 0, got {value}")
    return int(value)
