"""Run a selection of cases and produce the table, the JSON document and the files (``ground3d bench``)."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import Row, Timing
from bench.report import document, machine, measured_by, text_table, write_outputs
from bench.runner import CASE_NAMES, CaseResult, run_case, select


@dataclass
class SuiteOutcome:
    """What a run produced."""

    results: list[CaseResult]
    table: str
    document: dict[str, Any]
    written: list[Path] = field(default_factory=list)

    @property
    def all_ran(self) -> bool:
        """Every case ran and every time it reports is finite (goals may still be unmet)."""
        return all(r.error is None and r.rows and all(_finite_row(row) for row in r.rows) for r in self.results)


def _finite_row(row: Any) -> bool:
    timings = [t for t in (row.ours_timing, row.peer_timing) if t is not None]
    return math.isfinite(row.ratio) and all(math.isfinite(t.median_ms) for t in timings)


def load_results(path: Path) -> list[CaseResult]:
    """The case results of an earlier run's bench.json."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    earlier = measured_by(doc["command"], doc["machine"]["load_average"])  # for a file from before it was recorded
    out = []
    for case in doc["cases"]:
        rows = []
        for r in case["rows"]:
            r = dict(r)
            r.pop("mem_ok", None)
            for key in ("ours_timing", "peer_timing"):
                t = r[key]
                if t is not None:
                    nan = float("nan")
                    r[key] = Timing(nan if t["median_ms"] is None else float(t["median_ms"]),
                                    nan if t["p90_ms"] is None else float(t["p90_ms"]), int(t["repeats"]),
                                    nan if t["cpu_median_ms"] is None else float(t["cpu_median_ms"]))
            r["ratio"] = float("nan") if r["ratio"] is None else r["ratio"]
            rows.append(Row(**r))
        out.append(CaseResult(case["name"], rows, case["rss_start_bytes"], case["peak_rss_bytes"], case["wall_s"],
                              case["error"], measured_by=case.get("measured_by", earlier)))
    return out


def run_suite(quick: bool = False, only: list[str] | None = None, threads: int = 0, out_dir: Path | None = None,
              progress: bool = True, command: str = "ground3d bench", isolate: bool = True,
              merge: bool = False) -> SuiteOutcome:
    """Run the chosen cases one after another (each in its own process unless ``isolate`` is False). With
    ``merge``, the other cases of ``out_dir``'s bench.json are kept and these replace theirs."""
    cases = select(only)
    info = machine()
    if threads:
        info["torch_threads"] = threads
    kept: list[CaseResult] = []
    if merge and out_dir is not None and (out_dir / "bench.json").is_file():
        names = {c.name for c in cases}
        kept = [r for r in load_results(out_dir / "bench.json") if r.name not in names]
    results: list[CaseResult] = []
    for case in cases:
        if progress:
            print(f"[bench] {case.name}: {case.title} ...", file=sys.stderr, flush=True)
        results.append(run_case(case, quick, threads, isolate))
        results[-1].measured_by = measured_by(command, info["load_average"])
        if out_dir is not None:  # after every case, so an interrupted run keeps what it measured
            write_outputs(_ordered(kept + results), info, command, quick, out_dir)
        if progress:
            print(f"[bench] {case.name}: {results[-1].wall_s:.1f} s"
                  + (f" FAILED: {results[-1].error.strip().splitlines()[-1]}" if results[-1].error else ""),
                  file=sys.stderr, flush=True)
    import os

    info["load_average_end"] = list(os.getloadavg())
    everything = _ordered(kept + results)
    doc = document(everything, info, command, quick)
    written = write_outputs(everything, info, command, quick, out_dir) if out_dir is not None else []
    return SuiteOutcome(results, text_table(everything), doc, written)


def _ordered(results: list[CaseResult]) -> list[CaseResult]:
    """Results in suite order (a merged run keeps the table's order)."""
    rank = {name: i for i, name in enumerate(CASE_NAMES)}
    return sorted(results, key=lambda r: rank.get(r.name, len(rank)))
