"""GroundingModelConfig: every size and switch of the grounding model, in one validated dataclass."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from grounding.errors import GroundingConfigError
from grounding.text.encoder import TextEncoderConfig

FUSIONS = ("late", "early", "cross_attention")
"""The fusion strategies, by name."""


@dataclass
class GroundingModelConfig:
    """Sizes and switches of the grounding model."""

    fusion: str = "cross_attention"
    """Fusion strategy: one of FUSIONS."""
    d_model: int = 128
    """D, the width of object and fused tokens."""
    num_heads: int = 8
    """Attention heads; d_model must divide by it."""
    scene_layers: int = 1
    """Object self-attention layers on the scene side (cached per scene and view)."""
    text_layers: int = 2
    """Word-token layers (self-attention, then attention to the scene memory)."""
    object_layers: int = 2
    """Object layers on the query side (attention to words, then relational self-attention)."""
    dropout: float = 0.1
    """Dropout inside the fusion while training."""
    points_per_object: int = 128
    """K, points sampled per object for the point encoder."""
    point_feature_dim: int = 128
    """Width of the PointNet feature of each object."""
    fourier_bands: int = 8
    """Frequencies per coordinate of the box Fourier features."""
    image_dim: int = 0
    """C_img, the width of the pooled camera-ViT feature per object; 0 means the model takes no image input."""
    contrastive_dim: int = 64
    """Width of the shared embedding space of the contrastive (retrieval) head."""
    text: TextEncoderConfig = field(default_factory=TextEncoderConfig)
    """The text encoder."""

    def __post_init__(self) -> None:
        if isinstance(self.text, dict):
            self.text = TextEncoderConfig(**self.text)
        if self.fusion not in FUSIONS:
            raise GroundingConfigError(f"GroundingModelConfig.fusion: expected one of {FUSIONS}, got {self.fusion!r}")
        positive = (
            "d_model",
            "num_heads",
            "points_per_object",
            "point_feature_dim",
            "fourier_bands",
            "contrastive_dim",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise GroundingConfigError(f"GroundingModelConfig.{name}: expected >= 1, got {getattr(self, name)}")
        for name in ("scene_layers", "text_layers", "object_layers", "image_dim"):
            if getattr(self, name) < 0:
                raise GroundingConfigError(f"GroundingModelConfig.{name}: expected >= 0, got {getattr(self, name)}")
        if self.d_model % self.num_heads:
            raise GroundingConfigError(
                f"GroundingModelConfig.num_heads: expected a divisor of d_model={self.d_model}, got {self.num_heads}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise GroundingConfigError(f"GroundingModelConfig.dropout: expected in [0, 1), got {self.dropout}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (the text config nested)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroundingModelConfig:
        """Inverse of ``to_dict``; an unknown key is an error naming it."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise GroundingConfigError(
                f"GroundingModelConfig: unknown fields {unknown}; expected some of {sorted(known)}"
            )
        return cls(**data)
