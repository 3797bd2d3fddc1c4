"""ManagedNode: the lifecycle plumbing every ground3d node shares, so each node holds only its adapter.

- parameters are declared from a ``ParamSpec`` list with descriptors and ranges;
- publishers and subscriptions are made in ``on_configure`` and destroyed in ``on_cleanup``;
- subscriptions take raw CDR bytes, decoded by ``ros_nodes.wire`` (the same path as bag replay);
- a bad message is logged in one line, counted in the diagnostics, and the node keeps serving;
- ``/diagnostics`` gets a DiagnosticArray every ``diagnostics_period_s``.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any, ClassVar

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile

from ros_nodes import qos, wire
from ros_nodes.diagnostics import NodeHealth
from ros_nodes.errors import RosNodesError
from ros_nodes.params import ParamSpec

COMMON_PARAMS = [
    ParamSpec("autostart", True, "configure and activate right after start (no lifecycle manager needed)"),
    ParamSpec("diagnostics_period_s", 1.0, "seconds between DiagnosticArray messages", 0.05, 60.0),
]


def rclpy_class(typename: str) -> Any:
    """The rclpy message class of ``"pkg/msg/Name"``."""
    pkg, _, name = typename.split("/")
    return getattr(importlib.import_module(f"{pkg}.msg"), name)


class ManagedNode(LifecycleNode):
    """A lifecycle node whose subclass declares ``PARAMS`` and overrides ``setup``/``teardown``."""

    PARAMS: ClassVar[list[ParamSpec]] = []

    def __init__(self, name: str, parameter_overrides: dict[str, Any] | None = None, **kwargs: Any) -> None:
        overrides = [Parameter(k, value=v) for k, v in (parameter_overrides or {}).items()]
        super().__init__(name, parameter_overrides=overrides, **kwargs)
        self.health = NodeHealth(self.get_fully_qualified_name())
        self.active = False
        self._specs = {s.name: s for s in [*COMMON_PARAMS, *self.PARAMS]}
        for spec in self._specs.values():
            self.declare_parameter(spec.name, spec.default, _descriptor(spec))
        self._subs: list[Any] = []
        self._pubs: dict[str, Any] = {}
        self._timers: list[Any] = []

    def param(self, name: str) -> Any:
        """The checked value of parameter ``name``."""
        return self._specs[name].check(self.get_parameter(name).value)

    def start(self) -> bool:
        """Configure and activate when ``autostart`` is set (what ``ros2 run`` users expect); False on failure."""
        if not self.param("autostart"):
            return True
        ok = TransitionCallbackReturn.SUCCESS
        return self.trigger_configure() == ok and self.trigger_activate() == ok

    # --- lifecycle -------------------------------------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            self.diag_pub = self.publisher("/diagnostics", "diagnostic_msgs/msg/DiagnosticArray", qos.RELIABLE)
            self.setup()
        except (RosNodesError, ValueError, OSError, ImportError) as err:
            self.get_logger().error(f"configure failed: {type(err).__name__}: {err}")
            self._destroy_entities()
            return TransitionCallbackReturn.FAILURE
        self._timers.append(self.create_timer(self.param("diagnostics_period_s"), self._publish_diagnostics))
        return super().on_configure(state)

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.active = True
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.active = False
        self.on_deactivated()
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._destroy_entities()
        self.teardown()
        return super().on_cleanup(state)

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.active = False
        self._destroy_entities()
        self.teardown()
        return super().on_shutdown(state)

    # --- for subclasses --------------------------------------------------------------------------------
    def setup(self) -> None:
        """Load the core object and make publishers and subscriptions (called in on_configure)."""

    def teardown(self) -> None:
        """Free the core object (called in on_cleanup and on_shutdown)."""

    def on_deactivated(self) -> None:
        """Forget transient state such as partial sync queues."""

    def diagnostics_extra(self) -> dict[str, Any]:
        """Node-specific key-values added to the diagnostics."""
        return {}

    def publisher(self, topic: str, typename: str, profile: QoSProfile) -> Any:
        """A lifecycle publisher of CDR bytes of ``typename`` (publishes only while active)."""
        pub = self.create_lifecycle_publisher(rclpy_class(typename), topic, profile)
        self._pubs[topic] = pub
        return pub

    def subscribe(
        self, topic: str, typename: str, profile: QoSProfile, handler: Callable[[Any], None],
        skip: Callable[[bytes], bool] | None = None, **kwargs: Any,
    ) -> None:
        """Subscribe to raw bytes of ``typename``; ``handler`` gets the decoded message, guarded.

        ``skip(raw)`` True drops a message before it is decoded (a throttled frame costs nothing).
        """

        def callback(raw: bytes) -> None:
            self.health.received_on(topic)
            if not self.active:
                self.health.dropped += 1
                return
            if skip is not None and skip(raw):
                return
            try:
                handler(wire.decode(raw, typename))
            except (RosNodesError, ValueError, KeyError, IndexError, TypeError) as err:
                # ValueError covers every core package's own errors (they derive from it).
                self.health.error(f"{topic}: {type(err).__name__}: {err}")
                self.get_logger().warning(self.health.last_error)

        self._subs.append(self.create_subscription(rclpy_class(typename), topic, callback, profile, raw=True, **kwargs))

    def send(self, topic: str, msg: Any) -> None:
        """Publish a typestore message on a publisher made by ``publisher``."""
        self._pubs[topic].publish(wire.encode(msg))

    def now_ns(self) -> int:
        """The node clock in nanoseconds (sim time when ``use_sim_time`` is set)."""
        return int(self.get_clock().now().nanoseconds)

    def timed(self, work: Callable[[], Any]) -> Any:
        """Run ``work`` and record its latency as one unit of work when it returns something: a callback that
        returned None (an Odometry pose that released no frame, a throttled frame) did no unit of work, and its
        microseconds would overwrite the latency that diagnostics report."""
        start = time.perf_counter()
        out = work()
        if out is not None:
            self.health.done(time.perf_counter() - start)
        return out

    # --- internals -------------------------------------------------------------------------------------
    def _publish_diagnostics(self) -> None:
        if self.active:
            self.send("/diagnostics", self.health.to_msg(self.now_ns(), self.diagnostics_extra()))

    def _destroy_entities(self) -> None:
        for timer in self._timers:
            self.destroy_timer(timer)
        for sub in self._subs:
            self.destroy_subscription(sub)
        for pub in self._pubs.values():
            self.destroy_lifecycle_publisher(pub)
        self._timers, self._subs, self._pubs = [], [], {}


def _descriptor(spec: ParamSpec) -> ParameterDescriptor:
    desc = ParameterDescriptor(description=spec.description)
    if spec.choices:
        desc.additional_constraints = f"one of {', '.join(spec.choices)}"
    if spec.low is not None and spec.high is not None:
        if isinstance(spec.default, float):
            desc.floating_point_range = [FloatingPointRange(from_value=float(spec.low), to_value=float(spec.high))]
        elif isinstance(spec.default, int) and not isinstance(spec.default, bool):
            desc.integer_range = [IntegerRange(from_value=int(spec.low), to_value=int(spec.high), step=1)]
    return desc
