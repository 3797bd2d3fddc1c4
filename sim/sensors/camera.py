"""A virtual RGB-D camera: colour, depth (uint16 mm), per-pixel instance id and intrinsics, with a noise model.

Rendering is ray casting through open3d's ``RaycastingScene`` (CPU, no display). Colour is the hit triangle's
base colour shaded by a Lambert term (a headlight along the ray plus a light from above).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from perception import CameraIntrinsics, RGBDFrame
from sim.errors import SimConfigError
from sim.sensors.raycaster import SceneRaycaster


@dataclass
class CameraNoiseConfig:
    """Sensor imperfections of the RGB-D camera. All zero gives an ideal camera."""

    depth_sigma_const_m: float = 0.001
    """Constant part a of the depth noise sigma = a + b z^2, metres."""
    depth_sigma_quad: float = 0.002
    """Quadratic part b of the depth noise sigma = a + b z^2, per metre."""
    grazing_cos_min: float = 0.1
    """Returns whose cosine between ray and surface normal is below this are missing (grazing angles)."""
    dropout_prob: float = 0.002
    """Chance that any pixel has no depth return."""
    color_noise_sigma: float = 3.0
    """Per-pixel Gaussian colour noise, in 0-255 units."""
    color_gain_sigma: float = 0.04
    """Per-frame, per-channel multiplicative colour jitter (white balance and exposure)."""

    def __post_init__(self) -> None:
        for name in ("depth_sigma_const_m", "depth_sigma_quad", "color_noise_sigma", "color_gain_sigma"):
            if getattr(self, name) < 0:
                raise SimConfigError(f"CameraNoiseConfig.{name}: expected >= 0, got {getattr(self, name)}")
        if not 0.0 <= self.grazing_cos_min < 1.0:
            raise SimConfigError(f"CameraNoiseConfig.grazing_cos_min: expected in [0, 1), got {self.grazing_cos_min}")
        if not 0.0 <= self.dropout_prob < 1.0:
            raise SimConfigError(f"CameraNoiseConfig.dropout_prob: expected in [0, 1), got {self.dropout_prob}")

    def depth_sigma(self, z_m: np.ndarray) -> np.ndarray:
        """Depth noise standard deviation in metres at depth ``z_m`` (any shape)."""
        return self.depth_sigma_const_m + self.depth_sigma_quad * z_m**2

    @classmethod
    def ideal(cls) -> CameraNoiseConfig:
        """No noise, no missing returns."""
        return cls(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass
class RGBDCameraConfig:
    """The virtual RGB-D camera."""

    width: int = 640
    """Image width W in pixels."""
    height: int = 480
    """Image height H in pixels."""
    hfov_deg: float = 70.0
    """Horizontal field of view in degrees."""
    min_depth_m: float = 0.2
    """Nearest valid depth; closer returns are missing."""
    max_depth_m: float = 8.0
    """Farthest valid depth; farther returns are missing (and must fit uint16 millimetres)."""
    ambient: float = 0.35
    """Shading floor so that faces turned away from the lights are not black."""
    headlight: float = 0.45
    """Weight of the Lambert term of a light at the camera."""
    overhead: float = 0.3
    """Weight of the Lambert term of a light from straight above."""
    background_rgb: tuple[int, int, int] = (40, 42, 48)
    """Colour of pixels that hit nothing."""
    noise: CameraNoiseConfig = field(default_factory=CameraNoiseConfig)
    """Noise model."""

    def __post_init__(self) -> None:
        if self.width < 1 or self.height < 1:
            raise SimConfigError(f"RGBDCameraConfig.width/height: expected >= 1, got {self.width} x {self.height}")
        if not 1.0 <= self.hfov_deg <= 170.0:
            raise SimConfigError(f"RGBDCameraConfig.hfov_deg: expected in [1, 170], got {self.hfov_deg}")
        if not 0.0 <= self.min_depth_m < self.max_depth_m <= 65.0:
            raise SimConfigError(
                f"RGBDCameraConfig.min_depth_m/max_depth_m: expected 0 <= min < max <= 65, got "
                f"{self.min_depth_m}, {self.max_depth_m}")

    def intrinsics(self) -> CameraIntrinsics:
        """Square-pixel pinhole intrinsics with the principal point at the image centre."""
        return CameraIntrinsics.from_fov(self.width, self.height, np.deg2rad(self.hfov_deg))


@dataclass
class RGBDRender:
    """One rendered RGB-D frame."""

    rgb: np.ndarray
    """(H, W, 3) uint8 colour."""
    depth_mm: np.ndarray
    """(H, W) uint16 depth along the optical axis in millimetres; 0 where there is no return."""
    instance: np.ndarray
    """(H, W) int32 object id of the surface seen at each pixel (ground truth, also where depth is
    missing), -1 for background and empty pixels."""
    intrinsics: CameraIntrinsics
    """Intrinsics of both images."""
    T_world_cam: np.ndarray
    """(4, 4) pose of the camera optical frame (z forward, x right, y down) in the world."""

    @property
    def depth_m(self) -> np.ndarray:
        """(H, W) float32 depth in metres, 0 where missing."""
        return self.depth_mm.astype(np.float32) / np.float32(1000.0)

    def to_frame(self, stamp_ns: int = 0, frame_id: str = "camera_optical") -> RGBDFrame:
        """The perception ``RGBDFrame`` of this render."""
        return RGBDFrame(self.rgb, self.depth_m, self.intrinsics, self.T_world_cam, stamp_ns, frame_id)


class RGBDCamera:
    """Renders a ``SceneRaycaster`` from a camera pose."""

    def __init__(self, config: RGBDCameraConfig | None = None) -> None:
        self.config = config or RGBDCameraConfig()
        self.intrinsics = self.config.intrinsics()
        w, h = self.config.width, self.config.height
        K = self.intrinsics
        # Ray directions (x, y, 1) with unit z in the optical frame, so a hit's ray parameter is its depth.
        self._ray_x = ((np.arange(w) - K.cx) / K.fx).astype(np.float32)  # (W,)
        self._ray_y = ((np.arange(h) - K.cy) / K.fy).astype(np.float32)  # (H,)
        self._inv_len = (1.0 / np.sqrt(self._ray_x[None, :] ** 2 + self._ray_y[:, None] ** 2 + 1.0)).reshape(
            -1).astype(np.float32)  # (H*W,)

    def render(self, raycaster: SceneRaycaster, T_world_cam: np.ndarray, rng: np.random.Generator) -> RGBDRender:
        """Render colour, depth and instance ids from ``T_world_cam`` (4, 4); ``rng`` drives the noise."""
        cfg, noise = self.config, self.config.noise
        h, w = cfg.height, cfg.width
        T = np.asarray(T_world_cam, dtype=np.float64)
        R = T[:3, :3].astype(np.float32)
        # Broadcast over rows and columns instead of (H*W, 3) @ (3, 3): that tiny-inner-dimension matmul goes
        # through multi-threaded OpenBLAS, which stalls for 100+ ms when the cores are busy.
        dirs = (self._ray_x[None, :, None] * R[:, 0] + self._ray_y[:, None, None] * R[:, 1] + R[:, 2]).reshape(
            -1, 3)  # (H*W, 3) world frame
        hits = raycaster.cast(T[:3, 3].astype(np.float32), dirs)
        z = hits.t_hit  # (H*W,) depth in metres (unit-z directions)
        unit = dirs * self._inv_len[:, None]
        cos_ray = np.einsum("ij,ij->i", hits.normals, unit)
        normals = np.where(cos_ray[:, None] > 0, -hits.normals, hits.normals)  # face the camera
        cos_inc = np.abs(cos_ray)

        shade = cfg.ambient + cfg.headlight * cos_inc + cfg.overhead * np.clip(normals[:, 2], 0.0, None)
        rgb = hits.colors.astype(np.float32) * shade[:, None]
        rgb[~hits.hit] = cfg.background_rgb
        if noise.color_gain_sigma > 0:
            rgb *= 1.0 + rng.normal(0.0, noise.color_gain_sigma, 3).astype(np.float32)
        if noise.color_noise_sigma > 0:
            rgb += np.float32(noise.color_noise_sigma) * rng.standard_normal(rgb.shape, dtype=np.float32)
        rgb_u8 = np.clip(rgb + 0.5, 0, 255).astype(np.uint8).reshape(h, w, 3)

        valid = hits.hit & (z >= cfg.min_depth_m) & (z <= cfg.max_depth_m)
        z_noisy = np.where(valid, z, 0.0).astype(np.float32)
        if noise.depth_sigma_const_m > 0 or noise.depth_sigma_quad > 0:
            z_noisy += rng.standard_normal(z.shape, dtype=np.float32) * noise.depth_sigma(z_noisy).astype(np.float32)
        valid &= cos_inc >= noise.grazing_cos_min
        if noise.dropout_prob > 0:
            valid &= rng.random(z.shape, dtype=np.float32) >= noise.dropout_prob
        depth_mm = np.where(valid, np.clip(np.round(z_noisy * 1000.0), 1, 65535), 0).astype(np.uint16)
        return RGBDRender(rgb_u8, depth_mm.reshape(h, w), hits.instance.reshape(h, w), self.intrinsics, T)
