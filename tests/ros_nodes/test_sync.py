"""ApproximateTimeSynchronizer: matching within the slop, queue bounds, and the drop policy (no rclpy)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ros_nodes.errors import RosNodesError
from ros_nodes.sync import ApproximateTimeSynchronizer, SyncConfig

MS = 1_000_000


def make(slop_ms: float = 10, queue: int = 5, k: int = 3) -> tuple[ApproximateTimeSynchronizer, list]:
    out: list = []
    sync = ApproximateTimeSynchronizer(SyncConfig(k, int(slop_ms * MS), queue), out.append)
    return sync, out


def test_matches_one_message_per_stream_within_slop() -> None:
    sync, out = make()
    assert not sync.add(0, 100 * MS, "c100")
    assert not sync.add(1, 103 * MS, "d103")
    assert sync.add(2, 105 * MS, "i105")
    assert out == [["c100", "d103", "i105"]]
    assert sync.pending() == [0, 0, 0]


def test_no_match_when_spread_exceeds_slop() -> None:
    sync, out = make(slop_ms=10)
    sync.add(0, 100 * MS, "c")
    sync.add(1, 111 * MS, "d")
    sync.add(2, 105 * MS, "i")  # 100..111 spans 11 ms > 10 ms
    assert out == []


def test_picks_closest_and_drops_what_it_passed_over() -> None:
    sync, out = make(slop_ms=10)
    sync.add(0, 100 * MS, "c100")
    sync.add(0, 133 * MS, "c133")
    sync.add(1, 131 * MS, "d131")
    sync.add(2, 130 * MS, "i130")
    assert out == [["c133", "d131", "i130"]]
    assert sync.stats.dropped == 1  # c100 can never match any more
    assert sync.pending() == [0, 0, 0]


def test_queue_overflow_drops_oldest() -> None:
    sync, out = make(queue=3)
    for t in range(5):
        sync.add(0, t * 100 * MS, f"c{t}")
    assert sync.pending()[0] == 3
    assert sync.stats.dropped == 2
    sync.add(1, 400 * MS, "d")
    sync.add(2, 401 * MS, "i")
    assert out == [["c4", "d", "i"]]


def test_a_set_stamped_in_the_future_does_not_block_later_sets() -> None:
    sync, out = make(slop_ms=5)
    for k, name in enumerate("cdi"):
        sync.add(k, 10**15, name)  # a bad clock, far ahead
    for k, name in enumerate("CDI"):
        sync.add(k, 200 * MS, name)
    assert out == [["c", "d", "i"], ["C", "D", "I"]]


def test_reset_forgets_partial_sets() -> None:
    sync, out = make()
    sync.add(0, 100 * MS, "c")
    sync.add(1, 100 * MS, "d")
    sync.reset()
    sync.add(2, 100 * MS, "i")
    assert out == []


def test_config_is_validated() -> None:
    with pytest.raises(RosNodesError, match="num_streams"):
        SyncConfig(num_streams=1)
    with pytest.raises(RosNodesError, match="slop_ns"):
        SyncConfig(slop_ns=-1)
    with pytest.raises(RosNodesError, match="queue_size"):
        SyncConfig(queue_size=0)
    sync, _ = make()
    with pytest.raises(RosNodesError, match="stream"):
        sync.add(3, 0, "x")


@settings(max_examples=60, deadline=None)
@given(
    events=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 200)), min_size=1, max_size=60),
    slop=st.integers(0, 20),
    queue=st.integers(1, 6),
)
def test_every_emitted_set_is_within_slop_and_nothing_is_lost_uncounted(events: list, slop: int, queue: int) -> None:
    sync, out = make(slop_ms=slop, queue=queue)
    for stream, t in events:
        sync.add(stream, t * MS, (stream, t * MS))
    for group in out:
        assert [s for s, _ in group] == [0, 1, 2]
        stamps = [t for _, t in group]
        assert max(stamps) - min(stamps) <= slop * MS
    assert all(n <= queue for n in sync.pending())
    assert sync.stats.received == len(events)
    consumed = 3 * sync.stats.matched + sync.stats.dropped + sum(sync.pending())
    assert consumed == len(events)
