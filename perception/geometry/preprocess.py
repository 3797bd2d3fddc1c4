"""The preprocessing chain: crop, voxel downsample, statistical outlier removal and normals.

Each step has its own config with an ``enabled`` switch, so a caller can skip any of them. The proposal
chain runs plane removal between downsampling and the KNN steps, so that plane inliers (most of a scan)
skip outlier removal and take their plane's normal. The chain keeps,
for every input point, the row of the downsampled point it went into (-1 when it was dropped), which is how
proposals later map back to the input cloud.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import open3d as o3d

from perception.columnwise import rows_all, rows_any
from perception.errors import EmptyCloudError
from perception.geometry.errors import GeometryConfigError
from perception.geometry.voxel import voxel_downsample
from perception.point_cloud import PointCloud


@dataclass
class CropConfig:
    """Keep the points within a range of the origin and, optionally, inside an axis-aligned box."""

    enabled: bool = True
    """Run this step."""
    min_range: float = 0.0
    """Drop points closer than this to the origin of the cloud's frame, metres (sensor self-hits)."""
    max_range: float = 30.0
    """Drop points further than this from the origin, metres."""
    box_min: tuple[float, float, float] | None = None
    """Lower corner (x, y, z) of a crop box in metres, or None for no box."""
    box_max: tuple[float, float, float] | None = None
    """Upper corner (x, y, z) of a crop box in metres, or None for no box."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_range < self.max_range:
            raise GeometryConfigError(
                f"CropConfig.min_range/max_range: expected 0 <= min_range < max_range, "
                f"got {self.min_range}, {self.max_range}"
            )
        if (self.box_min is None) != (self.box_max is None):
            raise GeometryConfigError(
                f"CropConfig.box_min/box_max: expected both or neither, got {self.box_min}, {self.box_max}"
            )
        if self.box_min is not None and self.box_max is not None and not all(
            lo < hi for lo, hi in zip(self.box_min, self.box_max, strict=True)
        ):
            raise GeometryConfigError(
                f"CropConfig.box_min: expected below box_max on every axis, got {self.box_min}, {self.box_max}"
            )


@dataclass
class VoxelConfig:
    """Average the points of each voxel into one."""

    enabled: bool = True
    """Run this step; when off every kept input point stays its own point."""
    voxel_size: float = 0.02
    """Voxel edge in metres."""

    def __post_init__(self) -> None:
        if self.voxel_size <= 0:
            raise GeometryConfigError(f"VoxelConfig.voxel_size: expected > 0, got {self.voxel_size}")


@dataclass
class OutlierConfig:
    """Statistical outlier removal (open3d): drop points far from their neighbours compared to the rest."""

    enabled: bool = True
    """Run this step."""
    num_neighbors: int = 12
    """Neighbours whose mean distance is compared."""
    std_ratio: float = 3.5
    """Drop points whose mean neighbour distance exceeds the global mean by this many standard deviations."""

    def __post_init__(self) -> None:
        if self.num_neighbors < 1:
            raise GeometryConfigError(f"OutlierConfig.num_neighbors: expected >= 1, got {self.num_neighbors}")
        if self.std_ratio <= 0:
            raise GeometryConfigError(f"OutlierConfig.std_ratio: expected > 0, got {self.std_ratio}")


@dataclass
class NormalConfig:
    """Surface normals (open3d), oriented towards ``up`` so that floors and table tops point upwards."""

    enabled: bool = True
    """Run this step."""
    radius: float = 0.06
    """Neighbour search radius in metres."""
    max_neighbors: int = 16
    """At most this many neighbours per normal."""
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    """Direction the normals are flipped towards."""

    def __post_init__(self) -> None:
        if self.radius <= 0:
            raise GeometryConfigError(f"NormalConfig.radius: expected > 0, got {self.radius}")
        if self.max_neighbors < 3:
            raise GeometryConfigError(f"NormalConfig.max_neighbors: expected >= 3, got {self.max_neighbors}")


@dataclass
class PreprocessConfig:
    """The whole chain, one sub-config per step, run in this order."""

    crop: CropConfig = field(default_factory=CropConfig)
    """Range and box crop."""
    voxel: VoxelConfig = field(default_factory=VoxelConfig)
    """Voxel downsampling."""
    outliers: OutlierConfig = field(default_factory=OutlierConfig)
    """Statistical outlier removal, on the downsampled cloud."""
    normals: NormalConfig = field(default_factory=NormalConfig)
    """Normal estimation, on the downsampled cloud."""


@dataclass
class PreprocessedCloud:
    """The downsampled cloud and, for each input point, the downsampled point it went into."""

    points: np.ndarray
    """(V, 3) float32 points in metres, in the input cloud's frame."""
    colors: np.ndarray
    """(V, 3) uint8 colours (mid grey when the input had none)."""
    normals: np.ndarray | None
    """(V, 3) float32 unit normals, or None when the normal step was skipped."""
    point_to_voxel: np.ndarray
    """(N,) int32 row in ``points`` of each input point, -1 where the point was dropped."""

    def __len__(self) -> int:
        return int(self.points.shape[0])

    def select(self, keep: np.ndarray) -> PreprocessedCloud:
        """The rows where ``keep`` (V,) bool is set; input points of dropped rows map to -1."""
        remap = np.full(keep.shape[0] + 1, -1, dtype=np.int32)  # last slot maps -1 to -1
        remap[np.flatnonzero(keep)] = np.arange(int(keep.sum()))
        return PreprocessedCloud(
            points=self.points[keep],
            colors=self.colors[keep],
            normals=None if self.normals is None else self.normals[keep],
            point_to_voxel=remap[self.point_to_voxel],
        )

    def to_cloud(self, frame_id: str = "", stamp_ns: int = 0) -> PointCloud:
        """The downsampled points as a ``PointCloud`` (normals go to ``fields["normal"]``)."""
        fields = {} if self.normals is None else {"normal": self.normals}
        return PointCloud(xyz=self.points, rgb=self.colors, fields=fields, frame_id=frame_id, stamp_ns=stamp_ns)


