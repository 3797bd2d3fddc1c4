"""The latency measurement functions return consistent figures (no wall-clock thresholds here)."""

import pytest

from grounding.evaluation.latency import (
    QUERY_12_WORDS,
    measure_cache_latency,
    measure_int8_text_latency,
    synthetic_proposals,
)
from tests.grounding._engine_scene import tiny_model


def test_cache_latency_figures_are_consistent() -> None:
    scene = synthetic_proposals(6, points_per_object=32)
    assert len(scene) == 6 and len({p.object_id for p in scene}) == 6
    r = measure_cache_latency(tiny_model(), scene, "the red mug", repeats=5)
    assert r.num_objects == 6
    assert min(r.cached_new_text_p50_ms, r.cached_repeat_text_p50_ms, r.uncached_p50_ms) > 0
    assert r.speedup == pytest.approx(r.uncached_p50_ms / r.cached_new_text_p50_ms)


def test_int8_text_latency_reports_the_token_difference() -> None:
    assert len(QUERY_12_WORDS.split()) == 12
    r = measure_int8_text_latency(tiny_model(), QUERY_12_WORDS, repeats=5)
    assert r.words == 12 and r.fp32_p50_ms > 0 and r.int8_p50_ms > 0
    assert r.speedup == pytest.approx(r.fp32_p50_ms / r.int8_p50_ms)
    # int8 changes the tokens a little, not wholesale.
    assert 0.0 < r.max_abs_token_diff < 2.0
