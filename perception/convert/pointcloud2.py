"""PointCloud2 -> arrays: a structured-dtype view of the payload, then one copy of what must be contiguous.

Works on anything with the PointCloud2 field names: an rclpy message, a rosbags message or a
``PointCloud2Data``. There is no per-point Python loop: numpy reads every field in place through a
structured dtype of itemsize ``point_step`` (any offsets, padding, unaligned steps and byte order).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from perception.columnwise import rows_all
from perception.convert.errors import DataSizeError, MissingFieldError, PointFieldError
from perception.convert.msg_data import as_uint8_array, stamp_to_ns
from perception.convert.point_layout import FLOAT32, INT32, UINT32, FieldSpec, PointLayout, parse_layout
from perception.errors import EmptyCloudError, MessageFormatError
from perception.point_cloud import PointCloud

XYZ = ("x", "y", "z")
PACKED_COLOR_FIELDS = ("rgb", "rgba")


@dataclass(frozen=True)
class CloudView:
    """A checked PointCloud2 payload seen through its layout, without a copy."""

    points: np.ndarray
    """(H, W) structured array viewing ``data``: one record per point, in the message's byte order."""
    raw: np.ndarray
    """(row_step * H,) uint8 view of the message's ``data``."""
    layout: PointLayout
    """Checked field layout."""
    row_step: int
    """Bytes per row."""

    @property
    def height(self) -> int:
        """Rows H."""
        return int(self.points.shape[0])

    @property
    def width(self) -> int:
        """Points per row W."""
        return int(self.points.shape[1])

    def field_bytes(self, spec: FieldSpec, nbytes: int) -> np.ndarray:
        """(H, W, nbytes) uint8 view of the first ``nbytes`` bytes of field ``spec`` in every point."""
        return np.ndarray(
            (self.height, self.width, nbytes),
            dtype=np.uint8,
            buffer=self.raw,
            offset=spec.offset,
            strides=(self.row_step, self.layout.point_step, 1),
        )


def view_pointcloud2(msg: Any) -> CloudView:
    """Check a PointCloud2's geometry and layout and view its payload as records, with no copy.

    Raises EmptyCloudError when width * height is 0, PointFieldError for a bad field layout and
    DataSizeError when ``row_step`` or the length of ``data`` do not match.
    """
    height, width = _dim(msg.height, "height"), _dim(msg.width, "width")
    if height * width == 0:
        raise EmptyCloudError(f"PointCloud2: expected width * height > 0, got width {width} x height {height}")
    layout = parse_layout(msg.fields, msg.point_step, msg.is_bigendian)
    row_step = _dim(msg.row_step, "row_step")
    if row_step < width * layout.point_step:
        raise DataSizeError(
            f"PointCloud2.row_step: expected >= width * point_step = {width} * {layout.point_step} = "
            f"{width * layout.point_step}, got {row_step}"
        )
    raw = as_uint8_array(msg.data, "PointCloud2.data")
    expected = row_step * height
    if raw.size != expected:
        raise DataSizeError(
            f"PointCloud2.data: expected row_step * height = {row_step} * {height} = {expected} bytes, got {raw.size}"
        )
    points = np.ndarray(
        (height, width), dtype=layout.dtype, buffer=raw, strides=(row_step, layout.point_step)
    )  # (H, W) records
    return CloudView(points=points, raw=raw, layout=layout, row_step=row_step)


def pointcloud2_to_xyz(msg: Any, skip_nans: bool = True) -> np.ndarray:
    """(N, 3) float32 C-contiguous x, y, z of a PointCloud2, in metres in ``msg.header.frame_id``.

    N is width * height, or the number of finite points when ``skip_nans`` (NaN and infinite rows are
    dropped; EmptyCloudError if none is left). Fields of any numeric datatype are cast to float32.
    """
    view = view_pointcloud2(msg)
    xyz = _xyz(view)
    if skip_nans:
        keep = _finite_rows(xyz)
        if keep is not None:
            xyz = xyz[keep]
    return xyz


