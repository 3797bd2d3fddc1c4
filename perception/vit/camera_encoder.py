"""CameraEncoder: patch tokens of an RGB image from any local ViT, CLIP-vision or DINOv2 checkpoint.

The model always loads from a directory on disk (``from_pretrained(local_dir, local_files_only=True)``),
so a robot with no network works: the shipped default, or a checkpoint a user exported there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from perception._checks import check_array
from perception.camera import CameraIntrinsics
from perception.vit.errors import CameraModelError
from perception.vit.pixel_size import CHANNEL_NAME, image_pixel_size, normalised_log_size

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "weights"
"""The small ViT this package trains on sim renders (``python -m perception.vit.train``)."""

# ImageNet statistics, the fallback when a model directory has no preprocessor_config.json.
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class CameraEncoderConfig:
    """Which vision model to run and at what input resolution."""

    model_dir: str = ""
    """Local transformers model directory; empty selects the shipped default in ``DEFAULT_MODEL_DIR``."""
    input_width: int = 256
    """Width in pixels the image is resized to; rounded down to a multiple of the patch size."""
    input_height: int = 192
    """Height in pixels the image is resized to; rounded down to a multiple of the patch size."""
    device: str = "cpu"
    """Torch device of the model."""

    def __post_init__(self) -> None:
        if self.input_width < 8 or self.input_height < 8:
            raise CameraModelError(
                f"CameraEncoderConfig: expected input_width, input_height >= 8, "
                f"got {self.input_width} x {self.input_height}"
            )


@dataclass
class PatchTokens:
    """Patch features of one image on its patch grid."""

    features: torch.Tensor
    """(Hp, Wp, D) feature of each patch."""
    image_size: tuple[int, int]
    """(H, W) of the original image the grid covers."""

    @property
    def grid(self) -> tuple[int, int]:
        """(Hp, Wp), the patch grid."""
        return int(self.features.shape[0]), int(self.features.shape[1])


class CameraEncoder:
    """Runs a transformers vision backbone and returns its patch tokens (prefix tokens dropped).

    ``patch_size`` is the backbone's patch edge in pixels and ``feature_dim`` (D) the width of a token.
    ``needs_depth`` is True for a model whose ``preprocessor_config.json`` names the pixel-size channel
    (``extra_channel``, as the shipped ViT does): ``encode`` then needs the depth image and intrinsics.
    """

    def __init__(self, config: CameraEncoderConfig | None = None) -> None:
        self.config = config or CameraEncoderConfig()
        model_dir = Path(self.config.model_dir) if self.config.model_dir else DEFAULT_MODEL_DIR
        self.model, self.patch_size, self.feature_dim = _load_backbone(model_dir)
        self.model.to(self.config.device).eval()
        preprocessor = _preprocessor_config(model_dir)
        mean, std = _normalisation(preprocessor)
        self.needs_depth = preprocessor.get("extra_channel") == CHANNEL_NAME
        self._mean = torch.tensor(mean, device=self.config.device).view(1, 3, 1, 1)
        self._std = torch.tensor(std, device=self.config.device).view(1, 3, 1, 1)
        self.width = self.config.input_width - self.config.input_width % self.patch_size
        self.height = self.config.input_height - self.config.input_height % self.patch_size

    def preprocess(self, rgb: np.ndarray) -> torch.Tensor:
        """(H, W, 3) uint8 -> (1, 3, h, w) normalised float at the encoder's input size."""
        check_array("rgb", rgb, (None, None, 3), (np.uint8,))
        x = torch.from_numpy(np.array(rgb, copy=True)).to(self.config.device)  # copy: inputs may be read-only
        x = x.permute(2, 0, 1).unsqueeze(0).float() / 255.0  # (1, 3, H, W)
        x = F.interpolate(x, size=(self.height, self.width), mode="bilinear", antialias=True, align_corners=False)
        return (x - self._mean) / self._std

    @torch.inference_mode()
    def encode(
        self, rgb: np.ndarray, depth_m: np.ndarray | None = None, intrinsics: CameraIntrinsics | None = None
    ) -> PatchTokens:
        """Patch tokens of an (H, W, 3) uint8 RGB image: features (Hp, Wp, D).

        depth_m: (H, W) float32 metres registered to ``rgb`` with the camera's ``intrinsics``; required when
        ``needs_depth``, ignored otherwise.
        """
        pixels = self.preprocess(rgb)  # (1, 3, h, w)
        if self.needs_depth:
            if depth_m is None or intrinsics is None:
                raise CameraModelError("CameraEncoder.encode: expected depth_m and intrinsics for a model with a "
                                       "pixel-size channel, got none")
            check_array("depth_m", depth_m, rgb.shape[:2])
            size = image_pixel_size(depth_m, intrinsics.fx, intrinsics.fy, self.height, self.width)
            pixels = torch.cat([pixels, normalised_log_size(size).to(pixels.device)], dim=1)  # (1, 4, h, w)
        hidden = self.model(pixel_values=pixels, interpolate_pos_encoding=True).last_hidden_state  # (1, T, D)
        hp, wp = self.height // self.patch_size, self.width // self.patch_size
        patches = hidden[0, hidden.shape[1] - hp * wp :]  # (Hp * Wp, D): CLS and register tokens dropped
        return PatchTokens(features=patches.reshape(hp, wp, -1), image_size=(rgb.shape[0], rgb.shape[1]))


def _load_backbone(model_dir: Path) -> tuple[torch.nn.Module, int, int]:
    """The vision tower of a ViT, CLIP (vision or full) or DINOv2 directory, its patch size and width D."""
    from transformers import AutoConfig, AutoModel

    if not (model_dir / "config.json").is_file():
        raise CameraModelError(f"camera model: expected a transformers directory with config.json, got {model_dir}")
    config = AutoConfig.from_pretrained(model_dir, local_files_only=True)
    supported = {"vit", "clip", "clip_vision_model", "dinov2", "dinov2_with_registers"}
    if config.model_type not in supported:
        raise CameraModelError(
            f"camera model: expected model_type in {sorted(supported)}, got {config.model_type!r} in {model_dir}"
        )
    model = AutoModel.from_pretrained(model_dir, local_files_only=True, use_safetensors=True)
    if config.model_type == "clip":  # a full CLIP checkpoint: keep its vision tower only
        vision = config.vision_config
        return model.vision_model, int(vision.patch_size), int(vision.hidden_size)
    if config.model_type == "vit":  # ViTModel's pooler is unused for patch tokens
        model.pooler = None
    return model, int(config.patch_size), int(config.hidden_size)


def _preprocessor_config(model_dir: Path) -> dict[str, Any]:
    """``preprocessor_config.json`` of a model directory, empty when it has none."""
    path = model_dir / "preprocessor_config.json"
    return dict(json.loads(path.read_text())) if path.is_file() else {}


def _normalisation(preprocessor: dict[str, Any]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    if "image_mean" in preprocessor and "image_std" in preprocessor:
        return tuple(preprocessor["image_mean"]), tuple(preprocessor["image_std"])
    return _IMAGENET_MEAN, _IMAGENET_STD
