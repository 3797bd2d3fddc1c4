"""Writes a rosbag2 (mcap or sqlite3) of a robot driving through one sim scene, with rosbags (no ROS install).

Topics (all stamps from one simulated clock, frame ids consistent with /tf):

    /camera/color/image_raw   sensor_msgs/msg/Image rgb8            frame camera_optical
    /camera/depth/image_raw   sensor_msgs/msg/Image 16UC1 (mm)      frame camera_optical
    /camera/camera_info       sensor_msgs/msg/CameraInfo            frame camera_optical
    /camera/depth/points      sensor_msgs/msg/PointCloud2 (organized, rgb)   frame camera_optical
    /lidar/points             sensor_msgs/msg/PointCloud2 (organized, intensity, ring)   frame lidar
    /odom                     nav_msgs/msg/Odometry  map -> camera_optical
    /tf                       tf2_msgs/msg/TFMessage map -> camera_optical, map -> lidar
    /sim/objects              std_msgs/msg/String    objects.json records (ground truth, once)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from perception.convert import (
    array_to_image,
    build_message,
    cloud_to_pointcloud2,
    depth_to_cloud,
    intrinsics_to_camera_info,
)
from sim.bag.ros_messages import odometry, string, tf_message
from sim.errors import SimConfigError, SimError
from sim.scene.scene import SceneConfig, generate_scene
from sim.sensors.camera import RGBDCamera, RGBDCameraConfig
from sim.sensors.lidar import LidarConfig, VirtualLidar
from sim.sensors.raycaster import SceneRaycaster
from sim.sensors.trajectory import TrajectoryConfig, look_at_pose, walk_trajectory

WORLD_FRAME = "map"
CAMERA_FRAME = "camera_optical"
LIDAR_FRAME = "lidar"
START_NS = 1_700_000_000 * 1_000_000_000
"""Stamp of the first frame (a fixed clock, so two runs stamp alike)."""

TOPICS: dict[str, str] = {
    "/camera/color/image_raw": "sensor_msgs/msg/Image",
    "/camera/depth/image_raw": "sensor_msgs/msg/Image",
    "/camera/camera_info": "sensor_msgs/msg/CameraInfo",
    "/camera/depth/points": "sensor_msgs/msg/PointCloud2",
    "/lidar/points": "sensor_msgs/msg/PointCloud2",
    "/odom": "nav_msgs/msg/Odometry",
    "/tf": "tf2_msgs/msg/TFMessage",
    "/sim/objects": "std_msgs/msg/String",
}
"""Topic name -> ROS message type of every topic the bag holds."""


@dataclass
class BagConfig:
    """What ``write_bag`` records."""

    seconds: float = 5.0
    """Duration of the drive in seconds."""
    rate_hz: float = 10.0
    """Frame rate of camera, LiDAR, odometry and tf."""
    storage: str = "mcap"
    """rosbag2 storage plugin: ``mcap`` or ``sqlite3``."""
    seed: int = 0
    """Seed of the scene, the path and the sensor noise."""
    lidar_height_m: float = 0.4
    """Height of the LiDAR above the floor (mounted on the robot base under the camera)."""
    scene: SceneConfig = field(default_factory=SceneConfig)
    """Scene generation."""
    camera: RGBDCameraConfig = field(default_factory=lambda: RGBDCameraConfig(width=320, height=240))
    """RGB-D camera."""
    lidar: LidarConfig = field(default_factory=LidarConfig)
    """Spinning LiDAR."""
    trajectory: TrajectoryConfig = field(default_factory=lambda: TrajectoryConfig(arc_fraction=0.5))
    """The drive."""

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise SimConfigError(f"BagConfig.seconds: expected > 0, got {self.seconds}")
        if not self.rate_hz > 0:
            raise SimConfigError(f"BagConfig.rate_hz: expected > 0, got {self.rate_hz}")
        if self.storage not in ("mcap", "sqlite3"):
            raise SimConfigError(f"BagConfig.storage: expected 'mcap' or 'sqlite3', got {self.storage!r}")
        if self.lidar_height_m <= 0:
            raise SimConfigError(f"BagConfig.lidar_height_m: expected > 0, got {self.lidar_height_m}")

    @property
    def frames(self) -> int:
        """Number of frames F."""
        return max(1, round(self.seconds * self.rate_hz))


@dataclass
class BagInfo:
    """What was written."""

    path: Path
    """The bag folder."""
    counts: dict[str, int]
    """Messages per topic."""
    scene_id: str
    """Scene that was driven through."""


def lidar_pose(T_world_cam: np.ndarray, height_m: float) -> np.ndarray:
    """(4, 4) ``T_world_lidar``: below the camera at ``height_m``, x forward along the camera's heading, z up."""
    fwd = T_world_cam[:3, 2].copy()
    fwd[2] = 0.0
    fwd /= max(np.linalg.norm(fwd), 1e-9)
    T = np.eye(4)
    T[:3, 0], T[:3, 1], T[:3, 2] = fwd, np.cross([0.0, 0.0, 1.0], fwd), [0.0, 0.0, 1.0]
    T[:3, 3] = [T_world_cam[0, 3], T_world_cam[1, 3], height_m]
    return T


