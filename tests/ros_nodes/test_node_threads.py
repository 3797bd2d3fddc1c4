"""``NodeThreads``: each node's callbacks run one at a time, another node's run beside them, and shutting down
stops every thread."""

from __future__ import annotations

import threading
import time

import pytest

pytestmark = pytest.mark.ros


class _Recorder:
    """Timer callbacks of one node: how many ran, and whether two of them ever overlapped."""

    def __init__(self, sleep_s: float) -> None:
        self.sleep_s = sleep_s
        self.calls = 0
        self.running = 0
        self.overlapped = False
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.running += 1
            self.overlapped |= self.running > 1
            self.threads.add(threading.current_thread().name)
        time.sleep(self.sleep_s)
        with self._lock:
            self.running -= 1
            self.calls += 1


class _LongFrame:
    """A timer callback that, the first time only, blocks until ``release`` (a frame being integrated)."""

    def __init__(self) -> None:
        self.started, self.release, self.finished = threading.Event(), threading.Event(), threading.Event()

    def __call__(self) -> None:
        if self.started.is_set():
            return
        self.started.set()
        self.release.wait(30)
        self.finished.set()


def test_a_busy_node_does_not_hold_up_another_and_shutdown_joins_every_thread(ros_domain_id: int) -> None:
    import rclpy

    from ros_nodes.node_threads import NodeThreads

    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_domain_id)
    base_threads = threading.active_count()
    try:
        slow_node = rclpy.create_node("slow", context=context)
        fast_node = rclpy.create_node("fast", context=context)
        slow, fast = _Recorder(sleep_s=0.4), _Recorder(sleep_s=0.0)
        # Two timers on the slow node: their callbacks share its default group, so they must never overlap.
        for _ in range(2):
            slow_node.create_timer(0.01, slow)
        fast_node.create_timer(0.01, fast)
        spinner = NodeThreads([slow_node, fast_node], context=context)
        errors: list[BaseException] = []

        def spin() -> None:
            try:
                spinner.spin()  # returns once the context shuts down
            except BaseException as err:  # surfaced by the assertion below
                errors.append(err)

        main = threading.Thread(target=spin)
        main.start()
        time.sleep(1.5)
        rclpy.try_shutdown(context=context)
        main.join(10)
        assert not main.is_alive() and not errors
        # The fast node kept ticking while the slow one slept in its callbacks, each on its own thread.
        assert slow.calls >= 2 and fast.calls > 5 * slow.calls
        assert not slow.overlapped
        assert slow.threads.isdisjoint(fast.threads)
        assert threading.active_count() == base_threads
    finally:
        rclpy.try_shutdown(context=context)


def test_no_nodes_is_refused() -> None:
    from ros_nodes.node_threads import NodeThreads

    with pytest.raises(ValueError, match="at least one node"):
        NodeThreads([])


def test_an_error_on_another_nodes_thread_stops_spin_and_is_raised_there(ros_domain_id: int) -> None:
    import rclpy

    from ros_nodes.node_threads import NodeThreads

    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_domain_id)
    try:
        calm = rclpy.create_node("calm", context=context)
        failing = rclpy.create_node("failing", context=context)

        def boom() -> None:
            raise RuntimeError("boom")

        failing.create_timer(0.05, boom)
        spinner = NodeThreads([calm, failing], context=context)
        start = time.monotonic()
        with pytest.raises(RuntimeError, match="boom"):
            spinner.spin()  # the calm node's executor, on this thread, is woken and stopped
        assert time.monotonic() - start < 10
    finally:
        rclpy.try_shutdown(context=context)


@pytest.mark.slow
def test_spin_returns_only_after_a_callback_in_flight_on_another_thread_has_returned(ros_domain_id: int) -> None:
    """A SIGINT while perception integrates a frame: the caller destroys the nodes once spin returns, so spin
    must wait for that callback however long it takes (longer than the 5 s join that once crashed launch)."""
    import rclpy

    from ros_nodes.node_threads import NodeThreads

    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_domain_id)
    frame = _LongFrame()
    started, release, finished = frame.started, frame.release, frame.finished
    try:
        idle = rclpy.create_node("idle", context=context)
        busy = rclpy.create_node("busy", context=context)
        busy.create_timer(0.01, frame)
        spinner = NodeThreads([idle, busy], context=context)

        main = threading.Thread(target=spinner.spin)
        main.start()
        assert started.wait(10)
        rclpy.try_shutdown(context=context)
        main.join(6.0)
        assert main.is_alive() and not finished.is_set()
        release.set()
        main.join(10)
        assert not main.is_alive() and finished.is_set()
    finally:
        release.set()
        rclpy.try_shutdown(context=context)


@pytest.mark.slow
def test_a_sigint_while_shutdown_waits_for_a_callback_is_raised_only_after_it_has_returned(
    ros_domain_id: int,
) -> None:
    """Where rclpy's signal handlers are installed (``run_nodes`` installs its own), a SIGINT shuts the context
    down, which ends spin, and then Python's handler raises KeyboardInterrupt on the main thread, possibly while
    shutdown waits for a callback in flight. Cutting that wait short let ``ground3d launch`` destroy a node
    under its callback: SIGSEGV on CI."""
    import os
    import signal

    import rclpy

    from ros_nodes.node_threads import NodeThreads

    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_domain_id)
    frame = _LongFrame()
    started, release, finished = frame.started, frame.release, frame.finished

    def interrupt_then_release() -> None:
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGINT)  # lands on the main thread, waiting in shutdown
        time.sleep(1.5)
        release.set()

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        busy = rclpy.create_node("busy", context=context)
        busy.create_timer(0.01, frame)
        spinner = NodeThreads([busy], context=context)
        spinner.start()
        assert started.wait(10)
        rclpy.try_shutdown(context=context)
        threading.Thread(target=interrupt_then_release, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            spinner.shutdown()
        assert finished.is_set()
    finally:
        signal.signal(signal.SIGINT, previous)
        release.set()
        rclpy.try_shutdown(context=context)


@pytest.mark.slow
def test_a_signal_stops_the_spins_after_the_callback_in_flight_and_leaves_the_context_up(ros_domain_id: int) -> None:
    """What ``run_nodes`` does on SIGINT: its handler calls ``stop_from_signal``; the spins return (the busy one
    once its callback has), and the context is still up, so nothing shuts it down under a waiting spin."""
    import os
    import signal

    import rclpy

    from ros_nodes.node_threads import NodeThreads

    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_domain_id)
    frame = _LongFrame()
    base_threads = threading.active_count()
    try:
        idle = rclpy.create_node("idle", context=context)
        busy = rclpy.create_node("busy", context=context)
        busy.create_timer(0.01, frame)
        spinner = NodeThreads([idle, busy], context=context)
        previous = signal.signal(signal.SIGINT, lambda *_: spinner.stop_from_signal())

        def interrupt_then_release() -> None:
            assert frame.started.wait(10)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1.0)
            frame.release.set()

        try:
            threading.Thread(target=interrupt_then_release, daemon=True).start()
            spinner.spin()  # on the main thread, as in run_nodes: the handler runs here
        finally:
            signal.signal(signal.SIGINT, previous)
        assert frame.finished.is_set() and context.ok()
        assert threading.active_count() <= base_threads + 1  # the helper thread may still be leaving
    finally:
        frame.release.set()
        rclpy.try_shutdown(context=context)
