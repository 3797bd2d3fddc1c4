"""SimStream: a simulated robot walking through a sim scene, as the sensor messages a real one would send.

Each frame is a camera pose on the sim's trajectory; the RGB-D camera and the LiDAR render it, and
``perception.convert`` turns the arrays into messages (typestore objects, see ``ros_nodes.wire``). sim_node
publishes them; tests and the demo use them directly. No rclpy here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ros_nodes import wire
from ros_nodes.errors import RosNodesError
from ros_nodes.pose_buffer import matrix_to_pose

TOPICS = {
    "color": "/camera/color/image_raw",
    "depth": "/camera/depth/image_raw",
    "camera_info": "/camera/camera_info",
    "depth_points": "/camera/depth/points",
    "lidar_points": "/lidar/points",
    "odom": "/odom",
    "ground_truth": "/sim/objects",
}
"""Topic of each stream: the same names and contents as a bag from ``ground3d sim --bag`` (sim.bag)."""
CAMERA_FRAME, LIDAR_FRAME = "camera_optical", "lidar"
LIDAR_HEIGHT_M = 0.4
"""LiDAR mount height, as in the sim's bags."""


@dataclass
class SimStreamConfig:
    """The simulated robot."""

    scene_seed: int = 7
    """Seed of the generated scene (same seed, same scene)."""
    num_objects: int = 12
    """Most objects in the scene, furniture included (at least 5)."""
    num_frames: int = 40
    """Camera poses along one walk; the stream loops over them."""
    frame_period_s: float = 0.5
    """Sensor time between two frames."""
    width: int = 320
    """Camera image width W."""
    height: int = 240
    """Camera image height H."""
    lidar: bool = True
    """Also scan with the LiDAR (at the camera's position)."""
    world_frame: str = "map"
    """Frame of the odometry and the ground truth (the sim's bags use ``map``)."""

    def __post_init__(self) -> None:
        if not 5 <= self.num_objects <= 40:
            raise RosNodesError(f"SimStreamConfig.num_objects: expected in [5, 40], got {self.num_objects}")
        if self.num_frames < 1:
            raise RosNodesError(f"SimStreamConfig.num_frames: expected >= 1, got {self.num_frames}")
        if not self.frame_period_s > 0:
            raise RosNodesError(f"SimStreamConfig.frame_period_s: expected > 0, got {self.frame_period_s}")
        if self.width < 16 or self.height < 16:
            raise RosNodesError(f"SimStreamConfig.width/height: expected >= 16, got {self.width} x {self.height}")


class SimStream:
    """Frames of a robot walk: ``messages(i)`` gives frame i's (topic, message) pairs, stamped in sensor time."""

    def __init__(self, config: SimStreamConfig | None = None, start_ns: int = 0) -> None:
        from sim.scene import SceneConfig, generate_scene
        from sim.sensors import RGBDCamera, RGBDCameraConfig, SceneRaycaster, VirtualLidar, walk_trajectory

        self.config = cfg = config or SimStreamConfig()
        self.start_ns = int(start_ns)
        self.scene = generate_scene(SceneConfig(min_objects=5, max_objects=cfg.num_objects), seed=cfg.scene_seed)
        rng = np.random.default_rng(cfg.scene_seed)
        self.views = walk_trajectory(self.scene, cfg.num_frames, rng)
        self.raycaster = SceneRaycaster(self.scene.mesh)
        self.camera = RGBDCamera(RGBDCameraConfig(width=cfg.width, height=cfg.height))
        self.lidar = VirtualLidar() if cfg.lidar else None

    def stamp_ns(self, index: int) -> int:
        return self.start_ns + round(index * self.config.frame_period_s * 1e9)

    def T_world_cam(self, index: int) -> np.ndarray:
        """(4, 4) camera pose of frame ``index`` (the walk loops)."""
        from sim.sensors import look_at_pose

        view = self.views[index % len(self.views)]
        return look_at_pose(view.position, view.look_at)

    def ground_truth(self) -> list[dict[str, Any]]:
        """The scene's objects as ``objects.json`` records (what a sim bag's ``/sim/objects`` holds)."""
        return [o.to_json() for o in self.scene.objects]

    def ground_truth_msg(self) -> Any:
        return wire.string_msg(json.dumps(self.ground_truth()))

    def messages(self, index: int) -> list[tuple[str, Any]]:
        """Frame ``index``: odometry, colour, depth, camera info, depth cloud and (optionally) the LiDAR scan."""
        from perception.convert import (
            array_to_image,
            build_message,
            cloud_to_pointcloud2,
            intrinsics_to_camera_info,
            rgbd_frame_to_cloud,
        )

        stamp, T_cam = self.stamp_ns(index), self.T_world_cam(index)
        rng = np.random.default_rng([self.config.scene_seed, index])
        render = self.camera.render(self.raycaster, T_cam, rng)
        frame = render.to_frame(stamp, CAMERA_FRAME)

        def msg(data: Any) -> Any:
            return build_message(data, wire.msg_class)

        out = [
            (TOPICS["odom"], self._odometry(stamp, CAMERA_FRAME, T_cam)),
            (TOPICS["color"], msg(array_to_image(render.rgb, "rgb8", CAMERA_FRAME, stamp))),
            (TOPICS["depth"], msg(array_to_image(render.depth_mm, "16UC1", CAMERA_FRAME, stamp))),
            (TOPICS["camera_info"], msg(intrinsics_to_camera_info(render.intrinsics, CAMERA_FRAME, stamp))),
            (TOPICS["depth_points"], msg(cloud_to_pointcloud2(rgbd_frame_to_cloud(frame), CAMERA_FRAME, stamp))),
        ]
        if self.lidar is not None:
            from sim.bag import lidar_pose

            T_lidar = lidar_pose(T_cam, LIDAR_HEIGHT_M)
            scan = self.lidar.scan(self.raycaster, T_lidar, rng, LIDAR_FRAME, stamp)
            out.append((TOPICS["odom"], self._odometry(stamp, LIDAR_FRAME, T_lidar)))
            out.append((TOPICS["lidar_points"], msg(cloud_to_pointcloud2(scan, LIDAR_FRAME, stamp))))
        return out

    def _odometry(self, stamp_ns: int, child: str, T: np.ndarray) -> Any:
        pose = wire.make("geometry_msgs/msg/PoseWithCovariance", pose=matrix_to_pose(T))
        return wire.make("nav_msgs/msg/Odometry", header=wire.header(stamp_ns, self.config.world_frame),
                         child_frame_id=child, pose=pose)