def pointcloud2_to_cloud(msg: Any, skip_nans: bool = False, copy: bool = False) -> PointCloud:
    """A PointCloud from a PointCloud2: xyz, colour, intensity, every other field, frame and stamp.

    - ``xyz``: (N, 3) float32, C-contiguous. A view of ``data`` when the message holds exactly
      x, y, z float32 in native order (point_step 12); otherwise a strided copy of the payload.
    - ``rgb``: (N, 3) uint8 from a packed ``rgb``/``rgba`` float32, uint32 or int32 field
      (0x00RRGGBB / 0xAARRGGBB), or from separate uint8 ``r``, ``g``, ``b`` fields; else None.
    - ``intensity``: (N,) float32 from an ``intensity`` field with count 1, else None.
    - ``fields``: every other field by name, (N,) or (N, count), in native byte order. These are
      views of ``data`` where the byte order allows (they share memory with the message).
    - With ``skip_nans`` False the cloud keeps all W * H points; ``grid_shape`` is (H, W) when H > 1.
      With ``skip_nans`` True rows with a non-finite x, y or z are dropped and the cloud is
      unorganized; EmptyCloudError if none is left.
    - With ``copy`` True no array shares memory with the message, so a cloud kept long after its
      message does not keep the whole payload alive.
    """
    view = view_pointcloud2(msg)
    xyz = _xyz(view)  # (N, 3)
    used = set(XYZ)
    rgb, color_fields = _rgb(view)
    used |= color_fields
    intensity = None
    spec = view.layout.get("intensity")
    if spec is not None and spec.count == 1:
        intensity = _flat(view.points["intensity"]).astype(np.float32, copy=False)
        used.add("intensity")
    fields = {f.name: _native_column(view, f) for f in view.layout.fields if f.name not in used}
    if copy:
        xyz, intensity = _owned(xyz, view.raw), None if intensity is None else _owned(intensity, view.raw)
        fields = {name: _owned(values, view.raw) for name, values in fields.items()}
    cloud = PointCloud(
        xyz=xyz,
        rgb=rgb,
        intensity=intensity,
        fields=fields,
        frame_id=str(msg.header.frame_id),
        stamp_ns=stamp_to_ns(msg.header),
        grid_shape=(view.height, view.width) if view.height > 1 else None,
    )
    if not skip_nans:
        return cloud
    keep = _finite_rows(xyz)
    if keep is None:
        cloud.grid_shape = None
        return cloud
    return cloud.select(keep)


def _owned(values: np.ndarray, raw: np.ndarray) -> np.ndarray:
    return values.copy() if np.may_share_memory(values, raw) else values


