"""The demo (``ground3d demo``, ``make demo``): a sim robot looks around a room; perception and grounding run
on its simulated sensor messages through the same sessions as the nodes; example queries and questions are
answered (one whose target is absent, one that is ambiguous); a table and ``demo/scene.png`` show the result.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ros_nodes.query_request import Request
from ros_nodes.scene_session import GroundingSession, PerceptionSession, PerceptionSessionConfig
from ros_nodes.sim_stream import TOPICS, SimStream, SimStreamConfig

if TYPE_CHECKING:
    from perception import PointCloud

CATEGORY_POOL = ("lamp", "plant", "laptop", "mug", "bottle", "trash bin", "ball", "sofa", "shelf")
"""Categories tried, in order, for the query whose target is absent."""


@dataclass
class DemoConfig:
    """What the demo builds and asks."""

    seed: int = 3
    """Scene seed (3 has three white chairs, for the ambiguous query)."""
    num_objects: int = 12
    """Most objects in the scene."""
    frames: int = 5
    """Camera frames integrated along the robot's walk."""
    out_dir: Path = Path("demo")
    """Where scene.png goes."""


@dataclass
class DemoReport:
    """The demo's results."""

    results: list[dict[str, Any]] = field(default_factory=list)
    ground_truth: list[dict[str, Any]] = field(default_factory=list)
    gt_match: list[int | None] = field(default_factory=list)
    """Ground-truth object id whose box holds each result's chosen box centre (None: none or no box)."""
    num_proposals: int = 0
    perception_s: float = 0.0
    grounding_s: float = 0.0
    picture: Path | None = None


def example_requests(objects: list[dict[str, Any]], seen: set[int] | None = None) -> list[Request]:
    """Queries and questions built from a scene's ground truth: unique, relational, ambiguous and absent.

    ``seen`` (object ids) restricts the targets to what the robot has seen; whether a description is unique,
    and which category is absent, is still judged on the whole scene.
    """
    pairs = Counter((o["color"], o["label"]) for o in objects)
    labels = Counter(o["label"] for o in objects)
    by_id = {o["object_id"]: o for o in objects}
    visible = [o for o in objects if seen is None or o["object_id"] in seen]
    reqs: list[Request] = []
    unique = [o for o in visible if pairs[(o["color"], o["label"])] == 1]
    if unique:
        o = min(unique, key=lambda o: (labels[o["label"]] == 1, o["object_id"]))  # prefer a colour that matters
        reqs.append(Request("unique", f"the {o['color']} {o['label']}", "ground"))
    on = [o for o in unique if o.get("support_id", -1) in by_id]
    if on:
        o, s = on[0], by_id[on[0]["support_id"]]
        reqs.append(Request("relation", f"the {o['label']} on the {s['color']} {s['label']}", "ground"))
    several = [p for p, n in pairs.items() if n >= 2 and any((o["color"], o["label"]) == p for o in visible)]
    if several:
        color, label = several[0]
        reqs.append(Request("ambiguous", f"the {color} {label}", "ground"))
    absent = next((c for c in CATEGORY_POOL if c not in labels), "piano")
    reqs.append(Request("absent", f"the {absent} by the window", "ground"))
    counted = max(labels, key=lambda k: (labels[k], k))
    reqs.append(Request("count", f"how many {counted}s are there?", "ask"))
    reqs.append(Request("exists", f"is there a {absent}?", "ask"))
    only_one = [o for o in visible if labels[o["label"]] == 1]  # "the sofa" names it without its colour
    if only_one or unique:
        reqs.append(Request("color", f"what color is the {(only_one or unique)[-1]['label']}?", "ask"))
    return reqs


def run_demo(config: DemoConfig | None = None) -> DemoReport:
    """Build the scene, perceive it from ``frames`` views, answer the example requests, draw the picture."""
    cfg = config or DemoConfig()
    report = DemoReport()
    stream = SimStream(SimStreamConfig(scene_seed=cfg.seed, num_objects=cfg.num_objects, num_frames=cfg.frames,
                                       lidar=False))
    report.ground_truth = stream.ground_truth()
    perception = PerceptionSession(PerceptionSessionConfig(update_period_s=0.0))
    grounding = GroundingSession()
    perception.load()
    grounding.load()
    start = time.perf_counter()
    update = None
    images = []
    for i in range(cfg.frames):
        msgs = dict(stream.messages(i))  # one message per topic: odometry, colour, depth, camera info, cloud
        perception.add_odometry(msgs[TOPICS["odom"]])
        update = perception.add_rgbd(msgs[TOPICS["color"]], msgs[TOPICS["depth"]], msgs[TOPICS["camera_info"]]) \
            or update
        images.append(msgs[TOPICS["color"]])
    report.perception_s = time.perf_counter() - start
    if update is None:
        raise RuntimeError("demo: expected at least one scene update, got none")
    report.num_proposals = len(update.proposals)
    start = time.perf_counter()
    grounding.set_proposals(update.proposals, update.version, update.T_world_sensor)
    seen = seen_objects(report.ground_truth, perception.fused_cloud())
    report.results = [grounding.handle(r) for r in example_requests(report.ground_truth, seen)]
    report.grounding_s = time.perf_counter() - start
    report.gt_match = [_gt_match(r, report.ground_truth) for r in report.results]
    from ros_nodes.demo_plot import best_view, draw_demo

    poses = [stream.T_world_cam(i) for i in range(cfg.frames)]
    k = best_view(poses, stream.camera.intrinsics, report.results)
    report.picture = draw_demo(cfg.out_dir / "scene.png", images[k], stream.camera.intrinsics, poses[k],
                               update.proposals, report.results, report.ground_truth)
    return report


def seen_objects(objects: list[dict[str, Any]], cloud: PointCloud, min_points: int = 50) -> set[int]:
    """Ids of the ground-truth objects whose box holds at least ``min_points`` points of the fused ``cloud``
    (a PointCloud in the world frame): what the robot's camera has actually seen."""
    from perception import Box3D

    xyz = cloud.xyz.astype(np.float64)
    return {
        int(o["object_id"])
        for o in objects
        if int(Box3D.from_json(o).contains(xyz).sum()) >= min_points
    }


def _gt_match(result: dict[str, Any], objects: list[dict[str, Any]]) -> int | None:
    from perception import Box3D

    box = result.get("box")
    if not box:
        return None
    center = np.asarray(box["center"], dtype=np.float64)[None]
    for o in objects:
        if Box3D.from_json(o).contains(center, margin=0.05)[0]:
            return int(o["object_id"])
    return None
