"""One open3d ``RaycastingScene`` per scene, with per-triangle colour and instance lookups for hits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import open3d as o3d

from sim.scene.scene import SceneMesh


@dataclass
class RayHits:
    """What R rays hit."""

    t_hit: np.ndarray
    """(R,) float32 ray parameter of the hit (distance in units of the ray direction's length); inf on a miss."""
    normals: np.ndarray
    """(R, 3) float32 unit normal of the hit triangle, world frame."""
    colors: np.ndarray
    """(R, 3) uint8 base colour of the hit triangle (0 on a miss)."""
    instance: np.ndarray
    """(R,) int32 object id of the hit, -1 for background and misses."""
    hit: np.ndarray
    """(R,) bool: the ray hit something."""


class SceneRaycaster:
    """Casts rays against a scene mesh on the CPU (Embree through open3d), no GPU or display needed."""

    def __init__(self, mesh: SceneMesh, nthreads: int = 1) -> None:
        self.mesh = mesh
        self.nthreads = nthreads
        self._scene = o3d.t.geometry.RaycastingScene()
        self._scene.add_triangles(
            o3d.core.Tensor.from_numpy(np.ascontiguousarray(mesh.vertices, dtype=np.float32)),
            o3d.core.Tensor.from_numpy(np.ascontiguousarray(mesh.triangles, dtype=np.uint32)),
        )

    def cast(self, origins: np.ndarray, directions: np.ndarray) -> RayHits:
        """Cast R rays from ``origins`` (R, 3) or (3,) along ``directions`` (R, 3), world frame."""
        directions = np.asarray(directions, dtype=np.float32)
        rays = np.empty((directions.shape[0], 6), dtype=np.float32)  # (R, 6) origin + direction
        rays[:, :3] = origins
        rays[:, 3:] = directions
        out = self._scene.cast_rays(o3d.core.Tensor.from_numpy(rays), nthreads=self.nthreads)
        t_hit = out["t_hit"].numpy()
        hit = np.isfinite(t_hit)
        prim = out["primitive_ids"].numpy()
        prim = np.where(hit, prim, 0).astype(np.int64)
        colors = np.where(hit[:, None], self.mesh.colors[prim], 0).astype(np.uint8)
        instance = np.where(hit, self.mesh.instance[prim], -1).astype(np.int32)
        return RayHits(t_hit, out["primitive_normals"].numpy(), colors, instance, hit)
