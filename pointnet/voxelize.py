"""Batch-aware voxelization: packed points -> occupied voxels with the mean of their points' features."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from pointnet.errors import ConfigError
from pointnet.ops._batch import check_packed


@dataclass
class Voxels:
    """The occupied voxels of a packed batch of clouds on one grid, sorted by cloud."""

    coords: torch.Tensor
    """(V, 4) int32 [cloud, i, j, k] grid indices, spconv's index layout (batch first)."""
    features: torch.Tensor
    """(V, C) mean of the features of the points in each voxel."""
    mean_pos: torch.Tensor
    """(V, 3) mean position of the points in each voxel, metres."""
    point_to_voxel: torch.Tensor
    """(N,) int64 row of ``coords`` that each input point fell into."""
    origin: torch.Tensor
    """(3,) position of the grid's corner (i, j, k) = (0, 0, 0), metres."""
    voxel_size: float
    """Edge length of a voxel, metres."""
    spatial_shape: tuple[int, int, int]
    """Grid extent along i, j, k."""

    @property
    def batch(self) -> torch.Tensor:
        """(V,) int64 cloud index of each voxel."""
        return self.coords[:, 0].long()

    def centres(self, stride: int = 1) -> torch.Tensor:
        """(V', 3) metric centres of voxels of ``stride`` times the base size, for coords (V', 4) at that stride."""
        return voxel_centres(self.coords, self.origin, self.voxel_size * stride)


def voxel_centres(coords: torch.Tensor, origin: torch.Tensor, size: float) -> torch.Tensor:
    """(V, 3) centres of voxels with grid indices coords (V, 4) [cloud, i, j, k] of edge ``size``."""
    return origin + (coords[:, 1:].to(origin.dtype) + 0.5) * size


def voxelize(
    features: torch.Tensor, pos: torch.Tensor, batch: torch.Tensor | None, voxel_size: float
) -> Voxels:
    """Group packed points (N, 3) with features (N, C) into voxels of ``voxel_size`` metres.

    One grid spans the whole batch (origin at the floor of the lowest corner), so each cloud keeps its
    own coordinates; voxels of different clouds never merge because the cloud index is part of the key.
    """
    if not voxel_size > 0:
        raise ConfigError(f"voxelize.voxel_size: expected > 0, got {voxel_size}")
    batch = check_packed("voxelize", pos, batch)
    origin = torch.floor(pos.detach().min(dim=0).values / voxel_size) * voxel_size  # (3,)
    ijk = torch.floor((pos.detach() - origin) / voxel_size).long()  # (N, 3)
    extent = ijk.max(dim=0).values + 1  # (3,)
    s0, s1, s2 = (int(v) for v in extent.tolist())
    key = ((batch * s0 + ijk[:, 0]) * s1 + ijk[:, 1]) * s2 + ijk[:, 2]  # (N,) cloud-major linear index
    uniq, inverse = torch.unique(key, sorted=True, return_inverse=True)  # (V,), (N,)
    v = uniq.shape[0]
    counts = torch.bincount(inverse, minlength=v).to(pos.dtype)[:, None]  # (V, 1)
    feat_sum = features.new_zeros(v, features.shape[1]).index_add_(0, inverse, features)
    pos_sum = pos.new_zeros(v, 3).index_add_(0, inverse, pos)
    coords = torch.stack(
        [uniq // (s0 * s1 * s2), (uniq // (s1 * s2)) % s0, (uniq // s2) % s1, uniq % s2], dim=1
    ).int()  # (V, 4)
    return Voxels(
        coords=coords,
        features=feat_sum / counts,
        mean_pos=pos_sum / counts,
        point_to_voxel=inverse,
        origin=origin,
        voxel_size=float(voxel_size),
        spatial_shape=(s0, s1, s2),
    )
