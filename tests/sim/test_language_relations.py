"""The relation predicates on hand-made pairs: clear cases, borderline cases, frames and exact geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.language import LanguageError, Program, RelationConfig, resolve
from sim.language.errors import LanguageConfigError
from sim.language.facts import SceneFacts
from sim.language.geometry import BoxSet, ViewFrame, box_gap, footprint_gap
from sim.language.relations import Relations, band, is_false, is_true
from sim.scene_object import SceneObject, ViewPose

FRONT = ViewPose(np.array([0.0, -3.0, 1.5]), np.array([0.0, 0.0, 0.5]))  # looks along +y: right is +x
BACK = ViewPose(np.array([0.0, 3.0, 1.5]), np.array([0.0, 0.0, 0.5]))  # looks along -y: right is -x


def obj(oid: int, label: str, center, size, color: str = "red", yaw: float = 0.0) -> SceneObject:
    return SceneObject(oid, label, color, np.array(center, float), np.array(size, float), yaw)


def rel(objects: list[SceneObject]) -> Relations:
    boxes = BoxSet.from_objects(objects)
    return Relations(boxes, {"front": ViewFrame.from_pose(FRONT), "back": ViewFrame.from_pose(BACK)})


TABLE = obj(0, "table", (0, 0, 0.375), (1.2, 0.7, 0.75))


def test_band_is_plus_one_and_minus_one_at_its_ends() -> None:
    assert band(0.02, 0.02, 0.06) == pytest.approx(1.0)
    assert band(0.06, 0.02, 0.06) == pytest.approx(-1.0)
    assert band(0.04, 0.02, 0.06) == pytest.approx(0.0)
    assert band(0.5, 0.4, 0.2) > 1.0  # increasing conditions work the same way


def test_view_frame_axes_and_degenerate_view() -> None:
    frame = ViewFrame.from_pose(FRONT)
    np.testing.assert_allclose(frame.right, [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(frame.to_view(np.array([[1.0, 0.0, 0.5]])), [[1.0, 3.0, -1.0]])
    np.testing.assert_allclose(ViewFrame.from_pose(BACK).right, [-1, 0, 0], atol=1e-12)
    with pytest.raises(LanguageError, match="look_at differs horizontally"):
        ViewFrame.from_pose(ViewPose(np.array([0.0, 0.0, 2.0]), np.array([0.0, 0.0, 0.0])))


def test_on_is_true_on_top_false_beside_and_borderline_at_the_edge() -> None:
    mug_on = obj(1, "mug", (0.2, 0.0, 0.8), (0.09, 0.09, 0.1))
    mug_floor = obj(2, "mug", (1.0, 0.0, 0.05), (0.09, 0.09, 0.1))
    mug_edge = obj(3, "mug", (0.6, 0.0, 0.8), (0.09, 0.09, 0.1))  # centre exactly over the table edge
    mug_under = obj(4, "mug", (0.0, 0.0, 0.05), (0.09, 0.09, 0.1))
    on = rel([TABLE, mug_on, mug_floor, mug_edge, mug_under]).pair("on")[:, 0]
    assert is_true(on[1]) and is_false(on[2]) and is_false(on[4])
    assert not is_true(on[3]) and not is_false(on[3])
    under = rel([TABLE, mug_on, mug_floor, mug_edge, mug_under]).pair("under")[:, 0]
    assert is_true(under[4]) and is_false(under[1]) and is_false(under[2])


def test_on_counts_a_board_inside_a_shelf_but_next_to_does_not() -> None:
    shelf = obj(0, "shelf", (0, 0, 0.9), (0.4, 1.0, 1.8))
    book = obj(1, "book", (0, 0.2, 0.62), (0.15, 0.22, 0.04))
    r = rel([shelf, book])
    assert is_true(r.pair("on")[1, 0])
    assert is_false(r.pair("next_to")[1, 0])


def test_left_and_right_swap_between_opposite_views_and_need_a_margin() -> None:
    laptop = obj(0, "laptop", (0, 0, 0.85), (0.3, 0.2, 0.2))
    mug_left = obj(1, "mug", (-0.4, 0, 0.8), (0.09, 0.09, 0.1))
    mug_close = obj(2, "mug", (-0.15, 0.3, 0.8), (0.09, 0.09, 0.1))  # centre at the laptop's left edge
    r = rel([laptop, mug_left, mug_close])
    assert is_true(r.pair("left_of", "front")[1, 0]) and is_false(r.pair("right_of", "front")[1, 0])
    assert is_true(r.pair("right_of", "back")[1, 0]) and is_false(r.pair("left_of", "back")[1, 0])
    s = r.pair("left_of", "front")[2, 0]
    assert not is_true(s) and not is_false(s)


def test_in_front_and_behind_need_objects_in_line() -> None:
    sofa = obj(0, "sofa", (0, 2.0, 0.4), (2.0, 0.9, 0.8))
    plant = obj(1, "plant", (0.2, 1.0, 0.3), (0.3, 0.3, 0.6))
    far_side = obj(2, "plant", (3.0, 1.0, 0.3), (0.3, 0.3, 0.6))  # nearer, but far off to the side
    r = rel([sofa, plant, far_side])
    assert is_true(r.pair("in_front_of", "front")[1, 0]) and is_true(r.pair("behind", "back")[1, 0])
    assert is_false(r.pair("in_front_of", "front")[2, 0])
    assert is_true(r.pair("behind", "front")[0, 1])


def test_objects_behind_the_viewer_take_no_part_in_view_relations() -> None:
    a = obj(0, "box", (-1.0, -4.0, 0.2), (0.3, 0.3, 0.3))  # behind the FRONT camera
    b = obj(1, "box", (1.0, -4.0, 0.2), (0.3, 0.3, 0.3))
    assert is_false(rel([a, b]).pair("left_of", "front")[0, 1])


def test_next_to_near_far_scale_with_size() -> None:
    mug = obj(0, "mug", (0, 0, 0.05), (0.09, 0.09, 0.1))
    mug_close = obj(1, "mug", (0.15, 0, 0.05), (0.09, 0.09, 0.1))  # 6 cm apart: next to
    mug_apart = obj(2, "mug", (0.6, 0, 0.05), (0.09, 0.09, 0.1))  # 51 cm apart: not next to, not near
    mug_far = obj(3, "mug", (2.5, 0, 0.05), (0.09, 0.09, 0.1))
    r = rel([mug, mug_close, mug_apart, mug_far])
    assert is_true(r.pair("next_to")[1, 0]) and is_false(r.pair("next_to")[2, 0])
    assert is_true(r.pair("near")[1, 0]) and is_false(r.pair("near")[2, 0])
    assert is_true(r.pair("far_from")[3, 0]) and is_false(r.pair("far_from")[1, 0])
    sofa = obj(4, "sofa", (5, 0, 0.4), (2.0, 0.9, 0.8))
    sofa2 = obj(5, "sofa", (5, 1.15, 0.4), (2.0, 0.9, 0.8))  # 25 cm apart: next to, at sofa scale
    sofa3 = obj(6, "sofa", (5, -1.55, 0.4), (2.0, 0.9, 0.8))  # 65 cm apart: no longer
    r2 = rel([sofa, sofa2, sofa3])
    assert is_true(r2.pair("next_to")[1, 0]) and is_false(r2.pair("next_to")[2, 0])


def test_above_and_below_need_a_gap_and_overlapping_footprints() -> None:
    ball = obj(1, "ball", (0, 0, 0.11), (0.22, 0.22, 0.22))
    laptop = obj(2, "laptop", (0, 0.05, 0.85), (0.33, 0.23, 0.2))
    r = rel([TABLE, ball, laptop])
    assert is_true(r.pair("above")[2, 1]) and is_true(r.pair("below")[1, 2])
    assert is_false(r.pair("above")[2, 0])  # resting on the table top: on, not above


def test_between_uses_the_segment_of_the_anchor_centres() -> None:
    a = obj(0, "chair", (-1, 0, 0.45), (0.5, 0.5, 0.9))
    b = obj(1, "chair", (1, 0, 0.45), (0.5, 0.5, 0.9))
    mid = obj(2, "box", (0.1, 0.1, 0.15), (0.3, 0.3, 0.3))
    off = obj(3, "box", (0.0, 1.5, 0.15), (0.3, 0.3, 0.3))
    end = obj(4, "box", (1.8, 0.0, 0.15), (0.3, 0.3, 0.3))
    s = rel([a, b, mid, off, end]).between()
    assert is_true(s[2, 0, 1]) and is_true(s[2, 1, 0])
    assert is_false(s[3, 0, 1]) and is_false(s[4, 0, 1])


def test_rankings_are_borderline_when_two_are_close() -> None:
    bottles = [obj(i, "bottle", (0.3 * i, 0, 0.1), (0.07, 0.07, h)) for i, h in enumerate((0.2, 0.3, 0.31))]
    r = rel(bottles)
    tall = r.rank("tallest", np.arange(3))
    assert tall[0] == -1 and tall[1] == 0 and tall[2] == 0  # 30 vs 31 cm is within the margin
    r2 = rel([bottles[0], bottles[1]])
    assert list(r2.rank("tallest", np.arange(2))) == [-1, 1]
    left = r.rank("ordinal", np.arange(3), "front", k=2, side="left")
    assert list(left) == [-1, 1, -1]
    assert list(r.rank("ordinal", np.arange(3), "back", k=1, side="left")) == [-1, -1, 1]


def test_footprint_gap_is_exact_for_turned_boxes() -> None:
    square = obj(0, "box", (0, 0, 0.5), (1, 1, 1))
    diamond = obj(1, "box", (2, 0, 0.5), (1, 1, 1), yaw=math.pi / 4)  # its corner points at the square
    gap = footprint_gap(BoxSet.from_objects([square, diamond]))[0, 1]
    assert gap == pytest.approx(2 - 0.5 - math.sqrt(0.5), abs=1e-9)
    overlapping = obj(2, "box", (0.8, 0, 0.5), (1, 1, 1))
    assert footprint_gap(BoxSet.from_objects([square, overlapping]))[0, 1] == pytest.approx(-0.2)
    lifted = obj(3, "box", (3, 0, 3.5), (1, 1, 1))
    assert box_gap(BoxSet.from_objects([square, lifted]))[0, 1] == pytest.approx(math.hypot(2, 2))


@settings(max_examples=40, deadline=None)
@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(0, math.pi), st.floats(0.1, 1.5), st.floats(0.1, 1.5))
def test_footprint_gap_is_symmetric_and_matches_sampled_distance(x, y, yaw, sx, sy) -> None:
    a = obj(0, "box", (0, 0, 0.5), (0.8, 0.5, 1), yaw=0.3)
    b = obj(1, "box", (x, y, 0.5), (sx, sy, 1), yaw=yaw)
    g = footprint_gap(BoxSet.from_objects([a, b]))
    assert g[0, 1] == pytest.approx(g[1, 0], abs=1e-9)
    if g[0, 1] > 0:
        pa, pb = (BoxSet.from_objects([o]).footprint()[0] for o in (a, b))
        t = np.linspace(0, 1, 300)[:, None]
        sa = np.concatenate([pa[i] + t * (pa[(i + 1) % 4] - pa[i]) for i in range(4)])
        sb = np.concatenate([pb[i] + t * (pb[(i + 1) % 4] - pb[i]) for i in range(4)])
        sampled = np.linalg.norm(sa[:, None] - sb[None], axis=-1).min()
        assert g[0, 1] <= sampled + 1e-9 and g[0, 1] >= sampled - 0.01


def test_resolve_reports_borderline_and_anchor_failures() -> None:
    laptop = obj(0, "laptop", (0, 0, 0.85), (0.3, 0.2, 0.2), color="gray")
    mug_close = obj(1, "mug", (-0.15, 0.3, 0.8), (0.09, 0.09, 0.1))
    facts = SceneFacts([laptop, mug_close], {"front": FRONT})
    left = Program("mug", "left_of", anchors=(Program("laptop"),))
    assert resolve(left, facts, "front").status == "borderline"
    facts2 = SceneFacts([laptop, mug_close, obj(2, "laptop", (2, 0, 0.85), (0.3, 0.2, 0.2))], {"front": FRONT})
    assert resolve(left, facts2, "front").status == "borderline"  # "the laptop" is not unique
    assert resolve(Program("mug", color="blue"), facts, None).status == "absent"


def test_program_round_trips_and_checks_its_anchors() -> None:
    p = Program("book", "on", anchors=(Program("table", "next_to", anchors=(Program("sofa"),)),))
    assert Program.from_json(p.to_json()) == p and p.kind == "multi_hop"
    with pytest.raises(LanguageError, match="expected 2 anchors"):
        Program("box", "between", anchors=(Program("sofa"),))


def test_relation_config_names_the_bad_field() -> None:
    with pytest.raises(LanguageConfigError, match="on_gap_false"):
        RelationConfig(on_gap_false=0.0)
    with pytest.raises(LanguageConfigError, match="volume_ratio"):
        RelationConfig(volume_ratio=0.9)


def test_bad_object_box_is_rejected() -> None:
    with pytest.raises(LanguageError, match="positive size"):
        BoxSet.from_objects([obj(7, "box", (0, 0, 0), (0.0, 1.0, 1.0))])
    with pytest.raises(LanguageError, match="distinct object ids"):
        SceneFacts([TABLE, TABLE], {})
