"""Helpers for packed PyG-style batches: rows of cloud b are contiguous and ``batch`` is sorted."""

from __future__ import annotations

import torch

from pointnet.errors import BatchError


def check_packed(name: str, pos: torch.Tensor, batch: torch.Tensor | None) -> torch.Tensor:
    """Validate ``pos`` (N, 3) and its sorted ``batch`` (N,) int64; None means one cloud. Returns batch."""
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise BatchError(f"{name}: expected positions of shape (N, 3), got {tuple(pos.shape)}")
    if batch is None:
        return torch.zeros(pos.shape[0], dtype=torch.int64, device=pos.device)
    if batch.shape != (pos.shape[0],) or batch.dtype != torch.int64:
        raise BatchError(
            f"{name}: expected batch of shape ({pos.shape[0]},) int64, got {tuple(batch.shape)} {batch.dtype}"
        )
    if batch.numel() > 1 and bool((batch[1:] < batch[:-1]).any()):
        raise BatchError(f"{name}: expected a sorted (packed) batch index, got an unsorted one")
    return batch


def cloud_ptr(batch: torch.Tensor, num_clouds: int | None = None) -> torch.Tensor:
    """(B + 1,) int64 row offsets: cloud b owns rows ``ptr[b]:ptr[b + 1]`` of a packed batch (N,)."""
    if num_clouds is None:
        num_clouds = int(batch[-1].item()) + 1 if batch.numel() else 0
    counts = torch.bincount(batch, minlength=num_clouds)  # (B,)
    return torch.cat([counts.new_zeros(1), counts.cumsum(0)])
