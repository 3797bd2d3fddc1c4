"""Replay extracts proposals on a worker thread; its output must not depend on when an extraction finishes."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from perception.pipeline import MapSnapshot, PerceptionResult, ScenePerception
from ros_nodes.bag_io import BagReader
from ros_nodes.query_request import Request
from ros_nodes.replay import Replayer, ReplayReport, TimedRequest
from ros_nodes.scene_session import PerceptionSession
from ros_nodes.session_factory import make_sessions

# Queries between the scene updates (one a second of sensor time) and after the last message.
REQUESTS = [TimedRequest(Request("q0", "the white box", "ground"), 0.5),
            TimedRequest(Request("q1", "how many chairs are there?", "ask"), 1.5),
            TimedRequest(Request("q2", "the chair", "ground"), 2.1),
            TimedRequest(Request("q3", "the white box", "ground"))]


@pytest.fixture(scope="module")
def sim_bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sim.bag import BagConfig, write_bag
    from sim.scene import SceneConfig

    path = tmp_path_factory.mktemp("bag") / "drive"
    write_bag(path, BagConfig(seconds=3.0, rate_hz=5.0, seed=3, scene=SceneConfig(max_objects=12)))
    return path


def _replay(bag: Path, out: Path) -> tuple[ReplayReport, list[tuple[str, int, bytes]]]:
    perception, grounding, topics = make_sessions()
    perception.load()
    grounding.load()
    report = Replayer(perception, grounding, topics).run(bag, REQUESTS, out_bag=out, progress=False)
    with BagReader(out) as reader:
        return report, [(m.topic, m.log_ns, bytes(m.raw)) for m in reader.messages(decode=False)]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_slow_extractions_and_no_worker_give_the_same_bytes(
    sim_bag: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, written = _replay(sim_bag, tmp_path / "background")
    assert report.scene_updates == 3 and not report.errors
    assert [r["kind"] for r in report.results] == ["grounding", "answer", "grounding", "grounding"]

    # The worker held back: every update is still being extracted when the next query comes, so a query
    # answered before its updates were handed on would see an older scene.
    perceive = ScenePerception.perceive
    late: list[bool] = []

    def slow(self: ScenePerception, snapshot: MapSnapshot) -> PerceptionResult:
        time.sleep(0.5)
        return perceive(self, snapshot)

    ready = Replayer._hand_on

    def watched(self: Replayer, report: ReplayReport, writer: object, wait: bool) -> None:
        late.extend(wait and not u.ready for u in self._updates)
        ready(self, report, writer, wait)

    monkeypatch.setattr(ScenePerception, "perceive", slow)
    monkeypatch.setattr(Replayer, "_hand_on", watched)
    slow_report, slow_written = _replay(sim_bag, tmp_path / "slow")
    assert any(late)
    monkeypatch.undo()

    # No worker at all: each update's proposals extracted before the next message is read.
    @contextlib.contextmanager
    def inline(self: PerceptionSession) -> Iterator[None]:
        yield

    monkeypatch.setattr(PerceptionSession, "background_extraction", inline)
    inline_report, inline_written = _replay(sim_bag, tmp_path / "inline")

    assert slow_written == written and inline_written == written
    assert slow_report.results == report.results == inline_report.results
    assert slow_report.object_ids == report.object_ids == inline_report.object_ids


def test_a_failed_background_extraction_is_reported_and_the_replay_goes_on(
    sim_bag: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    perceive, calls = ScenePerception.perceive, []

    def failing_second(self: ScenePerception, snapshot: MapSnapshot) -> PerceptionResult:
        calls.append(1)
        if len(calls) == 2:
            raise ValueError("the second extraction fails")
        return perceive(self, snapshot)

    monkeypatch.setattr(ScenePerception, "perceive", failing_second)
    report, _ = _replay(sim_bag, tmp_path / "out")
    assert report.errors == ["scene update 2: ValueError: the second extraction fails"]
    assert report.scene_updates == 2 and len(calls) == 3  # the third update extracted and was handed on
    assert len(report.results) == len(REQUESTS)


def test_a_replayer_run_again_after_an_error_starts_with_no_update_left_over(
    sim_bag: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    perception, grounding, topics = make_sessions()
    perception.load()
    grounding.load()
    replayer = Replayer(perception, grounding, topics)
    perceive, feed = ScenePerception.perceive, Replayer._feed
    updates: list[object] = []

    def slow(self: ScenePerception, snapshot: MapSnapshot) -> PerceptionResult:
        time.sleep(0.5)
        return perceive(self, snapshot)

    def failing_after_the_first_update(self: Replayer, *args: Any) -> Any:
        if updates:
            raise RuntimeError("a message after the first update fails")
        update = feed(self, *args)
        if update is not None:
            updates.append(update)
        return update

    monkeypatch.setattr(ScenePerception, "perceive", slow)
    monkeypatch.setattr(Replayer, "_feed", failing_after_the_first_update)
    with pytest.raises(RuntimeError):  # while the first update is still being extracted
        replayer.run(sim_bag, [], progress=False)
    monkeypatch.undo()
    perception.reset()
    report = replayer.run(sim_bag, REQUESTS, progress=False)
    assert report.scene_updates == 3 and len(report.results) == len(REQUESTS)
