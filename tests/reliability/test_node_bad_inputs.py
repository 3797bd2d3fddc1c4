"""Node level (issue 9): every bad message kind published to a running node is logged in one line, counted in
its DiagnosticArray, and the node goes on serving the next good message; a bad query gets a ``~/result``
with status "error" and a reason, never silence. Real rclpy, nodes in process, private ROS domain."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ros_nodes import wire

pytestmark = pytest.mark.ros
S = 1_000_000_000


class Graph:
    """One rclpy context holding the nodes under test and a tester node, spun by a MultiThreadedExecutor."""

    def __init__(self, domain: int) -> None:
        import rclpy
        from rclpy.executors import MultiThreadedExecutor

        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain)
        self.tester = rclpy.create_node("reliability_tester", context=self.context)
        self.executor = MultiThreadedExecutor(num_threads=3, context=self.context)
        self.executor.add_node(self.tester)
        self.got: dict[str, list[bytes]] = {}
        self._nodes: list[Any] = []
        self._pubs: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.executor.spin, daemon=True)
        self._thread.start()

    def add(self, node: Any) -> Any:
        self.executor.add_node(node)
        self._nodes.append(node)
        return node

    def remove(self, node: Any) -> None:
        """Deactivate and clean up ``node``, then take it off the executor before destroying it."""
        node.trigger_deactivate()
        node.trigger_cleanup()
        self.executor.remove_node(node)
        self._nodes.remove(node)
        time.sleep(0.3)  # the executor's current wait may still hold the node's handles
        node.destroy_node()

    def listen(self, topic: str, typename: str, profile: Any) -> None:
        from ros_nodes.node_base import rclpy_class

        self.got[topic] = []

        def cb(raw: bytes) -> None:
            with self._lock:
                self.got[topic].append(raw)

        self.tester.create_subscription(rclpy_class(typename), topic, cb, profile, raw=True)

    def decoded(self, topic: str, typename: str) -> list[Any]:
        with self._lock:
            raws = list(self.got[topic])
        return [wire.decode(r, typename) for r in raws]

    def publish(self, topic: str, typename: str, msg: Any, profile: Any) -> None:
        from ros_nodes.node_base import rclpy_class

        if topic not in self._pubs:
            self._pubs[topic] = self.tester.create_publisher(rclpy_class(typename), topic, profile)
            wait_for(lambda: self._pubs[topic].get_subscription_count() > 0, 20, f"a subscriber on {topic}")
            time.sleep(0.3)
        self._pubs[topic].publish(wire.encode(msg))

    def close(self) -> None:
        import rclpy

        self.executor.shutdown(timeout_sec=5)
        self._thread.join(timeout=10)
        for node in self._nodes:
            node.destroy_node()
        rclpy.shutdown(context=self.context)


def wait_for(predicate: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")


def errors_of(node: Any) -> int:
    return node.health.errors


def diag_errors(graph: Graph, node_name: str) -> int:
    """The error count of ``node_name`` in the latest DiagnosticArray received."""
    from ros_nodes.diagnostics import parse_status

    for msg in reversed(graph.decoded("/diagnostics", "diagnostic_msgs/msg/DiagnosticArray")):
        if msg.status and msg.status[0].name.endswith(node_name):
            return int(parse_status(msg)["errors"])
    return -1


@pytest.fixture
def graph(ros_domain_id: int) -> Iterator[Graph]:
    from ros_nodes import qos

    g = Graph(ros_domain_id)
    g.listen("/diagnostics", "diagnostic_msgs/msg/DiagnosticArray", qos.RELIABLE)
    yield g
    g.close()


# --- grounding_node ------------------------------------------------------------------------------------------
BAD_REQUESTS = [
    ("", "non-empty sentence"),
    ("   \t  ", "non-empty sentence"),
    ("the mug " * 1250, "at most 512 characters, got 9999"),
    ('{"id": "j1", "text": ', "invalid JSON"),
    ('{"id": "j2", "text": 5}', "string field 'text'"),
    ('{"id": "j3", "text": "the mug", "view": {"position": [0, 0], "look_at": [1, 1, 1]}}', "view.position"),
]


def test_grounding_node_answers_every_bad_query_with_an_error_and_keeps_serving(
    graph: Graph, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    from grounding.model import save_model
    from ros_nodes import qos
    from ros_nodes.grounding_node import GroundingNode
    from ros_nodes.scene_session import PerceptionSession
    from tests.grounding._engine_scene import proposals, tiny_model

    save_model(tiny_model(), tmp_path / "ckpt")
    node = graph.add(GroundingNode({"checkpoint": str(tmp_path / "ckpt"), "diagnostics_period_s": 0.2},
                                   context=graph.context))
    assert node.start()
    graph.listen("/grounding_node/result", "std_msgs/msg/String", qos.RELIABLE)
    graph.listen("/grounding_node/answer", "std_msgs/msg/String", qos.RELIABLE)
    scene = PerceptionSession()
    scene.proposals, scene.version = proposals(), 1
    graph.publish("/perception_node/scene", "std_msgs/msg/String", wire.string_msg(json.dumps(scene.summary(1))),
                  qos.LATCHED)
    wait_for(lambda: node.session.scene_version == 1, 20, "the scene summary")

    def results() -> list[dict[str, Any]]:
        return [json.loads(m.data) for m in graph.decoded("/grounding_node/result", "std_msgs/msg/String")]

    for n, (payload, reason) in enumerate(BAD_REQUESTS):
        graph.publish("/grounding_node/query", "std_msgs/msg/String", wire.string_msg(payload), qos.RELIABLE)
        got = wait_for(lambda n=n: len(results()) > n and results(), 20, f"a result for bad request {n}")
        assert got[n]["status"] == "error" and reason in got[n]["error"], got[n]
        assert errors_of(node) == n + 1
    assert [r["request_id"] for r in results()[3:]][1:] == ["j2", "j3"]  # ids survive when the JSON parses
    graph.publish("/grounding_node/ask", "std_msgs/msg/String", wire.string_msg(""), qos.RELIABLE)
    answers = wait_for(lambda: graph.decoded("/grounding_node/answer", "std_msgs/msg/String"), 20, "an answer")
    assert json.loads(answers[0].data)["status"] == "error"
    # A broken scene message is counted too, and the last good scene stays.
    graph.publish("/perception_node/scene", "std_msgs/msg/String", wire.string_msg("{not json"), qos.LATCHED)
    wait_for(lambda: errors_of(node) == len(BAD_REQUESTS) + 2, 20, "the bad scene to be counted")
    assert node.session.scene_version == 1 and "scene: expected JSON" in node.health.last_error
    good = json.dumps({"id": "good", "text": "the blue box"})
    graph.publish("/grounding_node/query", "std_msgs/msg/String", wire.string_msg(good), qos.RELIABLE)
    last = wait_for(lambda: [r for r in results() if r["request_id"] == "good"], 30, "the good result")[0]
    assert last["status"] in ("found", "not_found", "ambiguous")
    wait_for(lambda: diag_errors(graph, "grounding_node") == len(BAD_REQUESTS) + 2, 10, "errors in /diagnostics")
    graph.remove(node)


# --- perception_node ---------------------------------------------------------------------------------------
def _frames() -> list[list[tuple[str, Any]]]:
    from ros_nodes.sim_stream import SimStream, SimStreamConfig

    stream = SimStream(SimStreamConfig(width=96, height=72, lidar=False, num_frames=8, frame_period_s=1.0))
    return [stream.messages(k) for k in range(4)]


def _restamp(msg: Any, stamp_ns: int) -> Any:
    return dataclasses.replace(msg, header=wire.header(stamp_ns, str(msg.header.frame_id)))


def _bad_rgbd(kind: str, good: dict[str, Any]) -> tuple[Any, Any, Any]:
    color, depth, info = good["/camera/color/image_raw"], good["/camera/depth/image_raw"], good["/camera/camera_info"]
    if kind == "unknown encoding":
        color = dataclasses.replace(color, encoding="rgb9000")
    elif kind == "step too small":
        color = dataclasses.replace(color, step=color.width)  # rgb8 needs 3 * width
    elif kind == "depth dtype":
        depth = dataclasses.replace(depth, encoding="rgb8", step=depth.width * 3,
                                    data=np.zeros(depth.height * depth.width * 3, np.uint8))
    elif kind == "camera info zeros":
        info = dataclasses.replace(info, k=np.zeros(9), p=np.zeros(12), width=0, height=0)
    return color, depth, info


RGBD_BAD = ["unknown encoding", "step too small", "depth dtype", "camera info zeros"]


@pytest.mark.slow
def test_perception_node_counts_each_bad_frame_and_integrates_the_next_good_one(graph: Graph) -> None:
    from ros_nodes import qos
    from ros_nodes.perception_node import PerceptionNode

    node = graph.add(PerceptionNode({"input_mode": "rgbd", "update_period_s": 0.0, "fusion_voxel_size": 0.05,
                                     "diagnostics_period_s": 0.2, "use_tf": False}, context=graph.context))
    assert node.start()
    graph.listen("/perception_node/scene", "std_msgs/msg/String", qos.LATCHED)
    frames = [dict(f) for f in _frames()]
    topics = ["/camera/color/image_raw", "/camera/depth/image_raw", "/camera/camera_info"]
    types = ["sensor_msgs/msg/Image", "sensor_msgs/msg/Image", "sensor_msgs/msg/CameraInfo"]

    def send(frame: dict[str, Any], triple: tuple[Any, ...] | None = None, stamp: int | None = None,
             odom: Any = None) -> None:
        odom = odom if odom is not None else frame["/odom"]
        msgs = triple or tuple(frame[t] for t in topics)
        if stamp is not None:
            odom, msgs = _restamp(odom, stamp), tuple(_restamp(m, stamp) for m in msgs)
        graph.publish("/odom", "nav_msgs/msg/Odometry", odom, qos.SENSOR)
        time.sleep(0.05)
        for topic, typename, m in zip(topics, types, msgs, strict=True):
            graph.publish(topic, typename, m, qos.SENSOR)

    def scenes() -> int:
        return len(graph.got["/perception_node/scene"])

    send(frames[0], stamp=10 * S)
    wait_for(lambda: scenes() >= 1, 60, "the first scene")
    expected_errors = 0
    for n, kind in enumerate(RGBD_BAD):
        send(frames[1], _bad_rgbd(kind, frames[1]), stamp=(11 + n) * S)
        expected_errors += 1
        wait_for(lambda e=expected_errors: errors_of(node) == e, 30, f"the {kind} error to be counted")
        assert "expected" in node.health.last_error and "got" in node.health.last_error, node.health.last_error
    # Time: a frame older than the last update is refused (FrameOrderError), or already dropped by the
    # synchronizer as older than its last match; either way it is counted and never fused.
    assert node.sync is not None
    dropped = node.sync.stats.dropped
    send(frames[1], stamp=5 * S)
    wait_for(lambda: errors_of(node) > expected_errors or node.sync.stats.dropped >= dropped + 3, 30,
             "the out-of-order frame to be refused")
    if errors_of(node) > expected_errors:
        assert "FrameOrderError: frame stamp: expected >=" in node.health.last_error, node.health.last_error
        expected_errors += 1
    assert scenes() == 1
    # ... and a frame whose odometry jumped 100 m in 5 s is refused by the frame guard.
    far = frames[1]["/odom"]
    pose = far.pose.pose
    jumped = dataclasses.replace(far, pose=dataclasses.replace(far.pose, pose=dataclasses.replace(
        pose, position=wire.make("geometry_msgs/msg/Point", x=pose.position.x + 100.0, y=pose.position.y,
                                 z=pose.position.z))))
    send(frames[1], stamp=15 * S, odom=jumped)
    expected_errors += 1
    wait_for(lambda: errors_of(node) == expected_errors, 30, "the pose jump to be counted")
    assert "FrameOrderError: pose jump: expected" in node.health.last_error, node.health.last_error
    before = scenes()
    send(frames[2], stamp=20 * S)  # nine seconds later: believable again
    wait_for(lambda: scenes() > before, 60, "a scene update from the next good frame")
    wait_for(lambda: diag_errors(graph, "perception_node") == expected_errors, 10, "errors in /diagnostics")
    graph.remove(node)


def _bad_clouds(good: Any) -> dict[str, Any]:
    from perception import PointCloud
    from perception.convert import build_message, cloud_to_pointcloud2

    f = list(good.fields)
    nan = build_message(cloud_to_pointcloud2(PointCloud(np.full((50, 3), np.nan, np.float32)), "camera_optical", 0),
                        wire.msg_class)
    inf = build_message(cloud_to_pointcloud2(PointCloud(np.full((50, 3), np.inf, np.float32)), "camera_optical", 0),
                        wire.msg_class)
    return {
        "data too short": dataclasses.replace(good, data=good.data[:-7]),
        "data too long": dataclasses.replace(good, data=np.concatenate([good.data, np.zeros(5, np.uint8)])),
        "point_step smaller than its fields": dataclasses.replace(good, point_step=8, row_step=8 * good.width,
                                                                  data=good.data[: 8 * good.width * good.height]),
        "unknown datatype": dataclasses.replace(good, fields=[dataclasses.replace(f[0], datatype=99), *f[1:]]),
        "overlapping fields": dataclasses.replace(good, fields=[f[0], dataclasses.replace(f[1], offset=2), *f[2:]]),
        "count 0": dataclasses.replace(good, fields=[dataclasses.replace(f[0], count=0), *f[1:]]),
        "empty": dataclasses.replace(good, width=0, row_step=0, data=np.zeros(0, np.uint8)),
        "all NaN": nan,
        "all infinite": inf,
        "missing z": dataclasses.replace(good, fields=[x for x in f if x.name != "z"]),
    }


@pytest.mark.slow
def test_perception_node_counts_each_bad_cloud_and_serves_the_next_good_one(graph: Graph) -> None:
    from ros_nodes import qos
    from ros_nodes.perception_node import PerceptionNode

    node = graph.add(PerceptionNode({"input_mode": "cloud", "update_period_s": 0.0, "diagnostics_period_s": 0.2,
                                     "use_tf": False}, context=graph.context))
    assert node.start()
    graph.listen("/perception_node/scene", "std_msgs/msg/String", qos.LATCHED)
    frame = dict(_frames()[0])
    good, odom = frame["/camera/depth/points"], frame["/odom"]
    for n, (kind, bad) in enumerate(_bad_clouds(good).items()):
        stamp = (10 + n) * S
        graph.publish("/odom", "nav_msgs/msg/Odometry", _restamp(odom, stamp), qos.SENSOR)
        time.sleep(0.05)
        graph.publish("/camera/depth/points", "sensor_msgs/msg/PointCloud2",
                      dataclasses.replace(bad, header=wire.header(stamp, "camera_optical")), qos.SENSOR)
        wait_for(lambda n=n: errors_of(node) == n + 1, 30, f"the {kind} cloud to be counted")
        line = node.health.last_error
        assert line.startswith("/camera/depth/points: ") and "expected" in line and "got" in line, (kind, line)
        assert "\n" not in line
    assert len(graph.got["/perception_node/scene"]) == 0
    stamp = 30 * S
    graph.publish("/odom", "nav_msgs/msg/Odometry", _restamp(odom, stamp), qos.SENSOR)
    time.sleep(0.05)
    graph.publish("/camera/depth/points", "sensor_msgs/msg/PointCloud2", _restamp(good, stamp), qos.SENSOR)
    wait_for(lambda: graph.got["/perception_node/scene"], 60, "a scene from the next good cloud")
    n_bad = len(_bad_clouds(good))
    wait_for(lambda: diag_errors(graph, "perception_node") == n_bad, 10, "errors in /diagnostics")
    graph.remove(node)
