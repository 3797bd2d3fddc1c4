"""Lifecycle of every node, in process: configure, activate, deactivate, cleanup, configure again,
with no leaked publishers, subscriptions, timers or threads."""

from __future__ import annotations

import threading

import pytest

pytestmark = pytest.mark.ros


def _counts(node) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return len(list(node.publishers)), len(list(node.subscriptions)), len(list(node.timers))


def _cycle(node_cls, overrides: dict) -> None:  # type: ignore[no-untyped-def]
    import rclpy
    from rclpy.lifecycle import TransitionCallbackReturn as R

    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        node = node_cls({"autostart": False, **overrides}, context=context)
        base_counts, base_threads = _counts(node), threading.active_count()
        assert node.trigger_configure() == R.SUCCESS
        configured = _counts(node)
        assert configured[0] > base_counts[0] and configured[2] > base_counts[2]
        assert node.trigger_activate() == R.SUCCESS and node.active
        assert node.trigger_deactivate() == R.SUCCESS and not node.active
        assert node.trigger_cleanup() == R.SUCCESS
        assert _counts(node) == base_counts
        # Libraries may start one pool thread on first use (tqdm's monitor, torch); cycles must not add more.
        threads_after_first_cycle = threading.active_count()
        assert node.trigger_configure() == R.SUCCESS
        assert _counts(node) == configured
        assert node.trigger_activate() == R.SUCCESS
        assert node.trigger_deactivate() == R.SUCCESS
        assert node.trigger_cleanup() == R.SUCCESS
        assert _counts(node) == base_counts
        assert threading.active_count() <= max(base_threads, threads_after_first_cycle)
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)


def test_sim_node_lifecycle(ros_domain_id: int) -> None:
    from ros_nodes.sim_node import SimNode

    _cycle(SimNode, {"num_objects": 6, "width": 64, "height": 48, "lidar": False})


def test_perception_node_lifecycle_rgbd(ros_domain_id: int) -> None:
    from ros_nodes.perception_node import PerceptionNode

    _cycle(PerceptionNode, {"input_mode": "rgbd"})


def test_grounding_node_lifecycle(ros_domain_id: int) -> None:
    from ros_nodes.grounding_node import GroundingNode

    _cycle(GroundingNode, {})


def test_bad_parameter_fails_configure_cleanly(ros_domain_id: int) -> None:
    import rclpy
    from rclpy.lifecycle import TransitionCallbackReturn as R

    from ros_nodes.perception_node import PerceptionNode

    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        node = PerceptionNode({"autostart": False, "T_world_sensor": [1.0, 2.0]}, context=context)
        before = _counts(node)
        assert node.trigger_configure() == R.FAILURE
        assert _counts(node) == before
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)


def test_perception_diagnostics_count_scene_updates_only(ros_domain_id: int) -> None:
    import rclpy
    from rclpy.lifecycle import TransitionCallbackReturn as R

    from ros_nodes.perception_node import PerceptionNode
    from ros_nodes.sim_stream import TOPICS, SimStream, SimStreamConfig

    msgs = dict(SimStream(SimStreamConfig(num_frames=1, lidar=False)).messages(0))
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        node = PerceptionNode({"autostart": False, "input_mode": "rgbd", "use_tf": False}, context=context)
        assert node.trigger_configure() == R.SUCCESS and node.trigger_activate() == R.SUCCESS
        node._on_odometry(msgs[TOPICS["odom"]])  # a pose, no frame released: no unit of work
        assert node.health.processed == 0 and node.health.last_latency_ms == 0.0
        node._on_rgbd([msgs[TOPICS["color"]], msgs[TOPICS["depth"]], msgs[TOPICS["camera_info"]]])
        latency = node.health.last_latency_ms
        assert node.health.processed == 1 and latency > 0
        node._on_odometry(msgs[TOPICS["odom"]])  # the latency diagnostics report stays the scene update's
        assert node.health.processed == 1 and node.health.last_latency_ms == latency
        assert node.trigger_deactivate() == R.SUCCESS and node.trigger_cleanup() == R.SUCCESS
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)
