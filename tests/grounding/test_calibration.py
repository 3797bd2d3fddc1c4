"""Temperature scaling, ECE, the decision rule, threshold choice and the abstention report."""

import numpy as np
import pytest

from grounding.calibration import (
    CalibrationParams,
    abstention_report,
    calibrate,
    calibration_path,
    choose_ambiguity_margin,
    choose_not_found_threshold,
    expected_calibration_error,
    fit_temperature,
    pad_logits,
    softmax_t,
)
from grounding.calibration.decision import decide


def overconfident_set(n: int = 400, seed: int = 0) -> tuple[list[np.ndarray], list[int]]:
    """Queries whose true class probabilities are softmax(z) but whose logits are 4 * z (overconfident)."""
    rng = np.random.default_rng(seed)
    logits, targets = [], []
    for _ in range(n):
        k = int(rng.integers(2, 7))
        z = rng.normal(0.0, 1.5, k + 1)
        p = softmax_t(z)
        targets.append(int(rng.choice(k + 1, p=p)))
        logits.append(4.0 * z)
    return logits, targets


def test_temperature_scaling_recovers_the_overconfidence_and_lowers_nll() -> None:
    logits, targets = overconfident_set()
    fit = fit_temperature(logits, targets)
    assert fit.nll_after < fit.nll_before - 0.1
    assert 2.5 < fit.temperature < 6.0  # the true factor is 4


def test_ece_on_a_hand_example() -> None:
    # Bin (0.8, 0.867]: confidences 0.85, 0.85, 1 of 2 right -> |0.5 - 0.85| = 0.35, share 2/4.
    # Bin (0.267, 0.333]: confidence 0.3, right -> |1 - 0.3| = 0.7, share 1/4.
    # Bin (0.933, 1]: confidence 1.0, right -> 0, share 1/4.
    conf = np.array([0.85, 0.85, 0.3, 1.0])
    ok = np.array([1, 0, 1, 1])
    assert expected_calibration_error(conf, ok) == pytest.approx(0.5 * 0.35 + 0.25 * 0.7)
    assert expected_calibration_error(np.array([0.0, 0.0]), np.array([0, 0])) == 0.0


def test_temperature_lowers_ece_on_the_overconfident_set() -> None:
    logits, targets = overconfident_set()
    rep = calibrate(logits, targets, fitted_on="synthetic")
    assert rep.ece_after < rep.ece_before / 2
    assert rep.params.metrics["ece_after"] == rep.ece_after


def test_pad_logits_moves_none_last_and_reindexes_absent_targets() -> None:
    z, t = pad_logits([np.array([1.0, 2.0, 3.0]), np.array([5.0, 6.0])], [2, 0])
    assert z.shape == (2, 3)
    assert z[1].tolist() == [5.0, -np.inf, 6.0]
    assert t.tolist() == [2, 0]
    with pytest.raises(ValueError, match=r"expected target in \[0, 1\], got 3"):
        pad_logits([np.array([1.0, 2.0])], [3])


def test_decision_rule() -> None:
    # none wins
    assert decide(np.array([0.2, 0.1, 0.7]), 0.0, 0.0).status == "not_found"
    # best below the threshold
    assert decide(np.array([0.45, 0.25, 0.3]), 0.5, 0.0).status == "not_found"
    d = decide(np.array([0.45, 0.40, 0.15]), 0.3, 0.1)
    assert d.status == "ambiguous" and d.ambiguous.tolist() == [0, 1]
    d = decide(np.array([0.10, 0.70, 0.2]), 0.3, 0.1)
    assert d.status == "found" and d.best == 1 and d.confidence == pytest.approx(0.7)
    assert decide(np.array([1.0]), 0.0, 0.0).status == "not_found"  # no proposal at all


def test_threshold_separates_absent_from_present_targets() -> None:
    # Present targets: the target gets 0.6..0.9; absent ones: the best proposal gets 0.3..0.45 but beats none.
    rng = np.random.default_rng(1)
    probs, targets = [], []
    for i in range(200):
        present = i % 2 == 0
        best = rng.uniform(0.6, 0.9) if present else rng.uniform(0.3, 0.45)
        none = (1 - best) * (0.2 if present else 0.4)
        probs.append(np.array([best, 1 - best - none, none]))
        targets.append(0 if present else 2)
    tau = choose_not_found_threshold(probs, targets)
    assert 0.45 <= tau <= 0.6
    statuses = [decide(p, tau, 0.0).status for p in probs]
    rep = abstention_report(statuses, [t != 2 for t in targets])
    assert rep.absent_not_found_rate == 1.0 and rep.present_not_found_rate == 0.0


def test_ambiguity_margin_flags_at_most_the_budget_of_right_answers() -> None:
    # 100 right answers with gaps 0.01..1.0, 20 wrong ones with gaps < 0.05.
    probs, targets = [], []
    for g in np.linspace(0.01, 0.99, 100):
        a = (1 + g) / 2 * 0.99
        probs.append(np.array([a, a - g * 0.99, 0.01]))
        targets.append(0)
    margin = choose_ambiguity_margin(probs, targets, 0.0, max_correct_flagged=0.05)
    flagged = [decide(p, 0.0, margin).status == "ambiguous" for p in probs]
    assert sum(flagged) == 5
    assert choose_ambiguity_margin(probs, targets, 0.0, max_correct_flagged=1.0, max_margin=0.3) == 0.3


def test_abstention_report_counts() -> None:
    rep = abstention_report(["not_found", "found", "not_found", "ambiguous"], [False, False, True, True])
    assert rep.absent_not_found_rate == 0.5 and rep.present_not_found_rate == 0.5
    assert rep.n_absent == 2 and rep.n_present == 2
    assert abstention_report(["found"], [True]).to_json()["absent_not_found_rate"] is None


def test_params_round_trip_beside_the_checkpoint(tmp_path) -> None:
    path = calibration_path(tmp_path / "model.safetensors")
    assert path == tmp_path / "calibration.json" == calibration_path(tmp_path)
    params = CalibrationParams(temperature=2.5, not_found_threshold=0.4, ambiguity_margin=0.1, fitted_on="val")
    params.save(path)
    assert CalibrationParams.load(path) == params
    with pytest.raises(ValueError, match=r"temperature: expected a finite value > 0, got -1\.0"):
        CalibrationParams(temperature=-1.0)
    with pytest.raises(ValueError, match="ambiguity_margin: expected a value in"):
        CalibrationParams(ambiguity_margin=1.5)
