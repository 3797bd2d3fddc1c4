"""Fuzzing the message converters (issue 9): arbitrary field layouts, geometry and bytes.

The only outcomes allowed are a correct result or perception's own exception (PerceptionError): no other
exception type, no crash, no hang. The budget is GROUND3D_FUZZ_EXAMPLES examples per test (default 100;
``make fuzz`` raises it).
"""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perception import CameraIntrinsics, PerceptionError
from perception.convert import (
    CameraInfoData,
    HeaderData,
    ImageData,
    PointCloud2Data,
    PointFieldData,
    RegionOfInterestData,
    camera_info_to_intrinsics,
    depth_to_cloud,
    image_to_array,
    image_to_depth_m,
    image_to_rgb,
    pointcloud2_to_cloud,
    pointcloud2_to_xyz,
)

pytestmark = pytest.mark.fuzz
FUZZ = settings(
    max_examples=int(os.environ.get("GROUND3D_FUZZ_EXAMPLES", "100")),
    # The default CI budget replays the same examples every run; a raised budget (make fuzz) explores anew.
    derandomize="GROUND3D_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
STRUCT_CODES = {1: "b", 2: "B", 3: "h", 4: "H", 5: "i", 6: "I", 7: "f", 8: "d"}
SIZES = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 8: 8}

field_strategy = st.builds(
    PointFieldData,
    name=st.sampled_from(["x", "y", "z", "rgb", "rgba", "intensity", "r", "g", "b", "ring", ""]),
    offset=st.integers(-2, 40),
    datatype=st.integers(-1, 10),
    count=st.integers(-1, 4),
)


@st.composite
def clouds(draw: st.DrawFn) -> PointCloud2Data:
    fields = draw(st.lists(field_strategy, max_size=7))
    if draw(st.booleans()):  # often start from a sane x, y, z so the deeper paths get exercised
        fields = [PointFieldData("x", 0, 7), PointFieldData("y", 4, 7), PointFieldData("z", 8, 7), *fields]
    point_step = draw(st.integers(-1, 48))
    width, height = draw(st.integers(0, 6)), draw(st.integers(0, 3))
    row_step = max(point_step, 0) * width + draw(st.integers(-3, 5))
    size = max(row_step * height + draw(st.integers(-2, 2)), 0)
    data = draw(st.one_of(st.binary(min_size=size, max_size=size), st.just(b"\xff" * size), st.just(b"\0" * size)))
    return PointCloud2Data(
        HeaderData(), height, width, fields, draw(st.booleans()), point_step, row_step, data, draw(st.booleans())
    )


def _first_point_coordinate(msg: PointCloud2Data, name: str) -> float | None:
    """x, y or z of point 0 unpacked with struct, as an independent check of a successful read."""
    spec = next(f for f in msg.fields if f.name == name)
    code = ">" if msg.is_bigendian else "<"
    return float(np.float32(struct.unpack_from(code + STRUCT_CODES[spec.datatype], bytes(msg.data), spec.offset)[0]))


@FUZZ
@given(msg=clouds(), skip_nans=st.booleans())
def test_pointcloud2_reader_gives_a_correct_cloud_or_a_perception_error(msg: PointCloud2Data, skip_nans: bool) -> None:
    try:
        cloud = pointcloud2_to_cloud(msg, skip_nans=skip_nans)
    except PerceptionError:
        return
    n = msg.width * msg.height
    assert cloud.xyz.dtype == np.float32 and cloud.xyz.shape[1] == 3
    assert len(cloud) == n if not skip_nans else 1 <= len(cloud) <= n
    assert all(len(v) == len(cloud) for v in cloud.fields.values())
    if not skip_nans:
        for axis, name in enumerate("xyz"):
            np.testing.assert_array_equal(cloud.xyz[0, axis], _first_point_coordinate(msg, name))
    xyz = pointcloud2_to_xyz(msg, skip_nans=skip_nans)
    np.testing.assert_array_equal(xyz, cloud.xyz)


ENCODING_NAMES = ["rgb8", "bgr8", "rgba8", "bgra8", "mono8", "8UC1", "mono16", "16UC1", "32FC1", "yuv422", "", "16SC1"]


@st.composite
def images(draw: st.DrawFn) -> ImageData:
    width, height = draw(st.integers(0, 6)), draw(st.integers(0, 4))
    step = draw(st.integers(-1, 30))
    size = max(step * height + draw(st.integers(-2, 2)), 0)
    return ImageData(
        HeaderData(),
        height,
        width,
        draw(st.sampled_from(ENCODING_NAMES)),
        draw(st.integers(0, 1)),
        step,
        draw(st.binary(min_size=size, max_size=size)),
    )


@FUZZ
@given(msg=images(), scale=st.sampled_from([1000.0, 5000.0, 0.0, -1.0, float("nan")]))
def test_image_readers_give_a_correct_array_or_a_perception_error(msg: ImageData, scale: float) -> None:
    for convert in (image_to_array, image_to_rgb, lambda m: image_to_depth_m(m, scale)):
        try:
            out = convert(msg)
        except PerceptionError:
            continue
        assert out.shape[:2] == (msg.height, msg.width)


@FUZZ
@given(
    k=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=0, max_size=10),
    p=st.lists(st.floats(width=64), min_size=12, max_size=12),
    width=st.integers(0, 2000),
    height=st.integers(0, 2000),
    binning=st.integers(0, 4),
    roi=st.tuples(st.integers(0, 100), st.integers(0, 100), st.integers(0, 500), st.integers(0, 500)),
    rectified=st.booleans(),
)
def test_camera_info_gives_intrinsics_or_a_perception_error(
    k: list[float],
    p: list[float],
    width: int,
    height: int,
    binning: int,
    roi: tuple[int, int, int, int],
    rectified: bool,
) -> None:
    msg = CameraInfoData(
        HeaderData(),
        height,
        width,
        "plumb_bob",
        [0.0] * 5,
        k,
        [0.0] * 9,
        p,
        binning,
        binning,
        RegionOfInterestData(*roi),
    )
    try:
        intrinsics = camera_info_to_intrinsics(msg, rectified=rectified)
    except PerceptionError:
        return
    assert intrinsics.fx > 0 and intrinsics.fy > 0 and intrinsics.width > 0 and intrinsics.height > 0


@FUZZ
@given(
    dtype=st.sampled_from([np.uint16, np.float32, np.float64, np.int32, np.uint8, np.float16]),
    fill=st.sampled_from([0.0, 1.0, np.nan, np.inf, -1.0, 65535.0]),
    shape=st.sampled_from([(3, 4), (4, 3), (3,)]),
    scale=st.sampled_from([None, 1000.0, 0.0, -5.0, float("inf")]),
)
def test_depth_gives_a_cloud_or_a_perception_error(
    dtype: type, fill: float, shape: tuple[int, ...], scale: float | None
) -> None:
    with np.errstate(invalid="ignore", over="ignore"):
        depth = np.full(shape, fill).astype(dtype)
    try:
        cloud = depth_to_cloud(depth, CameraIntrinsics.from_fov(4, 3, 1.0), depth_scale=scale)
    except PerceptionError:
        return
    assert cloud.xyz.shape == (12, 3) and cloud.grid_shape == (3, 4)
    valid = np.isfinite(cloud.xyz).all(axis=1)
    assert (cloud.xyz[valid, 2] > 0).all()
