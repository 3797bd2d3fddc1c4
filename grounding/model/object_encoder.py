"""ObjectEncoder: one view-independent token per object from its points, colours, box and image feature."""

from __future__ import annotations

import torch
from torch import nn

from grounding.model.config import GroundingModelConfig
from grounding.model.geometry import FourierFeatures
from grounding.model.scene_batch import COLOR_STATS_DIM, SceneBatch


class ObjectPointNet(nn.Module):
    """PointNet (Qi et al. 2017) over each object's K points: shared MLP on (xyz, rgb), then max pool.

    It works on the padded (B, N, K, 6) layout of SceneBatch, where every object has exactly K points,
    so a plain shared MLP is the whole of it; the packed encoders of ``pointnet`` serve whole scenes.
    """

    def __init__(self, out_dim: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(6, 64), nn.GELU(), nn.Linear(64, 128), nn.GELU(), nn.Linear(128, out_dim))
        self.out_dim = out_dim

    def forward(self, points: torch.Tensor, colors: torch.Tensor) -> torch.Tensor:
        """Points (B, N, K, 3) and colours (B, N, K, 3) -> features (B, N, out_dim)."""
        x = self.mlp(torch.cat([points, colors], dim=-1))  # (B, N, K, out_dim)
        return x.max(dim=2).values


class ObjectEncoder(nn.Module):
    """Object token = MLP(PointNet feature, colour statistics, box size and height, image feature or 'missing')."""

    def __init__(self, config: GroundingModelConfig) -> None:
        super().__init__()
        d = config.d_model
        self.points = ObjectPointNet(config.point_feature_dim)
        self.box_fourier = FourierFeatures(4, config.fourier_bands)  # size (3) and centre height (1)
        self.color = nn.Sequential(nn.Linear(COLOR_STATS_DIM, 64), nn.GELU())
        self.image_dim = config.image_dim
        if config.image_dim > 0:
            self.image = nn.Linear(config.image_dim, d)
            self.missing_image = nn.Parameter(torch.zeros(d))
        in_dim = config.point_feature_dim + 64 + self.box_fourier.out_dim
        self.fuse = nn.Sequential(nn.Linear(in_dim, d), nn.GELU(), nn.Linear(d, d))
        self.norm = nn.LayerNorm(d)

    def forward(self, batch: SceneBatch) -> torch.Tensor:
        """SceneBatch of B scenes with N objects -> object tokens (B, N, D); padded rows are zeros."""
        pts = self.points(batch.points, batch.point_colors)  # (B, N, Cp)
        box = self.box_fourier(torch.cat([batch.sizes, batch.centers[..., 2:]], dim=-1))  # (B, N, F)
        x = self.fuse(torch.cat([pts, self.color(batch.color_stats), box], dim=-1))  # (B, N, D)
        if self.image_dim > 0:
            present = batch.image_present.unsqueeze(-1)
            x = x + torch.where(present, self.image(batch.image_features), self.missing_image)
        x = self.norm(x)
        return x * batch.mask.unsqueeze(-1).to(x.dtype)
