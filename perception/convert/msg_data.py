"""Plain dataclasses that mirror the ROS 2 sensor messages field by field, and a builder for real messages.

The converters read messages by attribute name only, so an rclpy message, a rosbags message and these
classes are interchangeable inputs. The converters that produce messages return these classes;
``build_message`` turns one into an rclpy or rosbags message without this package importing either.

Each class carries ``__msgtype__``, the ROS type name, under the attribute name rosbags itself uses.
"""

from __future__ import annotations

import array
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from perception.errors import MessageFormatError

NS_PER_S = 1_000_000_000


@dataclass
class TimeData:
    """builtin_interfaces/msg/Time."""

    sec: int = 0
    """Whole seconds."""
    nanosec: int = 0
    """Nanoseconds in [0, 1e9)."""

    __msgtype__: ClassVar[str] = "builtin_interfaces/msg/Time"


@dataclass
class HeaderData:
    """std_msgs/msg/Header."""

    stamp: TimeData = field(default_factory=TimeData)
    """Acquisition time."""
    frame_id: str = ""
    """Frame the data is expressed in."""

    __msgtype__: ClassVar[str] = "std_msgs/msg/Header"


@dataclass
class PointFieldData:
    """sensor_msgs/msg/PointField: one named field of every point."""

    name: str
    """Field name, e.g. ``x`` or ``rgb``."""
    offset: int
    """Byte offset of the field inside a point."""
    datatype: int
    """One of the constants below."""
    count: int = 1
    """Number of elements of ``datatype`` in the field."""

    INT8: ClassVar[int] = 1
    UINT8: ClassVar[int] = 2
    INT16: ClassVar[int] = 3
    UINT16: ClassVar[int] = 4
    INT32: ClassVar[int] = 5
    UINT32: ClassVar[int] = 6
    FLOAT32: ClassVar[int] = 7
    FLOAT64: ClassVar[int] = 8
    __msgtype__: ClassVar[str] = "sensor_msgs/msg/PointField"


@dataclass
class PointCloud2Data:
    """sensor_msgs/msg/PointCloud2: ``height`` rows of ``width`` points, ``point_step`` bytes each."""

    header: HeaderData
    """Stamp and frame."""
    height: int
    """Rows H; 1 for an unorganized cloud."""
    width: int
    """Points per row W."""
    fields: list[PointFieldData]
    """Layout of one point."""
    is_bigendian: bool
    """Byte order of ``data``."""
    point_step: int
    """Bytes per point."""
    row_step: int
    """Bytes per row (>= width * point_step)."""
    data: np.ndarray
    """(row_step * height,) uint8 payload."""
    is_dense: bool
    """True when no point is invalid."""

    __msgtype__: ClassVar[str] = "sensor_msgs/msg/PointCloud2"

    def __post_init__(self) -> None:
        self.data = as_uint8_array(self.data, "PointCloud2Data.data")


@dataclass
class ImageData:
    """sensor_msgs/msg/Image: ``height`` rows of ``step`` bytes."""

    header: HeaderData
    """Stamp and frame."""
    height: int
    """Rows H."""
    width: int
    """Columns W."""
    encoding: str
    """Pixel encoding, e.g. ``rgb8`` or ``16UC1``."""
    is_bigendian: int
    """1 when multi-byte pixels are big-endian (a uint8 in ROS, not a bool)."""
    step: int
    """Bytes per row (>= width * bytes per pixel)."""
    data: np.ndarray
    """(step * height,) uint8 payload."""

    __msgtype__: ClassVar[str] = "sensor_msgs/msg/Image"

    def __post_init__(self) -> None:
        self.data = as_uint8_array(self.data, "ImageData.data")


@dataclass
class RegionOfInterestData:
    """sensor_msgs/msg/RegionOfInterest; all zeros means the full image."""

    x_offset: int = 0
    """Left column of the region."""
    y_offset: int = 0
    """Top row of the region."""
    height: int = 0
    """Rows of the region; 0 for the full image."""
    width: int = 0
    """Columns of the region; 0 for the full image."""
    do_rectify: bool = False
    """Whether the region should be rectified."""

    __msgtype__: ClassVar[str] = "sensor_msgs/msg/RegionOfInterest"


