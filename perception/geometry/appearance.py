"""Appearance statistics of a proposal: mean colour and a per-channel HSV histogram."""

from __future__ import annotations

import numpy as np

from perception.proposal import COLOR_HIST_BINS


def rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    """(M, 3) float32 HSV in [0, 1] of colours (M, 3) uint8. Hue is 0 for greys.

    Vectorised here because matplotlib's ``rgb_to_hsv`` validates and copies more than this hot path needs.
    """
    x = rgb.astype(np.float32) / 255.0  # (M, 3)
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    v = x.max(axis=1)
    delta = v - x.min(axis=1)
    safe = np.where(delta > 0, delta, 1.0)
    hue = np.where(v == r, (g - b) / safe, np.where(v == g, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe))
    hue = np.where(delta > 0, np.mod(hue / 6.0, 1.0), 0.0)
    sat = np.where(v > 0, delta / np.where(v > 0, v, 1.0), 0.0)
    return np.stack([hue, sat, v], axis=1).astype(np.float32)


_HIST_CHUNK = 8192
"""Colours converted per step: the float copies of a large object's colours stay small at a frame's peak."""


def hsv_histogram(rgb: np.ndarray, bins: int = COLOR_HIST_BINS) -> np.ndarray:
    """(3 * bins,) float32 histograms of H, S and V of colours (M, 3) uint8, each channel summing to 1."""
    return hsv_histograms(rgb, np.array([0, rgb.shape[0]]), bins)[0]


def hsv_histograms(rgb: np.ndarray, bounds: np.ndarray, bins: int = COLOR_HIST_BINS) -> np.ndarray:
    """(K, 3 * bins) float32 ``hsv_histogram`` of each run ``rgb[bounds[k]:bounds[k + 1]]`` of colours (M, 3)
    uint8, for ascending ``bounds`` (K + 1,): one pass over all the runs, where a call per run spends most of
    its time in numpy's per-call overhead."""
    k = bounds.size - 1
    counts = np.zeros(k * 3 * bins, dtype=np.int64)
    for start in range(int(bounds[0]), int(bounds[-1]), _HIST_CHUNK):
        stop = min(start + _HIST_CHUNK, int(bounds[-1]))
        hsv = rgb_to_hsv(rgb[start:stop])
        cells = np.minimum((hsv * bins).astype(np.int64), bins - 1)  # (chunk, 3)
        cells += np.arange(3) * bins  # channel c uses bins [c * bins, (c + 1) * bins) of its run's
        run = np.searchsorted(bounds[1:], np.arange(start, stop), side="right")  # (chunk,) each colour's run
        cells += run[:, None] * (3 * bins)
        counts += np.bincount(cells.ravel(), minlength=k * 3 * bins)
    sizes = np.maximum(np.diff(bounds), 1).astype(np.float32)  # (K,) float32, as hsv_histogram's divisor was
    return counts.reshape(k, 3 * bins).astype(np.float32) / sizes[:, None]


def histogram_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Histogram intersection of two ``hsv_histogram`` outputs, in [0, 1] (1 = identical)."""
    return float(np.minimum(a, b).sum() / 3.0)


def histogram_similarities(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(P, T) ``histogram_similarity`` of every row of ``a`` (P, H) with every row of ``b`` (T, H)."""
    return np.minimum(a[:, None], b[None]).sum(axis=2) / 3.0
