"""Fusion strategies behind one interface: late (two towers), early (one transformer), cross-attention."""

from grounding.model.config import GroundingModelConfig
from grounding.model.fusion.base import Fusion, FusionOutput, SceneMemory, TextFeatures
from grounding.model.fusion.cross_attention import CrossAttentionFusion
from grounding.model.fusion.early import EarlyFusion
from grounding.model.fusion.late import LateFusion


def build_fusion(config: GroundingModelConfig) -> Fusion:
    """The fusion named by ``config.fusion``."""
    classes: dict[str, type[Fusion]] = {
        "late": LateFusion,
        "early": EarlyFusion,
        "cross_attention": CrossAttentionFusion,
    }
    return classes[config.fusion](config)


__all__ = [
    "CrossAttentionFusion",
    "EarlyFusion",
    "Fusion",
    "FusionOutput",
    "LateFusion",
    "SceneMemory",
    "TextFeatures",
    "build_fusion",
]
