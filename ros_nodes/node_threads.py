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
    """One SingleThreadedExecutor per node; ``spin`` serves all of them until the context shuts down."""

    def __init__(self, nodes: Sequence[Any], context: Any = None) -> None:
        from rclpy.executors import SingleThreadedExecutor

        if not nodes:
            raise ValueError("NodeThreads: expected at least one node, got none")
        self._executors = [SingleThreadedExecutor(context=context) for _ in nodes]
        for executor, node in zip(self._executors, nodes, strict=True):
            executor.add_node(node)
        self._threads: list[tuple[threading.Thread, threading.Event]] = []  # each with its "spin returned"
        self._errors: list[BaseException] = []

    def spin(self) -> None:
        """Spin the first node's executor on this thread and the others on their own; returns (or raises what
        this thread's spin raised, e.g. ExternalShutdownException on SIGINT) once the context shuts down,
        after stopping the other threads. An error in another node's thread is raised here."""
        self.start(first=1)
        try:
            self._executors[0].spin()
        finally:
            self.shutdown()
        if self._errors:
            raise self._errors[0]

    def start(self, first: int = 0) -> None:
        """Spin the executors from index ``first`` on background threads (``first=0``: all of them)."""
        for executor in self._executors[first:]:
            done = threading.Event()
            thread = threading.Thread(target=self._spin_one, args=(executor, done), daemon=True,
                                      name=f"spin-{executor.get_nodes()[0].get_name()}")
            thread.start()
            self._threads.append((thread, done))

    def shutdown(self) -> None:
        """Stop every executor, join the background threads once the callback each is in has returned, then
        free the executors.

        There is no timeout: callers destroy the nodes next, and destroying a node under a running callback
        (a frame being integrated can take seconds on a busy machine) crashed the process with SIGSEGV.
        ``Executor.shutdown`` does not wait for that callback either: in the Kilted wheels it sets its flag
        before the check that would wait, so it returns at once whatever its timeout, and it triggers and
        frees the executor's guard condition while its spin may still be in its wait. Called so right after a
        SIGINT, while the other nodes' threads were leaving their waits, it crashed ``ground3d launch`` with
        SIGSEGV (faulthandler: the main thread in ``GuardCondition.trigger`` under ``Executor.shutdown``, the
        others in ``_wait_for_ready_callbacks``). So it is called on an executor still spinning only when the
        context is up (an error on one node's thread must stop the others); after a SIGINT the shut-down
        context has woken every spin, which returns by itself, and the executors are shut down once no spin
        is left.

        A SIGINT can reach the main thread while it waits here: rclpy's handler shuts the context down (which
        ended spin) and then Python's raises KeyboardInterrupt, which would cut the wait short. It is held
        until every thread's spin has returned, then raised. The wait is on an event of our own, not
        ``Thread.join``: a join interrupted so in Python 3.11 marks a running thread as stopped."""
        interrupted: KeyboardInterrupt | None = None
        while True:
            try:
                if self._executors[0].context.ok():
                    for executor in self._executors:
                        executor.shutdown(timeout_sec=0)
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
            executor.spin()
        except ExternalShutdownException:
            pass  # the context shut down (SIGINT): the normal way out
        except BaseException as err:  # kept for spin() to raise on the main thread, which it wakes
            if executor.context.ok():
                self._errors.append(err)
                self._executors[0].shutdown(timeout_sec=0)
        finally:
            done.set()
