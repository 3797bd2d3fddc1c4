"""The inputs of issue 8's table, built from one sim scene so every case sees realistic geometry.

Full size: a 64-ring x 2048-column LiDAR scan (131,072 points) packed as an Ouster-style PointCloud2 with
point_step 48, and a 640x480 RGB-D frame (rgb8 + 16UC1 depth + its organized xyzrgb PointCloud2) of a
30-object scene. ``quick`` shrinks both (16 x 256 scan, 80 x 60 frame, 8 objects) for the smoke test.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from perception import CameraIntrinsics, PointCloud
from perception.convert import (
    HeaderData,
    ImageData,
    PointCloud2Data,
    PointFieldData,
    array_to_image,
    cloud_to_pointcloud2,
    depth_to_cloud,
)

LIDAR_POINT_STEP = 48
"""Bytes per point of the benchmark scan: x, y, z, intensity float32 at 0..12, ring uint16 at 16, time float64
at 24, reflectivity uint16 at 32, ambient uint16 at 34, range uint32 at 36, then padding (an Ouster-like layout)."""


@dataclass
class SceneInputs:
    """One sim scene rendered by both sensors, with the messages the cases convert."""

    lidar_msg: PointCloud2Data
    """Organized (rings, columns) scan, point_step 48, NaN rows for missing returns, in the lidar frame."""
    lidar_cloud: PointCloud
    """The same scan as a PointCloud (xyz float32, intensity, ring)."""
    rgb: np.ndarray
    """(H, W, 3) uint8 colour image."""
    depth_mm: np.ndarray
    """(H, W) uint16 depth in millimetres, 0 for no return."""
    intrinsics: CameraIntrinsics
    """Camera intrinsics of both images."""
    rgb_msg: ImageData
    """rgb8 Image of ``rgb``."""
    depth_msg: ImageData
    """16UC1 Image of ``depth_mm``."""
    xyzrgb_msg: PointCloud2Data
    """Organized (H, W) xyz + packed rgb PointCloud2 of the frame (point_step 16), camera optical frame."""
    xyzrgb_cloud: PointCloud
    """The same frame as a PointCloud."""
    T_world_cam: np.ndarray
    """(4, 4) camera pose; z up in the world."""
    T_world_lidar: np.ndarray
    """(4, 4) LiDAR pose."""
    num_objects: int
    """Objects in the scene."""


def lidar_shape(quick: bool) -> tuple[int, int]:
    """(rings, columns) of the benchmark scan."""
    return (16, 256) if quick else (64, 2048)


def image_shape(quick: bool) -> tuple[int, int]:
    """(H, W) of the benchmark RGB-D frame."""
    return (60, 80) if quick else (480, 640)


@functools.lru_cache(maxsize=2)
def scene_inputs(quick: bool) -> SceneInputs:
    """Render the benchmark scene (seed 5, 30 objects; 8 when ``quick``) once per process."""
    from sim.bag.writer import lidar_pose
    from sim.scene import SceneConfig, generate_scene
    from sim.sensors import RGBDCamera, SceneRaycaster, look_at_pose, walk_trajectory
    from sim.sensors.camera import RGBDCameraConfig
    from sim.sensors.lidar import LidarConfig, VirtualLidar

    n_obj = 8 if quick else 30
    scene = generate_scene(SceneConfig(min_objects=n_obj, max_objects=n_obj), 5)
    rng = np.random.default_rng(0)
    pose = walk_trajectory(scene, 1, rng)[0]
    T_cam = look_at_pose(pose.position, pose.look_at)
    T_lidar = lidar_pose(T_cam, 0.4)
    raycaster = SceneRaycaster(scene.mesh)
    h, w = image_shape(quick)
    frame = RGBDCamera(RGBDCameraConfig(width=w, height=h)).render(raycaster, T_cam, rng)
    rings, cols = lidar_shape(quick)
    lidar = VirtualLidar(LidarConfig(rings=rings, horizontal_resolution_deg=360.0 / cols,
                                     vertical_fov_deg=(-22.5, 22.5)))
    scan = lidar.scan(raycaster, T_lidar, rng, "lidar", 0)
    xyzrgb = depth_to_cloud(frame.depth_mm, frame.intrinsics, frame.rgb, frame_id="camera_optical")
    return SceneInputs(
        lidar_msg=lidar_message(scan),
        lidar_cloud=scan,
        rgb=frame.rgb,
        depth_mm=frame.depth_mm,
        intrinsics=frame.intrinsics,
        rgb_msg=array_to_image(frame.rgb, "rgb8", "camera_optical"),
        depth_msg=array_to_image(frame.depth_mm, "16UC1", "camera_optical"),
        xyzrgb_msg=cloud_to_pointcloud2(xyzrgb),
        xyzrgb_cloud=xyzrgb,
        T_world_cam=T_cam,
        T_world_lidar=T_lidar,
        num_objects=len(scene.objects),
    )


def lidar_message(scan: PointCloud) -> PointCloud2Data:
    """``scan`` packed in the 48-byte layout of ``LIDAR_POINT_STEP``, organized (rings, columns)."""
    rings, cols = scan.grid_shape or (1, len(scan))
    n = len(scan)
    f32, u16, u32, f64 = PointFieldData.FLOAT32, PointFieldData.UINT16, PointFieldData.UINT32, PointFieldData.FLOAT64
    layout = [("x", 0, f32, "<f4"), ("y", 4, f32, "<f4"), ("z", 8, f32, "<f4"), ("intensity", 12, f32, "<f4"),
              ("ring", 16, u16, "<u2"), ("time", 24, f64, "<f8"), ("reflectivity", 32, u16, "<u2"),
              ("ambient", 34, u16, "<u2"), ("range", 36, u32, "<u4")]
    dtype = np.dtype({"names": [f[0] for f in layout], "formats": [f[3] for f in layout],
                      "offsets": [f[1] for f in layout], "itemsize": LIDAR_POINT_STEP})
    records = np.zeros(n, dtype=dtype)
    for axis, name in enumerate("xyz"):
        records[name] = scan.xyz[:, axis]
    records["intensity"] = np.nan_to_num(scan.intensity if scan.intensity is not None else 0.0)
    records["ring"] = scan.fields["ring"].reshape(-1)
    records["time"] = np.tile(np.arange(cols) * (0.1 / cols), rings)  # seconds into the revolution
    rng = np.linalg.norm(np.nan_to_num(scan.xyz), axis=1)
    records["range"] = (rng * 1000).astype(np.uint32)
    fields = [PointFieldData(name, off, dt) for name, off, dt, _ in layout]
    data = records.view(np.uint8).reshape(-1)
    return PointCloud2Data(HeaderData(frame_id="lidar"), rings, cols, fields, False, LIDAR_POINT_STEP,
                           cols * LIDAR_POINT_STEP, data, False)


def message_bytes(msg: PointCloud2Data | ImageData) -> int:
    """Payload size of a message (its ``data``)."""
    return int(np.asarray(msg.data).nbytes)


def scene_points(n: int, quick: bool, seed: int = 0) -> np.ndarray:
    """(n, 3) float32 finite points of the benchmark frame and scan, camera frame for the frame and lidar frame
    for the scan (sampled with replacement past their count, with millimetre jitter so no two coincide)."""
    return _sample(n, quick, seed)[0]


def colored_scene_points(n: int, quick: bool, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, 3) float32 positions of the benchmark RGB-D frame in the world frame and their (n, 3) RGB in [0, 1]."""
    inputs = scene_inputs(quick)
    cloud = inputs.xyzrgb_cloud.transformed(inputs.T_world_cam, "map")
    keep = np.flatnonzero(np.isfinite(cloud.xyz).all(axis=1))
    rng = np.random.default_rng(seed)
    idx = keep[rng.choice(len(keep), n, replace=n > len(keep))]
    pos = cloud.xyz[idx] + rng.normal(0, 1e-3, (n, 3)).astype(np.float32)
    assert cloud.rgb is not None
    return torch.from_numpy(pos.astype(np.float32)), torch.from_numpy(cloud.rgb[idx].astype(np.float32) / 255.0)


def _sample(n: int, quick: bool, seed: int) -> tuple[np.ndarray]:
    inputs = scene_inputs(quick)
    pts = np.concatenate([inputs.xyzrgb_cloud.xyz, inputs.lidar_cloud.xyz])
    pts = pts[np.isfinite(pts).all(axis=1)]
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(pts), n, replace=n > len(pts))
    return ((pts[idx] + rng.normal(0, 1e-3, (n, 3))).astype(np.float32),)
