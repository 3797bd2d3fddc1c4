"""Virtual sensors on open3d ray casting: an RGB-D camera, a spinning LiDAR, and camera trajectories."""

from sim.sensors.camera import CameraNoiseConfig, RGBDCamera, RGBDCameraConfig, RGBDRender
from sim.sensors.lidar import LidarConfig, VirtualLidar
from sim.sensors.raycaster import RayHits, SceneRaycaster
from sim.sensors.trajectory import TrajectoryConfig, look_at_pose, walk_trajectory

__all__ = [
    "CameraNoiseConfig",
    "LidarConfig",
    "RGBDCamera",
    "RGBDCameraConfig",
    "RGBDRender",
    "RayHits",
    "SceneRaycaster",
    "TrajectoryConfig",
    "VirtualLidar",
    "look_at_pose",
    "walk_trajectory",
]
