"""Reductions of (N, K) arrays with few columns (points, their masks), one column at a time.

numpy reduces ``mask.all(axis=1)`` over a short last axis, and ``points.min(axis=0)`` down a C-ordered array,
row by row, while K passes over the columns run at memory speed: for the (N, 3) arrays of point clouds an
order of magnitude faster.
"""

from __future__ import annotations

import numpy as np


def rows_all(mask: np.ndarray) -> np.ndarray:
    """(N,) bool: the rows of ``mask`` (N, K) bool whose K values are all True (every row, for K = 0)."""
    out = np.ones(mask.shape[0], dtype=bool)
    for k in range(mask.shape[1]):
        out &= mask[:, k]
    return out


def rows_any(mask: np.ndarray) -> np.ndarray:
    """(N,) bool: the rows of ``mask`` (N, K) bool with at least one True (none, for K = 0)."""
    out = np.zeros(mask.shape[0], dtype=bool)
    for k in range(mask.shape[1]):
        out |= mask[:, k]
    return out


def finite_rows(values: np.ndarray) -> np.ndarray:
    """(N,) bool: the rows of ``values`` (N, K) float whose K values are all finite."""
    out = np.ones(values.shape[0], dtype=bool)
    for k in range(values.shape[1]):
        out &= np.isfinite(values[:, k])
    return out


_FEW_ROWS = 64
"""Below this many rows numpy's own reduction is faster: a pass per column costs a call each."""


def column_bounds(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K,) minimum and (K,) maximum of each column of ``values`` (N >= 1, K), in its dtype (NaN if any)."""
    if values.shape[0] < _FEW_ROWS:
        return values.min(axis=0), values.max(axis=0)
    lo = np.array([values[:, k].min() for k in range(values.shape[1])], dtype=values.dtype)
    hi = np.array([values[:, k].max() for k in range(values.shape[1])], dtype=values.dtype)
    return lo, hi
