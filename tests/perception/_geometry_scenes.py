"""Small synthetic scenes for the geometry, fusion and pipeline tests: coloured boxes on a floor and a table.

Full-scene clouds are sampled from open3d meshes; RGB-D views are ray cast with open3d's RaycastingScene.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import open3d as o3d

from perception import CameraIntrinsics, PointCloud, RGBDFrame


@dataclass
class SynthBox:
    """A box object: centre of its footprint on the support at ``z0``, size, yaw and colour."""

    instance: int
    center: tuple[float, float, float]
    size: tuple[float, float, float]
    rgb: tuple[int, int, int]
    yaw: float = 0.0


def tabletop_boxes() -> list[SynthBox]:
    """A 1.2 x 0.8 m table (top at 0.75 m, instance -1) with three objects on it and one on the floor."""
    return [
        SynthBox(1, (0.25, 0.15, 0.75 + 0.06), (0.10, 0.10, 0.12), (220, 30, 30)),
        SynthBox(2, (-0.30, -0.10, 0.75 + 0.10), (0.25, 0.15, 0.20), (30, 60, 220), 0.4),
        SynthBox(3, (0.05, -0.20, 0.75 + 0.04), (0.18, 0.12, 0.08), (40, 200, 60), -0.3),
        SynthBox(4, (1.30, 0.60, 0.20), (0.35, 0.30, 0.40), (200, 200, 40), 0.2),
    ]


def _box_mesh(center: tuple[float, ...], size: tuple[float, ...], yaw: float) -> o3d.geometry.TriangleMesh:
    mesh = o3d.geometry.TriangleMesh.create_box(*size)
    mesh.translate(-np.asarray(size) / 2.0)
    mesh.rotate(o3d.geometry.get_rotation_matrix_from_xyz((0.0, 0.0, yaw)), center=(0.0, 0.0, 0.0))
    mesh.translate(center)
    return mesh


def scene_meshes(objects: list[SynthBox]) -> list[tuple[o3d.geometry.TriangleMesh, tuple[int, int, int], int]]:
    """(mesh, colour, instance) of the floor (5 x 5 m), a table (top and four legs) and the objects."""
    parts = [(_box_mesh((0.0, 0.0, -0.01), (5.0, 5.0, 0.02), 0.0), (120, 110, 100), -1)]
    parts.append((_box_mesh((0.0, 0.0, 0.73), (1.2, 0.8, 0.04), 0.0), (150, 100, 60), -1))
    for sx in (-1, 1):
        for sy in (-1, 1):
            parts.append((_box_mesh((sx * 0.55, sy * 0.35, 0.355), (0.05, 0.05, 0.71), 0.0), (90, 60, 40), -1))
    for obj in objects:
        parts.append((_box_mesh(obj.center, obj.size, obj.yaw), obj.rgb, obj.instance))
    return parts


def sample_scene(objects: list[SynthBox], spacing: float = 0.01, seed: int = 0) -> tuple[PointCloud, np.ndarray]:
    """A full-scene cloud (about one point per ``spacing``^2 of surface) and its (N,) int32 instance ids."""
    rng = np.random.default_rng(seed)
    xyz, rgb, inst = [], [], []
    for mesh, color, instance in scene_meshes(objects):
        count = max(int(mesh.get_surface_area() / spacing**2), 10)
        o3d.utility.random.seed(int(rng.integers(1 << 30)))
        pts = np.asarray(mesh.sample_points_uniformly(count).points, dtype=np.float32)
        if instance < 0 and pts[:, 2].max() < 0.01:  # floor slab: keep its top face only
            pts = pts[pts[:, 2] > -0.001]
        xyz.append(pts)
        noise = rng.integers(-12, 13, size=(pts.shape[0], 3))
        rgb.append(np.clip(np.asarray(color) + noise, 0, 255).astype(np.uint8))
        inst.append(np.full(pts.shape[0], instance, dtype=np.int32))
    return PointCloud(xyz=np.concatenate(xyz), rgb=np.concatenate(rgb), frame_id="world"), np.concatenate(inst)


def look_at(position: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(4, 4) T_world_cam of an optical-frame camera (x right, y down, z forward) at ``position``."""
    z = target - position
    z = z / np.linalg.norm(z)
    x = np.cross(z, [0.0, 0.0, 1.0])
    x = x / np.linalg.norm(x)
    y = np.cross(z, x)
    T = np.eye(4)
    T[:3, :3] = np.stack([x, y, z], axis=1)
    T[:3, 3] = position
    return T


def render_view(
    objects: list[SynthBox], T_world_cam: np.ndarray, width: int = 160, height: int = 120
) -> tuple[RGBDFrame, np.ndarray]:
    """A ray-cast RGB-D frame of the scene and its (H, W) int32 instance image (-1 background / no hit)."""
    intrinsics = CameraIntrinsics.from_fov(width, height, np.deg2rad(70.0))
    scene = o3d.t.geometry.RaycastingScene()
    colors, instances = [], []
    for mesh, color, instance in scene_meshes(objects):
        scene.add_triangles(o3d.t.geometry.TriangleMesh.from_legacy(mesh))
        colors.append(color)
        instances.append(instance)
    rays = o3d.t.geometry.RaycastingScene.create_rays_pinhole(
        o3d.core.Tensor(intrinsics.K), o3d.core.Tensor(np.linalg.inv(T_world_cam)), width, height
    )
    hit = scene.cast_rays(rays)
    t_hit = hit["t_hit"].numpy()  # (H, W) distance along each (unit) ray
    geom = hit["geometry_ids"].numpy().astype(np.int64)
    valid = np.isfinite(t_hit)
    # open3d's pinhole rays are not unit vectors: each has a unit component along the optical axis, so
    # t_hit is already the depth along that axis (t_hit * dir . axis with dir . axis = 1).
    dirs = rays.numpy()[..., 3:]
    axis = T_world_cam[:3, 2]
    depth = np.where(valid, t_hit * (dirs @ axis), 0.0).astype(np.float32)
    palette = np.asarray(colors, dtype=np.uint8)
    rgb = np.where(valid[..., None], palette[np.where(valid, geom, 0)], 0).astype(np.uint8)
    inst = np.where(valid, np.asarray(instances)[np.where(valid, geom, 0)], -1).astype(np.int32)
    frame = RGBDFrame(rgb=rgb, depth_m=depth, intrinsics=intrinsics, T_world_cam=T_world_cam)
    return frame, inst
