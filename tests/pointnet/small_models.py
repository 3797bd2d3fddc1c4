"""Small encoder configs and packed inputs shared by the encoder tests (fast on 2 CPU cores)."""

from __future__ import annotations

import torch
from torch import nn

from pointnet import build_encoder

SMALL: dict[str, tuple[str, dict]] = {
    "pointnet": ("pointnet", {"point_channels": (16, 32), "out_channels": 32, "token_channels": 16}),
    "pointnet_tnet": ("pointnet", {"point_channels": (16, 32), "out_channels": 32, "token_channels": 16,
                                   "input_transform": True, "transform_channels": (16, 32)}),
    "pointnet2_ssg": ("pointnet2_ssg", {"ratios": (0.5, 0.5), "radii": ((0.3,), (0.6,)), "max_neighbors": (8, 8),
                                        "sa_channels": ((16, 16), (32, 32)), "global_channels": (32,),
                                        "fp_channels": (32, 16)}),
    "pointnet2_msg": ("pointnet2_msg", {"ratios": (0.5, 0.5), "radii": ((0.2, 0.4), (0.5, 0.8)),
                                        "max_neighbors": (8, 8), "sa_channels": ((8, 16), (16, 16)),
                                        "global_channels": (32,), "fp_channels": (32, 16)}),
    "sparse_voxel": ("sparse_voxel", {"voxel_size": 0.1, "channels": (8, 16), "out_channels": 32}),
}
MODELS = list(SMALL)


def small_encoder(key: str, seed: int = 0, **overrides) -> nn.Module:
    name, cfg = SMALL[key]
    torch.manual_seed(seed)
    return build_encoder(name, {**cfg, **overrides})


def packed_input(sizes: list[int], seed: int = 0, grid: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """x (N, 3) colours, pos (N, 3) in the unit cube, batch (N,). ``grid`` > 0 snaps pos to multiples of
    1/grid, so that translations by dyadic offsets are exact in float32."""
    g = torch.Generator().manual_seed(seed)
    n = sum(sizes)
    pos = torch.randint(0, grid, (n, 3), generator=g).float() / grid if grid else torch.rand(n, 3, generator=g)
    x = torch.rand(n, 3, generator=g)
    batch = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    return x, pos, batch