@dataclass
class CameraInfoData:
    """sensor_msgs/msg/CameraInfo (ROS 2 lower-case field names)."""

    header: HeaderData
    """Stamp and frame."""
    height: int
    """Calibrated image rows H."""
    width: int
    """Calibrated image columns W."""
    distortion_model: str
    """``plumb_bob``, ``rational_polynomial`` or ``equidistant``."""
    d: np.ndarray
    """(D,) float64 distortion coefficients."""
    k: np.ndarray
    """(9,) float64 row-major intrinsic matrix K."""
    r: np.ndarray
    """(9,) float64 row-major rectification rotation."""
    p: np.ndarray
    """(12,) float64 row-major projection matrix."""
    binning_x: int = 0
    """Horizontal binning; 0 or 1 means none."""
    binning_y: int = 0
    """Vertical binning; 0 or 1 means none."""
    roi: RegionOfInterestData = field(default_factory=RegionOfInterestData)
    """Region of the full image that was read out."""

    __msgtype__: ClassVar[str] = "sensor_msgs/msg/CameraInfo"

    def __post_init__(self) -> None:
        self.d = np.asarray(self.d, dtype=np.float64).reshape(-1)
        self.k = np.asarray(self.k, dtype=np.float64).reshape(-1)
        self.r = np.asarray(self.r, dtype=np.float64).reshape(-1)
        self.p = np.asarray(self.p, dtype=np.float64).reshape(-1)


MessageData = (
    TimeData | HeaderData | PointFieldData | PointCloud2Data | ImageData | RegionOfInterestData | CameraInfoData
)


def as_uint8_array(data: Any, what: str) -> np.ndarray:
    """View any byte buffer (numpy array, bytes, bytearray, array.array, memoryview) as (B,) uint8.

    No copy is made for a buffer; a list of ints (a hand-built message) is converted.
    """
    if isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 1:
        return data
    try:
        return np.frombuffer(data, dtype=np.uint8)
    except (TypeError, ValueError, BufferError):
        pass
    try:
        values = np.asarray(data)
    except (TypeError, ValueError) as exc:
        raise MessageFormatError(f"{what}: expected a byte buffer, got {type(data).__name__}") from exc
    if values.ndim != 1 or not (values.dtype.kind in "iub" or values.size == 0):
        raise MessageFormatError(f"{what}: expected a byte buffer or a list of ints, got {type(data).__name__}")
    if values.size and (values.min() < 0 or values.max() > 255):
        raise MessageFormatError(f"{what}: expected bytes in [0, 255], got values in [{values.min()}, {values.max()}]")
    return values.astype(np.uint8)


def stamp_to_ns(header: Any) -> int:
    """Nanoseconds since the epoch from a Header (anything with ``stamp.sec`` and ``stamp.nanosec``)."""
    return int(header.stamp.sec) * NS_PER_S + int(header.stamp.nanosec)


def ns_to_time(stamp_ns: int) -> TimeData:
    """A TimeData from nanoseconds; negative stamps keep nanosec in [0, 1e9) as ROS requires."""
    sec, nanosec = divmod(int(stamp_ns), NS_PER_S)
    return TimeData(sec=sec, nanosec=nanosec)


def make_header(frame_id: str, stamp_ns: int) -> HeaderData:
    """A HeaderData for ``frame_id`` at ``stamp_ns`` nanoseconds."""
    return HeaderData(stamp=ns_to_time(stamp_ns), frame_id=frame_id)


# array.array type codes by numpy dtype character; rclpy stores unbounded numeric sequences in array.array.
_ARRAY_TYPECODES = {np.dtype(t).str: t for t in "bBhHiIlLqQfd"}


