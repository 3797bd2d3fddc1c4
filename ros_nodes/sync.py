"""ApproximateTimeSynchronizer: match messages from K streams whose stamps lie within a slop.

``message_filters`` ships no wheel, so this is a small replacement with the same policy: every stream keeps a
bounded queue; when a message arrives, the closest message of each other stream within ``slop_ns`` is looked
up; if the whole set spans at most ``slop_ns`` it is emitted, and it and everything older is removed.
A queue over ``queue_size`` drops its oldest message.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ros_nodes.errors import RosNodesError


@dataclass
class SyncConfig:
    """How the synchronizer matches and drops."""

    num_streams: int = 3
    """K, the number of input streams (e.g. colour, depth, camera info)."""
    slop_ns: int = 20_000_000
    """Largest allowed spread of stamps within one matched set, in nanoseconds."""
    queue_size: int = 10
    """Messages kept per stream; the oldest is dropped when a new one would exceed it."""

    def __post_init__(self) -> None:
        if self.num_streams < 2:
            raise RosNodesError(f"SyncConfig.num_streams: expected >= 2, got {self.num_streams}")
        if self.slop_ns < 0:
            raise RosNodesError(f"SyncConfig.slop_ns: expected >= 0, got {self.slop_ns}")
        if self.queue_size < 1:
            raise RosNodesError(f"SyncConfig.queue_size: expected >= 1, got {self.queue_size}")


@dataclass
class SyncStats:
    """Counters of one synchronizer."""

    received: int = 0
    """Messages given to ``add``."""
    matched: int = 0
    """Matched sets emitted."""
    dropped: int = 0
    """Messages thrown away: queue overflow, older than the last match, or passed over by a match."""


class ApproximateTimeSynchronizer:
    """Feed ``add(stream, stamp_ns, msg)``; each matched set goes to ``callback(msgs)`` in stream order."""

    def __init__(self, config: SyncConfig, callback: Callable[[Sequence[Any]], None]) -> None:
        self.config = config
        self.callback = callback
        self.stats = SyncStats()
        # No "older than the last match" rule: one set stamped in the future would otherwise block every
        # later one; stale messages leave by the queue bound instead.
        self._queues: list[deque[tuple[int, Any]]] = [deque() for _ in range(config.num_streams)]

    def add(self, stream: int, stamp_ns: int, msg: Any) -> bool:
        """Queue ``msg`` of ``stream`` (0..K-1) stamped ``stamp_ns``; True when it completed a match."""
        if not 0 <= stream < self.config.num_streams:
            raise RosNodesError(f"stream: expected 0..{self.config.num_streams - 1}, got {stream}")
        self.stats.received += 1
        queue = self._queues[stream]
        queue.append((stamp_ns, msg))
        if len(queue) > self.config.queue_size:
            queue.popleft()
            self.stats.dropped += 1
        return self._try_match(stream, stamp_ns)

    def _try_match(self, stream: int, stamp_ns: int) -> bool:
        chosen: list[tuple[int, Any]] = []
        for k, queue in enumerate(self._queues):
            if k == stream:
                chosen.append(queue[-1])
                continue
            near = [item for item in queue if abs(item[0] - stamp_ns) <= self.config.slop_ns]
            if not near:
                return False
            chosen.append(min(near, key=lambda item: (abs(item[0] - stamp_ns), item[0])))
        stamps = [item[0] for item in chosen]
        if max(stamps) - min(stamps) > self.config.slop_ns:
            return False
        for queue, item in zip(self._queues, chosen, strict=True):
            # The chosen message leaves its queue; older ones there can no longer match and are dropped.
            kept = [other for other in queue if other is not item and other[0] > item[0]]
            self.stats.dropped += len(queue) - 1 - len(kept)
            queue.clear()
            queue.extend(kept)
        self.stats.matched += 1
        self.callback([item[1] for item in chosen])
        return True

    def pending(self) -> list[int]:
        """Messages waiting in each stream's queue."""
        return [len(q) for q in self._queues]

    def reset(self) -> None:
        """Forget every queued message (e.g. on lifecycle deactivate); counters stay."""
        for queue in self._queues:
            queue.clear()
