"""The message dataclasses build real rosbags and rclpy messages, which serialize to the same CDR bytes
and convert back to the same arrays."""

from __future__ import annotations

import array
import importlib

import numpy as np
import pytest
from rosbags.typesys import Stores, get_typestore

from perception import CameraIntrinsics, PointCloud
from perception.convert import (
    PointCloud2Data,
    TimeData,
    array_to_image,
    build_message,
    camera_info_to_intrinsics,
    cloud_to_pointcloud2,
    image_to_array,
    intrinsics_to_camera_info,
    make_header,
    message_buffer,
    ns_to_time,
    pointcloud2_to_cloud,
    stamp_to_ns,
)

TYPESTORE = get_typestore(Stores.ROS2_KILTED)


def rclpy_class(name: str) -> type:
    """sensor_msgs/msg/PointCloud2 -> sensor_msgs.msg.PointCloud2 (the rclpy message class)."""
    package, _, cls = name.split("/")
    return getattr(importlib.import_module(f"{package}.msg"), cls)  # type: ignore[no-any-return]


def sample_cloud() -> PointCloud:
    rng = np.random.default_rng(0)
    return PointCloud(
        xyz=rng.normal(size=(50, 3)).astype(np.float32),
        rgb=rng.integers(0, 256, (50, 3), dtype=np.uint8),
        intensity=rng.random(50).astype(np.float32),
        fields={"ring": np.arange(50, dtype=np.uint16)},
        frame_id="lidar",
        stamp_ns=1_700_000_000_123_456_789,
    )


def test_stamps_round_trip_and_stay_normalised() -> None:
    for ns in (0, 1, 1_700_000_000_123_456_789, -1, -1_500_000_000):
        t = ns_to_time(ns)
        assert 0 <= t.nanosec < 1_000_000_000
        assert stamp_to_ns(make_header("f", ns)) == ns
    assert ns_to_time(-1) == TimeData(sec=-1, nanosec=999_999_999)


def test_data_accepts_any_byte_buffer() -> None:
    msg = cloud_to_pointcloud2(sample_cloud())
    for raw in (bytes(msg.data), bytearray(msg.data), array.array("B", bytes(msg.data)), list(bytes(msg.data))):
        copy = PointCloud2Data(**{**msg.__dict__, "data": raw})
        np.testing.assert_array_equal(pointcloud2_to_cloud(copy).xyz, sample_cloud().xyz)


def test_rosbags_messages_serialize_and_convert_back() -> None:
    cloud = sample_cloud()
    msg = build_message(cloud_to_pointcloud2(cloud), TYPESTORE.types.__getitem__)
    assert type(msg).__msgtype__ == "sensor_msgs/msg/PointCloud2"
    decoded = TYPESTORE.deserialize_cdr(TYPESTORE.serialize_cdr(msg, msg.__msgtype__), msg.__msgtype__)
    back = pointcloud2_to_cloud(decoded)
    np.testing.assert_array_equal(back.xyz, cloud.xyz)
    np.testing.assert_array_equal(back.rgb, cloud.rgb)
    np.testing.assert_array_equal(back.fields["ring"], cloud.fields["ring"])
    assert (back.frame_id, back.stamp_ns) == ("lidar", cloud.stamp_ns)

    image = build_message(
        array_to_image(np.arange(12, dtype=np.uint16).reshape(3, 4), "16UC1"), TYPESTORE.types.__getitem__
    )
    decoded_image = TYPESTORE.deserialize_cdr(TYPESTORE.serialize_cdr(image, image.__msgtype__), image.__msgtype__)
    np.testing.assert_array_equal(image_to_array(decoded_image), np.arange(12).reshape(3, 4))

    intrinsics = CameraIntrinsics.from_fov(64, 48, 1.0)
    info = build_message(intrinsics_to_camera_info(intrinsics, "cam"), TYPESTORE.types.__getitem__)
    decoded_info = TYPESTORE.deserialize_cdr(TYPESTORE.serialize_cdr(info, info.__msgtype__), info.__msgtype__)
    np.testing.assert_array_equal(camera_info_to_intrinsics(decoded_info).K, intrinsics.K)


