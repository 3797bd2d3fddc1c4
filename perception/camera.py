"""CameraIntrinsics: a pinhole camera with optional distortion coefficients."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from perception._checks import check_array
from perception.errors import ShapeError


@dataclass
class CameraIntrinsics:
    """Pinhole intrinsics. The camera looks along +z, x right, y down (the ROS optical frame)."""

    K: np.ndarray
    """(3, 3) float64 camera matrix [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] in pixels."""
    width: int
    """Image width W in pixels."""
    height: int
    """Image height H in pixels."""
    distortion: np.ndarray = field(default_factory=lambda: np.zeros(5))
    """(D,) distortion coefficients (plumb_bob order k1, k2, t1, t2, k3); zeros when rectified."""

    def __post_init__(self) -> None:
        self.K = np.asarray(check_array("CameraIntrinsics.K", np.asarray(self.K), (3, 3)), dtype=np.float64)
        self.distortion = np.asarray(self.distortion, dtype=np.float64).reshape(-1)
        if self.width <= 0 or self.height <= 0:
            raise ShapeError(f"CameraIntrinsics: expected width, height > 0, got {self.width} x {self.height}")
        if not (self.fx > 0 and self.fy > 0):
            raise ShapeError(f"CameraIntrinsics.K: expected fx, fy > 0, got fx={self.fx}, fy={self.fy}")
        if not np.isfinite(self.K).all():
            raise ShapeError(f"CameraIntrinsics.K: expected finite values, got {self.K.tolist()}")

    @classmethod
    def from_fov(cls, width: int, height: int, hfov_rad: float) -> CameraIntrinsics:
        """Square-pixel intrinsics with the principal point at the image centre."""
        f = 0.5 * width / np.tan(0.5 * hfov_rad)
        K = np.array([[f, 0.0, (width - 1) / 2.0], [0.0, f, (height - 1) / 2.0], [0.0, 0.0, 1.0]])
        return cls(K=K, width=width, height=height)

    @property
    def fx(self) -> float:
        return float(self.K[0, 0])

    @property
    def fy(self) -> float:
        return float(self.K[1, 1])

    @property
    def cx(self) -> float:
        return float(self.K[0, 2])

    @property
    def cy(self) -> float:
        return float(self.K[1, 2])

    def to_json(self) -> dict[str, object]:
        """The dataset's camera.json fields (without the pose)."""
        return {"K": self.K.tolist(), "width": self.width, "height": self.height}
