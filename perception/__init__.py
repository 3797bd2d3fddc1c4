"""perception: core types, message <-> array conversion, RGB-D geometry, proposals, fusion and the camera ViT.

The lowest layer: it imports numpy, open3d and torch, never rclpy, rosbags or a higher ground3d layer.
"""

from perception.box3d import Box3D
from perception.camera import CameraIntrinsics
from perception.errors import (
    EmptyCloudError,
    FrameOrderError,
    MessageFormatError,
    PerceptionError,
    ShapeError,
)
from perception.point_cloud import PointCloud
from perception.proposal import ObjectProposal
from perception.rgbd_frame import RGBDFrame
from perception.spatial_tokens import SpatialTokens

__all__ = [
    "Box3D",
    "CameraIntrinsics",
    "EmptyCloudError",
    "FrameOrderError",
    "MessageFormatError",
    "ObjectProposal",
    "PerceptionError",
    "PointCloud",
    "RGBDFrame",
    "ShapeError",
    "SpatialTokens",
]
