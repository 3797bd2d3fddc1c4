"""Questions: every answer is recomputed from the objects by the test's own oracle."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from sim.language import QUESTION_TYPES, LanguageConfig, generate_questions
from sim.scene_object import SceneObject, ViewPose
from tests.sim.test_language_oracle import Oracle
from tests.sim.test_language_scenes import office_scene, random_scene

# The canonical answer prepositions, written out here rather than taken from the generator.
LOCATION_PREPS = {
    "on": "on", "under": "under", "next to": "next_to", "above": "above", "below": "below",
    "to the left of": "left_of", "to the right of": "right_of", "in front of": "in_front_of", "behind": "behind",
    "near": "near",
}
COLOURS = {"gray": {"gray", "grey"}}


@pytest.fixture(scope="module")
def generated() -> list[tuple[list[SceneObject], dict[str, ViewPose], list[dict]]]:
    scenes = [office_scene()] + [random_scene(s) for s in range(6)]
    config = LanguageConfig(questions_per_object=2.0)
    return [(o, v, generate_questions(o, v, f"s{i}", np.random.default_rng(i), config))
            for i, (o, v) in enumerate(scenes)]


def _parse_location(answer: str, objects: list[SceneObject]) -> tuple[str, SceneObject]:
    prep = max((p for p in LOCATION_PREPS if answer.startswith(p + " the ")), key=len)
    words = answer[len(prep) + len(" the "):]
    matches = [o for o in objects if words in (o.label, f"{o.color} {o.label}")]
    assert len(matches) == 1, (answer, [m.object_id for m in matches])
    return LOCATION_PREPS[prep], matches[0]


def test_records_have_the_scanqa_fields(generated) -> None:
    for objects, views, records in generated:
        ids = {o.object_id for o in objects}
        assert len(records) >= len(objects)
        assert len({r["question_id"] for r in records}) == len(records)
        assert len({r["question"].lower() for r in records}) == len(records)
        meanings = {json.dumps([r["type"], r["program"], r["answers"]], sort_keys=True) for r in records}
        assert len(meanings) == len(records)
        for r in records:
            assert {"scene_id", "question_id", "question", "answers", "object_ids", "view", "type"} <= set(r)
            assert r["type"] in QUESTION_TYPES and r["view"] in views
            assert r["answers"] and all(isinstance(a, str) and a for a in r["answers"])
            assert set(r["object_ids"]) <= ids
        json.dumps(records)


def test_answers_match_the_ground_truth(generated) -> None:
    checked: Counter[str] = Counter()
    for objects, views, records in generated:
        oracle = Oracle(objects, views)
        by_id = {o.object_id: o for o in objects}
        for r in records:
            view, answer, kind = r["view"], r["answers"][0], r["type"]
            if kind == "counting":
                ids, anchors = oracle.resolve(r["program"], view)
                assert answer == str(len(ids)), r
                assert set(r["object_ids"]) == ids | set(anchors), r
            elif kind == "existence":
                ids, _ = oracle.resolve(r["program"], view)
                assert answer == ("yes" if ids else "no"), r
            elif kind == "attribute":
                ids, _ = oracle.resolve(r["program"], view)
                assert len(ids) == 1 and r["object_ids"][0] in ids, r
                color = by_id[r["object_ids"][0]].color
                assert set(r["answers"]) == COLOURS.get(color, {color}) and answer == color, r
            elif kind == "relation":
                (anchor_id,), _ = oracle.resolve(r["program"]["anchors"][0], view)
                anchor = by_id[anchor_id]
                hits = {o.object_id for o in objects
                        if o is not anchor and oracle.holds(r["relation"], o, anchor, view)}
                assert hits and hits == set(r["object_ids"][:-1]) and r["object_ids"][-1] == anchor_id, r
                assert {by_id[h].label for h in hits} == {answer}, r
            else:
                target_ids, _ = oracle.resolve({k: v for k, v in r["program"].items() if k != "location"}, view)
                assert len(target_ids) == 1, r
                target = by_id[next(iter(target_ids))]
                for text in r["answers"]:
                    relation, landmark = _parse_location(text, objects)
                    assert oracle.holds(relation, target, landmark, view), (r, text)
                assert r["object_ids"][0] == target.object_id
            checked[kind] += 1
    assert set(checked) == set(QUESTION_TYPES), checked
    assert min(checked.values()) >= 10, checked


def test_existence_is_balanced_and_counts_vary(generated) -> None:
    records = [r for _, _, rs in generated for r in rs]
    yes = Counter(r["answers"][0] for r in records if r["type"] == "existence")
    assert 0.3 <= yes["yes"] / (yes["yes"] + yes["no"]) <= 0.7, yes
    counts = {r["answers"][0] for r in records if r["type"] == "counting"}
    assert {"0", "1", "2"} <= counts, counts


def test_questions_are_deterministic() -> None:
    objects, views = random_scene(3)
    a = generate_questions(objects, views, "s", np.random.default_rng(5))
    b = generate_questions(objects, views, "s", np.random.default_rng(5))
    assert json.dumps(a) == json.dumps(b)


def test_question_phrasing_varies(generated) -> None:
    records = [r for _, _, rs in generated for r in rs]
    starts = Counter(" ".join(r["question"].lower().split()[:2]) for r in records)
    assert len(starts) >= 15, starts


def test_empty_scene_has_no_questions() -> None:
    assert generate_questions([], {}, "empty", np.random.default_rng(0)) == []
