"""Temperature scaling: one scalar T that divides the logits, fitted by NLL on held-out queries.

Each query has its own number of proposals K, so its logits are (K + 1,): one per proposal and the
"none of these" score last. They are padded with -inf to (Q, Kmax + 1) for a batched softmax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class TemperatureFit:
    """A fitted temperature and the mean NLL it changed."""

    temperature: float
    """T > 0; calibrated probabilities are softmax(logits / T)."""
    nll_before: float
    """Mean negative log-likelihood at T = 1."""
    nll_after: float
    """Mean negative log-likelihood at the fitted T."""


def pad_logits(logits: Sequence[np.ndarray], targets: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Stack variable-length logits into (Q, Kmax + 1), the none score moved to the last column.

    ``logits[q]`` is (K_q + 1,) with "none" last; ``targets[q]`` is in [0, K_q] (K_q means "absent").
    Returns (Q, Kmax + 1) float64 logits padded with -inf, and (Q,) int64 targets re-indexed so that
    "absent" is Kmax.
    """
    if len(logits) != len(targets):
        raise ValueError(f"pad_logits: expected as many targets as logit rows, got {len(targets)} vs {len(logits)}")
    if not logits:
        raise ValueError("pad_logits: expected at least one query, got 0")
    kmax = max(len(row) for row in logits) - 1
    out = np.full((len(logits), kmax + 1), -np.inf)
    tgt = np.empty(len(logits), dtype=np.int64)
    for q, (row, t) in enumerate(zip(logits, targets, strict=True)):
        row = np.asarray(row, dtype=np.float64)
        k = len(row) - 1
        if not 0 <= int(t) <= k:
            raise ValueError(f"pad_logits: query {q}: expected target in [0, {k}], got {t}")
        out[q, :k] = row[:k]
        out[q, kmax] = row[k]
        tgt[q] = kmax if int(t) == k else int(t)
    return out, tgt


def softmax_t(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """softmax(logits / T) over the last axis; -inf entries get probability 0. Shape unchanged."""
    z = np.asarray(logits, dtype=np.float64) / float(temperature)
    z = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def fit_temperature(
    logits: Sequence[np.ndarray], targets: Sequence[int], t_min: float = 0.05, t_max: float = 20.0
) -> TemperatureFit:
    """Fit T by minimising the mean NLL of ``targets`` with L-BFGS on log T (keeps T positive).

    ``logits`` and ``targets`` as in ``pad_logits``. T is clamped to [t_min, t_max] so that a
    separable set (NLL falls forever as T -> 0) still gives a finite temperature.
    """
    padded, tgt = pad_logits(logits, targets)
    pad = torch.as_tensor(np.isneginf(padded))
    # Padding is filled after the division: -inf / T would give NaN gradients.
    z = torch.as_tensor(np.where(np.isneginf(padded), 0.0, padded))
    y = torch.as_tensor(tgt)
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    lo, hi = float(np.log(t_min)), float(np.log(t_max))

    def nll(lt: torch.Tensor) -> torch.Tensor:
        scaled = (z / lt.clamp(lo, hi).exp()).masked_fill(pad, float("-inf"))  # (Q, Kmax + 1)
        return torch.nn.functional.cross_entropy(scaled, y)

    opt = torch.optim.LBFGS([log_t], lr=0.5, max_iter=100, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = nll(log_t)
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        before = float(nll(torch.zeros((), dtype=torch.float64)))
        t = float(log_t.clamp(lo, hi).exp())
        after = float(nll(log_t))
    if after > before:  # L-BFGS never should, but T = 1 is the safe answer if it did
        t, after = 1.0, before
    return TemperatureFit(temperature=t, nll_before=before, nll_after=after)
