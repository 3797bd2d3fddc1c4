"""Messages on the wire: one typestore (rosbags, ROS 2 Kilted) builds and parses every message.

Nodes subscribe with ``raw=True`` and publish CDR bytes, so a live message and a message read from a bag go
through exactly the same decode -> core -> encode path, and replay needs no ROS install.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from rosbags.typesys import Stores, get_typestore
from rosbags.typesys.store import Typestore

from ros_nodes.errors import WireError

TYPESTORE: Typestore = get_typestore(Stores.ROS2_KILTED)
"""The message definitions used to build, serialize and parse every message."""

_NUMPY_DTYPES = {
    "bool": np.bool_,
    "int8": np.int8,
    "uint8": np.uint8,
    "byte": np.uint8,
    "char": np.uint8,
    "int16": np.int16,
    "uint16": np.uint16,
    "int32": np.int32,
    "uint32": np.uint32,
    "int64": np.int64,
    "uint64": np.uint64,
    "float32": np.float32,
    "float64": np.float64,
}
_BASE, _NAME, _ARRAY, _SEQUENCE = 1, 2, 3, 4


def msg_class(typename: str) -> Any:
    """The message class of ``typename``, e.g. ``"std_msgs/msg/String"``."""
    try:
        return TYPESTORE.types[typename]
    except KeyError as err:
        raise WireError(f"expected a known message type, got {typename!r}") from err


def make(typename: str, **fields: Any) -> Any:
    """A message of ``typename`` with ``fields`` set and every other field at its zero value."""
    _, defs = TYPESTORE.fielddefs[typename]
    names = {name for name, _ in defs}
    unknown = set(fields) - names
    if unknown:
        raise WireError(f"{typename}: expected fields among {sorted(names)}, got {sorted(unknown)}")
    values = {name: fields[name] if name in fields else _default(desc) for name, desc in defs}
    return msg_class(typename)(**values)


def _default(desc: tuple[Any, Any]) -> Any:
    kind, rest = int(desc[0]), desc[1]
    if kind == _BASE:
        base = rest[0]
        if base == "string" or base == "wstring":
            return ""
        if base == "bool":
            return False
        return 0.0 if base.startswith("float") else 0
    if kind == _NAME:
        return make(rest)
    (inner, count) = rest
    if int(inner[0]) == _BASE and inner[1][0] in _NUMPY_DTYPES:
        return np.zeros(count if kind == _ARRAY else 0, dtype=_NUMPY_DTYPES[inner[1][0]])
    return [_default(inner) for _ in range(count if kind == _ARRAY else 0)]


def encode(msg: Any) -> bytes:
    """CDR bytes of a typestore message, as rmw and rosbag2 carry them."""
    return bytes(TYPESTORE.serialize_cdr(msg, msg.__msgtype__))


def decode(raw: bytes | memoryview, typename: str) -> Any:
    """Parse CDR bytes of ``typename``; a malformed buffer raises ``WireError``."""
    try:
        return TYPESTORE.deserialize_cdr(bytes(raw), typename)
    except Exception as err:  # rosbags raises several types on bad bytes; the node needs one
        raise WireError(f"expected a CDR-encoded {typename} message, got {len(raw)} undecodable bytes: {err}") from err


def peek_stamp_ns(raw: bytes | memoryview) -> int | None:
    """Header stamp of CDR bytes of a message whose first field is a ``std_msgs/Header`` (PointCloud2, Image,
    CameraInfo, Odometry), read without decoding the rest; None when the buffer is too short.

    The CDR layout puts the 4-byte encapsulation first (byte 1: 0 big-, 1 little-endian), then the stamp's
    int32 sec and uint32 nanosec, so a throttled 1 MB cloud can be skipped for the cost of 12 bytes.
    """
    if len(raw) < 12 or raw[1] not in (0, 1):
        return None
    order: Literal["little", "big"] = "little" if raw[1] == 1 else "big"
    sec = int.from_bytes(bytes(raw[4:8]), order, signed=True)
    nanosec = int.from_bytes(bytes(raw[8:12]), order, signed=False)
    return sec * 1_000_000_000 + nanosec


def stamp_to_ns(stamp: Any) -> int:
    """Nanoseconds of a ``builtin_interfaces/Time``."""
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def ns_to_stamp(stamp_ns: int) -> Any:
    """A ``builtin_interfaces/msg/Time`` for ``stamp_ns`` nanoseconds."""
    sec, nanosec = divmod(int(stamp_ns), 1_000_000_000)
    return make("builtin_interfaces/msg/Time", sec=sec, nanosec=nanosec)


def header(stamp_ns: int, frame_id: str) -> Any:
    """A ``std_msgs/msg/Header``."""
    return make("std_msgs/msg/Header", stamp=ns_to_stamp(stamp_ns), frame_id=frame_id)


def string_msg(text: str) -> Any:
    """A ``std_msgs/msg/String``."""
    return make("std_msgs/msg/String", data=text)
