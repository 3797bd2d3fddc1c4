"""Metrics on hand-made predictions."""

import numpy as np
import pytest

from grounding.evaluation.metrics import (
    GroundingRecord,
    acc_at_iou,
    exact_match_at_k,
    grounding_accuracy,
    percentile_ms,
    recall_at_k,
)
from perception import Box3D


def b(x: float, size: float = 1.0) -> Box3D:
    return Box3D(center=np.array([x, 0.0, 0.0]), size=np.array([size, size, size]))


def rec(t: int, p: int | None, unique: bool, vd: bool, rel: str, status: str = "found", **kw) -> GroundingRecord:
    return GroundingRecord(t, p, status, unique, vd, rel, **kw)


RECORDS = [
    rec(1, 1, True, False, "none"),
    rec(2, 3, False, True, "left_of"),
    rec(4, 4, False, True, "left_of"),
    rec(5, 5, False, False, "on", status="not_found"),  # right object but abstained: wrong
    rec(6, 6, False, False, "on", status="ambiguous"),  # ambiguous counts its top pick
    rec(-1, None, False, False, "none", status="not_found"),  # absent targets are not in accuracy
]


def test_accuracy_splits() -> None:
    acc = grounding_accuracy(RECORDS)
    assert acc["n"] == 5
    assert acc["overall"] == pytest.approx(3 / 5)
    assert acc["unique"] == 1.0
    assert acc["multiple"] == pytest.approx(2 / 4)
    assert acc["view_dependent"] == pytest.approx(1 / 2)
    assert acc["view_independent"] == pytest.approx(2 / 3)
    assert acc["by_relation"] == {"left_of": 0.5, "none": 1.0, "on": 0.5}


def test_acc_at_iou() -> None:
    records = [
        rec(1, 1, True, False, "none", predicted_box=b(0.0), target_box=b(0.0)),  # IoU 1
        rec(2, 2, True, False, "none", predicted_box=b(0.5), target_box=b(0.0)),  # IoU 1/3
        rec(3, 3, True, False, "none", predicted_box=b(0.8), target_box=b(0.0)),  # IoU 0.2/1.8
        rec(4, None, True, False, "none", status="not_found", target_box=b(0.0)),  # miss
    ]
    out = acc_at_iou(records)
    assert out["acc@0.25"] == pytest.approx(2 / 4)
    assert out["acc@0.5"] == pytest.approx(1 / 4)


def test_exact_match_at_k_normalises_case_and_space() -> None:
    preds = [["Two", "three"], ["red", "blue"], ["1", "2"]]
    gold = [["two"], ["blue "], ["5"]]
    assert exact_match_at_k(preds, gold, 1) == pytest.approx(1 / 3)
    assert exact_match_at_k(preds, gold, 10) == pytest.approx(2 / 3)


def test_recall_at_k_counts_ties_against_the_target() -> None:
    rows = [np.array([0.9, 0.1, 0.5]), np.array([0.2, 0.8, 0.5]), np.array([0.3, 0.3, 0.3])]
    assert recall_at_k(rows, [0, 2, 1], 1) == pytest.approx(1 / 3)
    assert recall_at_k(rows, [0, 2, 1], 2) == pytest.approx(2 / 3)
    assert recall_at_k(rows, [0, 2, 1], 3) == 1.0


def test_percentile() -> None:
    assert percentile_ms([1.0, 2.0, 10.0]) == 2.0
    assert percentile_ms([]) is None
