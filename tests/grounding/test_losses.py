"""Loss functions against hand-computed values."""

from __future__ import annotations

import math

import torch

from grounding.model.outputs import AnswerScores, GroundingScores
from grounding.training.losses import answer_loss, evidence_loss, grounding_loss, info_nce


def test_grounding_loss_uses_none_column_for_absent_targets() -> None:
    logits = torch.tensor([[5.0, 0.0, float("-inf")], [0.0, 0.0, 0.0]])
    none = torch.tensor([0.0, 10.0])
    scores = GroundingScores(logits, none)
    good = grounding_loss(scores, torch.tensor([0, -1]))
    bad = grounding_loss(scores, torch.tensor([1, 0]))
    assert float(good) < 0.01 < float(bad)
    expected = -(torch.log_softmax(torch.tensor([0.0, 0.0, 0.0, 10.0]), 0)[0])
    single = grounding_loss(GroundingScores(logits[1:], none[1:]), torch.tensor([0]))
    torch.testing.assert_close(single, expected)


def test_grounding_loss_spreads_an_ambiguous_target_evenly_over_its_candidates() -> None:
    logits = torch.tensor([[1.0, 3.0, 0.0, float("-inf")], [2.0, 0.0, 0.0, 0.0]], requires_grad=True)
    none = torch.tensor([0.5, 0.0])
    candidates = torch.tensor([[True, True, False, False], [False, False, False, False]])
    loss = grounding_loss(GroundingScores(logits, none), torch.tensor([-1, 2]), candidates)
    logp = torch.log_softmax(torch.tensor([1.0, 3.0, 0.0, 0.5]), 0)
    expected = (-(logp[0] + logp[1]) / 2 - torch.log_softmax(torch.tensor([2.0, 0.0, 0.0, 0.0, 0.0]), 0)[2]) / 2
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()  # the padded column stays out
    # The candidates pull towards each other: the lower one up, the higher one down.
    assert float(logits.grad[0, 0]) < 0 < float(logits.grad[0, 1])
    # An even split over the candidates is the least loss, lower than all the belief on one of them.
    even = grounding_loss(GroundingScores(torch.tensor([[5.0, 5.0, -5.0]]), torch.tensor([-5.0])), torch.tensor([-1]),
                          torch.tensor([[True, True, False]]))
    one = grounding_loss(GroundingScores(torch.tensor([[10.0, 0.0, -5.0]]), torch.tensor([-5.0])), torch.tensor([-1]),
                         torch.tensor([[True, True, False]]))
    assert float(even) < float(one)


def test_grounding_loss_weights_the_absent_rows() -> None:
    logits, none = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), torch.tensor([0.0, 0.5, 0.0])
    candidates = torch.tensor([[False, False], [False, False], [True, True]])
    target = torch.tensor([0, -1, -1])  # present, absent, ambiguous (not absent, whatever its target says)
    per_row = torch.stack([grounding_loss(GroundingScores(logits[i : i + 1], none[i : i + 1]), target[i : i + 1],
                                          candidates[i : i + 1]) for i in range(3)])
    weighted = grounding_loss(GroundingScores(logits, none), target, candidates, absent_weight=3.0)
    torch.testing.assert_close(weighted, (per_row[0] + 3.0 * per_row[1] + per_row[2]) / 5.0)
    torch.testing.assert_close(grounding_loss(GroundingScores(logits, none), target, candidates), per_row.mean())


def test_answer_loss_soft_targets_and_skipped_rows() -> None:
    logits = torch.zeros(2, 4)
    targets = torch.tensor([[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    loss = answer_loss(AnswerScores(logits, torch.zeros(2, 1)), targets)
    torch.testing.assert_close(loss, torch.tensor(math.log(4.0)))
    none = answer_loss(AnswerScores(logits, torch.zeros(2, 1)), torch.zeros(2, 4))
    assert float(none) == 0.0 and none.requires_grad is False


def test_evidence_loss_ignores_padding() -> None:
    ev = torch.tensor([[10.0, -10.0, float("-inf")]])
    mask = torch.tensor([[True, True, False]])
    loss = evidence_loss(AnswerScores(torch.zeros(1, 2), ev), torch.tensor([[1.0, 0.0, 1.0]]), mask)
    assert float(loss) < 1e-3 and math.isfinite(float(loss))


def test_info_nce_uniform_is_log_of_candidates_and_masks_padding() -> None:
    text = torch.nn.functional.normalize(torch.ones(1, 4), dim=-1)
    objs = torch.zeros(2, 3, 4)  # every similarity 0 -> uniform over the valid objects
    mask = torch.tensor([[True, True, False], [True, False, False]])
    loss = info_nce(text, objs, mask, torch.tensor([0]), torch.tensor(10.0))
    torch.testing.assert_close(loss, torch.tensor(math.log(3.0)))
    objs[0, 1] = text[0]
    assert float(info_nce(text, objs, mask, torch.tensor([1]), torch.tensor(10.0))) < 0.01
