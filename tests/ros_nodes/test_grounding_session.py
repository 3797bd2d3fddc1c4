"""GroundingSession with the shipped checkpoint: results name the perception scene version they answer on."""

from __future__ import annotations

import json

from ros_nodes.query_request import Request
from ros_nodes.scene_session import GroundingSession, PerceptionSession, PerceptionSessionConfig
from tests.ros_nodes._proposals import cube_proposal


def test_results_carry_the_perception_scene_version_even_for_a_republished_scene() -> None:
    perception = PerceptionSession(PerceptionSessionConfig(scene_sample_points=64))
    perception.proposals = [cube_proposal(1), cube_proposal(2), cube_proposal(3)]
    grounding = GroundingSession()
    grounding.load()
    for version in (1, 2, 7):  # an unchanged scene under new versions: the engine keeps its caches
        perception.version = version
        grounding.set_summary(json.loads(json.dumps(perception.summary(version))))
        for kind, text in (("ground", "the red box"), ("ask", "how many boxes are there?")):
            result = grounding.handle(Request(f"r{version}{kind}", text, kind))
            assert result["status"] != "error", result
            assert result["scene_version"] == version
