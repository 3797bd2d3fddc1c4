"""Per-object image features: pool the lifted patch tokens that fall inside each object's box."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from perception.box3d import Box3D
from perception.spatial_tokens import SpatialTokens


@dataclass
class ObjectImageFeatures:
    """Mean image feature of each object over every view that saw it."""

    features: torch.Tensor
    """(P, D) mean of the tokens inside each box; zeros where no token fell inside."""
    counts: torch.Tensor
    """(P,) int64 number of tokens pooled per object (0 = no image evidence)."""


def pool_object_features(
    tokens: SpatialTokens, boxes: Sequence[Box3D], margin_m: float = 0.02
) -> ObjectImageFeatures:
    """Average the lifted tokens (N, D), from any number of views, inside each of P boxes.

    Tokens from all views are pooled together (OpenScene / ConceptGraphs style multi-view fusion), so an
    object seen from three views gets the mean of its patches in all three. ``margin_m`` grows each box
    so that patches centred on a thin object's surface still count.
    """
    pos = tokens.pos.detach().cpu().numpy()
    d = tokens.num_channels
    feats = torch.zeros(len(boxes), d, dtype=tokens.features.dtype)
    counts = torch.zeros(len(boxes), dtype=torch.int64)
    for i, box in enumerate(boxes):
        inside = torch.from_numpy(box.contains(pos, margin=margin_m))
        n = int(inside.sum())
        if n:
            feats[i] = tokens.features[inside].mean(dim=0)
            counts[i] = n
    return ObjectImageFeatures(features=feats, counts=counts)
