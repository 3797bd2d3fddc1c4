"""Expected calibration error (ECE) with equal-width confidence bins."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ECE_BINS = 15
"""Number of equal-width bins over [0, 1], the usual choice (Guo et al. 2017)."""


@dataclass
class ReliabilityBins:
    """Per-bin statistics of a reliability diagram."""

    edges: np.ndarray
    """(n_bins + 1,) bin edges over [0, 1]."""
    count: np.ndarray
    """(n_bins,) predictions per bin."""
    confidence: np.ndarray
    """(n_bins,) mean confidence per bin (0 where empty)."""
    accuracy: np.ndarray
    """(n_bins,) fraction correct per bin (0 where empty)."""


def reliability_bins(confidence: np.ndarray, correct: np.ndarray, n_bins: int = ECE_BINS) -> ReliabilityBins:
    """Bin (Q,) confidences in [0, 1] with their (Q,) correctness. Bins are (lo, hi], the first [0, hi]."""
    conf = np.asarray(confidence, dtype=np.float64).reshape(-1)
    ok = np.asarray(correct, dtype=np.float64).reshape(-1)
    if conf.shape != ok.shape:
        raise ValueError(
            f"reliability_bins: expected confidence and correct of one length, got {conf.shape} vs {ok.shape}"
        )
    if ((conf < 0) | (conf > 1)).any():
        raise ValueError("reliability_bins: expected confidences in [0, 1]")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.ceil(conf * n_bins).astype(np.int64) - 1, 0, n_bins - 1)  # (Q,) bin of each
    count = np.bincount(idx, minlength=n_bins).astype(np.float64)
    safe = np.maximum(count, 1.0)
    return ReliabilityBins(
        edges=edges,
        count=count,
        confidence=np.bincount(idx, weights=conf, minlength=n_bins) / safe,
        accuracy=np.bincount(idx, weights=ok, minlength=n_bins) / safe,
    )


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, n_bins: int = ECE_BINS) -> float:
    """ECE = sum over bins of (bin share) * |accuracy - mean confidence|, in [0, 1]; 0 for no predictions."""
    bins = reliability_bins(confidence, correct, n_bins)
    total = bins.count.sum()
    if total == 0:
        return 0.0
    return float(np.sum(bins.count / total * np.abs(bins.accuracy - bins.confidence)))
