"""RGBDFrame: one registered colour and depth image with its intrinsics and pose."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from perception._checks import check_array
from perception.camera import CameraIntrinsics
from perception.errors import ShapeError


@dataclass
class RGBDFrame:
    """Colour and depth registered to the same pinhole camera."""

    rgb: np.ndarray
    """(H, W, 3) uint8 colour."""
    depth_m: np.ndarray
    """(H, W) float32 depth along the optical axis in metres; 0 or NaN where there is no return."""
    intrinsics: CameraIntrinsics
    """Intrinsics of both images."""
    T_world_cam: np.ndarray = field(default_factory=lambda: np.eye(4))
    """(4, 4) float64 pose of the camera (optical frame) in the world frame."""
    stamp_ns: int = 0
    """Acquisition time in nanoseconds."""
    frame_id: str = "camera"
    """Frame of the camera."""

    def __post_init__(self) -> None:
        h, w = self.intrinsics.height, self.intrinsics.width
        check_array("RGBDFrame.rgb", self.rgb, (h, w, 3), (np.uint8,))
        check_array("RGBDFrame.depth_m", self.depth_m, (h, w), (np.float32,))
        self.T_world_cam = np.asarray(
            check_array("RGBDFrame.T_world_cam", np.asarray(self.T_world_cam), (4, 4)), dtype=np.float64
        )
        if not np.allclose(self.T_world_cam[3], [0.0, 0.0, 0.0, 1.0]):
            raise ShapeError(f"RGBDFrame.T_world_cam: expected last row [0, 0, 0, 1], got {self.T_world_cam[3]}")

    @classmethod
    def from_depth_image(
        cls,
        rgb: np.ndarray,
        depth: np.ndarray,
        intrinsics: CameraIntrinsics,
        depth_scale: float = 1000.0,
        **kwargs: object,
    ) -> RGBDFrame:
        """Build from a raw depth image: uint16 divided by ``depth_scale`` (units per metre), or float metres."""
        if depth.dtype == np.uint16:
            depth_m = depth.astype(np.float32) / np.float32(depth_scale)
        elif depth.dtype in (np.float32, np.float64):
            depth_m = depth.astype(np.float32, copy=False)
        else:
            raise ShapeError(f"RGBDFrame depth: expected dtype uint16 or float32, got {depth.dtype}")
        return cls(rgb=rgb, depth_m=depth_m, intrinsics=intrinsics, **kwargs)  # type: ignore[arg-type]
