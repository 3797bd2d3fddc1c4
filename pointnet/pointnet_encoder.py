"""PointNet (Qi et al., CVPR 2017): a shared per-point MLP and a symmetric max pool, on packed batches."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from perception.spatial_tokens import SpatialTokens
from pointnet.config_utils import NORMS, require, require_widths
from pointnet.layers import check_encoder_inputs, max_pool, num_clouds, shared_mlp
from pointnet.outputs import EncoderOutput


@dataclass
class PointNetConfig:
    """Hyper-parameters of a PointNet encoder."""

    in_channels: int = 3
    """C_in, per-point input features besides the position (3 for RGB in [0, 1]; 0 for positions only)."""
    point_channels: tuple[int, ...] = (64, 128)
    """Widths of the shared MLP before pooling; its last width is the per-point local feature."""
    out_channels: int = 256
    """D, width of the layer that is max-pooled into the global feature."""
    token_channels: int = 128
    """C_t, width of the per-point tokens, an MLP over [local feature, global feature]."""
    input_transform: bool = False
    """Learn a 3x3 input transform per cloud (the T-Net), initialised to the identity."""
    transform_channels: tuple[int, ...] = (64, 128, 256)
    """Widths of the T-Net's shared MLP (pooled, then regressed to 3x3)."""
    norm: str = "batch"
    """Normalisation after each hidden layer: batch, layer or none."""

    def __post_init__(self) -> None:
        require(isinstance(self.in_channels, int) and self.in_channels >= 0, "PointNetConfig.in_channels",
                "an int >= 0", self.in_channels)
        require_widths("PointNetConfig.point_channels", self.point_channels)
        require_widths("PointNetConfig.transform_channels", self.transform_channels)
        require(self.out_channels > 0, "PointNetConfig.out_channels", "> 0", self.out_channels)
        require(self.token_channels > 0, "PointNetConfig.token_channels", "> 0", self.token_channels)
        require(self.norm in NORMS, "PointNetConfig.norm", f"one of {NORMS}", self.norm)


class InputTransform(nn.Module):
    """T-Net: regresses one 3x3 matrix per cloud from its points, initialised to the identity."""

    def __init__(self, channels: tuple[int, ...], norm: str) -> None:
        super().__init__()
        self.point_mlp = shared_mlp([3, *channels], norm)
        self.regress = nn.Linear(channels[-1], 9)
        # Zero weights and an identity bias: training starts from "no transform".
        nn.init.zeros_(self.regress.weight)
        with torch.no_grad():
            self.regress.bias.copy_(torch.eye(3).flatten())

    def forward(self, pos: torch.Tensor, batch: torch.Tensor, size: int) -> torch.Tensor:
        """pos (N, 3), batch (N,) -> transforms (B, 3, 3)."""
        pooled = max_pool(self.point_mlp(pos), batch, size)  # (B, C)
        return self.regress(pooled).view(size, 3, 3)


class PointNetEncoder(nn.Module):
    """PointNet over a packed batch: (x (N, C_in), pos (N, 3), batch (N,)) -> EncoderOutput.

    tokens: every input point with C_t = config.token_channels; global_feature (B, D = out_channels);
    point_features: the same (N, C_t) as the tokens.
    """

    def __init__(self, config: PointNetConfig) -> None:
        super().__init__()
        self.config = config
        self.transform = InputTransform(config.transform_channels, config.norm) if config.input_transform else None
        c_local = config.point_channels[-1]
        self.local_mlp = shared_mlp([3 + config.in_channels, *config.point_channels], config.norm)
        self.global_mlp = shared_mlp([c_local, config.out_channels], config.norm)
        self.token_mlp = shared_mlp([c_local + config.out_channels, config.token_channels], config.norm)

    def forward(self, x: torch.Tensor | None, pos: torch.Tensor, batch: torch.Tensor | None = None) -> EncoderOutput:
        x, batch = check_encoder_inputs("PointNetEncoder", x, pos, batch, self.config.in_channels)
        size = num_clouds(batch)
        p = pos
        if self.transform is not None:
            T = self.transform(pos, batch, size)  # (B, 3, 3)
            p = torch.bmm(pos[:, None, :], T[batch]).squeeze(1)  # (N, 3)
        h = p if x is None else torch.cat([p, x], dim=1)  # (N, 3 + C_in)
        local = self.local_mlp(h)  # (N, C_local)
        glob = max_pool(self.global_mlp(local), batch, size)  # (B, D)
        tokens = self.token_mlp(torch.cat([local, glob[batch]], dim=1))  # (N, C_t)
        return EncoderOutput(
            tokens=SpatialTokens(pos=pos, features=tokens, batch=batch),
            global_feature=glob,
            point_features=tokens,
        )
