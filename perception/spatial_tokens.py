"""SpatialTokens: feature vectors that each carry a 3D position. The common currency of the encoders."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from perception.errors import ShapeError


@dataclass
class SpatialTokens:
    """A packed batch of tokens in the PyG style: row i belongs to cloud ``batch[i]``.

    Packed (not padded) is the one batching convention of this package, because clouds in a batch
    have different sizes and message passing works on packed rows.
    """

    pos: torch.Tensor
    """(N, 3) float32 token positions in metres, in ``frame_id``."""
    features: torch.Tensor
    """(N, C) token features."""
    batch: torch.Tensor
    """(N,) int64 index of the cloud each token belongs to, sorted ascending from 0."""
    frame_id: str = "world"
    """Frame of ``pos``."""

    def __post_init__(self) -> None:
        if self.pos.ndim != 2 or self.pos.shape[1] != 3:
            raise ShapeError(f"SpatialTokens.pos: expected shape (N, 3), got {tuple(self.pos.shape)}")
        n = self.pos.shape[0]
        if self.features.ndim != 2 or self.features.shape[0] != n:
            raise ShapeError(f"SpatialTokens.features: expected shape ({n}, C), got {tuple(self.features.shape)}")
        if self.batch.shape != (n,):
            raise ShapeError(f"SpatialTokens.batch: expected shape ({n},), got {tuple(self.batch.shape)}")
        if self.batch.dtype != torch.int64:
            raise ShapeError(f"SpatialTokens.batch: expected dtype int64, got {self.batch.dtype}")
        if n > 1 and bool((self.batch[1:] < self.batch[:-1]).any()):
            raise ShapeError("SpatialTokens.batch: expected a sorted (packed) batch index, got an unsorted one")

    @classmethod
    def single(cls, pos: torch.Tensor, features: torch.Tensor, frame_id: str = "world") -> SpatialTokens:
        """Tokens of one cloud: pos (N, 3), features (N, C); the batch index is all zeros."""
        batch = torch.zeros(pos.shape[0], dtype=torch.int64, device=pos.device)
        return cls(pos=pos, features=features, batch=batch, frame_id=frame_id)

    @property
    def num_tokens(self) -> int:
        """N, the number of tokens over the whole batch."""
        return int(self.pos.shape[0])

    @property
    def num_channels(self) -> int:
        """C, the feature width."""
        return int(self.features.shape[1])

    @property
    def batch_size(self) -> int:
        """B, the number of clouds (0 when there is no token)."""
        return int(self.batch[-1].item()) + 1 if self.num_tokens else 0

    def to(self, device: torch.device | str) -> SpatialTokens:
        """The same tokens on ``device``."""
        return SpatialTokens(self.pos.to(device), self.features.to(device), self.batch.to(device), self.frame_id)

    def select(self, index: int) -> SpatialTokens:
        """The tokens of cloud ``index`` alone, with batch index 0."""
        keep = self.batch == index
        return SpatialTokens.single(self.pos[keep], self.features[keep], self.frame_id)

    @staticmethod
    def cat(items: list[SpatialTokens]) -> SpatialTokens:
        """Pack a list of token sets into one batch; item k becomes cloud k. All share one frame."""
        if not items:
            raise ShapeError("SpatialTokens.cat: expected at least one item, got an empty list")
        frames = {t.frame_id for t in items}
        if len(frames) != 1:
            raise ShapeError(f"SpatialTokens.cat: expected one frame_id, got {sorted(frames)}")
        batches = []
        offset = 0
        for t in items:
            batches.append(t.batch + offset)
            offset += t.batch_size
        return SpatialTokens(
            pos=torch.cat([t.pos for t in items]),
            features=torch.cat([t.features for t in items]),
            batch=torch.cat(batches),
            frame_id=items[0].frame_id,
        )