def _dim(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise MessageFormatError(f"PointCloud2.{name}: expected an int, got {type(value).__name__} {value!r}")
    if value < 0:
        raise MessageFormatError(f"PointCloud2.{name}: expected >= 0, got {value}")
    return int(value)


def _flat(column: np.ndarray) -> np.ndarray:
    """(H, W, ...) -> (N, ...): a view when the rows are contiguous, else a copy."""
    return column.reshape((-1, *column.shape[2:]))


def _xyz(view: CloudView) -> np.ndarray:
    found = {name: view.layout.get(name) for name in XYZ}
    specs = [spec for spec in found.values() if spec is not None]
    if len(specs) != 3:
        missing = [name for name, spec in found.items() if spec is None]
        raise MissingFieldError(f"PointCloud2: expected fields x, y and z, got {view.layout.names} (missing {missing})")
    for spec in specs:
        if spec.count != 1:
            raise PointFieldError(f"PointField {spec.name!r}: expected count 1 for a coordinate, got {spec.count}")
    n = view.height * view.width
    x_offset = specs[0].offset
    native = view.layout.element_dtype(specs[0]) == specs[0].base_dtype
    adjacent = native and all(s.datatype == FLOAT32 and s.offset == x_offset + 4 * i for i, s in enumerate(specs))
    contiguous_rows = view.row_step == view.layout.point_step * view.width
    if adjacent and view.layout.point_step == 12 and contiguous_rows:
        return view.raw.view(np.float32).reshape(n, 3)  # the payload is already (N, 3) float32: no copy
    if adjacent and view.layout.point_step == 16 and x_offset == 0 and contiguous_rows:
        # 16-byte points (x, y, z and one more 4-byte field: xyzrgb, xyzi): each point's whole 16 bytes are
        # copied to rows 12 bytes apart, first to last, so its 4 trailing bytes land on the next point's x,
        # which that point's own copy then overwrites (the last point's land on 4 spare bytes). numpy copies
        # contiguous 16-byte items in one loop at about memcpy speed, on one thread, where a typed copy takes a
        # pass per axis and torch's needs the second core free.
        block = np.empty(n * 12 + 4, dtype=np.uint8)
        rows = np.ndarray((n,), dtype="V16", buffer=block, strides=(12,))  # overlapping, written in order
        rows[...] = np.ndarray((n,), dtype="V16", buffer=view.raw, strides=(16,))
        return block[: n * 12].view(np.float32).reshape(n, 3)
    out = np.empty((view.height, view.width, 3), dtype=np.float32)
    if adjacent and not view.points["x"].flags.aligned:
        # Unaligned floats (e.g. point_step 26) make numpy's strided float copy several times slower than
        # moving each point's 12 bytes as one opaque item.
        out.view("V12")[:, :, 0] = np.ndarray(
            (view.height, view.width), dtype="V12", buffer=view.raw, offset=x_offset, strides=view.points.strides
        )
        return out.reshape(n, 3)
    whole_floats = view.row_step % 4 == 0 and view.layout.point_step % 4 == 0  # torch needs element strides
    if adjacent and whole_floats and (torch.get_num_threads() > 1 or view.layout.point_step > 16):
        # torch copies each point's three floats in one pass, on its intra-op threads, where numpy's fastest
        # is one strided copy per axis. torch was the faster of the two on two threads at step 16 and 48 (the
        # bench's LiDAR layout), and on one thread at step 48 but not at step 16.
        src = np.ndarray(
            (view.height, view.width, 3), dtype=np.float32, buffer=view.raw, offset=x_offset,
            strides=(view.row_step, view.layout.point_step, 4),
        )  # (H, W, 3) view of the payload
        with warnings.catch_warnings():  # a read-only payload (bytes) is only read here
            warnings.simplefilter("ignore", UserWarning)
            torch.from_numpy(out).copy_(torch.from_numpy(src))
        return out.reshape(n, 3)
    # One strided copy per axis beats copying (N, 3) through a 3-wide inner loop about twofold.
    for i, name in enumerate(XYZ):
        out[:, :, i] = view.points[name]
    return out.reshape(n, 3)


def _finite_rows(xyz: np.ndarray) -> np.ndarray | None:
    """None when every row is finite (one fast flat pass), else the (N,) bool mask of finite rows."""
    finite = np.isfinite(xyz)
    if finite.all():
        return None
    keep = rows_all(finite)
    if not keep.any():
        raise EmptyCloudError(f"PointCloud2: expected at least one finite point, got 0 of {xyz.shape[0]} (NaN or inf)")
    return keep


def _rgb(view: CloudView) -> tuple[np.ndarray | None, set[str]]:
    """(N, 3) uint8 colour and the names of the fields it came from."""
    for name in PACKED_COLOR_FIELDS:
        spec = view.layout.get(name)
        if spec is None or spec.count != 1 or spec.datatype not in (FLOAT32, UINT32, INT32):
            continue
        # The 32 bits are 0xAARRGGBB whatever the declared type (a float32 only carries the bits), so the
        # colour bytes are read directly: B, G, R at bytes 0, 1, 2 little-endian, R, G, B at 1, 2, 3 big-endian.
        raw = view.field_bytes(spec, 4)  # (H, W, 4)
        channels = raw[:, :, 1:4] if view.layout.is_bigendian else raw[:, :, 2::-1]
        return _flat(np.ascontiguousarray(channels)), {name}
    parts = [view.layout.get(c) for c in "rgb"]
    if all(p is not None and p.datatype == 2 and p.count == 1 for p in parts):
        out = np.empty((view.height, view.width, 3), dtype=np.uint8)
        for i, c in enumerate("rgb"):
            out[:, :, i] = view.points[c]
        return _flat(out), {"r", "g", "b"}
    return None, set()


def _native_column(view: CloudView, spec: FieldSpec) -> np.ndarray:
    column = view.points[spec.name]  # (H, W) or (H, W, count), message byte order
    return _flat(column.astype(column.dtype.newbyteorder("="), copy=False))
