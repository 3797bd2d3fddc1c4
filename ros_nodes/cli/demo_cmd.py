"""``ground3d demo``: perception and grounding on a simulated robot's sensors, example queries, a picture."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

HELP = "build a sim scene, run perception and grounding on it, answer example queries"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=3, help="scene seed (default 3)")
    parser.add_argument("--frames", type=int, default=5, help="camera frames along the walk (default 5)")
    parser.add_argument("--out-dir", type=Path, default=Path("demo"), help="folder of scene.png (default demo)")


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    from ros_nodes.demo import DemoConfig, run_demo
    from ros_nodes.table import results_table

    report = run_demo(DemoConfig(seed=args.seed, frames=args.frames, out_dir=args.out_dir))
    print(f"scene: {len(report.ground_truth)} objects; perceived {report.num_proposals} proposals from "
          f"{args.frames} RGB-D frames in {report.perception_s:.1f} s; "
          f"{len(report.results)} requests answered in {report.grounding_s:.2f} s")
    print(results_table(report.results))
    print("ground truth of each chosen box: " + ", ".join(
        f"[{n + 1}] {'-' if m is None else _gt_name(report.ground_truth, m)}" for n, m in enumerate(report.gt_match)))
    print(f"picture: {report.picture}   (total {time.perf_counter() - start:.1f} s)")
    return 0


def _gt_name(objects: list, object_id: int) -> str:
    o = next(o for o in objects if o["object_id"] == object_id)
    return f"{o['color']} {o['label']}"
