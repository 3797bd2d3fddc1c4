"""Choice of the "not found" threshold and the ambiguity margin on held-out (val) queries.

Both take calibrated probabilities per query (K + 1,), "none" last, and the target index in [0, K]
(K meaning the described object is absent), and simulate ``decision.decide`` on them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _best_and_none(probs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Q,) best proposal probability, (Q,) second best (0 if none), (Q,) best proposal index (-1 if K == 0)."""
    best = np.zeros(len(probs))
    second = np.zeros(len(probs))
    arg = np.full(len(probs), -1, dtype=np.int64)
    for q, p in enumerate(probs):
        obj = np.asarray(p, dtype=np.float64)[:-1]
        if len(obj):
            order = np.argsort(-obj, kind="stable")
            arg[q], best[q] = order[0], obj[order[0]]
            second[q] = obj[order[1]] if len(obj) > 1 else 0.0
    return best, second, arg


def not_found_flags(probs: Sequence[np.ndarray], threshold: float) -> np.ndarray:
    """(Q,) bool: queries that ``decide`` answers "not_found" at ``threshold``."""
    best, _, arg = _best_and_none(probs)
    none = np.array([float(np.asarray(p)[-1]) for p in probs])
    return (arg < 0) | (none >= best) | (best < threshold)


def choose_not_found_threshold(
    probs: Sequence[np.ndarray], targets: Sequence[int], max_false_abstain: float = 0.05, grid: int = 200
) -> float:
    """The threshold in [0, 1) that best separates absent from present targets.

    Maximises (absent answered "not_found") - (present answered "not_found") over a grid of quantiles of
    the best-proposal probability, among thresholds whose false-abstention rate on present targets stays
    at most ``max_false_abstain``; ties go to the lower threshold. 0 when no threshold helps.
    """
    present = np.array([int(t) != len(p) - 1 for p, t in zip(probs, targets, strict=True)])
    best, _, _ = _best_and_none(probs)
    candidates = np.unique(np.concatenate([[0.0], np.quantile(best, np.linspace(0, 1, grid + 1))]))
    candidates = candidates[candidates < 1.0]
    chosen, chosen_gain = 0.0, -np.inf
    for tau in candidates:
        nf = not_found_flags(probs, float(tau))
        false_rate = float(nf[present].mean()) if present.any() else 0.0
        absent_rate = float(nf[~present].mean()) if (~present).any() else 0.0
        gain = absent_rate - false_rate
        if false_rate <= max_false_abstain and gain > chosen_gain + 1e-12:
            chosen, chosen_gain = float(tau), gain
    return chosen


def choose_ambiguity_margin(
    probs: Sequence[np.ndarray],
    targets: Sequence[int],
    not_found_threshold: float,
    max_correct_flagged: float = 0.03,
    max_margin: float = 0.3,
) -> float:
    """The widest margin that flags at most ``max_correct_flagged`` of the right answers as ambiguous.

    Among present-target queries the rule would answer, those answered right have a gap (best minus
    runner-up probability); the margin is the gap below which that share of them lies, capped at
    ``max_margin``. Every wrong answer with a smaller gap becomes a question instead of a wrong pick.
    """
    best, second, arg = _best_and_none(probs)
    answered = ~not_found_flags(probs, not_found_threshold)
    tgt = np.asarray(targets, dtype=np.int64)
    correct_gaps = np.sort((best - second)[answered & (arg == tgt)])
    if len(correct_gaps) == 0:
        return 0.0
    k = int(np.floor(max_correct_flagged * len(correct_gaps)))
    margin = float(correct_gaps[k]) if k < len(correct_gaps) else max_margin
    return float(min(margin, max_margin))
