"""A written bag reads back with rosbags' AnyReader: right types, counts, stamps, frames and contents."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rosbags.highlevel import AnyReader

from perception.convert import camera_info_to_intrinsics, image_to_depth_m, image_to_rgb, pointcloud2_to_cloud
from sim.bag import TOPICS, BagConfig, write_bag
from sim.errors import SimError
from sim.scene import SceneConfig
from sim.sensors import LidarConfig, RGBDCameraConfig


def _config(storage: str) -> BagConfig:
    return BagConfig(
        seconds=0.5, rate_hz=8.0, storage=storage, seed=3, scene=SceneConfig(min_objects=6, max_objects=10,
                                                                             points_per_scene=1000),
        camera=RGBDCameraConfig(width=64, height=48), lidar=LidarConfig(rings=8, horizontal_resolution_deg=4.0),
    )


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_bag_reads_back_with_types_counts_and_stamps(tmp_path, storage):
    cfg = _config(storage)
    info = write_bag(tmp_path / "bag", cfg)
    frames = cfg.frames
    assert frames == 4
    with AnyReader([tmp_path / "bag"]) as reader:
        types = {c.topic: c.msgtype for c in reader.connections}
        assert types == TOPICS
        stamps: dict[str, list[int]] = {t: [] for t in TOPICS}
        msgs: dict[str, list] = {t: [] for t in TOPICS}
        for conn, t_ns, raw in reader.messages():
            msg = reader.deserialize(raw, conn.msgtype)
            msgs[conn.topic].append(msg)
            stamps[conn.topic].append(t_ns)
            if hasattr(msg, "header"):
                assert msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec == t_ns
    assert {t: len(v) for t, v in msgs.items()} == {**dict.fromkeys(TOPICS, frames), "/sim/objects": 1}
    assert info.counts == {t: len(v) for t, v in msgs.items()}
    cam_stamps = stamps["/camera/color/image_raw"]
    for topic in ("/camera/depth/image_raw", "/camera/depth/points", "/lidar/points", "/odom", "/tf"):
        assert stamps[topic] == cam_stamps, topic
    assert np.allclose(np.diff(cam_stamps), 1e9 / cfg.rate_hz)

    rgb = image_to_rgb(msgs["/camera/color/image_raw"][0])
    depth = image_to_depth_m(msgs["/camera/depth/image_raw"][0])
    intr = camera_info_to_intrinsics(msgs["/camera/camera_info"][0])
    assert rgb.shape == (48, 64, 3) and depth.shape == (48, 64) and (intr.width, intr.height) == (64, 48)
    assert msgs["/camera/color/image_raw"][0].header.frame_id == "camera_optical"
    lidar = pointcloud2_to_cloud(msgs["/lidar/points"][0])
    assert lidar.frame_id == "lidar" and lidar.grid_shape == (8, 90) and lidar.intensity is not None
    assert msgs["/odom"][0].child_frame_id == "camera_optical" and msgs["/odom"][0].header.frame_id == "map"
    tf_children = {t.child_frame_id for t in msgs["/tf"][0].transforms}
    assert tf_children == {"camera_optical", "lidar"}
    objects = json.loads(msgs["/sim/objects"][0].data)
    assert 6 <= len(objects) <= 10 and {"label", "color", "center", "size", "yaw"} <= set(objects[0])


def test_odometry_pose_matches_depth_cloud_geometry(tmp_path):
    """The odometry pose maps the depth cloud's camera-frame points onto the scene (floor at z = 0)."""
    info = write_bag(tmp_path / "bag", _config("mcap"))
    with AnyReader([info.path]) as reader:
        by_topic: dict[str, list] = {}
        for conn, _, raw in reader.messages():
            by_topic.setdefault(conn.topic, []).append(reader.deserialize(raw, conn.msgtype))
    odom, cloud_msg = by_topic["/odom"][1], by_topic["/camera/depth/points"][1]
    from scipy.spatial.transform import Rotation

    q = odom.pose.pose.orientation
    T = np.eye(4)
    T[:3, :3] = Rotation.from_quat([q.x, q.y, q.z, q.w]).as_matrix()
    T[:3, 3] = [odom.pose.pose.position.x, odom.pose.pose.position.y, odom.pose.pose.position.z]
    world = pointcloud2_to_cloud(cloud_msg).finite().transformed(T, "map").xyz
    assert len(world) > 100
    assert world[:, 2].min() > -0.05  # nothing below the floor
    assert (np.abs(world[:, 2]) < 0.02).mean() > 0.05  # some of the view is floor


def test_existing_path_is_refused(tmp_path):
    (tmp_path / "bag").mkdir()
    with pytest.raises(SimError, match="existing"):
        write_bag(tmp_path / "bag", _config("mcap"))
