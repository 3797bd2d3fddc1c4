"""PointCloud -> PointCloud2: an (N, point_step) byte array filled field by field, which is the payload."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from perception.convert.msg_data import PointCloud2Data, PointFieldData, make_header, message_buffer
from perception.convert.point_layout import FLOAT32, UINT32, FieldSpec, PointLayout, datatype_of
from perception.convert.pointcloud2 import PACKED_COLOR_FIELDS, XYZ
from perception.errors import ShapeError
from perception.point_cloud import PointCloud


def cloud_to_pointcloud2(
    cloud: PointCloud,
    frame_id: str | None = None,
    stamp_ns: int | None = None,
    rgb_datatype: int = FLOAT32,
    include_fields: bool = True,
    is_bigendian: bool = False,
) -> PointCloud2Data:
    """A PointCloud2Data holding ``cloud``, packed with no padding.

    Layout: x, y, z float32 at offsets 0, 4, 8; then ``rgb`` (packed 0x00RRGGBB as ``rgb_datatype``,
    FLOAT32 = 7 as PCL and RViz expect, or UINT32 = 6) when the cloud has colour; then ``intensity``
    float32; then, when ``include_fields``, every entry of ``cloud.fields`` with its own dtype and
    count (K for an (N, K) array; an (N, 1) array reads back as (N,); bool is stored as UINT8).
    An organized cloud keeps its (H, W) grid.
    ``frame_id`` and ``stamp_ns`` default to the cloud's. Use ``build_message`` for an rclpy or rosbags
    message. Raises ShapeError for a field dtype PointCloud2 cannot hold or a name used twice.
    """
    if rgb_datatype not in (FLOAT32, UINT32):
        raise ShapeError(f"cloud_to_pointcloud2: expected rgb_datatype 7 (FLOAT32) or 6 (UINT32), got {rgb_datatype}")
    n = len(cloud)
    extras: list[tuple[str, int, int]] = []
    if include_fields:
        taken = {*XYZ, *PACKED_COLOR_FIELDS, "intensity"}
        for name, values in cloud.fields.items():
            if name in taken:
                raise ShapeError(f"cloud_to_pointcloud2: expected a field name not in {sorted(taken)}, got {name!r}")
            if values.ndim not in (1, 2) or (values.ndim == 2 and values.shape[1] == 0):
                raise ShapeError(f"PointCloud.fields[{name!r}]: expected shape (N,) or (N, K>0), got {values.shape}")
            count = 1 if values.ndim == 1 else int(values.shape[1])
            extras.append((name, datatype_of(values.dtype, f"PointCloud.fields[{name!r}]"), count))
    layout = _packed_layout(
        rgb_datatype if cloud.rgb is not None else None, cloud.intensity is not None, tuple(extras), bool(is_bigendian)
    )
    # (N, point_step); in a message buffer, so that an rclpy message takes it without a copy.
    payload = message_buffer(n * layout.point_step).reshape(n, layout.point_step)
    x = layout.fields[0]
    _put(payload, 0, cloud.xyz, layout.element_dtype(x))  # x, y, z: 12 adjacent bytes
    if cloud.rgb is not None:
        _fill_packed_rgb(payload, 12, cloud.rgb, is_bigendian)  # rgb directly follows x, y, z
    columns = {**({} if cloud.intensity is None else {"intensity": cloud.intensity}), **cloud.fields}
    for spec in layout.fields[3 + (cloud.rgb is not None):]:  # intensity, then the extras
        _put(payload, spec.offset, columns[spec.name], layout.element_dtype(spec))
    height, width = cloud.grid_shape if cloud.grid_shape is not None else (1, n)
    return PointCloud2Data(
        header=make_header(
            cloud.frame_id if frame_id is None else frame_id, cloud.stamp_ns if stamp_ns is None else stamp_ns
        ),
        height=int(height),
        width=int(width),
        fields=[
            PointFieldData(name=s.name, offset=s.offset, datatype=s.datatype, count=s.count) for s in layout.fields
        ],
        is_bigendian=bool(is_bigendian),
        point_step=layout.point_step,
        row_step=int(width) * layout.point_step,
        data=payload.reshape(-1),
        is_dense=bool(np.isfinite(cloud.xyz).all()),
    )


@functools.lru_cache(maxsize=64)
def _packed_layout(
    rgb_datatype: int | None, intensity: bool, extras: tuple[tuple[str, int, int], ...], is_bigendian: bool
) -> PointLayout:
    """x, y, z, then rgb, intensity and the extras, back to back. Cached: a stream reuses one layout."""
    specs = []
    offset = 0
    wanted = [(name, FLOAT32, 1) for name in XYZ]
    wanted += [("rgb", rgb_datatype, 1)] if rgb_datatype is not None else []
    wanted += [("intensity", FLOAT32, 1)] if intensity else []
    for name, datatype, count in [*wanted, *extras]:
        spec = FieldSpec(name=name, offset=offset, datatype=datatype, count=count)
        specs.append(spec)
        offset += spec.nbytes
    return PointLayout(fields=tuple(specs), point_step=offset, is_bigendian=is_bigendian)


def _put(payload: np.ndarray, offset: int, values: np.ndarray, dtype: np.dtype[Any]) -> None:
    """Write ``values`` (N,) or (N, K), cast to ``dtype`` (which carries the byte order), into bytes
    ``offset``.. of every row of ``payload`` (N, point_step) uint8. Fields are written in offset order: a
    field may scribble on the bytes after it, which the next fields overwrite."""
    n = payload.shape[0]
    if n == 0:
        return
    items = np.ascontiguousarray(values.reshape(n, -1), dtype=dtype)  # (N, K)
    size = dtype.itemsize
    width = items.shape[1] * size
    if width == payload.shape[1]:  # the field is the whole point (xyz alone): one memcpy
        payload.view(dtype)[:] = items
        return
    if offset == 0 and payload.shape[1] == 16 and n > 1:
        # A 16-byte point (xyz + rgb, xyz + intensity): numpy copies whole 16-byte items into a contiguous
        # target in one fast loop, where a strided copy per coordinate takes three passes. So each row takes
        # the 16 bytes from its field's start on: its own values, then the head of the next row's, which
        # the next field overwrites. The last rows would read past the source, and go the slow way.
        inside = (n * width - 16) // width + 1  # rows whose 16-byte read ends inside ``items``
        payload[:inside].view("V16")[:, 0] = np.ndarray((inside,), dtype="V16", buffer=items, strides=(width,))
        payload[inside:, :width] = items[inside:].view(np.uint8).reshape(-1, width)
        return
    if payload.shape[1] % size == 0 and offset % size == 0:
        # Aligned: one typed strided copy per component.
        typed = payload.view(dtype)  # (N, point_step / size)
        for j in range(items.shape[1]):
            typed[:, offset // size + j] = items[:, j]
        return
    # Unaligned (a point_step such as 18): numpy's typed copy slows down several times there, so each
    # point's bytes move as one opaque item instead.
    payload[:, offset : offset + width].view(f"V{width}")[:, 0] = items.view(f"V{width}")[:, 0]


def _fill_packed_rgb(payload: np.ndarray, offset: int, rgb: np.ndarray, is_bigendian: bool) -> None:
    """Write (N, 3) uint8 colour as the 32-bit word 0x00RRGGBB into bytes ``offset``..``offset + 4`` of every
    row of ``payload`` (N, point_step) uint8."""
    n = payload.shape[0]
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if n > 1 and payload.shape[1] % 4 == 0 and offset % 4 == 0:
        # Read 4 bytes from each point's R on as a big-endian word, 0xRRGGBBrr (rr: the next point's R), and
        # shift the next point's byte out: one pass, where a copy per channel takes four. The last point's
        # read would end past the array, so it takes the byte path below.
        words = np.ndarray((n - 1,), dtype=">u4", buffer=rgb, strides=(3,))
        target = payload.view(">u4" if is_bigendian else "<u4")[:, offset // 4]  # (N,)
        np.right_shift(words, 8, out=target[:-1])
        payload, rgb = payload[-1:], rgb[-1:]
    order: Any = (1, 2, 3) if is_bigendian else (2, 1, 0)  # byte positions of R, G, B
    alpha = 0 if is_bigendian else 3
    payload[:, offset + alpha] = 0
    for channel, position in enumerate(order):
        payload[:, offset + position] = rgb[:, channel]
