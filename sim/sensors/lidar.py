"""A virtual spinning LiDAR: rings x columns of rays, range noise and an intensity channel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception import PointCloud
from sim.errors import SimConfigError
from sim.sensors.raycaster import SceneRaycaster


@dataclass
class LidarConfig:
    """The virtual spinning LiDAR."""

    rings: int = 16
    """Number of laser rings (rows of the organized cloud)."""
    vertical_fov_deg: tuple[float, float] = (-15.0, 15.0)
    """Lowest and highest ring elevation in degrees."""
    horizontal_resolution_deg: float = 0.4
    """Azimuth step in degrees; columns = 360 / step."""
    min_range_m: float = 0.3
    """Nearest valid return in metres."""
    max_range_m: float = 30.0
    """Farthest valid return in metres."""
    range_noise_sigma_m: float = 0.01
    """Gaussian range noise in metres."""
    organized: bool = True
    """Keep the (rings, columns) grid with NaN for missing returns; else return only valid points."""

    def __post_init__(self) -> None:
        if self.rings < 1:
            raise SimConfigError(f"LidarConfig.rings: expected >= 1, got {self.rings}")
        lo, hi = self.vertical_fov_deg
        if not -90.0 <= lo <= hi <= 90.0:
            raise SimConfigError(f"LidarConfig.vertical_fov_deg: expected -90 <= lo <= hi <= 90, got {(lo, hi)}")
        if not 0.01 <= self.horizontal_resolution_deg <= 90.0:
            raise SimConfigError(
                f"LidarConfig.horizontal_resolution_deg: expected in [0.01, 90], got {self.horizontal_resolution_deg}")
        if not 0.0 <= self.min_range_m < self.max_range_m:
            raise SimConfigError(
                f"LidarConfig.min_range_m/max_range_m: expected 0 <= min < max, got {self.min_range_m}, "
                f"{self.max_range_m}")
        if self.range_noise_sigma_m < 0:
            raise SimConfigError(f"LidarConfig.range_noise_sigma_m: expected >= 0, got {self.range_noise_sigma_m}")

    @property
    def columns(self) -> int:
        """Azimuth steps per revolution."""
        return round(360.0 / self.horizontal_resolution_deg)


class VirtualLidar:
    """Scans a ``SceneRaycaster`` from a sensor pose (x forward, y left, z up)."""

    def __init__(self, config: LidarConfig | None = None) -> None:
        self.config = config or LidarConfig()
        cfg = self.config
        elev = np.deg2rad(np.linspace(cfg.vertical_fov_deg[0], cfg.vertical_fov_deg[1], cfg.rings))
        azim = np.deg2rad(np.arange(cfg.columns) * 360.0 / cfg.columns)
        el, az = np.meshgrid(elev[::-1], azim, indexing="ij")  # (rings, columns), top ring first
        self._dirs = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1).reshape(
            -1, 3).astype(np.float32)  # (rings*columns, 3) unit, sensor frame
        self._ring = np.repeat(np.arange(cfg.rings - 1, -1, -1, dtype=np.uint16), cfg.columns)

    def scan(
        self, raycaster: SceneRaycaster, T_world_lidar: np.ndarray, rng: np.random.Generator,
        frame_id: str = "lidar", stamp_ns: int = 0,
    ) -> PointCloud:
        """One revolution as a ``PointCloud`` in the sensor frame.

        Organized: N = rings * columns with NaN rows for missing returns and ``grid_shape`` (rings, columns).
        Intensity in [0, 1] is the surface's brightness times the cosine of incidence. Field ``ring`` is the
        ring index (0 = lowest).
        """
        cfg = self.config
        T = np.asarray(T_world_lidar, dtype=np.float64)
        R = T[:3, :3].astype(np.float32)
        # Column sums, not a BLAS matmul (see camera.py).
        dirs_world = self._dirs[:, :1] * R[:, 0] + self._dirs[:, 1:2] * R[:, 1] + self._dirs[:, 2:] * R[:, 2]
        hits = raycaster.cast(T[:3, 3].astype(np.float32), dirs_world)
        r = hits.t_hit.copy()
        if cfg.range_noise_sigma_m > 0:
            r = r + rng.normal(0.0, cfg.range_noise_sigma_m, r.shape).astype(np.float32)
        valid = hits.hit & (r >= cfg.min_range_m) & (r <= cfg.max_range_m)
        xyz = np.where(valid[:, None], self._dirs * r[:, None], np.nan).astype(np.float32)  # (N, 3)
        cos_inc = np.abs(np.einsum("ij,ij->i", hits.normals, dirs_world))
        albedo = hits.colors.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32) / 255.0
        intensity = np.where(valid, np.clip(albedo * cos_inc, 0.0, 1.0), np.nan).astype(np.float32)
        cloud = PointCloud(
            xyz=xyz, intensity=intensity, fields={"ring": self._ring.copy()}, frame_id=frame_id,
            stamp_ns=stamp_ns, grid_shape=(cfg.rings, cfg.columns),
        )
        return cloud if cfg.organized else cloud.select(valid)
