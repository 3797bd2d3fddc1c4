"""PointCloud2 <-> PointCloud on hand-packed messages: every datatype, count > 1, padding, unaligned steps,
big-endian data, organized clouds, packed colour, and the no-copy paths.

The messages here are packed point by point with ``struct``, independently of the numpy code under test.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
import torch

from perception import EmptyCloudError, PointCloud
from perception.convert import (
    HeaderData,
    PointCloud2Data,
    PointFieldData,
    TimeData,
    cloud_to_pointcloud2,
    pointcloud2_to_cloud,
    pointcloud2_to_xyz,
    view_pointcloud2,
)
from tests.perception._pointfield_types import NUMPY_TYPES, STRUCT_CODES


def pack_cloud(
    fields: list[tuple[str, int, int, int]],
    points: list[dict[str, tuple[float | int, ...]]],
    point_step: int,
    height: int = 1,
    big: bool = False,
    row_pad: int = 0,
) -> PointCloud2Data:
    """A PointCloud2Data packed with struct: fields are (name, offset, datatype, count); padding bytes are 0xAB."""
    width = len(points) // height
    row_step = width * point_step + row_pad
    data = bytearray(b"\xab" * (row_step * height))
    order = ">" if big else "<"
    for index, point in enumerate(points):
        row, col = divmod(index, width)
        base = row * row_step + col * point_step
        for name, offset, datatype, count in fields:
            struct.pack_into(f"{order}{count}{STRUCT_CODES[datatype]}", data, base + offset, *point[name])
    return PointCloud2Data(
        header=HeaderData(TimeData(12, 345), "lidar"),
        height=height,
        width=width,
        fields=[PointFieldData(n, o, d, c) for n, o, d, c in fields],
        is_bigendian=big,
        point_step=point_step,
        row_step=row_step,
        data=bytes(data),
        is_dense=False,
    )


def xyz_points(xyz: np.ndarray) -> list[dict[str, tuple[float | int, ...]]]:
    return [{"x": (float(p[0]),), "y": (float(p[1]),), "z": (float(p[2]),)} for p in xyz]


XYZ_FIELDS = [("x", 0, 7, 1), ("y", 4, 7, 1), ("z", 8, 7, 1)]


@pytest.mark.parametrize("datatype", range(1, 9))
@pytest.mark.parametrize("big", [False, True])
def test_every_datatype_in_either_byte_order(datatype: int, big: bool) -> None:
    dtype = np.dtype(NUMPY_TYPES[datatype])
    info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype)
    values = np.array([info.min, info.max, 0, 1], dtype=dtype)
    xyz = np.arange(12, dtype=np.float32).reshape(4, 3)
    points = xyz_points(xyz)
    for p, v in zip(points, values, strict=True):
        p["v"] = (v.item(),)
    msg = pack_cloud([*XYZ_FIELDS, ("v", 13, datatype, 1)], points, point_step=13 + dtype.itemsize + 3, big=big)
    cloud = pointcloud2_to_cloud(msg)
    np.testing.assert_array_equal(cloud.xyz, xyz)
    assert cloud.fields["v"].dtype == dtype  # native byte order
    np.testing.assert_array_equal(cloud.fields["v"], values)
    assert cloud.frame_id == "lidar" and cloud.stamp_ns == 12_000_000_345


def test_count_greater_than_one_and_coordinates_of_other_types() -> None:
    points = [{"x": (i,), "y": (-i,), "z": (2 * i,), "m": (i, i + 1, i + 2)} for i in range(5)]
    fields = [("m", 0, 3, 3), ("x", 6, 8, 1), ("y", 14, 5, 1), ("z", 18, 4, 1)]  # int16 x3, float64, int32, uint16
    cloud = pointcloud2_to_cloud(pack_cloud(fields, points, point_step=21))
    np.testing.assert_array_equal(cloud.xyz, [[i, -i, 2 * i] for i in range(5)])
    assert cloud.xyz.dtype == np.float32 and cloud.xyz.flags.c_contiguous
    assert cloud.fields["m"].shape == (5, 3)
    np.testing.assert_array_equal(cloud.fields["m"], [[i, i + 1, i + 2] for i in range(5)])


def test_unaligned_point_step_26_like_an_ouster_driver() -> None:
    rng = np.random.default_rng(1)
    xyz = rng.normal(size=(7, 3)).astype(np.float32)
    points = xyz_points(xyz)
    for i, p in enumerate(points):
        p.update(intensity=(float(i),), ring=(i * 3,), timestamp=(i * 1e-3,))
    fields = [*XYZ_FIELDS, ("intensity", 12, 7, 1), ("ring", 16, 4, 1), ("timestamp", 18, 8, 1)]
    msg = pack_cloud(fields, points, point_step=26)
    for big in (False, True):
        msg = pack_cloud(fields, points, point_step=26, big=big)
        cloud = pointcloud2_to_cloud(msg)
        np.testing.assert_array_equal(cloud.xyz, xyz)
        np.testing.assert_array_equal(pointcloud2_to_xyz(msg), xyz)
        np.testing.assert_array_equal(cloud.intensity, np.arange(7, dtype=np.float32))
        np.testing.assert_array_equal(cloud.fields["ring"], np.arange(7) * 3)
        np.testing.assert_array_equal(cloud.fields["timestamp"], np.arange(7) * 1e-3)
        assert set(cloud.fields) == {"ring", "timestamp"}


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(
    ("x_offset", "point_step", "row_pad"), [(0, 16, 0), (4, 16, 0), (4, 48, 0), (8, 20, 4), (0, 16, 5)]
)
def test_xyz_copy_paths_agree_on_one_and_two_threads(
    threads: int, x_offset: int, point_step: int, row_pad: int
) -> None:
    """The 16-byte item copy (step 16, x first, rows without padding), the torch copy (whole-float strides),
    numpy's per-axis copy (one thread, step 16 with x at 4) and the opaque copy (row_pad 5 leaves the second
    row's floats unaligned) give the same (N, 3)."""
    xyz = np.random.default_rng(point_step).normal(size=(12, 3)).astype(np.float32)
    fields = [(name, x_offset + 4 * i, 7, 1) for i, name in enumerate("xyz")]
    msg = pack_cloud(fields, xyz_points(xyz), point_step=point_step, height=2, row_pad=row_pad)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        got = pointcloud2_to_xyz(msg)
    finally:
        torch.set_num_threads(before)
    assert got.flags.c_contiguous and got.dtype == np.float32
    np.testing.assert_array_equal(got, xyz)


