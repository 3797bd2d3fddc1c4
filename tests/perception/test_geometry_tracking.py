"""ObjectTracker's vectorised match score against the pairwise definition it implements."""

from __future__ import annotations

import numpy as np
import pytest

from perception.box3d import Box3D
from perception.geometry.appearance import histogram_similarity
from perception.geometry.errors import GeometryConfigError
from perception.geometry.proposals import make_proposal
from perception.geometry.tracking import ObjectTracker, Track, TrackerConfig
from perception.proposal import ObjectProposal


def _random_proposal(rng: np.random.Generator, object_id: int) -> ObjectProposal:
    center = rng.uniform(-1.0, 1.0, 3)
    points = center + rng.uniform(-0.2, 0.2, (40, 3)) * rng.uniform(0.2, 1.0, 3)
    colors = rng.integers(0, 256, (40, 3), dtype=np.uint8)
    return make_proposal(object_id, points.astype(np.float32), colors, np.arange(40))


def _reference_score(p: ObjectProposal, t: Track, cfg: TrackerConfig) -> float:
    """The score as the tracker's docstring defines it, one pair at a time with Box3D's exact IoU."""
    iou = p.aabb.iou(t.box)
    distance = float(np.linalg.norm(p.aabb.center - t.box.center))
    if iou < cfg.min_iou and distance > cfg.max_center_distance:
        return -1.0
    overlap = max(iou, 1.0 - distance / cfg.max_center_distance)
    appearance = histogram_similarity(p.color_hist, t.color_hist)
    return (1 - cfg.appearance_weight) * overlap + cfg.appearance_weight * appearance


def test_vectorised_scores_match_the_pairwise_definition() -> None:
    rng = np.random.default_rng(0)
    tracker = ObjectTracker()
    tracker.update([_random_proposal(rng, k) for k in range(30)])
    proposals = [_random_proposal(rng, k) for k in range(25)]
    score = tracker._scores(proposals)  # (P, T)
    expected = np.array([[_reference_score(p, t, tracker.config) for t in tracker.tracks] for p in proposals])
    assert score.shape == (25, 30)
    assert (score > -1).any() and (score == -1).any()  # both gate outcomes are exercised
    np.testing.assert_allclose(score, expected, atol=1e-6)


def test_scores_of_an_empty_side_are_empty() -> None:
    tracker = ObjectTracker()
    assert tracker._scores([]).shape == (0, 0)
    rng = np.random.default_rng(1)
    assert tracker._scores([_random_proposal(rng, 0)]).shape == (1, 0)


def test_rotated_track_boxes_are_refused() -> None:
    rng = np.random.default_rng(2)
    tracker = ObjectTracker()
    proposal = _random_proposal(rng, 0)
    tracker.tracks.append(Track(0, Box3D(np.zeros(3), np.ones(3), yaw=0.3), proposal.color_hist, 0))
    with pytest.raises(GeometryConfigError, match="axis-aligned"):
        tracker._scores([proposal])


def test_num_created_counts_tracks_that_aged_out() -> None:
    rng = np.random.default_rng(3)
    tracker = ObjectTracker(TrackerConfig(max_age=1))
    tracker.update([_random_proposal(rng, k) for k in range(4)])
    for _ in range(3):
        tracker.update([])
    assert tracker.tracks == [] and tracker.num_created == 4
