"""View-relative box geometry and its Fourier features: what lets the fusion learn "left of" and "closest to"."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class ViewGeometry:
    """Boxes of B scenes expressed in each scene's view frame (x right, y forward, z up, origin at the viewer)."""

    centers: torch.Tensor
    """(B, N, 3) float32 box centres in the view frame, metres."""
    extents: torch.Tensor
    """(B, N, 3) float32 extents of each box's view-aligned bounding box, metres."""
    sizes: torch.Tensor
    """(B, N, 3) float32 box extents along the box's own axes, metres (view-independent)."""

    def pair_offsets(self) -> torch.Tensor:
        """(B, N, N, 4): offset c_j - c_i in the view frame (3) and its length, for every pair (i, j)."""
        d = self.centers.unsqueeze(1) - self.centers.unsqueeze(2)  # (B, N, N, 3) row i, column j
        return torch.cat([d, d.norm(dim=-1, keepdim=True)], dim=-1)


def view_geometry(
    centers_world: torch.Tensor,
    sizes: torch.Tensor,
    yaws: torch.Tensor,
    origins: torch.Tensor,
    rotations: torch.Tensor,
) -> ViewGeometry:
    """Boxes (B, N, 3) centres, (B, N, 3) sizes and (B, N) yaws, seen from views (B, 3) origins, (B, 3, 3) rows."""
    rel = torch.einsum("bij,bnj->bni", rotations, centers_world - origins.unsqueeze(1))  # (B, N, 3)
    c, s = torch.cos(yaws), torch.sin(yaws)
    zero, one = torch.zeros_like(c), torch.ones_like(c)
    box_rot = torch.stack(
        [torch.stack([c, -s, zero], -1), torch.stack([s, c, zero], -1), torch.stack([zero, zero, one], -1)], -2
    )  # (B, N, 3, 3) box axes to world
    in_view = torch.einsum("bij,bnjk->bnik", rotations, box_rot).abs()  # (B, N, 3, 3)
    extents = torch.einsum("bnik,bnk->bni", in_view, sizes)  # (B, N, 3)
    return ViewGeometry(centers=rel, extents=extents, sizes=sizes)


class FourierFeatures(nn.Module):
    """x -> [x, sin(f_k x), cos(f_k x)] with fixed log-spaced frequencies, per input channel."""

    def __init__(self, in_dim: int, bands: int, min_wavelength_m: float = 0.1, max_wavelength_m: float = 16.0) -> None:
        super().__init__()
        wavelengths = torch.logspace(math.log10(min_wavelength_m), math.log10(max_wavelength_m), bands)
        self.freqs: torch.Tensor
        self.register_buffer("freqs", 2 * math.pi / wavelengths, persistent=False)
        self.in_dim = in_dim
        self.out_dim = in_dim * (1 + 2 * bands)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., in_dim) -> (..., in_dim * (1 + 2 * bands))."""
        angles = x.unsqueeze(-1) * self.freqs  # (..., in_dim, bands)
        out = torch.cat([x.unsqueeze(-1), torch.sin(angles), torch.cos(angles)], dim=-1)
        return out.flatten(-2)