def build_message(data: MessageData, resolve: Callable[[str], type]) -> Any:
    """Build a real message (rclpy or rosbags) from one of the dataclasses above, recursively.

    ``resolve`` maps a ROS type name such as ``sensor_msgs/msg/PointCloud2`` to its message class:
    ``typestore.types.__getitem__`` for rosbags, or an import of ``sensor_msgs.msg.PointCloud2`` for
    rclpy. Both take keyword arguments. Large payloads are copied once at most: rosbags keeps the numpy
    arrays as they are, and rclpy gets an ``array.array`` filled from the array's buffer in one memcpy
    (its constructor would otherwise copy element by element from a numpy array), or, for a payload
    written into a ``message_buffer`` (as ``cloud_to_pointcloud2`` and ``array_to_image`` do), that
    buffer's array itself, which the message and ``data`` then share.
    """
    cls = resolve(type(data).__msgtype__)
    # rclpy classes describe their fields with strings such as "sequence<uint8>"; rosbags classes do not.
    field_types = getattr(cls, "get_fields_and_field_types", None)
    types: dict[str, str] | None = field_types() if callable(field_types) else None
    kwargs: dict[str, Any] = {}
    late: dict[str, Any] = {}
    for f in dataclasses.fields(data):
        value = _convert(getattr(data, f.name), resolve, rclpy=types is not None)
        if types is not None and isinstance(value, np.ndarray) and types.get(f.name, "").startswith("sequence<"):
            late[f.name] = _to_array_array(value)
        else:
            kwargs[f.name] = value
    if late and "_check_fields" in getattr(cls, "__slots__", ()):
        # With its fields checked, an rclpy message's setter keeps an array.array of the right type code as
        # is; unchecked (the default), it copies it. (Distros before Jazzy have no check_fields, and copy.)
        kwargs["check_fields"] = True
    msg = cls(**kwargs)
    for name, value in late.items():
        setattr(msg, name, value)
    return msg


def _convert(value: Any, resolve: Callable[[str], type], rclpy: bool) -> Any:
    if dataclasses.is_dataclass(value) and hasattr(type(value), "__msgtype__"):
        return build_message(value, resolve)  # type: ignore[arg-type]
    if isinstance(value, list):
        return [_convert(v, resolve, rclpy) for v in value]
    if isinstance(value, np.generic):
        return value.item()  # rclpy asserts isinstance(value, int/float), which numpy scalars fail
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value)
    if not rclpy and isinstance(value, bytes | bytearray | memoryview | array.array):
        return np.frombuffer(value, dtype=np.uint8) if not isinstance(value, array.array) else np.array(value)
    return value


def message_buffer(nbytes: int) -> np.ndarray:
    """(nbytes,) uint8, writable, zeroed: a view of a new ``array.array('B')``. A message payload written
    into it goes to rclpy with no copy: ``build_message`` hands over the array itself, as rclpy keeps its
    uint8[] fields as ``array.array``. (The array cannot be resized while the view lives.)"""
    return np.frombuffer(array.array("B", b"\0") * nbytes, dtype=np.uint8)  # one memset, no copy


def _to_array_array(values: np.ndarray) -> array.array[Any]:
    native = values.astype(values.dtype.newbyteorder("="), copy=False)
    code = _ARRAY_TYPECODES.get(native.dtype.str)
    if code is None or np.dtype(code).itemsize != native.dtype.itemsize:
        raise MessageFormatError(f"build_message: expected a numeric sequence dtype, got {values.dtype}")
    owner = _viewed_array_array(native, code)
    if owner is not None:
        return owner
    out = array.array(code)
    out.frombytes(np.ascontiguousarray(native).reshape(-1).view(np.uint8).data)
    return out


def _viewed_array_array(values: np.ndarray, code: str) -> array.array[Any] | None:
    """The ``array.array`` of type ``code`` whose whole buffer ``values`` views, in order (a
    ``message_buffer``), else None."""
    base: Any = values.base
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):
        base = base.obj
    if not isinstance(base, array.array) or base.typecode != code or not values.flags.c_contiguous:
        return None
    address, length = base.buffer_info()
    return base if values.ctypes.data == address and values.size == length else None
