"""Offline replay: a recorded bag through the same ``PerceptionSession`` and ``GroundingSession`` as the nodes.

Messages are fed in recording order; each scene update goes to the grounding session, exactly as the
composed nodes hand it over. Queries are answered at their given bag time (seconds from the bag's start)
or after the last message. The results go into a new rosbag2 on the topics the live nodes would use, so
Foxglove or RViz show them over the original sensor data. Latency fields are zeroed, so the same input
gives the same output bytes.

Proposals are extracted on a worker thread while the next frames are read and fused
(``PerceptionSession.background_extraction``). The updates are handed on in their order, and all of them
before a query is answered, so the output does not depend on when an extraction finished.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ros_nodes import markers, wire
from ros_nodes.bag_io import BagMessage, BagReader, bag_writer, decode
from ros_nodes.errors import BagError, RequestError
from ros_nodes.markers import objects_markers, result_markers
from ros_nodes.query_request import Request, dumps, parse_view
from ros_nodes.scene_session import GroundingSession, PerceptionSession, SceneUpdate
from ros_nodes.sync import ApproximateTimeSynchronizer, SyncConfig

OUT_TOPICS = {
    "objects": "/perception_node/objects",
    "scene": "/perception_node/scene",
    "result": "/grounding_node/result",
    "answer": "/grounding_node/answer",
    "target_pose": "/grounding_node/target_pose",
    "markers": "/grounding_node/markers",
}


@dataclass
class TimedRequest:
    """A query or question to answer at ``at_s`` seconds after the bag's first message (None: at the end)."""

    request: Request
    at_s: float | None = None


@dataclass
class ReplayTopics:
    """Input topics (the perception_node parameters of the same names)."""

    cloud: str = "/camera/depth/points"
    color: str = "/camera/color/image_raw"
    depth: str = "/camera/depth/image_raw"
    camera_info: str = "/camera/camera_info"
    odom: str = "/odom"
    tf: str = "/tf"


@dataclass
class ReplayReport:
    """What a replay did and how fast."""

    bag: str
    messages: int = 0
    bag_duration_s: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    """CPU time of this process (on a shared machine wall time also counts other people's work)."""
    scene_updates: int = 0
    object_ids: list[int] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def speed_vs_real_time(self) -> float:
        """Bag duration divided by wall time (10 means ten times faster than real time)."""
        return self.bag_duration_s / self.wall_s if self.wall_s > 0 else float("inf")

    def to_json(self) -> dict[str, Any]:
        return {"bag": self.bag, "messages": self.messages, "bag_duration_s": round(self.bag_duration_s, 3),
                "wall_s": round(self.wall_s, 3), "cpu_s": round(self.cpu_s, 3),
                "speed_vs_real_time": round(self.speed_vs_real_time, 2),
                "speed_vs_real_time_cpu": round(self.bag_duration_s / max(self.cpu_s, 1e-9), 2),
                "scene_updates": self.scene_updates, "object_ids": self.object_ids, "results": self.results,
                "errors": self.errors}


def load_requests(path: Path) -> list[TimedRequest]:
    """A queries file: a JSON list of ``{"text", "kind": "ground"|"ask", "at_s", "id", "view"}``, or text lines."""
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise RequestError(f"queries file {path}: expected a readable UTF-8 file, got {err}") from err
    if content.lstrip().startswith("["):
        try:
            items = json.loads(content)
        except json.JSONDecodeError as err:
            raise RequestError(f"queries file {path}: invalid JSON: {err.msg} at line {err.lineno}") from err
        out = []
        for n, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise RequestError(f"queries file {path} item {n}: expected an object with a string 'text'")
            kind = item.get("kind", "ground")
            if kind not in ("ground", "ask"):
                raise RequestError(f"queries file {path} item {n}: expected kind ground or ask, got {kind!r}")
            at = item.get("at_s")
            if at is not None and not (isinstance(at, int | float) and at >= 0):
                raise RequestError(f"queries file {path} item {n}: expected at_s >= 0, got {at!r}")
            req = Request(str(item.get("id", f"q{n}")), item["text"], kind, parse_view(item.get("view")))
            out.append(TimedRequest(req, None if at is None else float(at)))
        return out
    lines = [line.strip() for line in content.splitlines() if line.strip() and not line.startswith("#")]
    return [TimedRequest(Request(f"q{n}", line, "ground")) for n, line in enumerate(lines)]


