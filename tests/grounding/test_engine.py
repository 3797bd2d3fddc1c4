"""SceneQueryEngine on a tiny untrained model: caches, scene changes, abstention, ambiguity, evidence, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from grounding.calibration import CalibrationParams
from grounding.engine import EngineConfig, SceneQueryEngine
from grounding.engine.errors import CheckpointError, NoSceneError, QueryError
from grounding.errors import SceneInputError
from grounding.model import GroundingModel, save_model
from perception import PointCloud
from tests.grounding._engine_scene import VIEW, metadata, proposals, tiny_model

QUERIES = ["the red mug left of the laptop", "the blue box on the floor", "the laptop on the table"]


@pytest.fixture(scope="module")
def model() -> GroundingModel:
    return tiny_model()


def probs_of(engine: SceneQueryEngine, texts: list[str], view: object = VIEW) -> np.ndarray:
    out = engine.raw_outputs(texts, view)
    return torch.softmax(out.grounding.logits_with_none(), -1).numpy()


def test_same_answers_with_and_without_the_cache(model: GroundingModel) -> None:
    cached = SceneQueryEngine(model, config=EngineConfig(cache=True))
    uncached = SceneQueryEngine(model, config=EngineConfig(cache=False))
    for e in (cached, uncached):
        e.set_scene(proposals(), metadata())
    # Twice on the cached engine: the second round reads text and scene from the caches.
    for _ in range(2):
        a = [r.to_json() for r in cached.ground_batch(QUERIES, VIEW)]
        b = [r.to_json() for r in uncached.ground_batch(QUERIES, VIEW)]
        for ra, rb in zip(a, b, strict=True):
            assert ra["status"] == rb["status"] and ra["object_id"] == rb["object_id"]
            assert ra["confidence"] == pytest.approx(rb["confidence"], abs=1e-5)
    np.testing.assert_allclose(probs_of(cached, QUERIES), probs_of(uncached, QUERIES), atol=1e-5)
    # A batch answers as the same texts one by one (the text cache re-pads rows of any length).
    single = np.concatenate([probs_of(cached, [q]) for q in QUERIES])
    np.testing.assert_allclose(single, probs_of(cached, QUERIES), atol=1e-5)
    s = cached.stats()
    assert s.scene_encodes == 1 and s.view_encodes == 2  # default view at set_scene, then VIEW
    assert uncached.stats().scene_encodes > 2


def test_repeated_text_hits_the_text_cache_and_the_cache_is_bounded(model: GroundingModel) -> None:
    e = SceneQueryEngine(model, config=EngineConfig(text_cache_size=2))
    e.set_scene(proposals(), metadata())
    e.ground("the red mug")
    e.ground("  the   red mug ")  # the same text after normalisation
    assert (e.stats().text_hits, e.stats().text_misses) == (1, 1)
    e.ground("the laptop")
    e.ground("the table")  # evicts "the red mug"
    e.ground("the red mug")
    assert e.stats().text_misses == 4


def test_scene_change_invalidates_the_caches(model: GroundingModel) -> None:
    e = SceneQueryEngine(model)
    v1 = e.set_scene(proposals(), metadata())
    before = probs_of(e, QUERIES)
    assert e.update_scene(proposals(), metadata()) == v1  # identical scene: caches kept
    assert e.stats().scene_encodes == 1
    v2 = e.update_scene(proposals((1, 2, 4, 5)), metadata())  # mug 3 is gone
    assert v2 == v1 + 1 and e.stats().scene_encodes == 2
    r = e.ground("the red mug on the right", VIEW)
    ids = {r.object_id} | {c.object_id for c in r.candidates}
    assert 3 not in ids and r.scene_version == v2
    fresh = SceneQueryEngine(model)
    fresh.set_scene(proposals((1, 2, 4, 5)), metadata())
    np.testing.assert_allclose(probs_of(e, QUERIES), probs_of(fresh, QUERIES), atol=1e-5)
    assert probs_of(e, QUERIES).shape[1] == before.shape[1] - 1
    # Moving an object is a change too.
    moved = proposals((1, 2, 4, 5), seed=1)
    assert e.update_scene(moved, metadata()) == v2 + 1


def test_absent_target_is_not_found_when_none_wins(model: GroundingModel) -> None:
    m = tiny_model()
    with torch.no_grad():
        m.grounding_head.none[-1].bias.fill_(50.0)  # "none of these" dominates every query
    e = SceneQueryEngine(m)
    e.set_scene(proposals(), metadata())
    for r in e.ground_batch(["the purple giraffe", *QUERIES], VIEW):
        assert r.status == "not_found" and r.object_id is None and r.box is None
        assert r.confidence > 0.99 and r.evidence is not None and r.evidence.none_score > 0.99
        assert r.evidence.chosen is None and len(r.candidates) == 3


def test_low_calibrated_confidence_is_not_found() -> None:
    m = tiny_model()
    with torch.no_grad():
        m.grounding_head.none[-1].bias.fill_(-50.0)  # "none" never wins: only the threshold can abstain
    e = SceneQueryEngine(m, CalibrationParams(temperature=1.0, not_found_threshold=0.99))
    e.set_scene(proposals(), metadata())
    assert {r.status for r in e.ground_batch(QUERIES)} == {"not_found"}
    e2 = SceneQueryEngine(m, CalibrationParams(temperature=1.0, not_found_threshold=0.0))
    e2.set_scene(proposals(), metadata())
    assert "not_found" not in {r.status for r in e2.ground_batch(QUERIES)}


def tie_model() -> GroundingModel:
    """Every object scores the same and "none" never wins: every query is a perfect tie."""
    m = tiny_model()
    with torch.no_grad():
        m.grounding_head.score[-1].weight.zero_()
        m.grounding_head.score[-1].bias.zero_()
        m.grounding_head.prior_weight.zero_()  # drop the retrieval prior that would break the tie
        m.grounding_head.none[-1].bias.fill_(-50.0)
    return m


def test_ambiguous_result_lists_candidates_and_asks_from_scene_facts() -> None:
    e = SceneQueryEngine(tie_model(), CalibrationParams(ambiguity_margin=0.05))
    e.set_scene(proposals((2, 3)), metadata())  # just the two red mugs, left and right from VIEW
    r = e.ground("the red mug", VIEW)
    assert r.status == "ambiguous"
    assert [c.object_id for c in r.candidates] == [2, 3]
    assert r.clarifying_question == "Do you mean the red mug on the left or the red mug on the right?"
    assert [c.description for c in r.candidates] == ["the red mug on the left", "the red mug on the right"]
    assert all(c.score == pytest.approx(0.5, abs=1e-6) for c in r.candidates)
    # Seen from behind the table, left and right swap.
    behind = {"position": [0.0, 2.5, 1.5], "look_at": [0.0, 0.0, 0.75]}
    assert e.ground("the red mug", behind).clarifying_question == (
        "Do you mean the red mug on the right or the red mug on the left?"
    )
    # Without a margin the same tie is answered with the first candidate.
    e0 = SceneQueryEngine(tie_model(), CalibrationParams(ambiguity_margin=0.0))
    e0.set_scene(proposals((2, 3)), metadata())
    assert e0.ground("the red mug", VIEW).status == "found"


def test_evidence_fields_are_present_and_well_formed() -> None:
    m = tiny_model()
    with torch.no_grad():
        m.grounding_head.none[-1].bias.fill_(-50.0)  # an object is always found
    e = SceneQueryEngine(m, config=EngineConfig(anchor_min_share=0.0))
    e.set_scene(proposals(), metadata())
    r = e.ground("the red mug left of the laptop", VIEW, request_id="req-7")
    data = json.loads(r.to_json_str())
    assert set(data) == {
        "schema",
        "kind",
        "request_id",
        "text",
        "status",
        "object_id",
        "label",
        "box",
        "confidence",
        "candidates",
        "clarifying_question",
        "evidence",
        "error",
        "scene_version",
        "latency_ms",
    }
    assert data["request_id"] == "req-7" and data["status"] == "found" and data["latency_ms"] > 0
    ev = data["evidence"]
    assert set(ev) == {"chosen", "runner_ups", "anchors", "none_score", "confidence"}
    chosen = ev["chosen"]
    assert chosen["object_id"] == data["object_id"] and chosen["box"] == data["box"]
    assert chosen["label"] == metadata()[data["object_id"]]["label"]
    scores = [chosen["score"]] + [c["score"] for c in ev["runner_ups"]]
    assert scores == sorted(scores, reverse=True) and len(ev["runner_ups"]) == 3
    assert ev["confidence"] == data["confidence"] == chosen["score"]
    assert sum(scores) + ev["none_score"] <= 1.0 + 1e-9
    anchors = ev["anchors"]
    assert 1 <= len(anchors) <= 3
    assert all(a["object_id"] != data["object_id"] for a in anchors)
    weights = [a["weight"] for a in anchors]
    assert weights == sorted(weights, reverse=True) and all(0.0 <= w <= 1.0 for w in weights)
    for c in [chosen, *ev["runner_ups"], *anchors]:
        assert set(c["box"]) == {"center", "size", "yaw"} and len(c["box"]["center"]) == 3


def test_word_object_attention_is_a_distribution_over_objects(model: GroundingModel) -> None:
    from grounding.engine.attention import capture_word_queries, word_object_attention

    e = SceneQueryEngine(model)
    e.set_scene(proposals(), metadata())
    with torch.no_grad():
        scene = model.encode_scene(e._scene_input, None)
        text = model.encode_text(QUERIES)
        with capture_word_queries(model.fusion) as queries:
            model.query(text, scene)
    assert len(queries) == model.config.text_layers
    att = word_object_attention(queries, scene, text.mask, model.config.num_heads)
    assert att.shape == (3, 5)
    np.testing.assert_allclose(att.sum(-1).numpy(), 1.0, atol=1e-5)


def test_answers_carry_evidence_ids_and_boxes(model: GroundingModel) -> None:
    e = SceneQueryEngine(model)
    e.set_scene(proposals(), metadata())
    a = e.ask("what colour is the mug on the left?", VIEW).to_json()
    assert a["status"] == "answered" and a["answer"] in model.answer_vocab
    assert a["top_answers"][0]["answer"] == a["answer"] and a["confidence"] == a["top_answers"][0]["score"]
    assert len(a["evidence_object_ids"]) == len(a["evidence_boxes"])
    strict = SceneQueryEngine(model, CalibrationParams(answer_threshold=0.999))
    strict.set_scene(proposals(), metadata())
    assert strict.ask("what colour is the mug?").status == "not_found"


def test_query_and_view_errors(model: GroundingModel) -> None:
    e = SceneQueryEngine(model)
    with pytest.raises(NoSceneError, match="call set_scene first"):
        e.ground("the mug")
    e.set_scene(proposals(), metadata())
    with pytest.raises(QueryError, match="non-empty"):
        e.ground("   ")
    with pytest.raises(QueryError, match="at most 512 characters, got 600"):
        e.ground("x" * 600)
    with pytest.raises(QueryError, match="invalid byte"):
        e.ground(b"\xc3\x28 mug")
    with pytest.raises(SceneInputError, match="'position' and 'look_at'"):
        e.ground("the mug", {"position": [0, 0, 0]})
    with pytest.raises(SceneInputError, match="rigid"):
        e.ground("the mug", np.ones((4, 4)))
    for text in ["赤いマグカップ", "🍵☕", "la taza roja a la izquierda del portátil"]:
        assert e.ground(text).status in ("found", "not_found", "ambiguous")
    T = np.eye(4)
    T[:3, :3] = [[1, 0, 0], [0, 0, 1], [0, -1, 0]]  # camera looking along world +y
    T[:3, 3] = [0.0, -2.5, 1.5]
    assert e.ground("the red mug", T).status in ("found", "not_found", "ambiguous")
    err = e.ground  # the node's path: catch, publish an error result
    try:
        err("")
    except QueryError as exc:
        from grounding.engine.results import GroundingResult

        out = GroundingResult.from_error("r1", "", exc).to_json()
        assert out["status"] == "error" and out["error"].startswith("QueryError: query: expected")


def test_empty_scene_answers_not_found(model: GroundingModel) -> None:
    e = SceneQueryEngine(model)
    e.set_scene([])
    r = e.ground("the mug")
    assert r.status == "not_found" and r.candidates == [] and r.confidence == 1.0
    assert e.ask("how many mugs?").status == "not_found"


def test_a_coloured_cloud_goes_through_perception(model: GroundingModel) -> None:
    # A floor and two coloured boxes standing on it, sampled as one world-frame cloud.
    rng = np.random.default_rng(0)
    floor = np.column_stack([rng.uniform(-2, 2, 6000), rng.uniform(-2, 2, 6000), np.zeros(6000)])
    boxes = []
    for cx, rgb in ((-0.8, (200, 30, 35)), (0.8, (35, 70, 190))):
        pts = np.column_stack(
            [rng.uniform(-0.2, 0.2, 3000) + cx, rng.uniform(-0.2, 0.2, 3000), rng.uniform(0, 0.4, 3000)]
        )
        boxes.append((pts, np.tile(rgb, (3000, 1))))
    xyz = np.concatenate([floor] + [b[0] for b in boxes]).astype(np.float32)
    rgb = np.concatenate([np.full((6000, 3), 128)] + [b[1] for b in boxes]).astype(np.uint8)
    e = SceneQueryEngine(model)
    e.set_scene(PointCloud(xyz=xyz, rgb=rgb, frame_id="world"))
    colors = sorted(f.color for f in e.facts.values())
    assert "red" in colors and "blue" in colors
    assert e.ground("the red box", VIEW).status in ("found", "not_found", "ambiguous")
    with pytest.raises(SceneInputError, match="expected a PointCloud, RGBDFrame"):
        e.set_scene("not a scene")  # type: ignore[arg-type]


def test_checkpoint_loading_is_safetensors_only_and_reads_the_calibration(model: GroundingModel, tmp_path) -> None:
    ckpt = save_model(model, tmp_path / "ckpt")
    CalibrationParams(temperature=2.0, ambiguity_margin=0.1, fitted_on="test").save(ckpt / "calibration.json")
    e = SceneQueryEngine.from_checkpoint(ckpt / "model.safetensors")
    assert e.calibration.temperature == 2.0 and e.calibration.fitted_on == "test"
    e.set_scene(proposals(), metadata())
    ref = SceneQueryEngine(model)
    ref.set_scene(proposals(), metadata())
    np.testing.assert_allclose(probs_of(e, QUERIES), probs_of(ref, QUERIES), atol=1e-5)
    pickle = tmp_path / "model.pt"
    pickle.write_bytes(b"\x80\x04not a safetensors file")
    with pytest.raises(CheckpointError, match=r"expected a checkpoint folder or its \.safetensors file"):
        SceneQueryEngine.from_checkpoint(pickle)
    with pytest.raises(CheckpointError, match="does not exist"):
        SceneQueryEngine.from_checkpoint(tmp_path / "nowhere")


def test_int8_engine_quantizes_the_text_encoder_and_stays_close(model: GroundingModel) -> None:
    e8 = SceneQueryEngine(model, config=EngineConfig(int8=True))
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    from grounding.engine.quantize import INT8_KEEP_FP32

    fp32 = {n for n, m in e8.model.named_modules() if type(m) is torch.nn.Linear and n.startswith("text_encoder.")}
    assert fp32 == set(INT8_KEEP_FP32)  # MiniLM's first feed-forward down-projections only
    n_linear = 6 * 6 + 1  # six MiniLM blocks of six Linear layers, and the pooler
    assert sum(isinstance(m, DynamicLinear) for m in e8.model.text_encoder.modules()) == n_linear - len(INT8_KEEP_FP32)
    assert not any(isinstance(m, DynamicLinear) for m in e8.model.fusion.modules())  # the fusion stays fp32
    assert any(type(m) is torch.nn.Linear for m in e8.model.fusion.modules())
    assert any(type(m) is torch.nn.Linear for m in model.text_encoder.modules())  # the fp32 model is untouched
    e32 = SceneQueryEngine(model)
    for e in (e8, e32):
        e.set_scene(proposals(), metadata())
    # MiniLM's sentence vectors barely move under int8; the untrained heads amplify small changes a little.
    with torch.no_grad():
        a, b = model.encode_text(QUERIES).pooled, e8.model.encode_text(QUERIES).pooled
    sim = torch.nn.functional.normalize(b, dim=-1) @ torch.nn.functional.normalize(a, dim=-1).T  # (3, 3)
    assert sim.diagonal().min() > 0.9
    assert sim.argmax(dim=1).tolist() == [0, 1, 2]  # each int8 sentence is nearest its own fp32 self
    np.testing.assert_allclose(probs_of(e8, QUERIES), probs_of(e32, QUERIES), atol=0.1)


@pytest.mark.parametrize("fusion", ["late", "early"])
def test_other_fusions_serve_with_evidence_gate_anchors(fusion: str) -> None:
    m = tiny_model(fusion=fusion)
    with torch.no_grad():
        m.grounding_head.none[-1].bias.fill_(-50.0)
    cached = SceneQueryEngine(m, config=EngineConfig(anchor_min_share=0.0))
    uncached = SceneQueryEngine(m, config=EngineConfig(cache=False))
    for e in (cached, uncached):
        e.set_scene(proposals(), metadata())
    r = cached.ground("the red mug left of the laptop", VIEW)
    assert r.status == "found" and r.evidence is not None
    assert r.object_id not in {a.object_id for a in r.evidence.anchors} and len(r.evidence.anchors) == 3
    np.testing.assert_allclose(probs_of(cached, QUERIES), probs_of(uncached, QUERIES), atol=1e-5)


def test_int8_of_an_unknown_submodule_is_refused(model: GroundingModel) -> None:
    from grounding.engine.quantize import quantize_linear_int8

    with pytest.raises(ValueError, match="text_encoder"):
        quantize_linear_int8(model, ("text_encodr",))


def test_int8_keep_fp32_must_name_linear_layers(model: GroundingModel) -> None:
    from grounding.engine.quantize import quantize_linear_int8

    with pytest.raises(ValueError, match="keep_fp32"):
        quantize_linear_int8(model, ("text_encoder",), ("text_encoder.model.encoder",))
