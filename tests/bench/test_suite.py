"""The quick benchmark suite runs every case and reports finite numbers (never their speed: timings live in
``ground3d bench``, not in tests). Cases run in this process to share the imports, which keeps this fast."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.harness import Row, Timing, peak_growth, time_row, timed, timed_pair
from bench.report import write_outputs
from bench.runner import CASE_NAMES, CASES, EXTRA_CASES, run_case, select
from bench.suite import run_suite

NON_ROS = [c.name for c in CASES if not c.ros]
ROS = [c.name for c in CASES if c.ros]


def _check_rows(rows: list[Row], name: str) -> None:
    assert rows, f"{name}: no rows"
    for row in rows:
        assert row.ours != "not available", f"{name}: {row.note}"
        assert math.isfinite(row.ratio) and row.ratio > 0, f"{name}: ratio {row.ratio}"
        for t in (row.ours_timing, row.peer_timing):
            if t is not None:
                assert math.isfinite(t.median_ms) and t.median_ms >= 0 and t.p90_ms >= 0, f"{name}: {t}"
        assert row.goal, f"{name}: a row must state its goal"
        if row.input_bytes is not None:
            assert row.mem_growth_bytes is not None and row.mem_ok is not None


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", NON_ROS)
def test_quick_case_reports_finite_numbers(name: str) -> None:
    (case,) = select([name])
    result = run_case(case, quick=True, isolate=False)
    assert result.error is None, result.error
    _check_rows(result.rows, name)


@pytest.mark.ros
@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", ROS)
def test_quick_ros_case_reports_finite_numbers(name: str) -> None:
    pytest.importorskip("rclpy")
    (case,) = select([name])
    result = run_case(case, quick=True, isolate=False)
    assert result.error is None, result.error
    _check_rows(result.rows, name)


def test_suite_in_a_spawned_process_writes_table_json_markdown_and_png(tmp_path: Path) -> None:
    outcome = run_suite(quick=True, only=["pc2_to_xyz"], out_dir=tmp_path, progress=False)
    assert outcome.all_ran
    (result,) = outcome.results
    assert result.peak_rss_bytes > result.rss_start_bytes > 0  # measured in the child, not here
    assert "PointCloud2 -> xyz" in outcome.table and "pypcd4" in outcome.table
    doc = json.loads((tmp_path / "bench.json").read_text())
    assert doc["quick"] is True and doc["machine"]["cores"] >= 1 and len(doc["machine"]["load_average"]) == 3
    assert doc["cases"][0]["rows"][0]["goal"] == "<= 4x memcpy"
    assert "| case | this project | the peer |" in (tmp_path / "bench.md").read_text()
    assert (tmp_path / "bench.png").read_bytes()[:4] == b"\x89PNG"


def test_a_failing_case_becomes_a_not_available_row(tmp_path: Path) -> None:
    from bench.runner import Case

    result = run_case(Case("broken", "bench.no_such_module:case", "a case whose module is missing"), quick=True,
                      isolate=False)
    assert result.error is not None and "no_such_module" in result.error
    (row,) = result.rows
    assert row.ours == "not available" and "no_such_module" in row.note
    write_outputs([result], {"cpu": "x", "cores": 1, "torch_threads": 1, "load_average": [0.0, 0.0, 0.0],
                             "versions": {"torch": "t", "open3d": "o"}}, "test", True, tmp_path)
    assert json.loads((tmp_path / "bench.json").read_text())["cases"][0]["rows"][0]["ratio"] is None


def test_unknown_case_names_are_refused_and_extra_cases_only_run_when_named() -> None:
    with pytest.raises(ValueError, match="no_such_case"):
        select(["no_such_case"])
    assert [c.name for c in select(None)] == [c.name for c in CASES]
    assert all(c.name not in [d.name for d in select(None)] for c in EXTRA_CASES)
    assert select(["sim_dataset_full"])[0].name == "sim_dataset_full"
    assert len(set(CASE_NAMES)) == len(CASE_NAMES)


def test_timing_helpers() -> None:
    t = timed(lambda: sum(range(1000)), repeats=7, warmup=1)
    assert t.repeats == 7 and 0 <= t.median_ms <= t.p90_ms
    a, b = timed_pair(lambda: None, lambda: sum(range(100_000)), repeats=6, rounds=3)
    assert a.repeats == b.repeats == 6 and b.median_ms > a.median_ms
    row = time_row("c", Timing(2.0, 3.0, 5), "peer", Timing(1.0, 1.5, 5), "<= 4x", max_ratio=4.0)
    assert row.ratio == 2.0 and row.met is True
    fast = time_row("c", Timing(1.0, 1.0, 5), "peer", Timing(20.0, 20.0, 5), ">= 10x", min_speedup=10.0)
    assert fast.ratio == 20.0 and fast.met is True
    assert peak_growth(lambda: bytearray(64 * 2**20)) >= 32 * 2**20  # a 64 MiB buffer shows in the peak


def test_merge_keeps_the_other_cases_of_an_earlier_run(tmp_path: Path) -> None:
    run_suite(quick=True, only=["image_depth"], out_dir=tmp_path, progress=False, isolate=False, command="first")
    first = json.loads((tmp_path / "bench.json").read_text())["cases"][0]
    assert "merges runs" not in (tmp_path / "bench.md").read_text()
    outcome = run_suite(quick=True, only=["sim_render"], out_dir=tmp_path, progress=False, isolate=False, merge=True,
                        command="second")
    doc = json.loads((tmp_path / "bench.json").read_text())
    assert [c["name"] for c in doc["cases"]] == ["image_depth", "sim_render"]  # suite order
    assert doc["cases"][0]["rows"] == first["rows"]  # kept as measured, not re-run
    assert [r.name for r in outcome.results] == ["sim_render"]
    assert "Image rgb8 -> rgb" in outcome.table and "sim RGB-D render" in outcome.table
    # Each case says which run measured it, and the Markdown lists them.
    assert [c["measured_by"].split("`")[1] for c in doc["cases"]] == ["first", "second"]
    md = (tmp_path / "bench.md").read_text()
    assert "merges runs" in md and "- `first` (load average" in md and ": image_depth" in md
    assert ": sim_render" in md