@pytest.mark.parametrize("n", [1, 2, 3, 1000])
def test_sixteen_byte_points_copy_their_xyz_and_nothing_of_the_field_after(n: int) -> None:
    """The 16-byte item copy writes each point's 4 trailing bytes onto the next point's x before that point's
    own copy: every float comes out exact (NaN bit patterns too), none of the rgb bytes, and the result does
    not share the payload's memory."""
    rng = np.random.default_rng(n)
    words = rng.integers(0, 2**32, (n, 4), dtype=np.uint32)  # any bits: NaNs and infinities included
    fields = [*XYZ_FIELDS, ("rgb", 12, 6, 1)]
    msg = PointCloud2Data(
        header=HeaderData(TimeData(0, 0), "cam"), height=1, width=n,
        fields=[PointFieldData(name, offset, datatype, count) for name, offset, datatype, count in fields],
        is_bigendian=False, point_step=16, row_step=16 * n, data=words.view(np.uint8).reshape(-1), is_dense=False,
    )
    got = pointcloud2_to_xyz(msg, skip_nans=False)
    assert got.shape == (n, 3) and got.flags.c_contiguous and got.dtype == np.float32
    np.testing.assert_array_equal(got.view(np.uint32), words[:, :3])
    assert not np.shares_memory(got, msg.data)


