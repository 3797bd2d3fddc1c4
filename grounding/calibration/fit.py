"""Fit a checkpoint's calibration on val: temperature, thresholds, and the figures that justify them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grounding.calibration.abstention import AbstentionReport, abstention_report
from grounding.calibration.decision import decide
from grounding.calibration.ece import expected_calibration_error
from grounding.calibration.params import CalibrationParams
from grounding.calibration.temperature import fit_temperature, softmax_t
from grounding.calibration.thresholds import choose_ambiguity_margin, choose_not_found_threshold


@dataclass
class CalibrationReport:
    """What ``calibrate`` chose and measured."""

    params: CalibrationParams
    """The fitted temperature and thresholds (with these figures in ``params.metrics``)."""
    ece_before: float
    """ECE (15 bins) of the top choice among proposals + none at T = 1."""
    ece_after: float
    """The same at the fitted T."""
    nll_before: float
    """Mean NLL at T = 1."""
    nll_after: float
    """Mean NLL at the fitted T."""
    abstention: AbstentionReport
    """Abstention rates of the fitted rule on the fitting queries."""


def top_choice_calibration(probs: Sequence[np.ndarray], targets: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(Q,) confidence of the top option among proposals + none and (Q,) whether it is the target."""
    conf = np.array([float(np.max(p)) for p in probs])
    ok = np.array([int(np.argmax(p)) == int(t) for p, t in zip(probs, targets, strict=True)])
    return conf, ok


def ece_of(logits: Sequence[np.ndarray], targets: Sequence[int], temperature: float) -> float:
    """ECE of softmax(logits / T) over proposals + none against ``targets``."""
    conf, ok = top_choice_calibration([softmax_t(z, temperature) for z in logits], targets)
    return expected_calibration_error(conf, ok)


def calibrate(
    logits: Sequence[np.ndarray],
    targets: Sequence[int],
    fitted_on: str,
    max_false_abstain: float = 0.05,
    max_correct_flagged: float = 0.03,
) -> CalibrationReport:
    """Fit T by NLL, then the "not found" threshold and the ambiguity margin, on the same queries.

    ``logits[q]`` (K_q + 1,) raw grounding scores with "none" last; ``targets[q]`` in [0, K_q], K_q
    when the described object is absent. ``fitted_on`` is recorded in the params.
    """
    fit = fit_temperature(logits, targets)
    probs = [softmax_t(z, fit.temperature) for z in logits]
    tau = choose_not_found_threshold(probs, targets, max_false_abstain)
    margin = choose_ambiguity_margin(probs, targets, tau, max_correct_flagged)
    statuses = [decide(p, tau, margin).status for p in probs]
    present = [int(t) != len(z) - 1 for z, t in zip(logits, targets, strict=True)]
    abst = abstention_report(statuses, present)
    ece_before, ece_after = ece_of(logits, targets, 1.0), ece_of(logits, targets, fit.temperature)
    metrics = {
        "ece_before": ece_before,
        "ece_after": ece_after,
        "nll_before": fit.nll_before,
        "nll_after": fit.nll_after,
        "n_queries": float(len(logits)),
        **{k: float(v) for k, v in abst.to_json().items() if v is not None},
    }
    params = CalibrationParams(
        temperature=fit.temperature,
        not_found_threshold=tau,
        ambiguity_margin=margin,
        fitted_on=fitted_on,
        metrics=metrics,
    )
    return CalibrationReport(params, ece_before, ece_after, fit.nll_before, fit.nll_after, abst)
