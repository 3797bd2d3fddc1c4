"""``ground3d launch`` (all nodes in one process) answers ``ground3d query`` / ``ground3d ask`` end to end;
``ground3d query`` with no node running times out with a clear message."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.ros_nodes.ros_harness import BIN, REPO, Listener, Processes, ros_env, wait_for
from tests.ros_nodes.sim_checks import gt_object_at, query_targets

pytestmark = pytest.mark.ros


def cli(domain: int, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "ground3d"), *args], cwd=REPO, env=ros_env(domain), capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_query_without_a_node_times_out_clearly(ros_domain_id: int) -> None:
    done = cli(ros_domain_id, "query", "the red mug", "--timeout", "2")
    assert done.returncode == 3
    assert "no grounding node is listening on /grounding_node/query" in done.stderr


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_composed_launch_answers_a_query(ros_domain_id: int, tmp_path: Path) -> None:
    from ros_nodes import qos

    procs = Processes(ros_domain_id, tmp_path)
    listener = Listener(ros_domain_id)
    try:
        listener.listen("/sim/objects", "std_msgs/msg/String", qos.LATCHED)
        listener.listen("/perception_node/scene", "std_msgs/msg/String", qos.LATCHED)
        procs.start("launch", [str(BIN / "ground3d"), "launch", "-p", "rate:=2.0", "-p", "lidar:=false",
                               "-p", "num_frames:=12"])
        gt = json.loads(wait_for(lambda: listener.messages("/sim/objects"), 120, "ground truth")[-1].data)

        def targets() -> list:
            scenes = listener.messages("/perception_node/scene")
            return query_targets(json.loads(scenes[-1].data), gt) if scenes else []

        text, target = wait_for(targets, 180, "a perceived, uniquely describable object")[0]
        done = cli(ros_domain_id, "query", text, "--json", "--id", "c1", "--timeout", "60")
        assert done.returncode in (0, 1), done.stderr
        result = json.loads(done.stdout)
        assert result["request_id"] == "c1" and result["status"] in ("found", "ambiguous", "not_found"), result
        if result["status"] == "found":
            chosen = gt_object_at(result["box"]["center"], gt)
            assert chosen is not None and chosen["object_id"] == target["object_id"], (text, result, chosen)
        asked = cli(ros_domain_id, "ask", f"how many {target['label']}s are there?", "--json", "--timeout", "60")
        answer = json.loads(asked.stdout)
        assert answer["kind"] == "answer" and answer["status"] in ("answered", "not_found")
    finally:
        listener.close()
        codes = procs.stop_all()
    assert codes == {"launch": 0}, procs.crash_report("launch") if codes != {"launch": 0} else ""
