"""The byte layout of one PointCloud2 point: validated fields and the numpy structured dtype that reads them."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from perception.convert.errors import PointFieldError
from perception.errors import ShapeError

# PointField datatype constant -> numpy type without byte order (sensor_msgs/msg/PointField).
DATATYPE_TO_DTYPE: dict[int, np.dtype[Any]] = {
    1: np.dtype(np.int8),
    2: np.dtype(np.uint8),
    3: np.dtype(np.int16),
    4: np.dtype(np.uint16),
    5: np.dtype(np.int32),
    6: np.dtype(np.uint32),
    7: np.dtype(np.float32),
    8: np.dtype(np.float64),
}
DATATYPE_NAMES = {1: "INT8", 2: "UINT8", 3: "INT16", 4: "UINT16", 5: "INT32", 6: "UINT32", 7: "FLOAT32", 8: "FLOAT64"}
FLOAT32 = 7
UINT32 = 6
INT32 = 5


@dataclass(frozen=True)
class FieldSpec:
    """One checked PointField."""

    name: str
    """Field name."""
    offset: int
    """Byte offset inside the point."""
    datatype: int
    """PointField datatype constant, 1..8."""
    count: int
    """Elements per point, >= 1."""

    @property
    def base_dtype(self) -> np.dtype[Any]:
        """The element type in native byte order."""
        return DATATYPE_TO_DTYPE[self.datatype]

    @property
    def nbytes(self) -> int:
        """Bytes the field occupies in a point."""
        return self.base_dtype.itemsize * self.count


@dataclass(frozen=True)
class PointLayout:
    """The checked layout of a point: fields sorted by offset, ``point_step`` and byte order."""

    fields: tuple[FieldSpec, ...]
    """Fields sorted by offset, none overlapping, all inside ``point_step``."""
    point_step: int
    """Bytes per point."""
    is_bigendian: bool
    """Byte order of every multi-byte element."""

    def get(self, name: str) -> FieldSpec | None:
        """The field called ``name``, or None."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        return None

    @property
    def names(self) -> list[str]:
        """Field names in offset order."""
        return [f.name for f in self.fields]

    def element_dtype(self, spec: FieldSpec) -> np.dtype[Any]:
        """The element type of ``spec`` in the layout's byte order."""
        return spec.base_dtype.newbyteorder(">" if self.is_bigendian else "<")

    @functools.cached_property
    def dtype(self) -> np.dtype[Any]:
        """A structured dtype of itemsize ``point_step`` that views every field where it lies (padding skipped)."""
        return np.dtype(
            {
                "names": [f.name for f in self.fields],
                "formats": [
                    self.element_dtype(f) if f.count == 1 else (self.element_dtype(f), (f.count,)) for f in self.fields
                ],
                "offsets": [f.offset for f in self.fields],
                "itemsize": self.point_step,
            }
        )


def parse_layout(fields: Iterable[Any], point_step: Any, is_bigendian: Any) -> PointLayout:
    """Check PointField-like objects (``name``, ``offset``, ``datatype``, ``count``) against ``point_step``.

    Raises PointFieldError naming the field, the expected and the received value. Layouts are cached by
    value, because a sensor sends the same layout in every message and checking it costs more than a
    small cloud's copy.
    """
    specs = tuple((f.name, f.offset, f.datatype, f.count) for f in fields)
    # Only exact str/int values are cached, so that 1.0 or True (equal to 1 as keys) still get their error.
    if type(point_step) is not int or any(
        type(n) is not str or type(o) is not int or type(d) is not int or type(c) is not int for n, o, d, c in specs
    ):
        return _parse_layout([FieldSpec(*f) for f in specs], point_step, is_bigendian)
    return _parse_layout_cached((specs, point_step, bool(is_bigendian)))


@functools.lru_cache(maxsize=256)
def _parse_layout_cached(key: tuple[tuple[tuple[Any, Any, Any, Any], ...], Any, bool]) -> PointLayout:
    specs, point_step, is_bigendian = key
    return _parse_layout([FieldSpec(*f) for f in specs], point_step, is_bigendian)


def _parse_layout(fields: Iterable[Any], point_step: Any, is_bigendian: Any) -> PointLayout:
    step = _as_int(point_step, "PointCloud2.point_step")
    if step <= 0:
        raise PointFieldError(f"PointCloud2.point_step: expected > 0, got {step}")
    specs: list[FieldSpec] = []
    for f in fields:
        name = f.name
        if not isinstance(name, str) or not name:
            raise PointFieldError(f"PointField.name: expected a non-empty string, got {name!r}")
        datatype = _as_int(f.datatype, f"PointField {name!r} datatype")
        if datatype not in DATATYPE_TO_DTYPE:
            raise PointFieldError(f"PointField {name!r}: expected datatype 1..8 (INT8..FLOAT64), got {datatype}")
        count = _as_int(f.count, f"PointField {name!r} count")
        if count < 1:
            raise PointFieldError(f"PointField {name!r}: expected count >= 1, got {count}")
        offset = _as_int(f.offset, f"PointField {name!r} offset")
        if offset < 0:
            raise PointFieldError(f"PointField {name!r}: expected offset >= 0, got {offset}")
        spec = FieldSpec(name=name, offset=offset, datatype=datatype, count=count)
        if offset + spec.nbytes > step:
            raise PointFieldError(
                f"PointField {name!r}: expected to end within point_step {step}, got offset {offset} + "
                f"{count} x {DATATYPE_NAMES[datatype]} = byte {offset + spec.nbytes}"
            )
        specs.append(spec)
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise PointFieldError(f"PointCloud2.fields: expected unique names, got {dupes} more than once")
    specs.sort(key=lambda s: s.offset)
    for a, b in itertools.pairwise(specs):
        if a.offset + a.nbytes > b.offset:
            raise PointFieldError(
                f"PointField {b.name!r}: expected offset >= {a.offset + a.nbytes} (end of {a.name!r}), got {b.offset}"
            )
    return PointLayout(fields=tuple(specs), point_step=step, is_bigendian=bool(is_bigendian))


def datatype_of(dtype: np.dtype[Any], what: str) -> int:
    """The PointField datatype constant of a numpy dtype (bool is stored as UINT8)."""
    if dtype == np.bool_:
        return 2
    for code, candidate in DATATYPE_TO_DTYPE.items():
        if dtype.newbyteorder("=") == candidate:
            return code
    raise ShapeError(f"{what}: expected a dtype PointCloud2 holds (int8..uint32, float32, float64), got {dtype}")


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise PointFieldError(f"{what}: expected an int, got {type(value).__name__} {value!r}")
    return int(value)
