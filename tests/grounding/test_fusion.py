"""The three fusions behind one interface: forward/backward, the scene cache, padding and view dependence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grounding.model import FUSIONS, GroundingModel, GroundingModelConfig, QueryView, build_model
from grounding.text import TextEncoder
from tests.grounding.test_model_scene import make_scene

TEXTS = ["the red mug left of the laptop", "the chair closest to me", "how many boxes are there?"]


@pytest.fixture(scope="module")
def text_encoder() -> TextEncoder:
    return TextEncoder()


def tiny_model(fusion: str, text_encoder: TextEncoder, **kw: object) -> GroundingModel:
    torch.manual_seed(0)
    cfg = GroundingModelConfig(
        fusion=fusion,
        d_model=16,
        num_heads=2,
        points_per_object=16,
        point_feature_dim=16,
        fourier_bands=2,
        contrastive_dim=8,
        dropout=0.0,
        **kw,
    )  # type: ignore[arg-type]
    return build_model(cfg, ["yes", "no", "2"], text_encoder=text_encoder)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_forward_backward_reaches_every_trainable_parameter(fusion: str, text_encoder: TextEncoder) -> None:
    model = tiny_model(fusion, text_encoder).train()
    scene = model.encode_scene([make_scene(3), make_scene(5, 1)], [None, QueryView([0, -4, 1], [1, 0, 0])])
    out = model.query(model.encode_text(TEXTS), scene, torch.tensor([0, 1, 1]))
    assert out.grounding.object_logits.shape == (3, 5)
    assert torch.isinf(out.grounding.object_logits[0, 3:]).all()
    loss = (
        out.grounding.logits_with_none().log_softmax(-1)[:, 0].sum()
        + out.answer.answer_logits.sum()
        + out.answer.evidence_logits[out.mask].sum()
        + out.retrieval.similarity[out.mask].sum()
    )
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.any())]
    assert missing == []


@pytest.mark.parametrize("fusion", FUSIONS)
def test_cached_scene_query_equals_uncached(fusion: str, text_encoder: TextEncoder) -> None:
    model = tiny_model(fusion, text_encoder).eval()
    scene_input = make_scene(4)
    view = QueryView([1, -3, 1.2], [0, 0, 0])
    with torch.no_grad():
        cached = model.encode_scene(scene_input, view)
        batched = model.query(model.encode_text(TEXTS), cached)
        for i, text in enumerate(TEXTS):
            fresh = model.query(model.encode_text([text]), model.encode_scene(scene_input, view))
            torch.testing.assert_close(
                fresh.grounding.object_logits[0], batched.grounding.object_logits[i], atol=1e-5, rtol=1e-5
            )
            torch.testing.assert_close(
                fresh.answer.answer_logits[0], batched.answer.answer_logits[i], atol=1e-5, rtol=1e-5
            )
        # a view change re-uses the object tokens and gives what a full re-encode gives
        other = QueryView([-3, 0, 1.0], [0, 0, 0])
        a = model.query(model.encode_text(TEXTS), model.attach_view(cached.objects, other))
        b = model.query(model.encode_text(TEXTS), model.encode_scene(scene_input, other))
    torch.testing.assert_close(a.grounding.object_logits, b.grounding.object_logits)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_padding_does_not_change_scores(fusion: str, text_encoder: TextEncoder) -> None:
    model = tiny_model(fusion, text_encoder).eval()
    small, big = make_scene(3), make_scene(6, 1)
    with torch.no_grad():
        text = model.encode_text(TEXTS[:1])
        alone = model.query(text, model.encode_scene(small)).grounding
        both = model.query(text, model.encode_scene([small, big]), torch.tensor([0])).grounding
    torch.testing.assert_close(alone.object_logits[0], both.object_logits[0, :3], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(alone.none_logit, both.none_logit, atol=1e-5, rtol=1e-5)


def test_cross_attention_caches_keys_values_and_relation_biases(text_encoder: TextEncoder) -> None:
    model = tiny_model("cross_attention", text_encoder).eval()
    with torch.no_grad():
        scene = model.encode_scene(make_scene(4))
    cache = scene.memory.cache
    assert cache["word_keys.0"].shape == (1, 2, 4, 8)  # (B, H, N, D/H)
    assert cache["relation_bias.1"].shape == (1, 2, 4, 4)
    # the view enters the scene side: turning round changes the memory and the scores
    with torch.no_grad():
        front = model.encode_scene(make_scene(4), QueryView([0, -3, 1], [0, 0, 0]))
        back = model.encode_scene(make_scene(4), QueryView([0, 3, 1], [0, 0, 0]))
        text = model.encode_text(TEXTS[:1])
        s1 = model.query(text, front).grounding.object_logits
        s2 = model.query(text, back).grounding.object_logits
    assert not torch.allclose(s1, s2)
    assert np.allclose(front.view_rotations[0][0], -back.view_rotations[0][0])
