"""The suite: which cases exist, and running each in its own spawned process.

A case is a function ``(quick: bool) -> list[Row]`` in a ``bench.cases_*`` module. Each runs in a fresh
process (multiprocessing spawn), so its imports, caches and peak RSS are its own, and a crash or a missing
component becomes a "not available" row instead of ending the suite.
"""

from __future__ import annotations

import importlib
import multiprocessing
import resource
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bench.harness import Row, rss_bytes


@dataclass(frozen=True)
class Case:
    """One case of the suite."""

    name: str
    """Name used by ``--only``."""
    target: str
    """``module:function`` of the case function."""
    title: str
    """What it measures, for ``--list``."""
    ros: bool = False
    """Needs rclpy (CI runs these too)."""


CASES: tuple[Case, ...] = (
    Case("pc2_to_xyz", "bench.cases_convert:pointcloud2_to_xyz", "PointCloud2 -> float32 (N, 3)"),
    Case("xyz_to_pc2", "bench.cases_convert:xyz_to_pointcloud2", "numpy -> PointCloud2"),
    Case("image_depth", "bench.cases_convert:image_depth", "Image/depth -> arrays, depth -> organized cloud"),
    Case("fps", "bench.cases_ops:fps", "farthest point sampling 50k -> 4096"),
    Case("knn", "bench.cases_ops:knn", "kNN k=16, 10k queries on 100k points"),
    Case("preprocess", "bench.cases_geometry:preprocess", "preprocessing to proposals vs plain open3d chain"),
    Case("grounding_cache", "bench.cases_grounding:cached_query", "grounding query, cached vs uncached scene"),
    Case("text_int8", "bench.cases_grounding:text_int8", "12-word text encoding, fp32 vs dynamic int8"),
    Case("sim_render", "bench.cases_sim:render", "640x480 RGB-D render of a 30-object scene"),
    Case("sim_dataset", "bench.cases_sim:dataset", "dataset generation throughput (scenes/minute)"),
    Case("ros_e2e", "bench.cases_ros:ros_end_to_end", "PointCloud2 -> grounding result, composed nodes", ros=True),
    Case("replay", "bench.cases_ros:replay", "bag replay of a 60 s sim bag vs real time"),
    Case("map_proposals", "bench.cases_map:incremental", "a growing map's proposals, incremental vs whole map"),
    Case("encoders", "bench.cases_encoders:encoders", "PointNet++ / spconv forward, GFLOP/s vs matmul"),
)
EXTRA_CASES: tuple[Case, ...] = (
    Case("sim_dataset_full", "bench.cases_sim:dataset_full", "200 scenes x 3 views (minutes; issue 3's goal)"),
)
"""Cases left out of the default run; they run when named in ``--only``."""
CASE_NAMES = tuple(c.name for c in (*CASES, *EXTRA_CASES))


@dataclass
class CaseResult:
    """What one case's process sent back."""

    name: str
    rows: list[Row]
    rss_start_bytes: int
    """RSS after the interpreter and the bench package loaded, before the case ran."""
    peak_rss_bytes: int
    """ru_maxrss of the case's process at the end."""
    wall_s: float
    error: str | None = None
    """Traceback tail when the case failed; its rows then say "not available"."""
    extra: dict[str, Any] = field(default_factory=dict)
    measured_by: str = ""
    """The bench command line of the run that measured it, with that run's load average at its start."""

    @property
    def rss_growth_bytes(self) -> int:
        return max(0, self.peak_rss_bytes - self.rss_start_bytes)


def _run_in_child(target: str, quick: bool, threads: int) -> tuple[list[Row], int, int, str | None]:
    """Runs inside the spawned process: import, run, and report RSS."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    start = rss_bytes()
    module_name, func_name = target.split(":")
    try:
        rows = getattr(importlib.import_module(module_name), func_name)(quick)
        error = None
    except Exception:  # a failing case becomes a row, the suite goes on
        rows, error = [], traceback.format_exc(limit=6)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return rows, start, peak, error


def run_case(case: Case, quick: bool, threads: int = 0, isolate: bool = True) -> CaseResult:
    """Run ``case`` in a fresh spawned process (or, with ``isolate`` False, in this one: the smoke test's
    way of sharing the imports between cases) and collect its rows and memory."""
    t0 = time.perf_counter()
    if isolate:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            try:
                rows, start, peak, error = pool.submit(_run_in_child, case.target, quick, threads).result()
            except Exception as err:  # e.g. the child was killed
                rows, start, peak, error = [], 0, 0, f"{type(err).__name__}: {err}"
    else:
        rows, start, peak, error = _run_in_child(case.target, quick, threads)
    if error is not None and not rows:
        last = error.strip().splitlines()[-1] if error.strip() else "unknown error"
        rows = [Row(case.title, "not available", "-", float("nan"), "-", "-", None, note=last)]
    return CaseResult(case.name, rows, start, peak, time.perf_counter() - t0, error)


def select(only: list[str] | None) -> list[Case]:
    """The cases named in ``only`` (all when None), in suite order; unknown names raise ValueError."""
    if not only:
        return list(CASES)
    unknown = sorted(set(only) - set(CASE_NAMES))
    if unknown:
        raise ValueError(f"--only: expected names from {list(CASE_NAMES)}, got {unknown}")
    return [c for c in (*CASES, *EXTRA_CASES) if c.name in only]
