"""Task heads over an encoder's output: object classification and per-point semantic segmentation."""

from __future__ import annotations

import torch
from torch import nn

from pointnet.layers import shared_mlp
from pointnet.outputs import EncoderOutput


class ClassificationHead(nn.Module):
    """global_feature (B, D) -> logits (B, K): an MLP with dropout."""

    def __init__(self, in_channels: int, num_classes: int, hidden: int = 256, dropout: float = 0.3,
                 norm: str = "batch") -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            shared_mlp([in_channels, hidden], norm), nn.Dropout(dropout), nn.Linear(hidden, num_classes)
        )

    def forward(self, out: EncoderOutput) -> torch.Tensor:
        return self.mlp(out.global_feature)


class SegmentationHead(nn.Module):
    """point_features (N, C_p) -> logits (N, K)."""

    def __init__(self, in_channels: int, num_classes: int, hidden: int = 128, norm: str = "batch") -> None:
        super().__init__()
        self.mlp = shared_mlp([in_channels, hidden, num_classes], norm, last_activation=False)

    def forward(self, out: EncoderOutput) -> torch.Tensor:
        if out.point_features is None:
            raise ValueError("SegmentationHead: expected an encoder with point_features on, got None")
        return self.mlp(out.point_features)


def encoder_width(encoder: nn.Module, which: str) -> int:
    """Width of an encoder's ``"global"`` feature (D) or its ``"point"`` features (C_p), from its config."""
    cfg = encoder.config
    if which == "global":
        for name in ("global_channels", "out_channels"):
            if hasattr(cfg, name):
                value = getattr(cfg, name)
                return int(value[-1] if isinstance(value, tuple) else value)
    if which == "point":
        for name in ("fp_channels", "token_channels", "channels"):
            if hasattr(cfg, name):
                value = getattr(cfg, name)
                return int(value[-1] if name == "fp_channels" else value[0] if name == "channels" else value)
    raise ValueError(f"encoder_width: expected 'global' or 'point' on a known encoder config, got {which!r}")
