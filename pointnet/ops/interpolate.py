"""Inverse-distance kNN interpolation, the upsampling step of PointNet++ feature propagation.

PyG's ``knn_interpolate`` calls its own ``knn``, which needs pyg-lib; this one uses ``pointnet.ops.knn``.
"""

from __future__ import annotations

import torch
from torch_geometric.utils import scatter

from pointnet.ops.neighbors import Backend, knn


def knn_interpolate(
    x: torch.Tensor,
    pos_x: torch.Tensor,
    pos_y: torch.Tensor,
    batch_x: torch.Tensor | None = None,
    batch_y: torch.Tensor | None = None,
    k: int = 3,
    backend: Backend = "auto",
) -> torch.Tensor:
    """Features at ``pos_y`` as the inverse-squared-distance weighted mean of their k nearest ``x``.

    Args:
        x: (N, C) features at the source positions pos_x (N, 3), clouds batch_x (N,).
        pos_y: (M, 3) target positions, clouds batch_y (M,).
        k: neighbours averaged per target (Qi et al. 2017 use 3).

    Returns:
        (M, C) interpolated features. A target that coincides with a source takes (almost) its feature.
    """
    edge = knn(pos_x, pos_y, k, batch_x, batch_y, backend)  # (2, E): row 0 target, row 1 source
    target, source = edge[0], edge[1]
    d2 = (pos_x[source] - pos_y[target]).square().sum(-1, keepdim=True)  # (E, 1)
    weight = 1.0 / d2.clamp_min(1e-16)
    num = scatter(x[source] * weight, target, dim=0, dim_size=pos_y.shape[0], reduce="sum")  # (M, C)
    den = scatter(weight, target, dim=0, dim_size=pos_y.shape[0], reduce="sum")  # (M, 1)
    return num / den
