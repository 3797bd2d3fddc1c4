"""Per-node health counters (input rates, processing latency, drops, errors) and their DiagnosticArray."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ros_nodes import wire

RATE_WINDOW_S = 5.0
"""Input rates are averaged over the last this many seconds."""

_OK, _WARN = 0, 1


@dataclass
class NodeHealth:
    """Counters a node updates from its callbacks; ``to_msg`` turns them into a DiagnosticArray."""

    name: str
    """Node name, used as the DiagnosticStatus name."""
    arrivals: dict[str, deque[float]] = field(default_factory=dict)
    """Monotonic arrival times per input, trimmed to ``RATE_WINDOW_S``."""
    received: dict[str, int] = field(default_factory=dict)
    """Messages received per input since start."""
    processed: int = 0
    """Units of work done (scene updates, answered requests)."""
    dropped: int = 0
    """Messages dropped on purpose (inactive node, unmatched in sync, throttled)."""
    errors: int = 0
    """Bad messages and failed requests."""
    last_error: str = ""
    """One line describing the latest error."""
    last_latency_ms: float = 0.0
    """Processing time of the latest unit of work."""
    max_latency_ms: float = 0.0
    """Largest processing time seen."""

    def received_on(self, topic: str, now: float | None = None) -> None:
        """Count one message on ``topic``."""
        now = time.monotonic() if now is None else now
        window = self.arrivals.setdefault(topic, deque())
        window.append(now)
        while window and window[0] < now - RATE_WINDOW_S:
            window.popleft()
        self.received[topic] = self.received.get(topic, 0) + 1

    def rate_hz(self, topic: str, now: float | None = None) -> float:
        """Messages per second on ``topic`` over the last ``RATE_WINDOW_S``."""
        now = time.monotonic() if now is None else now
        window = [t for t in self.arrivals.get(topic, ()) if t >= now - RATE_WINDOW_S]
        if len(window) < 2:
            return 0.0
        span = max(now - window[0], 1e-9)
        return len(window) / span

    def done(self, latency_s: float) -> None:
        """Record one unit of work that took ``latency_s`` seconds."""
        self.processed += 1
        self.last_latency_ms = latency_s * 1e3
        self.max_latency_ms = max(self.max_latency_ms, self.last_latency_ms)

    def error(self, message: str) -> None:
        """Record one error; ``message`` is kept to its first line."""
        self.errors += 1
        self.last_error = message.splitlines()[0][:300] if message else "unknown error"

    def to_msg(self, stamp_ns: int, extra: dict[str, Any] | None = None) -> Any:
        """A ``diagnostic_msgs/msg/DiagnosticArray`` with one status for this node."""
        now = time.monotonic()
        values = {f"rate_hz/{t}": f"{self.rate_hz(t, now):.2f}" for t in sorted(self.arrivals)}
        values.update({f"received/{t}": str(n) for t, n in sorted(self.received.items())})
        values.update(
            processed=str(self.processed),
            dropped=str(self.dropped),
            errors=str(self.errors),
            last_error=self.last_error,
            latency_ms=f"{self.last_latency_ms:.1f}",
            max_latency_ms=f"{self.max_latency_ms:.1f}",
        )
        values.update({k: str(v) for k, v in (extra or {}).items()})
        status = wire.make(
            "diagnostic_msgs/msg/DiagnosticStatus",
            level=_WARN if self.errors else _OK,
            name=self.name,
            message=f"last error: {self.last_error}" if self.last_error else "ok",
            hardware_id="ground3d",
            values=[wire.make("diagnostic_msgs/msg/KeyValue", key=k, value=v) for k, v in values.items()],
        )
        return wire.make("diagnostic_msgs/msg/DiagnosticArray", header=wire.header(stamp_ns, ""), status=[status])


def parse_status(msg: Any) -> dict[str, str]:
    """The key-value pairs of the first status of a DiagnosticArray (for tests and tools)."""
    return {kv.key: kv.value for kv in msg.status[0].values} if msg.status else {}
