"""Property tests (hypothesis): array -> PointCloud2 -> array and image -> Image -> image over random layouts.

Messages are packed point by point with ``struct`` from random layouts (datatypes, counts, offsets, padding,
byte order, organized rows with row padding), so the reader is checked against an independent packer.
"""

from __future__ import annotations

import struct

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perception import PointCloud
from perception.convert import (
    ENCODINGS,
    HeaderData,
    ImageData,
    PointCloud2Data,
    PointFieldData,
    array_to_image,
    cloud_to_pointcloud2,
    image_to_array,
    pointcloud2_to_cloud,
)
from tests.perception._pointfield_types import NUMPY_TYPES, STRUCT_CODES

SETTINGS = settings(
    max_examples=60, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def layouts(draw: st.DrawFn) -> tuple[list[tuple[str, int, int, int]], int]:
    """Fields (name, offset, datatype, count) in a random order with random gaps, and the point_step."""
    extra = st.lists(st.sampled_from(["intensity", "ring", "t", "a", "b"]), unique=True, max_size=3)
    names = ["x", "y", "z", *draw(extra)]
    names = draw(st.permutations(names))
    fields = []
    offset = draw(st.integers(0, 3))
    for name in names:
        datatype = draw(st.sampled_from([7, 8]) if name in "xyz" else st.integers(1, 8))
        count = 1 if name in ("x", "y", "z", "intensity") else draw(st.integers(1, 3))
        fields.append((name, offset, datatype, count))
        offset += np.dtype(NUMPY_TYPES[datatype]).itemsize * count + draw(st.integers(0, 5))
    return fields, offset + draw(st.integers(0, 3))


def random_values(rng: np.random.Generator, datatype: int, shape: tuple[int, ...]) -> np.ndarray:
    dtype = np.dtype(NUMPY_TYPES[datatype])
    if dtype.kind == "f":
        return rng.normal(scale=100.0, size=shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)


@SETTINGS
@given(
    layout=layouts(),
    height=st.integers(1, 3),
    width=st.integers(1, 4),
    row_pad=st.integers(0, 7),
    big=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_packed_messages_read_back_exactly(
    layout: tuple[list[tuple[str, int, int, int]], int], height: int, width: int, row_pad: int, big: bool, seed: int
) -> None:
    fields, point_step = layout
    rng = np.random.default_rng(seed)
    n = height * width
    values = {name: random_values(rng, dt, (n, count)) for name, _, dt, count in fields}
    row_step = width * point_step + row_pad
    data = bytearray(rng.integers(0, 256, row_step * height, dtype=np.uint8).tobytes())  # junk in the padding
    order = ">" if big else "<"
    for i in range(n):
        base = (i // width) * row_step + (i % width) * point_step
        for name, offset, dt, count in fields:
            struct.pack_into(f"{order}{count}{STRUCT_CODES[dt]}", data, base + offset, *values[name][i].tolist())
    msg = PointCloud2Data(
        HeaderData(),
        height,
        width,
        [PointFieldData(*f) for f in fields],
        big,
        point_step,
        row_step,
        bytes(data),
        False,
    )
    cloud = pointcloud2_to_cloud(msg)
    expected_xyz = np.column_stack([values[c][:, 0] for c in "xyz"]).astype(np.float32)
    np.testing.assert_array_equal(cloud.xyz, expected_xyz)
    assert cloud.grid_shape == ((height, width) if height > 1 else None)
    if "intensity" in values:
        np.testing.assert_array_equal(cloud.intensity, values["intensity"][:, 0].astype(np.float32))  # type: ignore[arg-type]
    for name, _, _, count in fields:
        if name not in ("x", "y", "z", "intensity"):
            got = cloud.fields[name]
            assert got.dtype == values[name].dtype
            np.testing.assert_array_equal(got, values[name][:, 0] if count == 1 else values[name])


EXTRA_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.float32, np.float64, np.bool_]


@st.composite
def written_clouds(draw: st.DrawFn, max_points: int, max_extras: int, organized: bool) -> tuple[PointCloud, int, bool]:
    """A cloud of up to ``max_points`` points, a fifth of them NaN, with or without colour and intensity and with
    up to ``max_extras`` extra fields (dtype, count; count 0 is an (N,) array), and the writer's options:
    (cloud, rgb_datatype, big endian)."""
    n = draw(st.integers(0, max_points))
    with_rgb, with_intensity = draw(st.booleans()), draw(st.booleans())
    extras = draw(st.lists(st.tuples(st.sampled_from(EXTRA_DTYPES), st.integers(0, 3)), max_size=max_extras))
    grid = (2, n // 2) if organized and draw(st.booleans()) and n >= 2 and n % 2 == 0 else None
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    xyz = rng.normal(size=(n, 3)).astype(np.float32)
    if n:
        xyz[rng.random(n) < 0.2] = np.nan
    fields = {}
    for k, (dtype, count) in enumerate(extras):
        shape = (n,) if count == 0 else (n, count)
        if np.dtype(dtype) == np.bool_:
            fields[f"f{k}"] = rng.random(shape) < 0.5
        else:
            code = next(c for c, t in NUMPY_TYPES.items() if np.dtype(t) == np.dtype(dtype))
            fields[f"f{k}"] = random_values(rng, code, shape)
    cloud = PointCloud(
        xyz=xyz,
        rgb=rng.integers(0, 256, (n, 3), dtype=np.uint8) if with_rgb else None,
        intensity=rng.random(n).astype(np.float32) if with_intensity else None,
        fields=fields,
        frame_id="f",
        stamp_ns=int(rng.integers(-(2**40), 2**62)),
        grid_shape=grid,
    )
    return cloud, draw(st.sampled_from([6, 7])), draw(st.booleans())


@SETTINGS
@given(case=written_clouds(max_points=20, max_extras=4, organized=True))
def test_cloud_to_pointcloud2_and_back(case: tuple[PointCloud, int, bool]) -> None:
    cloud, rgb_datatype, big = case
    n, xyz, fields, grid = len(cloud), cloud.xyz, cloud.fields, cloud.grid_shape
    msg = cloud_to_pointcloud2(cloud, rgb_datatype=rgb_datatype, is_bigendian=big)
    assert msg.data.size == msg.row_step * msg.height
    if n == 0:
        return  # an empty cloud is a valid message that has no point to read back (EmptyCloudError)
    back = pointcloud2_to_cloud(msg)
    np.testing.assert_array_equal(back.xyz, xyz)
    assert back.stamp_ns == cloud.stamp_ns and back.frame_id == "f"
    assert back.grid_shape == (grid if grid is not None and grid[0] > 1 else None)
    if cloud.rgb is not None:
        np.testing.assert_array_equal(back.rgb, cloud.rgb)
    if cloud.intensity is not None:
        np.testing.assert_array_equal(back.intensity, cloud.intensity)
    for name, values in fields.items():
        expected = values.reshape(n) if values.shape == (n, 1) else values  # count 1 reads back as (N,)
        assert back.fields[name].shape == expected.shape
        np.testing.assert_array_equal(
            back.fields[name], expected.astype(np.uint8) if values.dtype == np.bool_ else expected
        )


@SETTINGS
@given(case=written_clouds(max_points=40, max_extras=2, organized=False))
def test_cloud_to_pointcloud2_payload_is_a_structured_array_of_its_fields(case: tuple[PointCloud, int, bool]) -> None:
    """Every byte of the payload, the rgb word's zero top byte included, against numpy's own packing of the
    fields the message declares: the writer's fast paths (16-byte points, the one-pass colour word) must not
    leave a byte another field's write was meant to cover."""
    cloud, rgb_datatype, big = case
    n = len(cloud)
    msg = cloud_to_pointcloud2(cloud, rgb_datatype=rgb_datatype, is_bigendian=big)
    order = ">" if big else "<"
    formats = [
        (order + ("u4" if f.name == "rgb" else np.dtype(NUMPY_TYPES[f.datatype]).str[1:]), (f.count,))
        for f in msg.fields
    ]
    expected = np.zeros(n, np.dtype({
        "names": [f.name for f in msg.fields],
        "formats": formats,
        "offsets": [f.offset for f in msg.fields],
        "itemsize": msg.point_step,
    }))
    for axis, name in enumerate("xyz"):
        expected[name][:, 0] = cloud.xyz[:, axis]
    if cloud.rgb is not None:
        r, g, b = cloud.rgb.astype(np.uint32).T
        expected["rgb"][:, 0] = (r << 16) | (g << 8) | b
    if cloud.intensity is not None:
        expected["intensity"][:, 0] = cloud.intensity
    for name, values in cloud.fields.items():
        expected[name] = values.reshape(n, expected[name].shape[1])
    assert bytes(msg.data) == expected.tobytes()


@SETTINGS
@given(
    encoding=st.sampled_from(sorted(ENCODINGS)),
    height=st.integers(1, 5),
    width=st.integers(1, 6),
    pad=st.integers(0, 9),
    big=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_image_round_trips(encoding: str, height: int, width: int, pad: int, big: bool, seed: int) -> None:
    spec = ENCODINGS[encoding]
    rng = np.random.default_rng(seed)
    shape = (height, width) if spec.channels == 1 else (height, width, spec.channels)
    if spec.dtype.kind == "f":
        pixels = rng.normal(size=shape).astype(spec.dtype)
    else:
        pixels = rng.integers(0, np.iinfo(spec.dtype).max, size=shape, endpoint=True).astype(spec.dtype)
    # image -> Image (ours) -> image
    msg = array_to_image(pixels, encoding, is_bigendian=big)
    np.testing.assert_array_equal(image_to_array(msg), pixels)
    # a hand-packed Image with row padding -> image
    code = {np.dtype(np.uint8): "B", np.dtype(np.uint16): "H", np.dtype(np.float32): "f"}[spec.dtype]
    rows = [
        struct.pack(f"{'>' if big else '<'}{width * spec.channels}{code}", *pixels[r].reshape(-1).tolist())
        + b"\x5a" * pad
        for r in range(height)
    ]
    padded = ImageData(HeaderData(), height, width, encoding, int(big), len(rows[0]), b"".join(rows))
    np.testing.assert_array_equal(image_to_array(padded), pixels)
