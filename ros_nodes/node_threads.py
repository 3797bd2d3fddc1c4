"""Spin each node of a process on its own thread, with its own SingleThreadedExecutor.

This gives composed nodes what a MultiThreadedExecutor gives nodes whose callbacks share their default
(mutually exclusive) group: one node's callbacks run one at a time, and another node's run beside them, so
a query is answered while perception integrates a frame. rclpy's MultiThreadedExecutor (the Kilted wheels)
also re-yields a callback that still waits in its thread pool's queue, and while one waits its spin loop
does not block but loops, holding the GIL (rclpy#1452, fixed upstream by rclpy#1547). On the 2-core
machine the bench's "ROS 2 end to end" row gave 1.0x to 1.7x the core path's time over eight runs with it,
and 1.06x to 1.14x with one executor per node thread, which does not loop.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any


class NodeThreads:
    """One SingleThreadedExecutor per node, each spun on its own thread until ``stop`` (or until the context
    shuts down, or a callback raises)."""

    def __init__(self, nodes: Sequence[Any], context: Any = None) -> None:
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.task import Future

        if not nodes:
            raise ValueError("NodeThreads: expected at least one node, got none")
        self._executors = [SingleThreadedExecutor(context=context) for _ in nodes]
        for executor, node in zip(self._executors, nodes, strict=True):
            executor.add_node(node)
        # Done when the spins are to end: each executor wakes from its wait when it completes (a guard
        # condition trigger, which is safe while the executor waits) and its spin returns.
        self._stop: Future[None] = Future()
        self._threads: list[tuple[threading.Thread, threading.Event]] = []  # each with its "spin returned"
        self._ended = threading.Event()
        """Set when any spin returned (a stop, the context shut down, or an error)."""
        self._errors: list[BaseException] = []
        self._signalled = False

    def spin(self) -> None:
        """Spin every executor on its own thread and return once ``stop`` or ``stop_from_signal`` was called,
        the context shut down, or a callback raised (which is raised here), after every spin has returned."""
        self.start()
        try:
            # Polled, so that a signal handler (which runs on this thread) is served within 0.2 s.
            while not self._ended.wait(0.2) and not self._signalled:
                pass
        finally:
            self.shutdown()
        if self._errors:
            raise self._errors[0]

    def start(self) -> None:
        """Spin every executor on a background thread."""
        for executor in self._executors:
            done = threading.Event()
            thread = threading.Thread(target=self._spin_one, args=(executor, done), daemon=True,
                                      name=f"spin-{executor.get_nodes()[0].get_name()}")
            thread.start()
            self._threads.append((thread, done))

    def stop(self) -> None:
        """Ask every spin to return once the callback it is in has returned (from any thread)."""
        if not self._stop.done():
            self._stop.set_result(None)

    def stop_from_signal(self) -> None:
        """``stop`` for a signal handler: it only sets a flag that ``spin`` polls, and takes no lock, which the
        interrupted thread may hold."""
        self._signalled = True

    def shutdown(self) -> None:
        """Stop every spin, wait until the callback each is in has returned, then free the executors.

        There is no timeout: callers destroy the nodes next, and destroying a node under a running callback
        (a frame being integrated can take seconds on a busy machine) crashed the process with SIGSEGV. The
        spins are ended by ``stop`` (a guard condition trigger), never by ``Executor.shutdown`` while they
        wait: in the Kilted wheels that triggers and frees the executor's guard condition at once, and a spin
        still in its wait crashed (faulthandler: the main thread in ``GuardCondition.trigger`` under
        ``Executor.shutdown``, the others in ``_wait_for_ready_callbacks``). Nor should the context be shut
        down under a waiting spin: ``run_nodes`` turns rclpy's signal handlers off for this reason.

        A SIGINT that Python turns into KeyboardInterrupt can reach the main thread while it waits here; it
        would cut the wait short. It is held until every spin has returned, then raised. The wait is on an
        event of our own, not ``Thread.join``: a join interrupted so in Python 3.11 marks a running thread as
        stopped."""
        interrupted: KeyboardInterrupt | None = None
        while True:
            try:
                self.stop()
                for _, done in self._threads:
                    done.wait()
                break
            except KeyboardInterrupt as err:
                interrupted = err
        for thread, _ in self._threads:
            thread.join()  # only returns from _spin_one now
        self._threads.clear()
        for executor in self._executors:
            executor.shutdown(timeout_sec=0)  # nothing spins any more: only frees its guard conditions
        if interrupted is not None:
            raise interrupted

    def _spin_one(self, executor: Any, done: threading.Event) -> None:
        from rclpy.executors import ExternalShutdownException

        try:
            executor.spin_until_future_complete(self._stop)
        except ExternalShutdownException:
            pass  # the context shut down: another way out
        except BaseException as err:  # kept for spin() to raise on the main thread
            if executor.context.ok():
                self._errors.append(err)
        finally:
            done.set()
            self._ended.set()
            self.stop()  # one spin ending ends them all
