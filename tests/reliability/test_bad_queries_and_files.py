"""Bad queries at the engine and session level, and bad bags at replay's level (issue 9, "Queries" and "Files").

Already covered elsewhere and not repeated here: ``validate_query`` on its own
(tests/grounding/test_engine_query.py), the bag reader on truncated / corrupt / metadata-less bags
(tests/ros_nodes/test_bag_io.py), datasets with a missing or inconsistent objects.json
(tests/perception/test_dataset_reader.py), truncated and wrong-shaped checkpoints
(tests/grounding/test_model_checkpoint.py, tests/pointnet/test_checkpoint.py); pickled checkpoints:
tests/reliability/test_security.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from grounding.engine import SceneQueryEngine
from grounding.engine.errors import QueryError
from grounding.errors import GroundingError
from grounding.model import save_model
from perception import PointCloud
from perception.convert import build_message, cloud_to_pointcloud2
from ros_nodes import wire
from ros_nodes.bag_io import bag_writer
from ros_nodes.errors import BagError
from ros_nodes.query_request import Request
from ros_nodes.replay import Replayer
from ros_nodes.scene_session import (
    GroundingSession,
    GroundingSessionConfig,
    PerceptionSession,
    PerceptionSessionConfig,
)
from tests.grounding._engine_scene import VIEW, proposals, tiny_model

REFUSED = [
    ("", r"expected a non-empty sentence, got ''"),
    ("  \t\n ", r"expected a non-empty sentence, got '  \\t\\n '"),
    ("the red mug " * 834, r"expected at most 512 characters, got 10007"),
    (b"the red \xff\xfe mug", r"expected UTF-8 text, got invalid byte 0xff at offset 8"),
]
ANSWERED = ["the ☕ mug 🙂", "la tasse rouge à gauche de l'ordinateur", "红色的杯子", "красная кружка", "🙂🙂🙂"]


@pytest.fixture(scope="module")
def engine() -> SceneQueryEngine:
    eng = SceneQueryEngine(tiny_model())
    eng.set_scene(proposals())
    return eng


@pytest.mark.parametrize(("text", "match"), REFUSED)
def test_engine_refuses_bad_queries_and_questions(engine: SceneQueryEngine, text: str | bytes, match: str) -> None:
    with pytest.raises(QueryError, match=match):
        engine.ground(text, view=VIEW)
    with pytest.raises(QueryError, match=match):
        engine.ask(text, view=VIEW)
    assert isinstance(QueryError("x"), GroundingError)


@pytest.mark.parametrize("text", ANSWERED)
def test_engine_answers_emoji_and_other_languages(engine: SceneQueryEngine, text: str) -> None:
    result = engine.ground(text, view=VIEW).to_json()
    assert result["status"] in ("found", "not_found", "ambiguous")
    assert np.isfinite(result["confidence"])
    assert engine.ask(text.encode("utf-8"), view=VIEW).to_json()["status"] in ("answered", "not_found")


def test_engine_still_answers_after_bad_queries(engine: SceneQueryEngine) -> None:
    before = engine.ground("the blue box", view=VIEW).to_json()
    for text, _ in REFUSED:
        with pytest.raises(QueryError):
            engine.ground(text, view=VIEW)
    after = engine.ground("the blue box", view=VIEW).to_json()
    assert (after["status"], after.get("object_id")) == (before["status"], before.get("object_id"))


def test_session_turns_every_bad_query_into_an_error_result(tmp_path: Path) -> None:
    """What replay and grounding_node send back: status "error" and a reason, never an exception."""
    save_model(tiny_model(), tmp_path / "ckpt")
    session = GroundingSession(GroundingSessionConfig(checkpoint=str(tmp_path / "ckpt")))
    early = session.handle(Request("r0", "the red mug", "ground"))
    assert early["status"] == "error" and "not configured" in early["error"]
    session.load()
    assert "no scene yet" in session.handle(Request("r1", "the red mug", "ground"))["error"]
    session.set_proposals(proposals(), 1, None)
    for n, (text, match) in enumerate(REFUSED):
        if isinstance(text, bytes):
            continue  # a ROS String is always text; bytes reach only the engine
        for kind in ("ground", "ask"):
            result = session.handle(Request(f"bad{n}", text, kind))
            assert result["status"] == "error" and result["request_id"] == f"bad{n}"
            assert re.search(match, result["error"]), result["error"]
    assert session.handle(Request("ok", "the blue box", "ground", VIEW))["status"] in ("found", "not_found",
                                                                                     "ambiguous")


# --- bags through replay ------------------------------------------------------------------------------------
def cloud_msg(points: np.ndarray, stamp_ns: int) -> object:
    return build_message(cloud_to_pointcloud2(PointCloud(points), "map", stamp_ns), wire.msg_class)


def cloud_bag(path: Path, n: int = 40) -> Path:
    """A rosbag2 of ``n`` small PointCloud2 messages on replay's default cloud topic."""
    rng = np.random.default_rng(0)
    with bag_writer(path, "mcap") as bag:
        for i in range(n):
            pts = rng.random((500, 3), dtype=np.float32)
            stamp = 1_000_000_000 * (i + 1)
            bag.write("/camera/depth/points", stamp, cloud_msg(pts, stamp))
    return path