class Replayer:
    """Feeds a bag to the sessions and collects results; ``run`` does one bag."""

    def __init__(self, perception: PerceptionSession, grounding: GroundingSession,
                 topics: ReplayTopics | None = None, sync: SyncConfig | None = None) -> None:
        self.perception = perception
        self.grounding = grounding
        self.topics = topics or ReplayTopics()
        self._pending_rgbd: list[Any] = []
        self._updates: deque[SceneUpdate] = deque()
        """Scene updates not yet handed on, oldest first (their proposals may still be extracted)."""
        self.sync = ApproximateTimeSynchronizer(sync or SyncConfig(3, 20_000_000, 10), self._pending_rgbd.append)

    def run(self, bag_path: Path, requests: Iterable[TimedRequest], out_bag: Path | None = None,
            storage: str = "mcap", progress: bool = True) -> ReplayReport:
        """Replay ``bag_path``; write results into ``out_bag`` (a new rosbag2) when given."""
        report = ReplayReport(bag=str(bag_path))
        self._updates.clear()  # a run that raised may have left some
        start, cpu_start = time.perf_counter(), time.process_time()
        todo = sorted(requests, key=lambda r: (r.at_s is None, r.at_s or 0.0))
        with BagReader(bag_path) as bag, self.perception.background_extraction():
            report.bag_duration_s = bag.duration_ns / 1e9
            wanted = self._wanted(bag.topics)
            out_cm = bag_writer(out_bag, storage) if out_bag is not None else None
            writer = out_cm.__enter__() if out_cm is not None else None
            try:
                t0: int | None = None
                last_ns = 0
                for item in _progress(bag.messages(wanted, decode=False), bag.count(wanted), progress):
                    t0 = item.log_ns if t0 is None else t0
                    while todo and todo[0].at_s is not None and t0 + todo[0].at_s * 1e9 <= item.log_ns:
                        self._hand_on(report, writer, wait=True)
                        self._answer(todo.pop(0), item.log_ns, report, writer)
                    report.messages += 1
                    last_ns = item.log_ns
                    update = self._feed(bag, item, report)
                    if update is not None:
                        self._updates.append(update)
                    self._hand_on(report, writer, wait=False)
                self._hand_on(report, writer, wait=True)
                for req in todo:
                    self._answer(req, last_ns, report, writer)
            finally:
                if out_cm is not None:
                    out_cm.__exit__(None, None, None)
        report.object_ids = sorted(p.object_id for p in self.perception.proposals)
        report.wall_s = time.perf_counter() - start
        report.cpu_s = time.process_time() - cpu_start
        return report

    def _wanted(self, topics: dict[str, str]) -> list[str]:
        t = self.topics
        rgbd = [t.color, t.depth, t.camera_info]
        inputs = [t.cloud] if self.perception.config.input_mode == "cloud" else rgbd
        missing = [name for name in inputs if name not in topics]
        if missing:
            raise BagError(f"bag: expected input topics {inputs}, got none of {missing} among {sorted(topics)}")
        return [*inputs, *(name for name in (t.odom, t.tf) if name in topics)]

    def _feed(self, bag: BagReader, item: BagMessage, report: ReplayReport) -> SceneUpdate | None:
        t, topic = self.topics, item.topic
        try:
            if topic == t.cloud and self.perception.skip_raw(item.raw):
                return None  # throttled: not even decoded
            msg = decode(bag, item)
            if topic == t.odom:
                return self.perception.add_odometry(msg)
            if topic == t.tf:
                return self.perception.add_tf(msg)
            if topic == t.cloud and self.perception.config.input_mode == "cloud":
                return self.perception.add_cloud(msg)
            stream = [t.color, t.depth, t.camera_info].index(topic)
            self.sync.add(stream, wire.stamp_to_ns(msg.header.stamp), msg)
            if self._pending_rgbd:
                matched = self._pending_rgbd.pop()
                return self.perception.add_rgbd(*matched)
        except ValueError as err:  # one bad message: counted and reported, the replay goes on
            report.errors.append(f"{topic}: {type(err).__name__}: {err}")
        return None

    def _hand_on(self, report: ReplayReport, writer: Any, wait: bool) -> None:
        """Hand the waiting scene updates on, oldest first: those whose proposals are ready, or, with
        ``wait``, all of them."""
        while self._updates and (wait or self._updates[0].ready):
            update = self._updates.popleft()
            try:
                update.proposals  # noqa: B018  (waits for the extraction, and raises its error)
            except ValueError as err:  # a failed extraction: counted and reported, the replay goes on
                report.errors.append(f"scene update {update.version}: {type(err).__name__}: {err}")
                continue
            self._scene(update, report, writer)

    def _scene(self, update: SceneUpdate, report: ReplayReport, writer: Any) -> None:
        report.scene_updates += 1
        self.grounding.set_proposals(update.proposals, update.version, update.T_world_sensor)
        if writer is not None:
            frame = self.perception.config.world_frame
            writer.write(OUT_TOPICS["objects"], update.stamp_ns, objects_markers(update, frame))
            summary = self.perception.summary(update.stamp_ns, update)
            writer.write(OUT_TOPICS["scene"], update.stamp_ns, wire.string_msg(json.dumps(summary)))

    def _answer(self, timed: TimedRequest, stamp_ns: int, report: ReplayReport, writer: Any) -> None:
        result = self.grounding.handle(timed.request)
        if "latency_ms" in result:
            result["latency_ms"] = 0.0  # wall time would make two replays differ
        result["stamp_ns"] = int(stamp_ns)
        report.results.append(result)
        if writer is None:
            return
        frame = self.perception.config.world_frame
        if timed.request.kind == "ask":
            writer.write(OUT_TOPICS["answer"], stamp_ns, wire.string_msg(dumps(result)))
            return
        writer.write(OUT_TOPICS["result"], stamp_ns, wire.string_msg(dumps(result)))
        writer.write(OUT_TOPICS["markers"], stamp_ns, result_markers(result, stamp_ns, frame))
        if result.get("status") == "found" and result.get("box"):
            from perception import Box3D

            writer.write(OUT_TOPICS["target_pose"], stamp_ns,
                         markers.pose_stamped(Box3D.from_json(result["box"]), stamp_ns, frame))


def _progress(items: Iterable[Any], total: int, enabled: bool) -> Iterable[Any]:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, unit="msg", desc="replay", leave=False)