def test_organized_cloud_with_row_padding_keeps_nans_and_grid() -> None:
    xyz = np.arange(2 * 3 * 3, dtype=np.float32).reshape(6, 3)
    xyz[4] = np.nan
    msg = pack_cloud([*XYZ_FIELDS], xyz_points(xyz), point_step=16, height=2, row_pad=5)
    cloud = pointcloud2_to_cloud(msg)
    assert cloud.grid_shape == (2, 3) and len(cloud) == 6
    np.testing.assert_array_equal(cloud.xyz, xyz)  # NaN rows kept in place
    finite = pointcloud2_to_cloud(msg, skip_nans=True)
    assert finite.grid_shape is None and len(finite) == 5
    np.testing.assert_array_equal(finite.xyz, xyz[[0, 1, 2, 3, 5]])
    np.testing.assert_array_equal(pointcloud2_to_xyz(msg), xyz[[0, 1, 2, 3, 5]])
    assert pointcloud2_to_xyz(msg, skip_nans=False).shape == (6, 3)


def test_skip_nans_drops_infinite_rows_and_their_fields() -> None:
    xyz = np.array([[1, 2, 3], [np.inf, 0, 0], [0, -np.inf, 0], [4, 5, 6]], np.float32)
    points = xyz_points(xyz)
    for i, p in enumerate(points):
        p["ring"] = (i,)
    cloud = pointcloud2_to_cloud(pack_cloud([*XYZ_FIELDS, ("ring", 12, 2, 1)], points, 13), skip_nans=True)
    np.testing.assert_array_equal(cloud.xyz, xyz[[0, 3]])
    np.testing.assert_array_equal(cloud.fields["ring"], [0, 3])


@pytest.mark.parametrize(("name", "datatype"), [("rgb", 7), ("rgb", 6), ("rgba", 6), ("rgba", 7), ("rgb", 5)])
@pytest.mark.parametrize("big", [False, True])
def test_packed_colour_to_uint8_rgb(name: str, datatype: int, big: bool) -> None:
    colours = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [12, 34, 56]], np.uint8)
    points = xyz_points(np.zeros((4, 3), np.float32))
    for p, (r, g, b) in zip(points, colours.astype(np.uint32), strict=True):
        word = (0x80 << 24 if name == "rgba" else 0) | (int(r) << 16) | (int(g) << 8) | int(b)
        raw = struct.pack("<I", word)
        code = {7: "<f", 6: "<I", 5: "<i"}[datatype]
        p[name] = struct.unpack(code, raw)  # the same 32 bits, declared as float32, uint32 or int32
    cloud = pointcloud2_to_cloud(pack_cloud([*XYZ_FIELDS, (name, 16, datatype, 1)], points, 20, big=big))
    np.testing.assert_array_equal(cloud.rgb, colours)
    assert name not in cloud.fields


def test_separate_r_g_b_fields() -> None:
    points = xyz_points(np.zeros((2, 3), np.float32))
    points[0].update(r=(1,), g=(2,), b=(3,))
    points[1].update(r=(250,), g=(251,), b=(252,))
    fields = [*XYZ_FIELDS, ("b", 12, 2, 1), ("g", 13, 2, 1), ("r", 14, 2, 1)]
    cloud = pointcloud2_to_cloud(pack_cloud(fields, points, 16))
    np.testing.assert_array_equal(cloud.rgb, [[1, 2, 3], [250, 251, 252]])
    assert cloud.fields == {}


def test_no_copy_where_a_view_is_possible() -> None:
    xyz = np.arange(30, dtype=np.float32).reshape(10, 3)
    data = np.frombuffer(xyz.tobytes(), np.uint8).copy()
    msg = PointCloud2Data(
        HeaderData(), 1, 10, [PointFieldData(n, o, d) for n, o, d, _ in XYZ_FIELDS], False, 12, 120, data, True
    )
    assert np.shares_memory(pointcloud2_to_xyz(msg), data)
    assert np.shares_memory(pointcloud2_to_cloud(msg).xyz, data)
    points = xyz_points(xyz)
    for i, p in enumerate(points):
        p["ring"] = (i,)
    padded = pack_cloud([*XYZ_FIELDS, ("ring", 12, 4, 1)], points, 16)
    padded.data = np.frombuffer(padded.data, np.uint8).copy()
    cloud = pointcloud2_to_cloud(padded)
    assert np.shares_memory(cloud.fields["ring"], padded.data)
    owned = pointcloud2_to_cloud(padded, copy=True)
    assert not np.shares_memory(owned.fields["ring"], padded.data)
    assert not np.shares_memory(pointcloud2_to_cloud(msg, copy=True).xyz, data)
    np.testing.assert_array_equal(owned.fields["ring"], cloud.fields["ring"])
    assert view_pointcloud2(padded).points.base is not None


