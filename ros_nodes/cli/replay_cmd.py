"""``ground3d replay BAG``: perception and grounding over a recorded bag, offline and without ROS installed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "run perception and grounding offline over a recorded bag"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bag", type=Path, help="rosbag2 folder (mcap or sqlite3) or ROS 1 .bag file")
    parser.add_argument("--query", action="append", default=[], metavar="TEXT",
                        help="grounding query answered after the last message (repeatable)")
    parser.add_argument("--ask", action="append", default=[], metavar="TEXT",
                        help="question answered after the last message (repeatable)")
    parser.add_argument("--queries", type=Path, default=None, metavar="FILE",
                        help='JSON list of {"text", "kind": "ground"|"ask", "at_s", "id", "view"}, or one query a line')
    parser.add_argument("--out", default=None, metavar="OUT_BAG", help="write results into this new rosbag2")
    parser.add_argument("--out-dir", type=Path, default=Path("."),
                        help="folder OUT_BAG must stay inside (default: the current folder)")
    parser.add_argument("--format", choices=["mcap", "sqlite3"], default="mcap", help="output storage (mcap)")
    parser.add_argument("--params-file", type=Path, default=None,
                        help="ROS 2 params file (default config/ground3d.yaml): perception_node and grounding_node")
    parser.add_argument("--json", action="store_true", help="print one JSON report instead of a table")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from ros_nodes.bag_io import BagReader, safe_output_path
    from ros_nodes.errors import RosNodesError
    from ros_nodes.query_request import Request
    from ros_nodes.replay import Replayer, TimedRequest, load_requests
    from ros_nodes.session_factory import make_sessions

    try:
        perception, grounding, topics = make_sessions(args.params_file)
        requests = [TimedRequest(Request(f"query{n}", t, "ground")) for n, t in enumerate(args.query)]
        requests += [TimedRequest(Request(f"ask{n}", t, "ask")) for n, t in enumerate(args.ask)]
        if args.queries is not None:
            requests += load_requests(args.queries)
        out = None if args.out is None else safe_output_path(args.out_dir, args.out)
        with BagReader(args.bag):
            pass  # a bad bag is refused before the models load
        perception.load()
        grounding.load()
        report = Replayer(perception, grounding, topics).run(args.bag, requests, out, args.format,
                                                             progress=not args.no_progress)
    except RosNodesError as err:
        print(f"ground3d replay: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    print(f"{report.messages} messages, {report.bag_duration_s:.1f} s of bag in {report.wall_s:.1f} s "
          f"({report.speed_vs_real_time:.1f}x real time; {report.cpu_s:.1f} s CPU); {report.scene_updates} scene "
          f"updates; "
          f"objects {report.object_ids}")
    from ros_nodes.table import results_table

    if report.results:
        print(results_table(report.results))
    for line in report.errors:
        print(f"skipped bad message: {line}", file=sys.stderr)
    if out is not None:
        print(f"results written to {out}")
    return 0