def write_bag(out: Path | str, config: BagConfig | None = None) -> BagInfo:
    """Generate scene ``config.seed`` and record a drive through it to the rosbag2 folder ``out``.

    Raises SimError when ``out`` already exists (rosbag2 never overwrites).
    """
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.typesys import Stores, get_typestore

    cfg = config or BagConfig()
    path = Path(out)
    if path.exists():
        raise SimError(f"write_bag: expected a new path for the bag, got existing {path}")
    ts = get_typestore(Stores.ROS2_HUMBLE)
    resolve = ts.types.__getitem__
    scene = generate_scene(cfg.scene, cfg.seed, f"bag{cfg.seed:04d}")
    raycaster = SceneRaycaster(scene.mesh)
    camera, lidar = RGBDCamera(cfg.camera), VirtualLidar(cfg.lidar)
    rng = np.random.default_rng([cfg.seed, 5])
    poses = walk_trajectory(scene, cfg.frames, rng, cfg.trajectory)
    dt_ns = round(1e9 / cfg.rate_hz)
    counts = dict.fromkeys(TOPICS, 0)
    plugin = StoragePlugin.MCAP if cfg.storage == "mcap" else StoragePlugin.SQLITE3
    with Writer(path, version=8, storage_plugin=plugin) as writer:
        conns = {t: writer.add_connection(t, mt, typestore=ts) for t, mt in TOPICS.items()}

        def put(topic: str, msg: Any, stamp_ns: int) -> None:
            writer.write(conns[topic], stamp_ns, ts.serialize_cdr(msg, TOPICS[topic]))
            counts[topic] += 1

        put("/sim/objects", string(ts, json.dumps([o.to_json() for o in scene.objects])), START_NS)
        Ts = [look_at_pose(p.position, p.look_at) for p in poses]
        for i, T in enumerate(Ts):
            stamp = START_NS + i * dt_ns
            T_lidar = lidar_pose(T, cfg.lidar_height_m)
            nxt, prv = Ts[min(i + 1, len(Ts) - 1)], Ts[max(i - 1, 0)]
            span = max(min(i + 1, len(Ts) - 1) - max(i - 1, 0), 1) * dt_ns / 1e9
            velocity = (nxt[:3, 3] - prv[:3, 3]) / span
            put("/tf", tf_message(ts, [(WORLD_FRAME, CAMERA_FRAME, T), (WORLD_FRAME, LIDAR_FRAME, T_lidar)], stamp),
                stamp)
            put("/odom", odometry(ts, T, velocity, WORLD_FRAME, CAMERA_FRAME, stamp), stamp)
            render = camera.render(raycaster, T, rng)
            put("/camera/color/image_raw", build_message(array_to_image(render.rgb, "rgb8", CAMERA_FRAME, stamp),
                                                         resolve), stamp)
            put("/camera/depth/image_raw", build_message(
                array_to_image(render.depth_mm, "16UC1", CAMERA_FRAME, stamp), resolve), stamp)
            put("/camera/camera_info", build_message(
                intrinsics_to_camera_info(render.intrinsics, CAMERA_FRAME, stamp), resolve), stamp)
            cloud = depth_to_cloud(render.depth_mm, render.intrinsics, render.rgb, frame_id=CAMERA_FRAME,
                                   stamp_ns=stamp)
            put("/camera/depth/points", build_message(cloud_to_pointcloud2(cloud), resolve), stamp)
            scan = lidar.scan(raycaster, T_lidar, rng, LIDAR_FRAME, stamp)
            put("/lidar/points", build_message(cloud_to_pointcloud2(scan), resolve), stamp)
    return BagInfo(path, counts, scene.scene_id)
