"""Timing and memory measurement shared by every case, and the ``Row`` a case reports.

A case runs in its own spawned process (see ``bench.runner``), so its peak RSS is its own. Inside it, ``timed``
warms a function up and repeats it, giving the median and p90; ``peak_growth`` resets the kernel's peak-RSS
mark (``/proc/self/clear_refs``), runs a function and reads how far the peak rose above the RSS before it (the
median of a few runs).
"""

from __future__ import annotations

import gc
import math
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MEMORY_FACTOR = 3.0
"""A case may grow its process's memory by at most this many times the size of its input message."""


@dataclass
class Timing:
    """Repeated wall-clock timings of one function, in milliseconds."""

    median_ms: float
    """Median of the timed calls."""
    p90_ms: float
    """90th percentile of the timed calls."""
    repeats: int
    """Timed calls (after the warm-up calls, which are not counted)."""
    cpu_median_ms: float = float("nan")
    """Median CPU time of this process per call (all its threads), which other people's load on a shared
    machine inflates far less than wall time."""


@dataclass
class Row:
    """One line of the results table: this project against one peer on the same input, in the same run.

    ``ratio`` is what ``goal`` is stated in (for example ours / memcpy, or uncached / cached); ``met`` is None
    where the goal is only to report the figure.
    """

    case: str
    """Case and input, e.g. "PointCloud2 -> xyz, LiDAR 64x2048 (131k pts, step 48)"."""
    ours: str
    """This project's figure as shown (value and unit)."""
    peer: str
    """The peer's name and figure as shown."""
    ratio: float
    """The ratio the goal is stated in (NaN where there is no peer figure)."""
    ratio_text: str
    """The ratio as shown, e.g. "2.1x memcpy" or "14% of matmul"."""
    goal: str
    """The goal as stated in issue 8 (or the sim / encoder issues)."""
    met: bool | None
    """Whether the goal is met; None where the goal is to report a figure."""
    ours_timing: Timing | None = None
    """This project's timing, where the figure is a time."""
    peer_timing: Timing | None = None
    """The peer's timing, where the figure is a time."""
    input_bytes: int | None = None
    """Size of the input message, where the case has one."""
    mem_growth_bytes: int | None = None
    """Peak RSS growth while this project's function ran once on the input (where measured)."""
    note: str = ""
    """What the figure means or why a goal is not met, in one line."""
    numbers: dict[str, float] = field(default_factory=dict)
    """Further figures for the JSON document (GFLOP/s, scenes/minute, ...)."""

    @property
    def mem_ok(self) -> bool | None:
        """Memory growth <= MEMORY_FACTOR x input message; None where there is no input message."""
        if self.input_bytes is None or self.mem_growth_bytes is None:
            return None
        return self.mem_growth_bytes <= MEMORY_FACTOR * self.input_bytes

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["mem_ok"] = self.mem_ok
        return _finite(out)


def _finite(value: Any) -> Any:
    """NaN and infinity become None, so the JSON document is valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def timed(fn: Callable[[], object], repeats: int, warmup: int = 1) -> Timing:
    """Call ``fn`` ``warmup`` times untimed, then ``repeats`` times timed; median and p90 in ms."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(max(1, repeats)):
        _call(fn, times, cpu)
    return _timing(times, cpu)


def _call(fn: Callable[[], object], wall: list[float], cpu: list[float]) -> None:
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    wall.append((time.perf_counter() - t0) * 1e3)
    cpu.append((time.process_time() - c0) * 1e3)


def timed_pair(
    ours: Callable[[], object], peer: Callable[[], object], repeats: int, warmup: int = 1, rounds: int = 5
) -> tuple[Timing, Timing]:
    """Time ``ours`` and ``peer`` in alternating rounds, so a change in the shared machine's load hits both."""
    for _ in range(warmup):
        ours()
        peer()
    rounds = max(1, min(rounds, repeats))
    per_round = max(1, math.ceil(repeats / rounds))
    a: tuple[list[float], list[float]] = ([], [])
    b: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for fn, (wall, cpu) in ((ours, a), (peer, b)):
            for _ in range(per_round):
                _call(fn, wall, cpu)
    return _timing(*a), _timing(*b)


def _timing(times: list[float], cpu: list[float]) -> Timing:
    arr = np.asarray(times)
    return Timing(float(np.median(arr)), float(np.percentile(arr, 90)), len(times), float(np.median(cpu)))


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def rss_bytes() -> int:
    """Current resident set size of this process."""
    return _status_kb("VmRSS") * 1024


def peak_growth(fn: Callable[[], object], repeats: int = 3, cold: bool = False) -> int:
    """Median over ``repeats`` calls of the bytes by which the peak RSS rose above the current RSS while
    ``fn`` ran once. A single call's figure moves by MiBs, as the C allocator does or does not find freed
    memory to reuse; the median, like the timings', is steadier.

    ``cold``: hand freed heap pages back to the OS (glibc ``malloc_trim``) before each call, so ``fn`` finds
    none to reuse, as the first work after a trim does (a perception node trims after each scene update).
    Writing 5 to /proc/self/clear_refs resets the peak-RSS mark (VmHWM) to the current RSS (Linux >= 4.0).
    The function's result is kept alive until after the peak is read, since it is part of what it costs.
    """
    growths = []
    for _ in range(repeats):
        gc.collect()
        if cold:
            from ros_nodes.memory import release_free_memory

            release_free_memory()
        Path("/proc/self/clear_refs").write_text("5")
        before = rss_bytes()
        result = fn()
        peak = _status_kb("VmHWM") * 1024
        del result
        growths.append(max(0, peak - before))
    return int(np.median(growths))


def traced_peak(fn: Callable[[], object]) -> int:
    """Bytes by which memory allocated through Python (numpy arrays included) peaked above its level before
    ``fn`` ran once. Steadier than ``peak_growth``, which moves by MiBs from run to run as the C allocator
    reuses freed memory or not; blind to what C++ libraries (open3d, torch) allocate themselves."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        tracemalloc.stop()
    return max(0, peak - base)


def ms(t: Timing) -> str:
    """A timing as shown in the table: the median, with p90 in brackets."""
    return f"{_fmt(t.median_ms)} ms (p90 {_fmt(t.p90_ms)}, CPU {_fmt(t.cpu_median_ms)})"


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 1 else f"{value:.3f}"


def time_row(
    case: str,
    ours: Timing,
    peer_name: str,
    peer: Timing,
    goal: str,
    max_ratio: float | None = None,
    min_speedup: float | None = None,
    input_bytes: int | None = None,
    mem_growth_bytes: int | None = None,
    note: str = "",
) -> Row:
    """A row comparing two times. With ``max_ratio`` the goal is ours / peer <= max_ratio; with
    ``min_speedup`` it is peer / ours >= min_speedup (ours is faster by at least that factor)."""
    if min_speedup is not None:
        ratio = peer.median_ms / ours.median_ms
        ratio_text = f"{ratio:.2f}x faster than {peer_name}"
        met: bool | None = ratio >= min_speedup
    else:
        ratio = ours.median_ms / peer.median_ms
        ratio_text = f"{ratio:.2f}x {peer_name}"
        met = None if max_ratio is None else ratio <= max_ratio
    return Row(case, ms(ours), f"{peer_name} {ms(peer)}", ratio, ratio_text, goal, met, ours, peer,
               input_bytes, mem_growth_bytes, note)
