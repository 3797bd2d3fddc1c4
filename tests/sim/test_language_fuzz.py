"""Fuzzing: random hand-built rooms, every expression and answer re-checked by the independent oracle."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.language import generate_expressions, generate_questions
from tests.sim.test_language_oracle import Oracle
from tests.sim.test_language_scenes import random_scene

EXAMPLES = int(os.environ.get("GROUND3D_FUZZ_EXAMPLES", "6"))


@pytest.mark.fuzz
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scene_seed=st.integers(100, 10**6), language_seed=st.integers(0, 10**6))
def test_random_rooms_resolve_as_labelled(scene_seed: int, language_seed: int) -> None:
    objects, views = random_scene(scene_seed)
    oracle = Oracle(objects, views)
    rng = np.random.default_rng(language_seed)
    for r in generate_expressions(objects, views, "fuzz", rng):
        ids, anchors = oracle.resolve(r["program"], r["view"])
        expected = {r["object_id"]} if r["status"] == "unique" else set(r["candidate_ids"])
        assert ids == expected and anchors == r["anchor_ids"], r
    for q in generate_questions(objects, views, "fuzz", rng):
        if q["type"] in ("counting", "existence"):
            ids, _ = oracle.resolve(q["program"], q["view"])
            want = str(len(ids)) if q["type"] == "counting" else ("yes" if ids else "no")
            assert q["answers"][0] == want, q
