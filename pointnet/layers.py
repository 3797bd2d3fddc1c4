"""Small building blocks shared by the encoders: shared MLPs and per-cloud pooling of packed rows."""

from __future__ import annotations

import itertools

import torch
from torch import nn

from pointnet.errors import BatchError
from pointnet.ops._batch import check_packed


def norm_layer(kind: str, channels: int) -> nn.Module:
    """A normalisation over the channel axis of packed rows (N, C): batch, layer, or none."""
    if kind == "batch":
        return nn.BatchNorm1d(channels)
    if kind == "layer":
        return nn.LayerNorm(channels)
    return nn.Identity()


def shared_mlp(channels: list[int], norm: str, last_activation: bool = True) -> nn.Sequential:
    """Per-row MLP channels[0] -> ... -> channels[-1]: Linear, norm, ReLU; (N, C0) -> (N, C_last).

    With ``last_activation`` False the last layer is a plain Linear (for logits and projections).
    """
    layers: list[nn.Module] = []
    for i, (c_in, c_out) in enumerate(itertools.pairwise(channels)):
        last = i == len(channels) - 2
        if last and not last_activation:
            layers.append(nn.Linear(c_in, c_out))
        else:
            # No bias before a batch/layer norm: the norm's shift replaces it.
            layers += [nn.Linear(c_in, c_out, bias=norm == "none"), norm_layer(norm, c_out), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def num_clouds(batch: torch.Tensor) -> int:
    """B of a sorted packed batch index (N,)."""
    return int(batch[-1].item()) + 1 if batch.numel() else 0


def max_pool(x: torch.Tensor, batch: torch.Tensor, size: int) -> torch.Tensor:
    """Per-cloud channel-wise max of packed rows: (N, C) -> (B, C). The symmetric function of PointNet."""
    index = batch[:, None].expand_as(x)
    out = x.new_full((size, x.shape[1]), float("-inf"))
    return out.scatter_reduce(0, index, x, reduce="amax", include_self=True)


def mean_pool(x: torch.Tensor, batch: torch.Tensor, size: int) -> torch.Tensor:
    """Per-cloud channel-wise mean of packed rows: (N, C) -> (B, C)."""
    index = batch[:, None].expand_as(x)
    out = x.new_zeros((size, x.shape[1])).scatter_add(0, index, x)
    count = torch.bincount(batch, minlength=size).clamp_min(1).to(x.dtype)  # (B,)
    return out / count[:, None]


def check_encoder_inputs(
    name: str, x: torch.Tensor | None, pos: torch.Tensor, batch: torch.Tensor | None, in_channels: int
) -> tuple[torch.Tensor | None, torch.Tensor]:
    """Validate an encoder's packed input; returns (x, batch) with batch filled in for one cloud.

    x is (N, in_channels) or None when in_channels == 0; pos is (N, 3); batch (N,) sorted int64 with no
    empty cloud.
    """
    batch = check_packed(name, pos, batch)
    n = pos.shape[0]
    if n == 0:
        raise BatchError(f"{name}: expected at least one point, got an empty batch")
    counts = torch.bincount(batch)
    if bool((counts == 0).any()):
        raise BatchError(f"{name}: expected every cloud 0..B-1 to have points, got empty clouds "
                         f"{torch.nonzero(counts == 0).flatten().tolist()}")
    if in_channels == 0:
        if x is not None and x.shape[1] != 0:
            raise BatchError(f"{name}: config has in_channels=0, so expected x=None, got {tuple(x.shape)}")
        return None, batch
    if x is None or x.shape != (n, in_channels):
        got = None if x is None else tuple(x.shape)
        raise BatchError(f"{name}: expected features x of shape ({n}, {in_channels}), got {got}")
    return x, batch
