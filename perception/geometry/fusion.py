"""A scene map from posed RGB-D frames: open3d's TSDF, or a bounded voxel hash of coloured points.

TSDF (open3d's tensor ``VoxelBlockGrid``; the legacy ``ScalableTSDFVolume`` of the open3d-cpu 0.20 wheel
extracted no surface from these frames in our tests) averages depth noise away and gives one clean
surface; its memory grows with the volume observed. The voxel hash keeps the running mean position and
colour of each occupied voxel, capped at ``max_voxels`` by dropping the voxels seen least recently, so a
robot that streams for hours keeps a bounded map.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import open3d as o3d

from perception.convert import rgbd_frame_to_cloud
from perception.geometry.depth_filter import DepthDenoiseConfig, denoised_frame
from perception.geometry.errors import GeometryConfigError
from perception.geometry.voxel import voxel_downsample
from perception.point_cloud import PointCloud
from perception.rgbd_frame import RGBDFrame

TSDF = "tsdf"
VOXEL_HASH = "voxel_hash"


@dataclass
class SceneMapConfig:
    """How frames are fused."""

    method: str = TSDF
    """``"tsdf"`` (open3d VoxelBlockGrid) or ``"voxel_hash"`` (bounded running means of points)."""
    voxel_size: float = 0.01
    """TSDF voxel or hash voxel edge, metres."""
    sdf_trunc: float = 0.04
    """TSDF truncation distance, metres."""
    depth_min: float = 0.1
    """Depth below this is ignored, metres."""
    depth_max: float = 4.0
    """Depth beyond this is ignored, metres."""
    min_weight: float = 0.5
    """TSDF only: surface voxels observed with less integration weight (frames) than this are left out."""
    initial_blocks: int = 20000
    """TSDF only: initial capacity of the voxel block hash map (it grows as needed)."""
    max_voxels: int = 2_000_000
    """Voxel hash only: most voxels kept; the least recently seen go first."""
    denoise: DepthDenoiseConfig = field(default_factory=DepthDenoiseConfig)
    """Each frame's depth first goes through a guarded 3x3 median (``depth_filter.denoised_frame``): the voxel
    hash otherwise keeps every noisy return, and its surfaces come out as thick as the depth noise."""

    def __post_init__(self) -> None:
        if self.method not in (TSDF, VOXEL_HASH):
            raise GeometryConfigError(f"SceneMapConfig.method: expected 'tsdf' or 'voxel_hash', got {self.method!r}")
        if self.voxel_size <= 0 or self.sdf_trunc <= 0:
            raise GeometryConfigError(
                f"SceneMapConfig: expected voxel_size, sdf_trunc > 0, got {self.voxel_size}, {self.sdf_trunc}"
            )
        if not 0 <= self.depth_min < self.depth_max:
            raise GeometryConfigError(
                f"SceneMapConfig.depth_min/depth_max: expected 0 <= min < max, got {self.depth_min}, {self.depth_max}"
            )
        if self.max_voxels < 1:
            raise GeometryConfigError(f"SceneMapConfig.max_voxels: expected >= 1, got {self.max_voxels}")


class SceneMap:
    """Fuses RGB-D frames with their ``T_world_cam`` into one coloured world-frame cloud."""

    def __init__(self, config: SceneMapConfig | None = None) -> None:
        self.config = config or SceneMapConfig()
        self.num_frames = 0
        self._volume: o3d.t.geometry.VoxelBlockGrid | None = None
        # Voxel hash state. Rows in the order the voxels were first seen, in arrays with spare room so that
        # a frame appends its new voxels rather than copying the map: sums for the running means, and the
        # frame each was last seen. Beside them, the voxels' keys sorted and the row of each.
        self._size = 0
        self._xyz_sum = np.empty((0, 3), dtype=np.float64)
        self._rgb_sum = np.empty((0, 3), dtype=np.float64)
        self._count = np.empty(0, dtype=np.int64)
        self._last_seen = np.empty(0, dtype=np.int64)
        self._sorted_keys = np.empty(0, dtype=np.int64)
        self._sorted_rows = np.empty(0, dtype=np.int64)
        self._cloud: PointCloud | None = None
        self._added_since_mark = 0

    def reset(self) -> None:
        """Forget every frame."""
        self.__init__(self.config)  # type: ignore[misc]

    def integrate(self, frame: RGBDFrame) -> None:
        """Add one frame (depth in metres along the optical axis, pose ``T_world_cam``)."""
        frame = denoised_frame(frame, self.config.denoise)
        if self.config.method == TSDF:
            self._integrate_tsdf(frame)
        else:
            self._integrate_hash(frame)
        self.num_frames += 1
        self._cloud = None

    @property
    def num_voxels(self) -> int:
        """Voxel hash only: voxels held now (0 for TSDF)."""
        return self._size

    def growth_since_mark(self) -> float:
        """Voxels added since the last ``mark`` as a fraction of the voxels held now (voxel hash; 0 when the
        frames since only re-observed mapped space). TSDF does not count its voxels and always reports 1."""
        if self.config.method == TSDF:
            return 1.0
        return self._added_since_mark / max(self.num_voxels, 1)

    def mark(self) -> None:
        """Start counting ``growth_since_mark`` from now."""
        self._added_since_mark = 0

    def cloud(self) -> PointCloud:
        """The fused surface as a coloured cloud in the world frame (cached until the next frame)."""
        if self._cloud is None:
            self._cloud = self._extract()
        return self._cloud

    def _integrate_tsdf(self, frame: RGBDFrame) -> None:
        cfg = self.config
        if self._volume is None:
            self._volume = o3d.t.geometry.VoxelBlockGrid(
                attr_names=("tsdf", "weight", "color"),
                attr_dtypes=(o3d.core.float32, o3d.core.float32, o3d.core.float32),
                attr_channels=((1), (1), (3)),  # type: ignore[arg-type]
                voxel_size=cfg.voxel_size,
                block_resolution=16,
                block_count=cfg.initial_blocks,
            )
        depth_m = np.nan_to_num(frame.depth_m, nan=0.0)
        depth_m[depth_m < cfg.depth_min] = 0.0
        depth = o3d.t.geometry.Image(o3d.core.Tensor(np.ascontiguousarray(depth_m, dtype=np.float32)))  # type: ignore[call-overload]
        color = o3d.t.geometry.Image(o3d.core.Tensor(frame.rgb.astype(np.float32) / 255.0))  # type: ignore[call-overload]
        K = o3d.core.Tensor(frame.intrinsics.K)  # type: ignore[call-overload]
        extrinsic = o3d.core.Tensor(np.linalg.inv(frame.T_world_cam))  # type: ignore[call-overload]
        blocks = self._volume.compute_unique_block_coordinates(depth, K, extrinsic, 1.0, cfg.depth_max)
        self._volume.integrate(blocks, depth, color, K, K, extrinsic, 1.0, cfg.depth_max)

    def _integrate_hash(self, frame: RGBDFrame) -> None:
        cfg = self.config
        depth = frame.depth_m
        valid = np.isfinite(depth) & (depth >= cfg.depth_min) & (depth <= cfg.depth_max)
        if not valid.any():
            return
        world = rgbd_frame_to_cloud(frame, world=True)
        # One row per voxel of this frame, keyed by its points' voxel (not its centroid's, which can round
        # onto the next voxel's face).
        grid = voxel_downsample(world.xyz, world.rgb, cfg.voxel_size, valid=valid.reshape(-1))
        assert grid.colors is not None
        keys, count = grid.keys, grid.counts  # (F,) each
        weight = count.astype(np.float64)[:, None]
        xyz, rgb = grid.points * weight, grid.colors * weight  # (F, 3) sums
        # Voxels already mapped are found in the sorted keys and added to in place; new ones are appended, and
        # only the two sorted index arrays take an insertion. Sorting the whole map with the frame again
        # (np.unique) and copying every array of the map was most of a frame's fusion time.
        at = np.searchsorted(self._sorted_keys, keys)  # (F,)
        mapped = at < self._sorted_keys.shape[0]
        mapped[mapped] = self._sorted_keys[at[mapped]] == keys[mapped]
        hit = self._sorted_rows[at[mapped]]  # distinct rows: the frame's keys are unique
        self._xyz_sum[hit] += xyz[mapped]
        self._rgb_sum[hit] += rgb[mapped]
        self._count[hit] += count[mapped]
        self._last_seen[hit] = self.num_frames
        fresh = ~mapped
        start, stop = self._size, self._size + int(fresh.sum())
        self._reserve(stop)
        self._count[start:stop] = count[fresh]
        self._xyz_sum[start:stop], self._rgb_sum[start:stop] = xyz[fresh], rgb[fresh]
        self._last_seen[start:stop] = self.num_frames
        self._sorted_keys = np.insert(self._sorted_keys, at[fresh], keys[fresh])
        self._sorted_rows = np.insert(self._sorted_rows, at[fresh], np.arange(start, stop))
        self._size = stop
        self._added_since_mark += stop - start
        if stop > cfg.max_voxels:
            self._keep(np.sort(np.argpartition(-self._last_seen[:stop], cfg.max_voxels - 1)[: cfg.max_voxels]))

    def _reserve(self, size: int) -> None:
        """Room for ``size`` voxel rows: the arrays grow by half again (amortised appends), but not past
        ``max_voxels`` unless ``size`` needs it, so a capped map holds little spare room."""
        capacity = self._count.shape[0]
        if size <= capacity:
            return
        grow = max(size, min(capacity + capacity // 2, self.config.max_voxels), 1024) - capacity
        self._xyz_sum = np.concatenate([self._xyz_sum, np.zeros((grow, 3))])
        self._rgb_sum = np.concatenate([self._rgb_sum, np.zeros((grow, 3))])
        self._count = np.concatenate([self._count, np.zeros(grow, dtype=np.int64)])
        self._last_seen = np.concatenate([self._last_seen, np.zeros(grow, dtype=np.int64)])

    def _keep(self, rows: np.ndarray) -> None:
        """Keep only the voxel ``rows`` (sorted), moved to the front in their order (the arrays keep their
        room for the next frame); the sorted index keeps its order and takes their new rows."""
        n = rows.shape[0]
        for values in (self._xyz_sum, self._rgb_sum, self._count, self._last_seen):
            values[:n] = values[rows]
        new_row = np.full(self._size, -1, dtype=np.int64)
        new_row[rows] = np.arange(n)
        moved = new_row[self._sorted_rows]  # (size,) each sorted key's new row, -1 where dropped
        kept = moved >= 0
        self._sorted_keys, self._sorted_rows = self._sorted_keys[kept], moved[kept]
        self._size = n

    def _extract(self) -> PointCloud:
        if self.config.method == TSDF:
            if self._volume is None:
                return PointCloud(xyz=np.empty((0, 3), dtype=np.float32), rgb=np.empty((0, 3), dtype=np.uint8),
                                  frame_id="world")
            pcd = self._volume.extract_point_cloud(weight_threshold=self.config.min_weight)
            xyz = pcd.point.positions.numpy().astype(np.float32, copy=False)
            rgb = np.clip(pcd.point.colors.numpy() * 255.0 + 0.5, 0, 255).astype(np.uint8)
            return PointCloud(xyz=xyz, rgb=rgb, frame_id="world")
        n = self._size
        inv = 1.0 / np.maximum(self._count[:n], 1)[:, None]
        return PointCloud(
            xyz=(self._xyz_sum[:n] * inv).astype(np.float32),
            rgb=np.clip(self._rgb_sum[:n] * inv + 0.5, 0, 255).astype(np.uint8),
            frame_id="world",
        )
