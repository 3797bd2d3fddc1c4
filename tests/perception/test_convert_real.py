"""Conversions on real third-party data (../shared/extdata, see its SOURCES.md), against independent references:
struct unpacking, PCL's own back-projection, open3d, rosbags and pypcd4."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import open3d as o3d
import pytest
from PIL import Image
from pypcd4 import PointCloud as PcdCloud
from rosbags.highlevel import AnyReader
from rosbags.typesys import Stores, get_typestore

from perception import CameraIntrinsics, PointCloud
from perception.convert import (
    array_to_image,
    cloud_to_pointcloud2,
    depth_to_cloud,
    image_to_depth_m,
    pointcloud2_to_cloud,
    pointcloud2_to_xyz,
)

TYPESTORE = get_typestore(Stores.ROS2_KILTED)
KINECT = "pcl-kinect/grabber_sequences"
KINECT_FRAME = "frame_20121214T142255.814212"


@pytest.fixture(scope="module")
def lidar_cdr(extdata: Path) -> bytes:
    return (extdata / "cloudini-lidar" / "dds_message_PointCloud2.cdr").read_bytes()


@pytest.fixture(scope="module")
def lidar_msg(lidar_cdr: bytes) -> object:
    return TYPESTORE.deserialize_cdr(lidar_cdr, "sensor_msgs/msg/PointCloud2")


def test_lidar_cdr_is_one_message_plus_alignment_padding(lidar_cdr: bytes, lidar_msg: object) -> None:
    # The DDS payload is padded to a multiple of 4 bytes; rosbags ignores the tail when reading and does not
    # write it, so the file is the re-serialization plus three zero bytes, not a different message.
    again = bytes(TYPESTORE.serialize_cdr(lidar_msg, "sensor_msgs/msg/PointCloud2"))
    assert len(lidar_cdr) == len(again) + 3 and len(lidar_cdr) % 4 == 0
    assert lidar_cdr[: len(again)] == again
    assert lidar_cdr[len(again) :] == b"\0\0\0"


def test_lidar_every_field_matches_struct_unpacking(lidar_msg: object) -> None:
    msg = lidar_msg
    assert (msg.height, msg.width, msg.point_step, msg.is_bigendian) == (1, 64000, 26, False)  # type: ignore[attr-defined]
    cloud = pointcloud2_to_cloud(msg)
    raw = bytes(msg.data)  # type: ignore[attr-defined]
    assert cloud.frame_id == "lidar_link"
    assert cloud.stamp_ns == 1714506077 * 10**9 + 250967979
    assert set(cloud.fields) == {"ring", "timestamp"} and cloud.rgb is None
    sample = np.unique(np.concatenate([[0, 1, 63999], np.random.default_rng(0).integers(0, 64000, 2000)]))
    # Independent reference: each point's 26 bytes unpacked with struct (x, y, z, intensity f32, ring u16, time f64).
    reference = np.array([struct.unpack_from("<ffffHd", raw, 26 * i) for i in sample], dtype=np.float64)
    np.testing.assert_array_equal(cloud.xyz[sample], reference[:, :3].astype(np.float32))
    np.testing.assert_array_equal(cloud.intensity[sample], reference[:, 3].astype(np.float32))  # type: ignore[index]
    np.testing.assert_array_equal(cloud.fields["ring"][sample], reference[:, 4].astype(np.uint16))
    np.testing.assert_array_equal(cloud.fields["timestamp"][sample], reference[:, 5])
    # This driver reports no return as (0, 0, 0), not NaN, so nothing is dropped.
    assert np.isfinite(cloud.xyz).all() and (cloud.xyz == 0).all(axis=1).sum() == 4578
    np.testing.assert_array_equal(pointcloud2_to_xyz(msg), cloud.xyz)


def test_lidar_arrays_equal_pypcd4(lidar_msg: object) -> None:
    cloud = pointcloud2_to_cloud(lidar_msg)
    peer = PcdCloud.from_msg(lidar_msg)
    np.testing.assert_array_equal(cloud.xyz, peer.numpy(("x", "y", "z")))
    np.testing.assert_array_equal(cloud.intensity, peer.numpy(("intensity",))[:, 0])  # type: ignore[index]
    np.testing.assert_array_equal(cloud.fields["ring"], peer.numpy(("ring",))[:, 0])
    np.testing.assert_array_equal(cloud.fields["timestamp"], peer.numpy(("timestamp",))[:, 0])


def test_synthetic_clouds_agree_with_pypcd4_both_ways() -> None:
    rng = np.random.default_rng(4)
    n = 300
    ours = PointCloud(
        xyz=rng.normal(size=(n, 3)).astype(np.float32),
        rgb=rng.integers(0, 256, (n, 3), dtype=np.uint8),
        intensity=rng.random(n).astype(np.float32),
        fields={
            "ring": rng.integers(0, 128, n).astype(np.uint16),
            "t": rng.random(n),
            "label": rng.integers(-5, 5, n).astype(np.int8),
        },
    )
    msg = cloud_to_pointcloud2(ours)
    peer = PcdCloud.from_msg(msg)  # pypcd4 reads our message
    np.testing.assert_array_equal(peer.numpy(("x", "y", "z")), ours.xyz)
    np.testing.assert_array_equal(PcdCloud.decode_rgb(peer.numpy(("rgb",))[:, 0].astype(np.float32)), ours.rgb)
    for name in ("ring", "t", "label"):
        np.testing.assert_array_equal(peer.numpy((name,))[:, 0], ours.fields[name])
    # ... and we read a cloud pypcd4 encoded: its packed float rgb and its field layout.
    packed = PcdCloud.encode_rgb(ours.rgb)
    theirs = PcdCloud.from_xyzrgb_points(np.column_stack([ours.xyz, packed.astype(np.float64)]))
    back = pointcloud2_to_cloud(theirs.to_msg())  # pypcd4 builds an rclpy message (rosbags without rclpy)
    np.testing.assert_array_equal(back.xyz, ours.xyz)
    np.testing.assert_array_equal(back.rgb, ours.rgb)


def test_kinect_depth_back_projection_equals_pcl(extdata: Path) -> None:
    folder = extdata / KINECT
    depth_mm = np.array(Image.open(folder / "tiff" / f"{KINECT_FRAME}_depth.tiff"))
    rgb = np.array(Image.open(folder / "tiff" / f"{KINECT_FRAME}_rgb.tiff").convert("RGB"))
    assert depth_mm.dtype == np.uint16 and depth_mm.shape == (480, 640) and rgb.shape == (480, 640, 3)
    # The intrinsics XML of the sequence: fx = fy = 525, cx = 320, cy = 240, z factor 0.001 (millimetres).
    xml = (folder / "pclzf" / f"{KINECT_FRAME}.xml").read_text()
    assert "<focal_length_x>525</focal_length_x>" in xml and "<z_multiplication_factor>0.001" in xml
    K = CameraIntrinsics(K=np.array([[525.0, 0, 320], [0, 525, 240], [0, 0, 1]]), width=640, height=480)
    cloud = depth_to_cloud(depth_mm, K, rgb=rgb, depth_scale=1000.0)
    pcd = PcdCloud.from_path(folder / "pcd" / f"{KINECT_FRAME}.pcd")
    assert (pcd.metadata.width, pcd.metadata.height) == (640, 480)
    ref_xyz = np.column_stack([pcd.pc_data["x"], pcd.pc_data["y"], pcd.pc_data["z"]])
    np.testing.assert_array_equal(np.isnan(cloud.xyz), np.isnan(ref_xyz))
    np.testing.assert_allclose(cloud.xyz, ref_xyz, rtol=0, atol=1e-6)  # NaNs compare equal
    rgba = pcd.pc_data["rgba"].astype(np.uint32)
    ref_rgb = np.column_stack([(rgba >> 16) & 255, (rgba >> 8) & 255, rgba & 255]).astype(np.uint8)
    np.testing.assert_array_equal(cloud.rgb, ref_rgb)


def test_tum_depth_scale_5000_equals_open3d(extdata: Path) -> None:
    path = extdata / "open3d-testdata" / "RGBD" / "other_formats" / "TUM_depth.png"
    depth = np.array(Image.open(path))
    assert depth.dtype == np.uint16
    h, w = depth.shape
    fx, fy, cx, cy = 525.0, 525.0, 319.5, 239.5  # open3d's PrimeSenseDefault, the camera of this frame
    ref = o3d.geometry.PointCloud.create_from_depth_image(
        o3d.geometry.Image(depth),
        o3d.camera.PinholeCameraIntrinsic(w, h, fx, fy, cx, cy),
        depth_scale=5000.0,
        depth_trunc=1e6,
        project_valid_depth_only=False,
    )
    ref_xyz = np.asarray(ref.points)  # (H * W, 3) float64, NaN where the depth is 0
    # The same image through a 16UC1 message, so the message path is what is compared.
    depth_m = image_to_depth_m(array_to_image(depth, "16UC1"), depth_scale=5000.0)
    K = CameraIntrinsics(K=np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]]), width=w, height=h)
    cloud = depth_to_cloud(depth_m, K)
    valid = depth > 0
    assert valid.mean() > 0.5
    np.testing.assert_array_equal(np.isnan(cloud.xyz[:, 2]), ~valid.reshape(-1))
    np.testing.assert_allclose(cloud.xyz[valid.reshape(-1)], ref_xyz[valid.reshape(-1)], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(depth_to_cloud(depth, K, depth_scale=5000.0).xyz, cloud.xyz, rtol=1e-6)


@pytest.mark.parametrize(("storage", "suffix"), [("mcap", "mcap"), ("sqlite3", "db3")])
def test_rosbag2_talker_bags_open_and_read(extdata: Path, storage: str, suffix: str) -> None:
    folder = extdata / "rosbag2-talker" / storage / "talker"
    with AnyReader([folder], default_typestore=TYPESTORE) as reader:  # the rosbag2 folder with its metadata.yaml
        counts = {(c.topic, c.msgtype): c.msgcount for c in reader.connections}
    assert counts[("/topic", "std_msgs/msg/String")] == 10
    # The metadata.yaml of these fixtures records other QoS values than the storage file (deadline 0 versus
    # "infinite"), and rosbags' folder reader matches connections on QoS too, so through the folder it yields
    # no message. The storage file itself carries its own connections and reads in full.
    with AnyReader([folder / f"talker.{suffix}"], default_typestore=TYPESTORE) as reader:
        connections = [c for c in reader.connections if c.topic == "/topic"]
        texts = [reader.deserialize(raw, c.msgtype).data for c, _, raw in reader.messages(connections=connections)]
    assert texts == [f"Hello, world! {i}" for i in range(10)]
