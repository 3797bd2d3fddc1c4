"""``ground3d play BAG [--rate R]``: publish a rosbag2 to the live ROS 2 graph with its original timing.

This stands in for ``ros2 bag play`` where ros2cli is not installed. Messages go out as the CDR bytes stored
in the bag, so no message is decoded or re-encoded on the way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "publish a bag to the live ROS 2 graph with its original timing"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bag", type=Path, help="rosbag2 folder (mcap or sqlite3)")
    parser.add_argument("--rate", type=float, default=1.0, help="playback speed factor (default 1.0)")
    parser.add_argument("--topics", nargs="*", default=None, help="only these topics (default: all)")
    parser.add_argument("--wait-subscribers", type=float, default=0.0, metavar="S",
                        help="wait up to S seconds until every topic has a subscriber before playing")
    parser.add_argument("--start-delay", type=float, default=0.5, metavar="S",
                        help="seconds between creating publishers and the first message (discovery)")


def run(args: argparse.Namespace) -> int:
    from ros_nodes.bag_play import play_bag
    from ros_nodes.errors import BagError

    if not args.rate > 0:
        print(f"ground3d play: --rate: expected > 0, got {args.rate}", file=sys.stderr)
        return 2
    try:
        count = play_bag(args.bag, rate=args.rate, topics=args.topics, wait_subscribers_s=args.wait_subscribers,
                         start_delay_s=args.start_delay)
    except BagError as err:
        print(f"ground3d play: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(f"published {count} messages from {args.bag}")
    return 0
