"""PerceptionSession over simulated messages: every accepted frame is a scene update, while the proposal
extraction waits until the fused map has grown by ``min_map_growth``, and cuts again only what changed."""

from __future__ import annotations

import pytest

from ros_nodes.errors import RosNodesError
from ros_nodes.scene_session import PerceptionSession, PerceptionSessionConfig
from ros_nodes.sim_stream import TOPICS, SimStream, SimStreamConfig


def _feed(session: PerceptionSession, stream: SimStream, frame: int, stamp_offset_s: float = 0.0) -> int:
    msgs = dict(stream.messages(frame))
    color, depth, info, odom = (msgs[TOPICS[k]] for k in ("color", "depth", "camera_info", "odom"))
    if stamp_offset_s:  # the same view seen again later: later stamps, same pixels and pose
        for msg in (color, depth, info, odom):
            msg.header.stamp.sec += int(stamp_offset_s)
    session.add_odometry(odom)
    update = session.add_rgbd(color, depth, info)
    assert update is not None
    return update.version


def test_a_revisited_view_updates_the_scene_without_a_new_extraction() -> None:
    stream = SimStream(SimStreamConfig(num_frames=8, lidar=False))
    session = PerceptionSession(PerceptionSessionConfig(update_period_s=0.0, min_map_growth=0.02))
    session.load()
    assert _feed(session, stream, 0) == 1 and session.num_extractions == 1
    first, spent = list(session.proposals), session.extraction_s
    assert spent > 0.0
    assert _feed(session, stream, 0, stamp_offset_s=1.0) == 2
    assert session.num_extractions == 1 and session.proposals == first  # nothing new was mapped
    assert session.extraction_s == spent  # and no time went to extraction
    _feed(session, stream, 7, stamp_offset_s=2.0)  # the far end of the walk: new surface
    assert session.num_extractions == 2 and session.extraction_s > spent


def test_every_update_extracts_by_default() -> None:
    stream = SimStream(SimStreamConfig(num_frames=2, lidar=False))
    session = PerceptionSession(PerceptionSessionConfig(update_period_s=0.0))
    session.load()
    _feed(session, stream, 0)
    _feed(session, stream, 0, stamp_offset_s=1.0)
    assert session.num_extractions == 2


@pytest.mark.parametrize("incremental", [True, False])
def test_incremental_proposals_cut_only_the_changed_region_unless_turned_off(incremental: bool) -> None:
    stream = SimStream(SimStreamConfig(num_frames=2, lidar=False))
    session = PerceptionSession(PerceptionSessionConfig(update_period_s=0.0, incremental_proposals=incremental))
    session.load()
    _feed(session, stream, 0)
    _feed(session, stream, 0, stamp_offset_s=1.0)  # the same view again: nothing changed
    assert session.num_extractions == 2
    assert session.num_full_extractions == (1 if incremental else 2)


def test_bad_min_map_growth_is_refused() -> None:
    with pytest.raises(RosNodesError, match="min_map_growth"):
        PerceptionSessionConfig(min_map_growth=-0.1)


def test_a_chair_back_seen_alone_over_a_table_is_no_object_and_not_the_red_can() -> None:
    """The live three-process test's flaky failure, offline: in frame 2 of scene 7's walk only the top of a red
    chair's back shows over the table, and that piece in the air became a can-sized red proposal that
    "the red can" was grounded to."""
    from ros_nodes.query_request import Request
    from ros_nodes.scene_session import GroundingSession
    from tests.ros_nodes.sim_checks import gt_object_at

    stream = SimStream(SimStreamConfig(scene_seed=7, num_frames=12, lidar=False))
    gt = stream.ground_truth()
    chair = next(o for o in gt if o["object_id"] == 3)
    can = next(o for o in gt if o["object_id"] == 6)
    assert (chair["color"], chair["label"], can["color"], can["label"]) == ("red", "chair", "red", "can")
    session = PerceptionSession(PerceptionSessionConfig(update_period_s=1.0, min_map_growth=0.02))
    session.load()
    _feed(session, stream, 2)
    summary = session.summary(stream.stamp_ns(2))
    on_chair = [o for o in summary["objects"] if (gt_object_at(o["box"]["center"], gt) or {}).get("object_id") == 3]
    assert all(max(o["box"]["size"]) > 0.3 for o in on_chair), on_chair  # the chair itself, if anything
    grounding = GroundingSession()
    grounding.load()
    grounding.set_summary(summary)
    result = grounding.handle(Request(request_id="can", text="the red can", kind="ground"))
    if result["status"] == "found":
        assert (gt_object_at(result["box"]["center"], gt) or {}).get("object_id") == 6, result


def test_background_extraction_hands_back_the_same_updates_and_waits_on_leaving() -> None:
    stream = SimStream(SimStreamConfig(num_frames=8, lidar=False))
    plain = PerceptionSession(PerceptionSessionConfig(update_period_s=0.0, min_map_growth=0.02))
    plain.load()
    expected = [(_feed(plain, stream, f, stamp_offset_s=i), [p.object_id for p in plain.proposals])
                for i, f in enumerate((0, 0, 7))]
    session = PerceptionSession(PerceptionSessionConfig(update_period_s=0.0, min_map_growth=0.02))
    session.load()
    updates = []
    with session.background_extraction():
        with pytest.raises(RosNodesError, match="enclosing block"), session.background_extraction():
            pass
        for i, f in enumerate((0, 0, 7)):
            msgs = dict(stream.messages(f))
            for msg in msgs.values():
                msg.header.stamp.sec += i
            session.add_odometry(msgs[TOPICS["odom"]])
            updates.append(session.add_rgbd(*(msgs[TOPICS[k]] for k in ("color", "depth", "camera_info"))))
    assert all(u is not None and u.ready for u in updates)  # leaving the block waited for the worker
    got = [(u.version, [p.object_id for p in u.proposals]) for u in updates if u is not None]
    assert got == expected and session.num_extractions == plain.num_extractions == 2
