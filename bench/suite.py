"""Run a selection of cases and produce the table, the JSON document and the files (``ground3d bench``)."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import document, machine, text_table, write_outputs
from bench.runner import CaseResult, run_case, select


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


def run_suite(quick: bool = False, only: list[str] | None = None, threads: int = 0, out_dir: Path | None = None,
              progress: bool = True, command: str = "ground3d bench", isolate: bool = True) -> SuiteOutcome:
    """Run the chosen cases one after another (each in its own process unless ``isolate`` is False)."""
    cases = select(only)
    info = machine()
    if threads:
        info["torch_threads"] = threads
    results = []
    for case in cases:
        if progress:
            print(f"[bench] {case.name}: {case.title} ...", file=sys.stderr, flush=True)
        results.append(run_case(case, quick, threads, isolate))
        if out_dir is not None:  # after every case, so an interrupted run keeps what it measured
            write_outputs(results, info, command, quick, out_dir)
        if progress:
            print(f"[bench] {case.name}: {results[-1].wall_s:.1f} s"
                  + (f" FAILED: {results[-1].error.strip().splitlines()[-1]}" if results[-1].error else ""),
                  file=sys.stderr, flush=True)
    import os

    info["load_average_end"] = list(os.getloadavg())
    doc = document(results, info, command, quick)
    written = write_outputs(results, info, command, quick, out_dir) if out_dir is not None else []
    return SuiteOutcome(results, text_table(results), doc, written)
