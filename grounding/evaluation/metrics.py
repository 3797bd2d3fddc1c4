"""Metrics of grounding, QA and retrieval, computed from plain per-query records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from perception import Box3D


@dataclass
class GroundingRecord:
    """One grounding query's outcome, as the metrics need it."""

    target_id: int
    """Ground-truth object id, -1 when the described object is absent."""
    predicted_id: int | None
    """Chosen object id, or None when the answer was "not_found"."""
    status: str
    """The engine's status ("found", "not_found", "ambiguous")."""
    unique: bool
    """True when the target's label occurs once in the scene (ScanRefer's "unique" split)."""
    view_dependent: bool
    """True when the sentence uses a view-dependent relation (left, right, in front, behind)."""
    relation: str
    """Relation kind of the sentence, e.g. "left_of", "none"."""
    predicted_box: Box3D | None = None
    """Box of the chosen object (predicted proposals), or None."""
    target_box: Box3D | None = None
    """Ground-truth box of the target, or None when absent."""

    @property
    def correct(self) -> bool:
        """Right object (present target) or "not_found" (absent target). "ambiguous" counts its top pick."""
        if self.target_id < 0:
            return self.status == "not_found"
        return self.status != "not_found" and self.predicted_id == self.target_id


def _rate(flags: Sequence[bool]) -> float | None:
    return float(np.mean(flags)) if len(flags) else None


def grounding_accuracy(records: Sequence[GroundingRecord]) -> dict[str, object]:
    """Accuracy over present-target queries: overall, unique/multiple, view-dependent/independent, by relation.

    Returns {"overall", "unique", "multiple", "view_dependent", "view_independent", "by_relation": {kind: acc},
    "n": count}; a split without queries is None.
    """
    present = [r for r in records if r.target_id >= 0]
    by_rel: dict[str, list[bool]] = defaultdict(list)
    for r in present:
        by_rel[r.relation].append(r.correct)
    return {
        "overall": _rate([r.correct for r in present]),
        "unique": _rate([r.correct for r in present if r.unique]),
        "multiple": _rate([r.correct for r in present if not r.unique]),
        "view_dependent": _rate([r.correct for r in present if r.view_dependent]),
        "view_independent": _rate([r.correct for r in present if not r.view_dependent]),
        "by_relation": {k: _rate(v) for k, v in sorted(by_rel.items())},
        "n": len(present),
    }


def acc_at_iou(
    records: Sequence[GroundingRecord], thresholds: Sequence[float] = (0.25, 0.5)
) -> dict[str, float | None]:
    """Share of present-target queries whose chosen box overlaps the target's box by IoU >= t.

    A query answered "not_found" or without a box counts as a miss. Keys "acc@0.25", "acc@0.5", ...
    """
    present = [r for r in records if r.target_id >= 0 and r.target_box is not None]
    ious = [
        r.predicted_box.iou(r.target_box) if (r.predicted_box is not None and r.status != "not_found") else 0.0
        for r in present
        if r.target_box is not None
    ]
    return {f"acc@{t:g}": _rate([iou >= t for iou in ious]) for t in thresholds}


def exact_match_at_k(ranked_answers: Sequence[Sequence[str]], gold: Sequence[Sequence[str]], k: int) -> float | None:
    """EM@k: share of questions where one of the top-k predicted answers equals a gold answer.

    Answers are compared after lower-casing and trimming (ScanQA's exact match).
    """
    if len(ranked_answers) != len(gold):
        raise ValueError(
            f"exact_match_at_k: expected one gold list per prediction, got {len(gold)} vs {len(ranked_answers)}"
        )

    def norm(a: str) -> str:
        return " ".join(a.lower().split())

    hits = [
        bool({norm(a) for a in pred[:k]} & {norm(g) for g in gold_q})
        for pred, gold_q in zip(ranked_answers, gold, strict=True)
    ]
    return _rate(hits)


def recall_at_k(similarity_rows: Sequence[np.ndarray], target_index: Sequence[int], k: int) -> float | None:
    """Text-to-object Recall@k: share of queries whose target is among the k objects most similar to the text.

    ``similarity_rows[q]`` (K_q,) holds the similarity of query q to each object of its scene;
    ``target_index[q]`` is the target's index in that row (queries with absent targets are left out
    by the caller).
    """
    hits = []
    for row, t in zip(similarity_rows, target_index, strict=True):
        row = np.asarray(row, dtype=np.float64)
        # Rank = other objects at least as similar as the target: a tie counts against it, so a model
        # that scores every object the same does not get full recall.
        hits.append(int((row >= row[int(t)]).sum()) - 1 < k)
    return _rate(hits)


def percentile_ms(latencies_ms: Sequence[float], q: float = 50.0) -> float | None:
    """The q-th percentile of latencies in milliseconds (None for none)."""
    return float(np.percentile(np.asarray(latencies_ms, dtype=np.float64), q)) if len(latencies_ms) else None
