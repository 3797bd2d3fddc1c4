"""Geometric perception with open3d: preprocessing, support planes, clustering into object proposals,
multi-frame fusion with stable object ids, and proposal evaluation."""

from perception.geometry.clustering import ClusterConfig, cluster_points
from perception.geometry.errors import GeometryConfigError
from perception.geometry.footprint import gravity_aligned_box, min_area_rectangle
from perception.geometry.fusion import SceneMap, SceneMapConfig
from perception.geometry.planes import PlaneConfig, PlaneSegmentation, SupportPlane, segment_planes
from perception.geometry.preprocess import (
    CropConfig,
    NormalConfig,
    OutlierConfig,
    PreprocessConfig,
    PreprocessedCloud,
    VoxelConfig,
    preprocess,
)
from perception.geometry.proposals import (
    GeometryConfig,
    GeometryResult,
    ProposalConfig,
    extract_proposals,
    rgbd_view_config,
)
from perception.geometry.tracking import ObjectTracker, TrackerConfig

__all__ = [
    "ClusterConfig",
    "CropConfig",
    "GeometryConfig",
    "GeometryConfigError",
    "GeometryResult",
    "NormalConfig",
    "ObjectTracker",
    "OutlierConfig",
    "PlaneConfig",
    "PlaneSegmentation",
    "PreprocessConfig",
    "PreprocessedCloud",
    "ProposalConfig",
    "SceneMap",
    "SceneMapConfig",
    "SupportPlane",
    "TrackerConfig",
    "VoxelConfig",
    "cluster_points",
    "extract_proposals",
    "gravity_aligned_box",
    "min_area_rectangle",
    "preprocess",
    "rgbd_view_config",
    "segment_planes",
]
