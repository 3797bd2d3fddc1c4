"""Stable object ids across scene updates: match new proposals to tracks by box overlap and colour.

Hungarian assignment (scipy's ``linear_sum_assignment``) on a score mixing axis-aligned IoU and HSV
histogram intersection, gated by IoU or centre distance. Unmatched proposals start new tracks; tracks not
matched for ``max_age`` updates are dropped, and at most ``max_tracks`` are kept, so memory stays bounded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from perception.box3d import Box3D
from perception.geometry.appearance import histogram_similarities
from perception.geometry.errors import GeometryConfigError
from perception.proposal import ObjectProposal


@dataclass
class TrackerConfig:
    """Matching and ageing rules."""

    appearance_weight: float = 0.3
    """Weight of colour-histogram similarity in the match score; IoU gets the rest."""
    min_iou: float = 0.05
    """A pair may match when its AABB IoU reaches this ..."""
    max_center_distance: float = 0.25
    """... or when the box centres are at most this far apart, metres."""
    min_score: float = 0.2
    """Pairs scoring below this never match."""
    max_age: int = 30
    """Updates a track may go unmatched before it is dropped."""
    max_tracks: int = 1024
    """Most tracks kept; the least recently seen go first."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.appearance_weight <= 1.0:
            raise GeometryConfigError(
                f"TrackerConfig.appearance_weight: expected in [0, 1], got {self.appearance_weight}"
            )
        if self.max_age < 0 or self.max_tracks < 1:
            raise GeometryConfigError(
                f"TrackerConfig: expected max_age >= 0 and max_tracks >= 1, got {self.max_age}, {self.max_tracks}"
            )


@dataclass
class Track:
    """What the tracker remembers of one object."""

    object_id: int
    """The stable id."""
    box: Box3D
    """Latest axis-aligned box."""
    color_hist: np.ndarray
    """Latest HSV histogram."""
    last_seen: int
    """Update index when it was last matched."""
    hits: int = 1
    """Updates it was matched in."""


class ObjectTracker:
    """Gives proposals ids that stay the same while the same object is proposed again."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self.tracks: list[Track] = []
        self.num_updates = 0
        self._next_id = 0

    @property
    def num_created(self) -> int:
        """Tracks started so far; those no longer in ``tracks`` were aged out (or dropped by ``max_tracks``)."""
        return self._next_id

    def update(self, proposals: list[ObjectProposal]) -> list[ObjectProposal]:
        """The proposals with ``object_id`` set to their track's id (new ids for new objects)."""
        cfg = self.config
        step = self.num_updates
        self.num_updates += 1
        score = self._scores(proposals)  # (P, T)
        rows, cols = linear_sum_assignment(-score) if score.size else (np.empty(0, int), np.empty(0, int))
        assigned: dict[int, int] = {}
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            if score[r, c] >= cfg.min_score:
                assigned[r] = c
        out = []
        for i, proposal in enumerate(proposals):
            if i in assigned:
                track = self.tracks[assigned[i]]
                track.box, track.color_hist, track.last_seen = proposal.aabb, proposal.color_hist, step
                track.hits += 1
            else:
                track = Track(self._next_id, proposal.aabb, proposal.color_hist, step)
                self._next_id += 1
                self.tracks.append(track)
            out.append(dataclasses.replace(proposal, object_id=track.object_id))
        self.tracks = [t for t in self.tracks if step - t.last_seen <= cfg.max_age]
        if len(self.tracks) > cfg.max_tracks:
            self.tracks = sorted(self.tracks, key=lambda t: t.last_seen)[-cfg.max_tracks :]
        return out

    def _scores(self, proposals: list[ObjectProposal]) -> np.ndarray:
        """(P, T) match score of each proposal against each track; -1 where the gate refuses the pair.

        Vectorised over all pairs: a Python loop calling ``Box3D.iou`` was the largest cost of an update on a
        fused room (hundreds of tracks times hundreds of proposals). Both boxes are axis-aligned, so the IoU
        is the product of the per-axis overlaps.
        """
        cfg = self.config
        if not proposals or not self.tracks:
            return np.full((len(proposals), len(self.tracks)), -1.0)
        p_center, p_size = _boxes([p.aabb for p in proposals])  # (P, 3) each
        t_center, t_size = _boxes([t.box for t in self.tracks])  # (T, 3) each
        lo = np.maximum(p_center[:, None] - p_size[:, None] / 2, t_center[None] - t_size[None] / 2)  # (P, T, 3)
        hi = np.minimum(p_center[:, None] + p_size[:, None] / 2, t_center[None] + t_size[None] / 2)
        inter = np.clip(hi - lo, 0.0, None).prod(axis=2)  # (P, T)
        union = p_size.prod(axis=1)[:, None] + t_size.prod(axis=1)[None] - inter
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
        distance = np.linalg.norm(p_center[:, None] - t_center[None], axis=2)  # (P, T)
        # Centre proximity stands in for overlap when a box grew as more of the object came into view.
        overlap = np.maximum(iou, 1.0 - distance / cfg.max_center_distance)
        p_hist = np.stack([p.color_hist for p in proposals])  # (P, H)
        t_hist = np.stack([t.color_hist for t in self.tracks])  # (T, H)
        appearance = histogram_similarities(p_hist, t_hist)  # (P, T)
        score = (1 - cfg.appearance_weight) * overlap + cfg.appearance_weight * appearance
        gate = (iou >= cfg.min_iou) | (distance <= cfg.max_center_distance)
        return np.where(gate, score, -1.0)


def _boxes(boxes: list[Box3D]) -> tuple[np.ndarray, np.ndarray]:
    """(K, 3) centres and (K, 3) sizes of axis-aligned boxes."""
    if any(b.yaw != 0.0 for b in boxes):
        raise GeometryConfigError("ObjectTracker: expected axis-aligned boxes (yaw 0)")
    return np.stack([b.center for b in boxes]), np.stack([b.size for b in boxes])