def test_empty_after_skipping_nans_raises() -> None:
    msg = pack_cloud([*XYZ_FIELDS], xyz_points(np.full((3, 3), np.nan, np.float32)), 12)
    assert len(pointcloud2_to_cloud(msg)) == 3  # kept when not skipping
    with pytest.raises(EmptyCloudError, match="got 0 of 3"):
        pointcloud2_to_xyz(msg)


def test_writer_layout_and_packed_colour_match_the_pcl_convention() -> None:
    rgb = np.array([[1, 2, 3], [200, 100, 50]], np.uint8)
    cloud = PointCloud(
        xyz=np.array([[1, 2, 3], [4, 5, 6]], np.float32),
        rgb=rgb,
        intensity=np.array([0.5, 0.25], np.float32),
        fields={"ring": np.array([7, 8], np.uint16), "flag": np.array([True, False]), "t": np.ones((2, 2))},
        frame_id="base",
        stamp_ns=-1,
    )
    msg = cloud_to_pointcloud2(cloud)
    assert [(f.name, f.offset, f.datatype, f.count) for f in msg.fields] == [
        ("x", 0, 7, 1),
        ("y", 4, 7, 1),
        ("z", 8, 7, 1),
        ("rgb", 12, 7, 1),
        ("intensity", 16, 7, 1),
        ("ring", 20, 4, 1),
        ("flag", 22, 2, 1),
        ("t", 23, 8, 2),
    ]
    assert msg.point_step == 39 and msg.row_step == 78 and msg.data.size == 78 and msg.is_dense
    assert (msg.header.frame_id, msg.header.stamp.sec, msg.header.stamp.nanosec) == ("base", -1, 999_999_999)
    raw = bytes(msg.data)
    word = struct.unpack_from("<I", raw, 39 + 12)[0]
    assert word == (200 << 16) | (100 << 8) | 50
    assert struct.unpack_from("<fffffHBdd", raw, 39)[5:] == (8, 0, 1.0, 1.0)
    back = pointcloud2_to_cloud(msg)
    np.testing.assert_array_equal(back.rgb, rgb)
    np.testing.assert_array_equal(back.fields["flag"], [1, 0])
    assert back.stamp_ns == -1


def test_writer_big_endian_organized_round_trip() -> None:
    xyz = np.arange(24, dtype=np.float32).reshape(8, 3)
    xyz[2] = np.nan
    cloud = PointCloud(xyz=xyz, rgb=np.full((8, 3), 9, np.uint8), grid_shape=(2, 4))
    msg = cloud_to_pointcloud2(cloud, frame_id="cam", stamp_ns=5, rgb_datatype=6, is_bigendian=True)
    assert (msg.height, msg.width, msg.is_bigendian, msg.is_dense) == (2, 4, True, False)
    assert struct.unpack_from(">fff", bytes(msg.data), 16) == (3.0, 4.0, 5.0)
    back = pointcloud2_to_cloud(msg)
    assert back.grid_shape == (2, 4)
    np.testing.assert_array_equal(back.xyz, xyz)
    np.testing.assert_array_equal(back.rgb, cloud.rgb)


def test_writer_rejects_what_pointcloud2_cannot_hold() -> None:
    from perception import ShapeError

    with pytest.raises(ShapeError, match="got int64"):
        cloud_to_pointcloud2(PointCloud(xyz=np.zeros((2, 3), np.float32), fields={"id": np.arange(2)}))
    with pytest.raises(ShapeError, match="got 'rgb'"):
        cloud_to_pointcloud2(PointCloud(xyz=np.zeros((2, 3), np.float32), fields={"rgb": np.zeros(2, np.float32)}))
