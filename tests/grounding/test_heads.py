"""Heads on tiny hand-made fused features."""

from __future__ import annotations

import math

import pytest
import torch

from grounding.model.fusion import FusionOutput
from grounding.model.heads import ContrastiveHead, GroundingHead, QAHead


def fused(B: int = 2, N: int = 4, D: int = 8) -> FusionOutput:
    torch.manual_seed(0)
    mask = torch.ones(B, N, dtype=torch.bool)
    mask[0, 2:] = False
    return FusionOutput(torch.randn(B, N, D), torch.randn(B, D), mask)


@pytest.mark.parametrize("similarity", ["cosine", "mlp"])
def test_grounding_head_masks_padding_and_adds_none(similarity: str) -> None:
    f = fused()
    head = GroundingHead(8, similarity)
    prior = torch.randn(2, 4)
    scores = head(f, prior)
    assert scores.object_logits.shape == (2, 4) and scores.none_logit.shape == (2,)
    assert torch.isinf(scores.object_logits[0, 2:]).all() and torch.isfinite(scores.object_logits[1]).all()
    probs = scores.probabilities()
    assert probs.shape == (2, 5)
    torch.testing.assert_close(probs.sum(-1), torch.ones(2))
    assert (probs[0, 2:4] == 0).all()
    # padded rows never influence the real ones
    f.object_features[0, 2:] = 1e3
    again = head(f, prior)
    torch.testing.assert_close(again.object_logits[0, :2], scores.object_logits[0, :2])
    torch.testing.assert_close(again.none_logit, scores.none_logit)


def test_cosine_grounding_is_scaled_cosine() -> None:
    f = fused()
    head = GroundingHead(8, "cosine")
    expected = torch.nn.functional.cosine_similarity(f.object_features[1], f.query_feature[1].unsqueeze(0), dim=-1)
    prior = torch.arange(8.0).view(2, 4)
    torch.testing.assert_close(head(f, prior).object_logits[1], expected * 10.0 + 0.3 * prior[1], rtol=1e-4, atol=1e-4)


def test_qa_head_shapes_and_evidence_mask() -> None:
    out = QAHead(8, 5)(fused())
    assert out.answer_logits.shape == (2, 5) and out.evidence_logits.shape == (2, 4)
    assert torch.isinf(out.evidence_logits[0, 2:]).all()


def test_qa_head_answer_depends_on_which_objects_exist() -> None:
    torch.manual_seed(1)
    head = QAHead(8, 3)
    f = fused()
    a = head(f).answer_logits[0]
    f.mask[0, 2] = True  # one more real object
    assert not torch.allclose(a, head(f).answer_logits[0])


def test_contrastive_similarity_is_scaled_cosine_of_unit_embeddings() -> None:
    head = ContrastiveHead(8, 6, 4)
    objs = head.embed_objects(torch.randn(2, 3, 8))
    text = head.embed_text(torch.randn(2, 6))
    torch.testing.assert_close(objs.norm(dim=-1), torch.ones(2, 3))
    mask = torch.tensor([[True, True, False], [True, True, True]])
    out = head(text, objs, mask)
    assert math.isclose(float(head.scale.detach()), 1 / 0.07, rel_tol=1e-5)
    torch.testing.assert_close(out.similarity[1], (objs[1] @ text[1]) / 0.07, rtol=1e-4, atol=1e-4)
    assert torch.isinf(out.similarity[0, 2])
