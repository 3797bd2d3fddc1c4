"""Camera ViT: patch tokens from a transformers vision model, lifted to 3D with depth."""

from perception.vit.camera_encoder import CameraEncoder, CameraEncoderConfig, PatchTokens
from perception.vit.lift import LiftConfig, lift_patch_tokens
from perception.vit.object_features import ObjectImageFeatures, pool_object_features

__all__ = [
    "CameraEncoder",
    "CameraEncoderConfig",
    "LiftConfig",
    "ObjectImageFeatures",
    "PatchTokens",
    "lift_patch_tokens",
    "pool_object_features",
]
