"""Clarifying questions are built from the candidates' scene facts and name what tells them apart."""

import numpy as np
import pytest

from grounding.engine.clarify import clarifying_question
from grounding.engine.facts import ObjectFacts, color_name, facts_from_proposals, support_of
from grounding.model.view import QueryView
from perception import Box3D, ObjectProposal
from perception.proposal import COLOR_HIST_BINS


def box(x: float, y: float, z: float, s: float = 0.1, h: float | None = None) -> Box3D:
    return Box3D(center=np.array([x, y, z]), size=np.array([s, s, h or s]))


# A table (top at z=0.75) and a shelf (top at z=1.2); one red mug on each, a lamp on the table.
TABLE = ObjectFacts(1, box(0.0, 0.0, 0.375, 1.0, 0.75), "table", "brown", -1)
SHELF = ObjectFacts(2, box(3.0, 0.0, 0.6, 0.8, 1.2), "shelf", "white", -1)
MUG_T = ObjectFacts(3, box(0.1, 0.0, 0.80), "mug", "red", 1)
MUG_S = ObjectFacts(4, box(3.0, 0.0, 1.25), "mug", "red", 2)
LAMP = ObjectFacts(5, box(-0.3, 0.2, 0.95, 0.2, 0.4), "lamp", "yellow", 1)
FACTS = {f.object_id: f for f in (TABLE, SHELF, MUG_T, MUG_S, LAMP)}
VIEW = QueryView(position=np.array([1.5, -3.0, 1.5]), look_at=np.array([1.5, 0.0, 0.8]))


def test_two_red_mugs_told_apart_by_their_support() -> None:
    q = clarifying_question([3, 4], FACTS, VIEW)
    assert q.question == "Do you mean the red mug on the table or the red mug on the shelf?"
    assert q.descriptions == {3: "the red mug on the table", 4: "the red mug on the shelf"}


def test_same_support_falls_back_to_side_from_the_view() -> None:
    a = ObjectFacts(10, box(0.2, 0.0, 0.8), "mug", "red", 1)
    b = ObjectFacts(11, box(-0.3, 0.0, 0.8), "mug", "red", 1)
    facts = {**FACTS, 10: a, 11: b}
    q = clarifying_question([10, 11], facts, VIEW)
    assert q.question == "Do you mean the red mug on the right or the red mug on the left?"
    # Seen from the other side of the table, left and right swap.
    behind = QueryView(position=np.array([0.0, 3.0, 1.5]), look_at=np.array([0.0, 0.0, 0.8]))
    q2 = clarifying_question([10, 11], facts, behind)
    assert q2.descriptions == {10: "the red mug on the left", 11: "the red mug on the right"}


def test_colours_that_differ_are_named_without_extra_facts() -> None:
    a = ObjectFacts(10, box(0.2, 0.0, 0.8), "mug", "red", 1)
    b = ObjectFacts(11, box(0.2, 0.05, 0.8), "mug", "blue", 1)
    q = clarifying_question([10, 11], {**FACTS, 10: a, 11: b}, VIEW)
    assert q.question == "Do you mean the red mug or the blue mug?"


def test_size_is_used_when_position_and_support_agree() -> None:
    a = ObjectFacts(10, box(0.2, 0.0, 0.8, 0.3), "box", "green", 1)
    b = ObjectFacts(11, box(0.2, 0.04, 0.8, 0.1), "box", "green", 1)
    q = clarifying_question([10, 11], {**FACTS, 10: a, 11: b}, VIEW)
    assert q.question == "Do you mean the big green box or the small green box?"


def test_three_candidates_and_unknown_labels() -> None:
    objs = {i: ObjectFacts(i, box(float(i), 0.0, 0.8), None, "red", 1) for i in (20, 21, 22)}
    q = clarifying_question([21, 20, 22], {**FACTS, **objs}, VIEW)
    assert q.question == ("Do you mean the red one in the middle, the red one on the left or the red one on the right?")


def test_indistinguishable_candidates_are_pointed_at_by_position() -> None:
    a = ObjectFacts(30, box(1.0, 0.0, 0.8), "cup", "red", None)
    b = ObjectFacts(31, box(1.0, 0.02, 0.8), "cup", "red", None)
    q = clarifying_question([30, 31], {30: a, 31: b}, VIEW)
    assert "the red cup at x 1.00 m, y 0.02 m, z 0.80 m" in q.question
    assert len(set(q.descriptions.values())) == 2


def test_needs_two_candidates() -> None:
    with pytest.raises(ValueError, match="at least 2 candidates, got 1"):
        clarifying_question([3], FACTS, VIEW)


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((210, 40, 40), "red"),
        ((30, 60, 200), "blue"),
        ((20, 20, 20), "black"),
        ((240, 240, 235), "white"),
        ((125, 128, 130), "gray"),
        ((235, 200, 50), "yellow"),
    ],
)
def test_colour_names_from_rgb(rgb: tuple[int, int, int], name: str) -> None:
    assert color_name(rgb) == name


def test_support_from_geometry() -> None:
    others = {1: TABLE.box, 2: SHELF.box}
    assert support_of(MUG_T.box, others, floor_z=0.0) == 1
    assert support_of(MUG_S.box, others, floor_z=0.0) == 2
    assert support_of(TABLE.box, {2: SHELF.box}, floor_z=0.0) == -1
    assert support_of(box(5.0, 5.0, 2.0), others, floor_z=0.0) is None


def proposal(oid: int, b: Box3D, rgb: tuple[int, int, int]) -> ObjectProposal:
    pts = b.corners().astype(np.float32)
    return ObjectProposal(
        object_id=oid,
        points=pts,
        colors=np.tile(np.array(rgb, np.uint8), (8, 1)),
        indices=np.arange(8),
        aabb=b,
        obb=b,
        mean_color=np.array(rgb, np.float32),
        color_hist=np.zeros(3 * COLOR_HIST_BINS, np.float32),
    )


def test_facts_from_proposals_derive_what_metadata_lacks() -> None:
    props = [proposal(1, TABLE.box, (120, 75, 40)), proposal(3, MUG_T.box, (200, 30, 35))]
    facts = facts_from_proposals(props, metadata={1: {"label": "table"}})
    assert facts[1].label == "table" and facts[1].color == "brown" and facts[1].support_id == -1
    assert facts[3].label is None and facts[3].color == "red" and facts[3].support_id == 1
