"""Replay and demo parts that need no model: queries files, header-stamp peeking, throttling, the table,
the demo's example requests, and the scene summary round trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ros_nodes import wire
from ros_nodes.demo import example_requests
from ros_nodes.errors import RequestError, RosNodesError
from ros_nodes.replay import load_requests
from ros_nodes.scene_session import PerceptionSession, PerceptionSessionConfig, proposals_from_summary
from ros_nodes.table import results_table
from tests.ros_nodes._proposals import cube_proposal


def test_queries_file_json_and_lines(tmp_path: Path) -> None:
    f = tmp_path / "q.json"
    view = {"position": [0, 0, 1], "look_at": [1, 0, 1]}
    items = [{"text": "the mug", "at_s": 1.5, "id": "a"}, {"text": "how many?", "kind": "ask", "view": view}]
    f.write_text(json.dumps(items))
    a, b = load_requests(f)
    assert (a.request.request_id, a.at_s, a.request.kind) == ("a", 1.5, "ground")
    assert b.at_s is None and b.request.kind == "ask" and b.request.view == {"position": [0.0, 0.0, 1.0],
                                                                             "look_at": [1.0, 0.0, 1.0]}
    t = tmp_path / "q.txt"
    t.write_text("# comment\nthe red mug\n\nthe chair\n")
    assert [r.request.text for r in load_requests(t)] == ["the red mug", "the chair"]


@pytest.mark.parametrize("content", ['[{"text": 3}]', '[{"text": "x", "kind": "shout"}]', '[{"text": "x", "at_s": -1}]',
                                     "[1, 2", '[{"text": "x", "view": {"position": [0]}}]'])
def test_bad_queries_files_are_refused(tmp_path: Path, content: str) -> None:
    f = tmp_path / "q.json"
    f.write_text(content)
    with pytest.raises(RequestError):
        load_requests(f)


def test_peek_stamp_reads_the_header_without_decoding() -> None:
    for typename in ("sensor_msgs/msg/PointCloud2", "sensor_msgs/msg/Image", "nav_msgs/msg/Odometry"):
        msg = wire.make(typename, header=wire.header(1_700_000_000_123_456_789, "cam"))
        assert wire.peek_stamp_ns(wire.encode(msg)) == 1_700_000_000_123_456_789
    assert wire.peek_stamp_ns(b"\x00\x01") is None


def test_throttle_skips_frames_between_updates_and_refuses_old_ones() -> None:
    session = PerceptionSession(PerceptionSessionConfig(update_period_s=1.0))
    assert session.is_due(5 * 10**9)
    session._last_update_ns = 5 * 10**9  # as after an update at t = 5 s
    cloud = wire.encode(wire.make("sensor_msgs/msg/PointCloud2", header=wire.header(5_500_000_000, "c")))
    assert session.skip_raw(cloud) and session.skipped == 1
    assert session.is_due(6 * 10**9) and session.is_due(4 * 10**9)  # older frames go on to raise their error
    with pytest.raises(RosNodesError, match="configured"):
        session.add_cloud(wire.decode(cloud, "sensor_msgs/msg/PointCloud2"))


def test_scene_summary_round_trip_keeps_ids_boxes_and_a_point_sample() -> None:
    session = PerceptionSession(PerceptionSessionConfig(scene_sample_points=64))
    session.proposals = [cube_proposal(3), cube_proposal(1)]
    session.version = 2
    summary = json.loads(json.dumps(session.summary(123)))
    back = proposals_from_summary(summary)
    assert [p.object_id for p in back] == [1, 3]
    assert all(p.num_points == 64 for p in back)
    assert np.allclose(back[0].obb.center, session.proposals[1].obb.center)
    assert summary["version"] == 2 and summary["stamp_ns"] == 123
    with pytest.raises(RosNodesError, match="ground3d-scene"):
        proposals_from_summary({"objects": []})
    summary["objects"][0]["points"] = "nope"
    with pytest.raises(RosNodesError, match="scene object"):
        proposals_from_summary(summary)


GT = [
    {"object_id": 0, "label": "table", "color": "brown", "support_id": -1},
    {"object_id": 1, "label": "chair", "color": "white", "support_id": -1},
    {"object_id": 2, "label": "chair", "color": "white", "support_id": -1},
    {"object_id": 3, "label": "mug", "color": "red", "support_id": 0},
    {"object_id": 4, "label": "mug", "color": "blue", "support_id": 0},
]


def test_demo_requests_cover_unique_relation_ambiguous_absent_and_questions() -> None:
    reqs = {r.request_id: r for r in example_requests(GT)}
    assert reqs["unique"].text == "the red mug"
    assert reqs["relation"].text == "the mug on the brown table"
    assert reqs["ambiguous"].text == "the white chair"
    assert "lamp" in reqs["absent"].text and all(o["label"] != "lamp" for o in GT)
    assert {reqs[k].kind for k in ("count", "exists", "color")} == {"ask"}
    assert reqs["color"].text == "what color is the table?"  # the one label that needs no colour


def test_demo_requests_ask_about_seen_objects_only() -> None:
    # The robot saw the blue mug, one white chair and the table: the red mug is not a target, the white chair
    # is still ambiguous (its twin exists though unseen), and "lamp" is still the absent category.
    reqs = {r.request_id: r for r in example_requests(GT, seen={0, 1, 4})}
    assert reqs["unique"].text == "the blue mug"
    assert reqs["relation"].text == "the mug on the brown table"
    assert reqs["ambiguous"].text == "the white chair"
    assert "lamp" in reqs["absent"].text
    assert "ambiguous" not in {r.request_id for r in example_requests(GT, seen={3, 4})}


def test_results_table_shows_each_status() -> None:
    box = {"center": [0, 0, 0], "size": [1, 1, 1], "yaw": 0}
    rows = [
        {"kind": "grounding", "text": "the red mug", "status": "found", "object_id": 3, "label": "mug",
         "confidence": 0.93, "evidence": {"anchors": [{"object_id": 0, "label": "table"}], "runner_ups": [],
                                          "none_score": 0.01}, "box": box},
        {"kind": "grounding", "text": "the white chair", "status": "ambiguous", "object_id": 1, "confidence": 0.5,
         "candidates": [{"object_id": 1}, {"object_id": 2}], "clarifying_question": "Do you mean A or B?"},
        {"kind": "answer", "question": "how many chairs?", "status": "answered", "answer": "2", "confidence": 0.9,
         "evidence_object_ids": [1, 2]},
        {"kind": "grounding", "request_id": "x", "status": "error", "error": "empty query"},
    ]
    table = results_table(rows).splitlines()
    assert table[0].split() == ["query", "status", "object", "conf", "evidence"]
    assert "3 mug" in table[2] and "0.93" in table[2] and "anchors ['table']" in table[2]
    assert "candidates [1, 2]: Do you mean A or B?" in table[3]
    assert "answer '2' from objects [1, 2]" in table[4]
    assert "error" in table[5] and "empty query" in table[5]
