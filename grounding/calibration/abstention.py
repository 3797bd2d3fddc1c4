"""How often the grounding says "not found": rightly on absent targets, wrongly on present ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class AbstentionReport:
    """Abstention rates over a set of queries."""

    absent_not_found_rate: float
    """On queries whose target is absent: share answered "not_found" (goal >= 0.90). NaN if none."""
    present_not_found_rate: float
    """On queries whose target is present: share wrongly answered "not_found" (goal <= 0.05). NaN if none."""
    n_absent: int
    """Number of absent-target queries."""
    n_present: int
    """Number of present-target queries."""

    def to_json(self) -> dict[str, float | int | None]:
        def f(x: float) -> float | None:
            return None if np.isnan(x) else float(x)

        return {
            "absent_not_found_rate": f(self.absent_not_found_rate),
            "present_not_found_rate": f(self.present_not_found_rate),
            "n_absent": self.n_absent,
            "n_present": self.n_present,
        }


def abstention_report(statuses: Sequence[str], target_present: Sequence[bool]) -> AbstentionReport:
    """Rates from each query's status ("found", "not_found", ...) and whether its target exists."""
    s = np.asarray([x == "not_found" for x in statuses], dtype=bool)
    present = np.asarray(target_present, dtype=bool)
    if s.shape != present.shape:
        raise ValueError(f"abstention_report: expected one flag per status, got {present.shape} vs {s.shape}")
    absent = ~present
    return AbstentionReport(
        absent_not_found_rate=float(s[absent].mean()) if absent.any() else float("nan"),
        present_not_found_rate=float(s[present].mean()) if present.any() else float("nan"),
        n_absent=int(absent.sum()),
        n_present=int(present.sum()),
    )