def to_legacy(points: np.ndarray) -> o3d.geometry.PointCloud:
    """An open3d legacy cloud of points (V, 3); legacy is the faster API for these small KNN-bound steps."""
    return o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points.astype(np.float64, copy=False)))


def preprocess(cloud: PointCloud, config: PreprocessConfig | None = None) -> PreprocessedCloud:
    """Run the whole chain on ``cloud`` (N points): crop, downsample, outlier removal, normals."""
    config = config or PreprocessConfig()
    pre = downsample(cloud, config)
    pre = pre.select(outlier_mask(pre.points, config.outliers))
    pre.normals = estimate_normals(pre.points, config.normals)
    return pre


def downsample(cloud: PointCloud, config: PreprocessConfig | None = None) -> PreprocessedCloud:
    """Crop and voxel-downsample ``cloud`` (N points) by ``config.crop`` and ``config.voxel``; no normals.

    Raises EmptyCloudError when no finite point survives the crop.
    """
    config = config or PreprocessConfig()
    n = len(cloud)
    keep = cloud.finite_mask()  # (N,)
    if config.crop.enabled:
        keep &= crop_mask(cloud.xyz, config.crop)
    if not keep.any():
        raise EmptyCloudError(f"preprocess: expected finite points inside the crop, got none of {n}")
    if config.voxel.enabled:
        grid = voxel_downsample(cloud.xyz, cloud.rgb, config.voxel.voxel_size, valid=keep)
        points, colors, point_to_voxel = grid.points, grid.colors, grid.point_to_voxel
    else:
        kept_rows = np.flatnonzero(keep)  # (K,)
        points = cloud.xyz[kept_rows]
        colors = None if cloud.rgb is None else cloud.rgb[kept_rows]
        point_to_voxel = np.full(n, -1, dtype=np.int32)
        point_to_voxel[kept_rows] = np.arange(kept_rows.size, dtype=np.int32)
    if colors is None:
        colors = np.full((points.shape[0], 3), 128, dtype=np.uint8)
    return PreprocessedCloud(points=points, colors=colors, normals=None, point_to_voxel=point_to_voxel)


def outlier_mask(points: np.ndarray, config: OutlierConfig, protected: np.ndarray | None = None) -> np.ndarray:
    """(V,) bool rows of points (V, 3) kept by statistical outlier removal (all when disabled).

    ``protected`` (V,) bool rows (e.g. plane inliers, already explained by a model) are kept and left out
    of the neighbour statistics, which makes the step cheaper on floor-dominated scans.
    """
    keep = np.ones(points.shape[0], dtype=bool)
    rows = np.arange(points.shape[0]) if protected is None else np.flatnonzero(~protected)
    if not config.enabled or rows.size <= config.num_neighbors:
        return keep
    _, inliers = to_legacy(points[rows]).remove_statistical_outlier(config.num_neighbors, config.std_ratio)
    keep[rows] = False
    keep[rows[np.asarray(inliers, dtype=np.int64)]] = True
    return keep


def estimate_normals(
    points: np.ndarray, config: NormalConfig, known: np.ndarray | None = None
) -> np.ndarray | None:
    """(V, 3) float32 unit normals of points (V, 3), flipped towards ``config.up``; None when disabled.

    ``known`` (V, 3) float32 holds normals already known (e.g. of plane inliers) and NaN elsewhere; only
    the NaN rows are estimated (open3d KNN), so large planes cost nothing.
    """
    if not config.enabled:
        return None
    normals = np.zeros_like(points) if known is None else known.astype(np.float32, copy=True)
    rows = np.arange(points.shape[0]) if known is None else np.flatnonzero(rows_any(np.isnan(known)))
    normals[rows] = np.array([0.0, 0.0, 1.0], dtype=np.float32)
    if rows.size >= 3:
        legacy = to_legacy(points[rows])
        legacy.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(config.radius, config.max_neighbors))
        normals[rows] = np.asarray(legacy.normals, dtype=np.float32)
    flip = normals @ np.asarray(config.up, dtype=np.float32) < 0
    normals[flip] *= -1.0
    return normals


def crop_mask(xyz: np.ndarray, config: CropConfig) -> np.ndarray:
    """(N,) bool rows of points (N, 3), metres, inside ``config``'s range of the origin and its box (NaN
    rows are outside)."""
    with np.errstate(invalid="ignore"):
        dist2 = np.einsum("ij,ij->i", xyz, xyz)  # (N,)
        mask = (dist2 >= config.min_range**2) & (dist2 <= config.max_range**2)
        if config.box_min is not None and config.box_max is not None:
            lo = np.asarray(config.box_min, dtype=np.float32)
            hi = np.asarray(config.box_max, dtype=np.float32)
            mask &= rows_all((xyz >= lo) & (xyz <= hi))
    return mask
