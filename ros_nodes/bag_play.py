"""Publish a bag's messages on the live graph, paced by their recorded times divided by a rate."""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ros_nodes.bag_io import BagReader
from ros_nodes.errors import BagError


def play_bag(
    path: Path, rate: float = 1.0, topics: Sequence[str] | None = None, wait_subscribers_s: float = 0.0,
    start_delay_s: float = 0.5,
) -> int:
    """Publish every message of the rosbag2 at ``path``; returns how many were published."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from ros_nodes import qos
    from ros_nodes.node_base import rclpy_class

    with BagReader(path) as bag:
        if bag.is_ros1:
            raise BagError(f"bag {path}: play expected a rosbag2; for ROS 1 bags use `ground3d replay`")
        chosen = {t: ty for t, ty in bag.topics.items() if (topics is None or t in topics) and _importable(ty)}
        if not chosen:
            raise BagError(f"bag {path}: expected topics among {sorted(bag.topics)} whose message types this "
                           f"ROS install has, got {topics}")
        unplayable = sorted(t for t, ty in bag.topics.items() if (topics is None or t in topics) and t not in chosen)
        if unplayable:
            print(f"play: skipping {unplayable}: their message packages are not installed", file=sys.stderr)
        context = rclpy.Context()
        rclpy.init(context=context)
        count = 0
        try:
            node = rclpy.create_node("ground3d_play", context=context)
            executor = SingleThreadedExecutor(context=context)
            executor.add_node(node)
            # Reliable + volatile matches both best-effort sensor subscribers and reliable ones.
            pubs = {t: node.create_publisher(rclpy_class(ty), t, qos.RELIABLE) for t, ty in chosen.items()}
            deadline = time.monotonic() + wait_subscribers_s
            while time.monotonic() < deadline and any(p.get_subscription_count() == 0 for p in pubs.values()):
                executor.spin_once(timeout_sec=0.05)
            time.sleep(start_delay_s)
            wall0, bag0 = time.monotonic(), None
            for item in bag.messages(list(chosen), decode=False):
                bag0 = item.log_ns if bag0 is None else bag0
                due = wall0 + (item.log_ns - bag0) / 1e9 / rate
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                pubs[item.topic].publish(item.raw)
                count += 1
            time.sleep(0.2)  # reliable sends still in flight when the node goes away are lost
        finally:
            rclpy.shutdown(context=context)
        return count


def _importable(typename: str) -> bool:
    """True when rclpy can publish ``typename`` here (the PyPI wheels lack e.g. tf2_msgs)."""
    try:
        importlib.import_module(typename.split("/")[0] + ".msg")
    except ImportError:
        return False
    return True