@pytest.mark.ros
def test_rclpy_messages_hold_the_payload_and_match_rosbags_cdr() -> None:
    from rclpy.serialization import serialize_message

    data = cloud_to_pointcloud2(sample_cloud())
    msg = build_message(data, rclpy_class)
    assert type(msg).__module__.startswith("sensor_msgs.msg")
    assert isinstance(msg.data, array.array) and msg.data.typecode == "B"
    assert isinstance(msg.fields[0], rclpy_class("sensor_msgs/msg/PointField"))
    # rclpy's own serializer (Fast CDR) writes what rosbags reads back as the same message.
    cdr = serialize_message(msg)
    rosbags_msg = build_message(data, TYPESTORE.types.__getitem__)
    assert len(cdr) == len(TYPESTORE.serialize_cdr(rosbags_msg, rosbags_msg.__msgtype__))
    decoded = TYPESTORE.deserialize_cdr(cdr, "sensor_msgs/msg/PointCloud2")
    assert bytes(decoded.data) == bytes(data.data)
    assert [(f.name, f.offset, f.datatype, f.count) for f in decoded.fields] == [
        (f.name, f.offset, f.datatype, f.count) for f in data.fields
    ]
    assert (decoded.header.frame_id, decoded.point_step, decoded.width) == ("lidar", data.point_step, 50)
    np.testing.assert_array_equal(pointcloud2_to_cloud(msg).xyz, sample_cloud().xyz)

    info = build_message(intrinsics_to_camera_info(CameraIntrinsics.from_fov(64, 48, 1.0), "cam", 5), rclpy_class)
    assert isinstance(info.d, array.array) and info.d.typecode == "d" and len(info.d) == 5
    decoded_info = TYPESTORE.deserialize_cdr(serialize_message(info), "sensor_msgs/msg/CameraInfo")
    np.testing.assert_array_equal(camera_info_to_intrinsics(decoded_info).K, CameraIntrinsics.from_fov(64, 48, 1.0).K)

    image = build_message(array_to_image(np.arange(24, dtype=np.uint8).reshape(2, 4, 3), "rgb8", "cam"), rclpy_class)
    np.testing.assert_array_equal(image_to_array(image), np.arange(24).reshape(2, 4, 3))


def test_message_buffer_is_a_zeroed_writable_view_of_an_array_array() -> None:
    view = message_buffer(24)
    assert view.dtype == np.uint8 and view.shape == (24,) and view.flags.writeable and not view.any()
    assert isinstance(view.base, memoryview) and isinstance(view.base.obj, array.array)
    view[3] = 7
    assert view.base.obj[3] == 7
    assert message_buffer(0).size == 0


@pytest.mark.ros
def test_rclpy_takes_the_writers_buffer_without_a_copy_and_copies_any_other_array() -> None:
    data = cloud_to_pointcloud2(sample_cloud())
    msg = build_message(data, rclpy_class)
    assert msg.data.buffer_info()[0] == data.data.ctypes.data  # the array the payload was written into
    assert bytes(msg.data) == bytes(data.data)
    n = data.data.size
    # Part of the buffer, or its bytes out of order, or a plain numpy array: copied, as they always were.
    for part in (data.data[: n // 2], data.data[n // 2 :], data.data[::2], data.data.copy()):
        other = build_message(PointCloud2Data(**{**data.__dict__, "data": part}), rclpy_class)
        assert other.data.buffer_info()[0] != data.data.ctypes.data
        assert bytes(other.data) == part.tobytes()
    pixels = array_to_image(np.arange(8, dtype=np.uint16).reshape(2, 4), "16UC1")
    assert build_message(pixels, rclpy_class).data.buffer_info()[0] == pixels.data.ctypes.data
