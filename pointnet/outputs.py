"""What every encoder returns."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from perception.spatial_tokens import SpatialTokens


@dataclass
class EncoderOutput:
    """Output of a point-cloud encoder on a packed batch of B clouds with N points in all."""

    tokens: SpatialTokens
    """The encoder's spatial tokens (T rows, C_t channels), packed by cloud: every point (PointNet),
    the last set-abstraction centroids (PointNet++), or the coarsest voxels (sparse voxel conv)."""
    global_feature: torch.Tensor
    """(B, D) one feature per cloud, invariant to the order of its points."""
    point_features: torch.Tensor | None
    """(N, C_p) one feature per input point in input order, or None when the config turns it off."""
