"""ROS-side cases: offline replay of a 60 s sim bag against real time, and the composed nodes' end-to-end
latency (PointCloud2 published -> grounding result received) against the same work through the pure-Python
core (``PerceptionSession.add_cloud`` -> ``GroundingSession.handle``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.cases_grounding import session_checkpoint
from bench.harness import Row, peak_growth, time_row, timed_pair, traced_peak
from bench.inputs import message_bytes, scene_inputs

QUERY = "the chair"
"""The grounding query of both ROS cases (short and valid for any scene)."""


def replay(quick: bool) -> list[Row]:
    """``Replayer.run`` over a freshly written sim bag (60 s at 10 Hz; 2 s at 2 Hz when quick), one query
    answered every 10 s of bag time."""
    from ros_nodes.query_request import Request
    from ros_nodes.replay import Replayer, TimedRequest
    from ros_nodes.scene_session import GroundingSession, GroundingSessionConfig
    from ros_nodes.session_factory import make_sessions
    from sim.bag import BagConfig, write_bag

    seconds, rate = (2.0, 2.0) if quick else (60.0, 10.0)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_bag(Path(tmp) / "bag", BagConfig(seconds=seconds, rate_hz=rate, seed=3))
        write_s = time.perf_counter() - t0
        perception, _, topics = make_sessions()
        grounding = GroundingSession(GroundingSessionConfig(checkpoint=session_checkpoint(Path(tmp)),
                                                            lazy_scene=True))
        perception.load()
        grounding.load()
        requests = [TimedRequest(Request(f"q{i}", QUERY, "ground"), float(at))
                    for i, at in enumerate(np.arange(0.0, seconds, 10.0))]
        report = Replayer(perception, grounding, topics).run(Path(tmp) / "bag", requests, progress=False)
        extractions, extraction_s = perception.num_extractions, perception.extraction_s
        full_extractions = perception.num_full_extractions
        voxels = len(perception.fused_cloud())
    speed = report.speed_vs_real_time
    cpu_speed = report.bag_duration_s / max(report.cpu_s, 1e-9)
    return [Row(
        case=f"bag replay, {seconds:.0f} s sim bag ({report.messages} msgs, {report.scene_updates} scene updates)",
        ours=f"{report.wall_s:.2f} s wall (CPU {report.cpu_s:.2f} s)",
        peer=f"real time {report.bag_duration_s:.1f} s",
        ratio=speed,
        ratio_text=f"{speed:.1f}x real time (by CPU time {cpu_speed:.1f}x)",
        goal=">= 10x real time",
        met=speed >= 10.0,
        note=f"perception + grounding sessions from config/ground3d.yaml; {extractions} proposal extractions "
             f"({full_extractions} of the whole map, the rest of the region that changed; min_map_growth "
             f"{perception.config.min_map_growth}) took {extraction_s:.2f} s on the replay's extraction thread, "
             f"while the main thread read, decoded and fused the next frames and answered the queries; fused map "
             f"{voxels} points; {len(report.results)} queries answered; bag written in {write_s:.1f} s (not timed)",
        numbers={"speed_vs_real_time": speed, "speed_vs_real_time_cpu": cpu_speed, "wall_s": report.wall_s,
                 "cpu_s": report.cpu_s, "bag_duration_s": report.bag_duration_s,
                 "extractions": float(extractions), "full_extractions": float(full_extractions),
                 "extraction_s": extraction_s, "fused_points": float(voxels)},
    )]


def ros_end_to_end(quick: bool) -> list[Row]:
    """Composed perception_node + grounding_node (as ``ground3d launch``) on a private ROS domain: publish the
    benchmark xyzrgb PointCloud2, wait for the scene update, publish a query, wait for its result. The core
    path does the same work through the sessions alone; the two are timed in alternating rounds."""
    import rclpy

    from perception.convert import build_message
    from ros_nodes import wire
    from ros_nodes.node_base import rclpy_class
    from ros_nodes.query_request import Request
    from ros_nodes.scene_session import (
        GroundingSession,
        GroundingSessionConfig,
        PerceptionSession,
        PerceptionSessionConfig,
    )

    inputs = scene_inputs(quick)
    data = inputs.xyzrgb_msg
    T = inputs.T_world_cam
    repeats = 2 if quick else 8
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = session_checkpoint(Path(tmp))
        # One message per path, restamped before each round: scene updates need increasing stamps.
        stamps = itertools.count(1)
        core_msg, ros_msg = build_message(data, rclpy_class), build_message(data, rclpy_class)

        def restamped(msg: Any) -> Any:
            msg.header.stamp = wire.ns_to_stamp(1_000_000_000 * next(stamps))
            return msg

        # The pure-Python core path: the same sessions the nodes call, on the same message.
        perception = PerceptionSession(PerceptionSessionConfig(input_mode="cloud", T_world_sensor=T,
                                                               update_period_s=0.0))
        grounding = GroundingSession(GroundingSessionConfig(checkpoint=ckpt))
        perception.load()
        grounding.load()
        queries = itertools.count()

        def core() -> None:
            update = perception.add_cloud(restamped(core_msg))
            assert update is not None
            grounding.set_proposals(update.proposals, update.version, update.T_world_sensor)
            _check_result(grounding.handle(Request(f"c{next(queries)}", QUERY, "ground")), "core path")

        core()  # warm-up, so the memory figure is one frame's, not first-call set-up
        growth = peak_growth(core)
        cold = peak_growth(core, cold=True)
        traced = traced_peak(core)
        context = rclpy.Context()
        rclpy.init(context=context, domain_id=int(os.environ.get("GROUND3D_BENCH_DOMAIN", 90 + os.getpid() % 60)))
        try:
            with _composed_nodes(context, ckpt, T) as publish_and_wait:
                ros_times, core_times = timed_pair(lambda: publish_and_wait(restamped(ros_msg)), core, repeats,
                                                   rounds=repeats // 2)
        finally:
            rclpy.try_shutdown(context=context)
    n = int(data.width) * int(data.height)
    h, w = inputs.rgb.shape[:2]
    row = time_row(f"ROS 2 end to end, {w}x{h} xyzrgb PointCloud2 -> result ({n // 1000}k pts)", ros_times,
                   "core path", core_times, "overhead <= 1.5x the core path", max_ratio=1.5,
                   input_bytes=message_bytes(data), mem_growth_bytes=growth,
                   note="composed nodes spun as ground3d launch does (a thread per node), rmw default; publish -> "
                        "scene -> query -> result; alternating rounds; memory: one core-path frame (median of 3), "
                        "whose peak of memory allocated through Python (tracemalloc) is "
                        f"{traced / 2**20:.1f} MiB; from a heap just trimmed (as a perception node finds it after "
                        f"each scene update) its peak RSS grows {cold / 2**20:.1f} MiB")
    row.numbers["traced_peak_bytes"] = float(traced)
    row.numbers["cold_growth_bytes"] = float(cold)
    return [row]


@contextlib.contextmanager
def _composed_nodes(context: Any, ckpt: str, T: np.ndarray) -> Iterator[Callable[[Any], None]]:
    """Spinning perception and grounding nodes plus a client; yields publish(cloud) -> scene update ->
    publish(query) -> result, which returns once the result is in."""
    from rclpy.node import Node

    from ros_nodes import qos
    from ros_nodes.grounding_node import GroundingNode
    from ros_nodes.node_base import rclpy_class
    from ros_nodes.node_threads import NodeThreads
    from ros_nodes.perception_node import PerceptionNode

    scene_seen, result_seen = threading.Event(), threading.Event()
    results: list[str] = []
    grounding = GroundingNode({"scene_source": "inprocess", "checkpoint": ckpt}, context=context)

    def on_scene(update: Any) -> None:
        grounding.set_scene(update.proposals, update.version, update.T_world_sensor)
        scene_seen.set()

    perception = PerceptionNode({"input_mode": "cloud", "cloud_topic": "/bench/points", "use_tf": False,
                                 "update_period_s": 0.0, "odom_topic": "/bench/odom",
                                 "T_world_sensor": [float(v) for v in T.reshape(-1)]},
                                on_scene=on_scene, context=context)
    client = Node("bench_client", context=context)
    cloud_pub = client.create_publisher(rclpy_class("sensor_msgs/msg/PointCloud2"), "/bench/points", qos.SENSOR)
    query_pub = client.create_publisher(rclpy_class("std_msgs/msg/String"), "/grounding_node/query", qos.RELIABLE)

    def on_result(msg: Any) -> None:
        results.append(str(msg.data))
        result_seen.set()

    client.create_subscription(rclpy_class("std_msgs/msg/String"), "/grounding_node/result", on_result,
                               qos.RELIABLE)
    spinner = NodeThreads([grounding, perception, client], context=context)
    if not (grounding.start() and perception.start()):
        raise RuntimeError("ros_end_to_end: a node failed to configure or activate")
    spinner.start()

    def publish_and_wait(cloud: Any) -> None:
        scene_seen.clear()
        result_seen.clear()
        cloud_pub.publish(cloud)
        if not scene_seen.wait(120):
            raise TimeoutError("ros_end_to_end: no scene update within 120 s")
        query_pub.publish(rclpy_class("std_msgs/msg/String")(data=QUERY))
        if not result_seen.wait(120):
            raise TimeoutError("ros_end_to_end: no grounding result within 120 s")
        _check_result(json.loads(results[-1]), "composed nodes")

    try:
        _wait_for_match(cloud_pub, query_pub)
        yield publish_and_wait
    finally:
        spinner.shutdown()
        for node in (perception, grounding):
            node.teardown()
            node.destroy_node()
        client.destroy_node()


def _check_result(result: dict[str, Any], where: str) -> dict[str, Any]:
    """A timed round must end in a real answer, not an error (e.g. "no scene yet")."""
    if result.get("status") == "error":
        raise RuntimeError(f"ros_end_to_end ({where}): expected a grounding result, got error {result.get('error')}")
    return result


def _wait_for_match(*publishers: Any, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while any(p.get_subscription_count() == 0 for p in publishers):
        if time.monotonic() > deadline:
            raise TimeoutError("ros_end_to_end: the nodes' subscriptions were not discovered in 30 s")
        time.sleep(0.05)

