"""Bag path: a sim bag replayed offline (deterministic, same objects) and played into live nodes (same scene)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.ros_nodes.ros_harness import BIN, REPO, Listener, Processes, ros_env, wait_for

QUERY = "the white box"


@pytest.fixture(scope="module")
def sim_bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sim.bag import BagConfig, write_bag
    from sim.scene import SceneConfig

    path = tmp_path_factory.mktemp("bag") / "drive"
    write_bag(path, BagConfig(seconds=3.0, rate_hz=5.0, seed=3, scene=SceneConfig(max_objects=12)))
    return path


def replay(bag: Path, out_dir: Path, name: str) -> dict:
    argv = [str(BIN / "ground3d"), "replay", str(bag), "--query", QUERY, "--ask", "how many chairs are there?",
            "--json", "--no-progress", "--out", name, "--out-dir", str(out_dir)]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def result_bytes(bag: Path) -> list[tuple[str, int, bytes]]:
    from ros_nodes.bag_io import BagReader

    with BagReader(bag) as reader:
        return [(m.topic, m.log_ns, m.raw) for m in reader.messages(decode=False)]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_replay_is_deterministic_and_writes_results(sim_bag: Path, tmp_path: Path) -> None:
    first = replay(sim_bag, tmp_path, "a")
    second = replay(sim_bag, tmp_path, "b")
    assert first["object_ids"] and first["object_ids"] == second["object_ids"]
    assert first["scene_updates"] == 3  # stamps 0..2.8 s, one update per second of sensor time
    kinds = [r["kind"] for r in first["results"]]
    assert kinds == ["grounding", "answer"] and first["results"] == second["results"]
    out_a, out_b = result_bytes(tmp_path / "a"), result_bytes(tmp_path / "b")
    assert out_a == out_b
    topics = {t for t, _, _ in out_a}
    assert {"/perception_node/objects", "/perception_node/scene", "/grounding_node/result",
            "/grounding_node/answer", "/grounding_node/markers"} <= topics


def test_replay_refuses_output_outside_its_folder(sim_bag: Path, tmp_path: Path) -> None:
    argv = [str(BIN / "ground3d"), "replay", str(sim_bag), "--out", "../escape", "--out-dir", str(tmp_path / "o")]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "inside" in done.stderr
    assert not (tmp_path / "escape").exists()


def test_replay_of_a_bag_without_metadata_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bag").mkdir()
    (tmp_path / "bag" / "x.mcap").write_bytes(b"\x89MCAP0\r\n")
    done = subprocess.run([str(BIN / "ground3d"), "replay", str(tmp_path / "bag")], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 2 and "metadata.yaml" in done.stderr


@pytest.mark.ros
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_play_into_live_nodes_gives_the_replay_scene(sim_bag: Path, tmp_path: Path, ros_domain_id: int) -> None:
    from ros_nodes import qos
    from ros_nodes.bag_io import BagReader

    offline = replay(sim_bag, tmp_path, "offline")
    with BagReader(tmp_path / "offline") as reader:
        scenes = [json.loads(m.msg.data) for m in reader.messages(["/perception_node/scene"])]
    procs = Processes(ros_domain_id, tmp_path)
    listener = Listener(ros_domain_id)
    try:
        listener.listen("/perception_node/scene", "std_msgs/msg/String", qos.LATCHED)
        procs.node("perception_node")
        # Slow enough that the node is idle when each due frame (one per second of bag time) arrives, so that
        # sensor QoS drops none of them: the live node then integrates exactly the frames replay integrated.
        topics = ["/camera/color/image_raw", "/camera/depth/image_raw", "/camera/camera_info", "/odom"]
        play = subprocess.run([str(BIN / "ground3d"), "play", str(sim_bag), "--rate", "0.1", "--wait-subscribers",
                               "120", "--topics", *topics], cwd=REPO, env=ros_env(ros_domain_id),
                              capture_output=True, text=True, timeout=300, check=False)
        assert play.returncode == 0, play.stderr[-2000:]
        live = wait_for(lambda: [json.loads(m.data) for m in listener.messages("/perception_node/scene")
                                 if json.loads(m.data)["version"] == len(scenes)], 120, "the last live scene")[-1]
    finally:
        listener.close()
        procs.stop_all()
    final = scenes[-1]
    assert [o["object_id"] for o in live["objects"]] == [o["object_id"] for o in final["objects"]]
    assert sorted(o["object_id"] for o in final["objects"]) == offline["object_ids"]
    for a, b in zip(live["objects"], final["objects"], strict=True):
        assert np.allclose(a["box"]["center"], b["box"]["center"], atol=0.02)
        assert np.allclose(a["box"]["size"], b["box"]["size"], atol=0.02)
