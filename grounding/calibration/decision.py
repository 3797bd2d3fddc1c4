"""The rule that turns calibrated grounding probabilities into "found", "not_found" or "ambiguous".

One function, used both by the engine at query time and by the threshold search on val, so the
thresholds are chosen for exactly the rule that applies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Status = Literal["found", "not_found", "ambiguous"]


@dataclass
class Decision:
    """The outcome for one query."""

    status: Status
    """"found", "not_found" or "ambiguous"."""
    order: np.ndarray
    """(K,) proposal indices sorted by calibrated probability, best first."""
    object_probs: np.ndarray
    """(K,) calibrated probability of each proposal."""
    none_prob: float
    """Calibrated probability of "none of these"."""
    ambiguous: np.ndarray
    """(A,) proposal indices that fit almost equally (A >= 2 for "ambiguous", else empty), best first."""

    @property
    def best(self) -> int | None:
        """Index of the best proposal, or None when K == 0."""
        return int(self.order[0]) if len(self.order) else None

    @property
    def confidence(self) -> float:
        """Calibrated probability that the returned answer is right: the best proposal's probability,
        or for "not_found" the probability that the best proposal is not the target."""
        if self.best is None:
            return 1.0
        p = float(self.object_probs[self.best])
        return 1.0 - p if self.status == "not_found" else p


def decide(probs: np.ndarray, not_found_threshold: float, ambiguity_margin: float) -> Decision:
    """Apply the rule to one query's calibrated probabilities (K + 1,), "none" last, summing to 1.

    not_found: K == 0, or "none" is at least the best proposal, or the best is below the threshold;
    ambiguous: otherwise, when the runner-up is within ``ambiguity_margin`` of the best;
    found: otherwise.
    """
    p = np.asarray(probs, dtype=np.float64)
    obj, none = p[:-1], float(p[-1])  # (K,), scalar
    order = np.argsort(-obj, kind="stable")
    empty = np.zeros(0, dtype=np.int64)
    if len(obj) == 0:
        return Decision("not_found", order, obj, none, empty)
    best = float(obj[order[0]])
    if none >= best or best < not_found_threshold:
        return Decision("not_found", order, obj, none, empty)
    close = order[obj[order] > best - ambiguity_margin]
    if len(close) >= 2:
        return Decision("ambiguous", order, obj, none, close.astype(np.int64))
    return Decision("found", order, obj, none, empty)
