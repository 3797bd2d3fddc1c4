"""Row-wise all / any of a boolean (N, K) array, one column at a time.

numpy reduces ``mask.all(axis=1)`` over a short last axis row by row, while K passes over the columns run
at memory speed: for the (N, 3) masks of point clouds this is an order of magnitude faster.
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
