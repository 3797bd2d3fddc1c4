"""Helpers for tests on a real ROS 2 graph: child processes that always die, and a recording listener."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def ros_env(domain: int) -> dict[str, str]:
    """The environment of a child process on ``domain``, kept to this host; a child that crashes writes every
    thread's Python stack to its log (faulthandler), which the failing test prints."""
    env = dict(os.environ)
    env.update(ROS_DOMAIN_ID=str(domain), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", PYTHONUNBUFFERED="1",
               RCUTILS_COLORIZED_OUTPUT="0", PYTHONFAULTHANDLER="1")
    return env


class Processes:
    """Starts children in their own process groups; ``stop_all`` sends SIGINT, then SIGKILL after a grace."""

    def __init__(self, domain: int, log_dir: Path) -> None:
        self.domain = domain
        self.log_dir = log_dir
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(argv, cwd=REPO, env=ros_env(self.domain), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def node(self, script: str, *params: str) -> subprocess.Popen[bytes]:
        """Start console script ``script`` with ``-p name:=value`` overrides."""
        argv = [str(BIN / script), "--ros-args", "--params-file", str(REPO / "config" / "ground3d.yaml")]
        for p in params:
            argv += ["-p", p]
        return self.start(script, argv)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def crash_report(self, name: str, limit: int = 6000) -> str:
        """A child's log for an assertion message: its faulthandler dump (PYTHONFAULTHANDLER is set), from
        "Fatal Python error" through every thread's stack, without the list of extension modules that ends
        it; else the log's tail."""
        text = self.log(name)
        start = text.find("Fatal Python error")
        if start < 0:
            return text[-limit:]
        dump = text[start:]
        end = dump.find("\nExtension modules:")
        return (dump if end < 0 else dump[:end])[:limit]

    def stop_all(self, grace_s: float = 40.0) -> dict[str, int]:
        """SIGINT every child; returns each exit code (killed ones get -9). A node finishes the frame it is
        integrating before it exits, which can take many seconds on a busy 2-core machine."""
        codes = {}
        for _, proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
        deadline = time.monotonic() + grace_s
        for name, proc in self.procs:
            try:
                codes[name] = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                codes[name] = proc.wait()
        self.procs.clear()
        return codes


class Listener:
    """An rclpy node in its own context and thread that records raw messages per topic, decoded lazily."""

    def __init__(self, domain: int) -> None:
        import rclpy
        from rclpy.executors import SingleThreadedExecutor

        os.environ["ROS_DOMAIN_ID"] = str(domain)
        os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain)
        self.node = rclpy.create_node("test_listener", context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.raw: dict[str, list[bytes]] = defaultdict(list)
        self.types: dict[str, str] = {}
        self._lock = threading.Lock()
        self._pubs: dict[str, Any] = {}
        self._stop = False
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        while not self._stop and self.context.ok():
            self.executor.spin_once(timeout_sec=0.05)

    def listen(self, topic: str, typename: str, profile: Any) -> None:
        from ros_nodes.node_base import rclpy_class

        self.types[topic] = typename

        def cb(raw: bytes) -> None:
            with self._lock:
                self.raw[topic].append(raw)

        self.node.create_subscription(rclpy_class(typename), topic, cb, profile, raw=True)

    def messages(self, topic: str) -> list[Any]:
        from ros_nodes import wire

        with self._lock:
            raws = list(self.raw[topic])
        return [wire.decode(r, self.types[topic]) for r in raws]

    def advertise(self, topic: str, typename: str, profile: Any, wait_s: float = 0.0) -> None:
        """Create a publisher; with ``wait_s``, wait until something subscribes (fails the test otherwise)."""
        from ros_nodes.node_base import rclpy_class

        if topic not in self._pubs:
            self._pubs[topic] = self.node.create_publisher(rclpy_class(typename), topic, profile)
        if wait_s > 0:
            wait_for(lambda: self._pubs[topic].get_subscription_count(), wait_s, f"a subscriber on {topic}")
            time.sleep(0.3)  # let the match settle on both sides

    def publish(self, topic: str, typename: str, msg: Any, profile: Any) -> None:
        from ros_nodes import wire

        self.advertise(topic, typename, profile)
        self._pubs[topic].publish(wire.encode(msg))

    def close(self) -> None:
        import rclpy

        self._stop = True
        self._thread.join(timeout=5)
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)


def wait_for(predicate: Callable[[], Any], timeout_s: float, what: str, poll_s: float = 0.2) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test with ``what`` after the timeout."""
    import pytest

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll_s)
    pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