def replay(path: Path) -> None:
    perception = PerceptionSession(PerceptionSessionConfig(input_mode="cloud"))
    Replayer(perception, GroundingSession()).run(path, [], progress=False)


def test_replay_of_a_truncated_bag_is_a_bag_error(tmp_path: Path) -> None:
    bag = cloud_bag(tmp_path / "b")
    data = next(bag.glob("*.mcap"))
    data.write_bytes(data.read_bytes()[: data.stat().st_size * 2 // 3])
    with pytest.raises(BagError, match=r"bag .*: expected"):
        replay(bag)


def test_replay_of_a_corrupt_bag_is_a_bag_error(tmp_path: Path) -> None:
    bag = cloud_bag(tmp_path / "b")
    data = next(bag.glob("*.mcap"))
    raw = bytearray(data.read_bytes())
    raw[40:4040] = bytes(range(250)) * 16  # the first records (chunk headers, lengths) become junk
    data.write_bytes(bytes(raw))
    with pytest.raises(BagError, match=r"bag .*: expected"):
        replay(bag)


@pytest.mark.parametrize("damage", ["no_metadata", "empty_file", "directory_of_junk"])
def test_replay_cli_refuses_bad_bags_before_loading_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str,
) -> None:
    from ros_nodes.cli.main import main

    bag = cloud_bag(tmp_path / "b", n=3)
    if damage == "no_metadata":
        (bag / "metadata.yaml").unlink()
    elif damage == "empty_file":
        bag = tmp_path / "empty.mcap"
        bag.write_bytes(b"")
    else:
        (bag / "metadata.yaml").write_text("rosbag2_bagfile_information: [not, a, mapping\n")
    assert main(["replay", str(bag), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ground3d replay: bag") and "expected" in err and "got" in err
    assert "Traceback" not in err


def test_bag_message_with_bad_content_is_reported_and_replay_goes_on(tmp_path: Path) -> None:
    """A message that decodes but is bad (an Odometry with an all-zero quaternion) is one error line in the
    report, and the next message is still read."""
    path = tmp_path / "b"
    good_pose = wire.make("geometry_msgs/msg/Pose", orientation=wire.make("geometry_msgs/msg/Quaternion", w=1.0))
    with bag_writer(path, "mcap") as bag:
        bag.write("/odom", 1, wire.make("nav_msgs/msg/Odometry", header=wire.header(1, "map"), child_frame_id="cam"))
        bag.write("/odom", 2, wire.make("nav_msgs/msg/Odometry", header=wire.header(2, "map"), child_frame_id="cam",
                                        pose=wire.make("geometry_msgs/msg/PoseWithCovariance", pose=good_pose)))
        bag.write("/camera/depth/points", 3, cloud_msg(np.zeros((4, 3), np.float32), 3))
    perception = PerceptionSession(PerceptionSessionConfig(input_mode="cloud"))
    report = Replayer(perception, GroundingSession()).run(path, [], progress=False)
    assert report.messages == 3
    assert [e for e in report.errors if e.startswith("/odom")] == [
        "/odom: ValueError: pose: expected a non-zero finite quaternion, got (0.0, 0.0, 0.0, 0.0)"]
    assert perception.poses.lookup("cam", 2) is not None  # the good pose after the bad one was kept


@pytest.mark.parametrize("payload", ['{"id": "c7", "text": 5}', '{"id": "c7", "text": "x", "view": [1, 2]}'])
def test_envelope_error_keeps_the_clients_request_id(payload: str) -> None:
    """A client waits for its own id; an error result under a generated id would look like silence to it."""
    from ros_nodes.errors import RequestError
    from ros_nodes.query_request import parse_request

    with pytest.raises(RequestError) as err:
        parse_request(payload, "ground", "fallback-1")
    assert err.value.request_id == "c7"
