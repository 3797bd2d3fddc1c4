"""Brute-force references for the ops, built on torch.cdist over the whole packed batch."""

from __future__ import annotations

import torch


def packed(sizes: list[int], seed: int = 0, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random positions (N, 3) and a packed batch (N,) of clouds of the given sizes, offset apart."""
    g = torch.Generator().manual_seed(seed)
    pos = torch.rand(sum(sizes), 3, generator=g) * scale
    batch = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    # Clouds overlap in space on purpose: only the batch index may keep neighbours apart.
    return pos, batch


def brute_distances(x: torch.Tensor, y: torch.Tensor, bx: torch.Tensor, by: torch.Tensor) -> torch.Tensor:
    """(M, N) float64 distances, +inf between different clouds."""
    d = torch.cdist(y.double(), x.double())
    d[by[:, None] != bx[None, :]] = float("inf")
    return d


def brute_knn(x, y, k, bx, by) -> set[tuple[int, int]]:
    d = brute_distances(x, y, bx, by)
    out = set()
    for i in range(y.shape[0]):
        row = d[i]
        finite = int(torch.isfinite(row).sum())
        for j in torch.argsort(row)[: min(k, finite)].tolist():
            out.add((i, j))
    return out


def brute_ball(x, y, r, max_nb, bx, by) -> set[tuple[int, int]]:
    d = brute_distances(x, y, bx, by)
    out = set()
    for i in range(y.shape[0]):
        row = d[i]
        inside = int((row <= r).sum())
        for j in torch.argsort(row)[: min(max_nb, inside)].tolist():
            out.add((i, j))
    return out


def brute_fps(pos: torch.Tensor, n: int, start: int) -> list[int]:
    """Textbook farthest point sampling of one cloud from row ``start``."""
    sel = [start]
    d = (pos - pos[start]).square().sum(1)
    for _ in range(n - 1):
        i = int(d.argmax())
        sel.append(i)
        d = torch.minimum(d, (pos - pos[i]).square().sum(1))
    return sel
