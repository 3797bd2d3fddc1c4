"""Every malformed message of issue 9 gets a specific perception exception naming the expected and received values."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from perception import CameraIntrinsics, EmptyCloudError, MessageFormatError, PerceptionError, ShapeError
from perception.convert import (
    CameraInfoData,
    CameraInfoError,
    DataSizeError,
    EncodingError,
    HeaderData,
    ImageData,
    MissingFieldError,
    PointCloud2Data,
    PointFieldData,
    PointFieldError,
    array_to_image,
    camera_info_to_intrinsics,
    depth_to_cloud,
    image_to_array,
    image_to_depth_m,
    pointcloud2_to_cloud,
    pointcloud2_to_xyz,
)

XYZ = [PointFieldData("x", 0, 7), PointFieldData("y", 4, 7), PointFieldData("z", 8, 7)]


def cloud_msg(xyz: np.ndarray | None = None, **changes: object) -> PointCloud2Data:
    xyz = np.zeros((4, 3), np.float32) if xyz is None else xyz
    msg = PointCloud2Data(HeaderData(), 1, len(xyz), list(XYZ), False, 12, 12 * len(xyz), xyz.tobytes(), True)
    return replace(msg, **changes)


def test_pointcloud2_data_shorter_than_row_step_times_height() -> None:
    with pytest.raises(DataSizeError, match=r"expected row_step \* height = 48 \* 1 = 48 bytes, got 47"):
        pointcloud2_to_cloud(cloud_msg(data=bytes(47)))


def test_pointcloud2_data_longer_than_row_step_times_height() -> None:
    with pytest.raises(DataSizeError, match="= 48 bytes, got 52"):
        pointcloud2_to_xyz(cloud_msg(data=bytes(52)))


def test_pointcloud2_row_step_smaller_than_a_row() -> None:
    with pytest.raises(DataSizeError, match=r"row_step: expected >= width \* point_step = 4 \* 12 = 48, got 40"):
        pointcloud2_to_cloud(cloud_msg(row_step=40, data=bytes(40)))


def test_pointcloud2_point_step_smaller_than_its_fields() -> None:
    with pytest.raises(
        PointFieldError, match=r"'z': expected to end within point_step 10, got offset 8 \+ 1 x FLOAT32"
    ):
        pointcloud2_to_cloud(cloud_msg(point_step=10, row_step=40, data=bytes(40)))


def test_pointcloud2_overlapping_fields() -> None:
    fields = [*XYZ, PointFieldData("intensity", 6, 7)]
    with pytest.raises(PointFieldError, match=r"'intensity': expected offset >= 8 \(end of 'y'\), got 6"):
        pointcloud2_to_cloud(cloud_msg(fields=fields))


def test_pointcloud2_unknown_datatype() -> None:
    fields = [*XYZ[:2], PointFieldData("z", 8, 9)]
    with pytest.raises(PointFieldError, match=r"'z': expected datatype 1\.\.8 .*, got 9"):
        pointcloud2_to_cloud(cloud_msg(fields=fields))


def test_pointcloud2_count_zero() -> None:
    fields = [*XYZ, PointFieldData("ring", 12, 4, count=0)]
    with pytest.raises(PointFieldError, match="'ring': expected count >= 1, got 0"):
        pointcloud2_to_cloud(cloud_msg(fields=fields, point_step=14, row_step=56, data=bytes(56)))


def test_pointcloud2_duplicate_field_names() -> None:
    with pytest.raises(PointFieldError, match=r"expected unique names, got \['x'\]"):
        pointcloud2_to_cloud(
            cloud_msg(fields=[*XYZ, PointFieldData("x", 12, 2)], point_step=13, row_step=52, data=bytes(52))
        )


@pytest.mark.parametrize(("width", "height"), [(0, 1), (5, 0)])
def test_pointcloud2_without_points(width: int, height: int) -> None:
    with pytest.raises(EmptyCloudError, match=f"expected width \\* height > 0, got width {width} x height {height}"):
        pointcloud2_to_cloud(cloud_msg(width=width, height=height, row_step=12 * width, data=b""))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_pointcloud2_all_points_invalid(value: float) -> None:
    msg = cloud_msg(np.full((4, 3), value, np.float32))
    with pytest.raises(EmptyCloudError, match="expected at least one finite point, got 0 of 4"):
        pointcloud2_to_xyz(msg)
    with pytest.raises(EmptyCloudError):
        pointcloud2_to_cloud(msg, skip_nans=True)


@pytest.mark.parametrize("missing", ["x", "y", "z"])
def test_pointcloud2_missing_coordinate(missing: str) -> None:
    fields = [f for f in XYZ if f.name != missing]
    with pytest.raises(MissingFieldError, match=f"expected fields x, y and z, got .*missing \\['{missing}'\\]"):
        pointcloud2_to_xyz(cloud_msg(fields=fields))


def test_image_unknown_encoding() -> None:
    msg = array_to_image(np.zeros((2, 2, 3), np.uint8), "rgb8")
    with pytest.raises(EncodingError, match=r"expected one of \[.*'rgb8'.*\], got 'yuv422'"):
        image_to_array(replace(msg, encoding="yuv422"))


def test_image_step_too_small_for_the_width() -> None:
    msg = array_to_image(np.zeros((2, 5), np.uint16), "16UC1")
    with pytest.raises(
        DataSizeError, match=r"step: expected >= width \* bytes per pixel = 5 \* 2 = 10 for 16UC1, got 9"
    ):
        image_to_array(replace(msg, step=9, data=bytes(18)))


def test_image_data_of_the_wrong_length() -> None:
    msg = array_to_image(np.zeros((2, 5), np.uint16), "16UC1")
    with pytest.raises(DataSizeError, match=r"expected step \* height = 10 \* 2 = 20 bytes, got 19"):
        image_to_array(replace(msg, data=bytes(19)))


def test_depth_image_with_a_colour_encoding() -> None:
    with pytest.raises(EncodingError, match=r"expected a depth encoding \['16UC1', 'mono16', '32FC1'\], got 'rgb8'"):
        image_to_depth_m(array_to_image(np.zeros((2, 2, 3), np.uint8), "rgb8"))


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.float16])
def test_depth_array_with_the_wrong_dtype(dtype: type) -> None:
    intrinsics = CameraIntrinsics.from_fov(4, 3, 1.0)
    with pytest.raises(ShapeError, match=f"expected dtype uint16 .* or float32/float64 .*, got {np.dtype(dtype)}"):
        depth_to_cloud(np.ones((3, 4), dtype), intrinsics)


def test_array_to_image_with_the_wrong_dtype() -> None:
    with pytest.raises(ShapeError, match="expected dtype uint16 for 16UC1, got float32"):
        array_to_image(np.zeros((2, 2), np.float32), "16UC1")


def test_camera_info_all_zeros() -> None:
    zeros = CameraInfoData(HeaderData(), 0, 0, "", np.zeros(0), np.zeros(9), np.zeros(9), np.zeros(12))
    with pytest.raises(
        CameraInfoError, match=r"expected a calibrated camera \(K with fx, fy > 0\), got all-zero K and P"
    ):
        camera_info_to_intrinsics(zeros)


def test_camera_info_matrix_of_the_wrong_size() -> None:
    msg = CameraInfoData(HeaderData(), 480, 640, "", np.zeros(5), np.ones(6), np.zeros(9), np.zeros(12))
    with pytest.raises(CameraInfoError, match=r"CameraInfo\.k: expected 9 values, got 6"):
        camera_info_to_intrinsics(msg)


def test_every_message_error_is_a_message_format_error() -> None:
    for cls in (PointFieldError, MissingFieldError, DataSizeError, EncodingError, CameraInfoError):
        assert issubclass(cls, MessageFormatError) and issubclass(cls, PerceptionError)
    with pytest.raises(MessageFormatError, match=r"expected bytes in \[0, 255\], got values in \[0, 300\]"):
        ImageData(HeaderData(), 2, 2, "mono8", 0, 2, [0, 1, 2, 300])
