"""The machine description and the suite's outputs: a text table, one JSON document, Markdown and a PNG."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from bench.runner import CaseResult

COLUMNS = ("case", "this project", "the peer", "ratio", "goal", "met", "peak RSS (growth)", "mem <= 3x input")


def machine() -> dict[str, Any]:
    """CPU model, cores, load average, torch threads and the versions of the measured libraries."""
    import numpy
    import open3d
    import scipy
    import torch

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {"python": platform.python_version(), "numpy": numpy.__version__, "torch": torch.__version__,
                "open3d": open3d.__version__, "scipy": scipy.__version__}
    for name in ("pypcd4", "fpsample", "spconv", "torch_geometric", "rosbags", "transformers"):
        try:
            from importlib.metadata import version

            versions[name] = version(name.replace("_", "-"))
        except Exception:  # a missing package is reported as such
            versions[name] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "load_average": list(os.getloadavg()),
            "torch_threads": torch.get_num_threads(), "platform": platform.platform(), "versions": versions}


def _mib(n: int | None) -> str:
    return "-" if n is None else f"{n / 2**20:.1f} MiB"


def table_rows(results: list[CaseResult]) -> list[list[str]]:
    """One list of cells per row, in COLUMNS order."""
    out = []
    for result in results:
        for row in result.rows:
            met = "-" if row.met is None else ("yes" if row.met else "NO")
            mem = "-" if row.mem_ok is None else (
                f"{'yes' if row.mem_ok else 'NO'} ({_mib(row.mem_growth_bytes)} / {_mib(row.input_bytes)})")
            rss = f"{_mib(result.peak_rss_bytes)} (+{_mib(result.rss_growth_bytes)})"
            out.append([row.case, row.ours, row.peer, row.ratio_text, row.goal, met, rss, mem])
    return out


def text_table(results: list[CaseResult]) -> str:
    """A fixed-width table for stdout."""
    rows = [list(COLUMNS), *table_rows(results)]
    widths = [min(60, max(len(r[i]) for r in rows)) for i in range(len(COLUMNS))]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join(cell[:w].ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"- {row.case}: {row.note}" for res in results for row in res.rows if row.note]
    return "\n".join(lines + (["", *notes] if notes else []))


def load_text(values: list[float]) -> str:
    """A load average as the table writes it: "0.5, 0.6, 0.6"."""
    return ", ".join(f"{x:.1f}" for x in values)


def measured_by(command: str, load_average: list[float]) -> str:
    """What a case records of the run that measured it."""
    return f"`{command}` (load average {load_text(load_average)})"


def markdown(results: list[CaseResult], info: dict[str, Any], command: str) -> str:
    """The table as Markdown, headed by the machine and the command that measured it."""
    v = info["versions"]
    head = [
        f"Measured with `{command}` on {info['cpu']}, {info['cores']} cores, torch {v['torch']} "
        f"({info['torch_threads']} threads), open3d {v['open3d']}; load average "
        f"{load_text(info['load_average'])} at the start (a shared machine: other people's work "
        "inflates wall times, so each peer is timed in the same run, in alternating rounds; CPU times are given "
        "beside wall times).",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "| " + " | ".join("---" for _ in COLUMNS) + " |",
    ]
    body = ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in table_rows(results)]
    notes = [f"- **{row.case}**: {row.note}" for res in results for row in res.rows if row.note]
    return "\n".join(head + body + (["", *notes] if notes else []) + _provenance(results, command)) + "\n"


def _provenance(results: list[CaseResult], command: str) -> list[str]:
    """For a merged table, which run measured which cases (none when this run measured them all)."""
    runs: dict[str, list[str]] = {}
    for r in results:
        runs.setdefault(r.measured_by, []).append(r.name)
    if len(runs) < 2:
        return []
    lines = ["", f"This table merges runs (the heading gives the latest, `{command}`); each case comes from:"]
    return lines + [f"- {run or 'an unrecorded run'}: {', '.join(names)}" for run, names in runs.items()]


def document(results: list[CaseResult], info: dict[str, Any], command: str, quick: bool) -> dict[str, Any]:
    """The whole run as one JSON-able document."""
    return {
        "command": command,
        "quick": quick,
        "machine": info,
        "cases": [
            {"name": r.name, "measured_by": r.measured_by, "wall_s": round(r.wall_s, 2),
             "peak_rss_bytes": r.peak_rss_bytes, "rss_start_bytes": r.rss_start_bytes,
             "rss_growth_bytes": r.rss_growth_bytes, "error": r.error,
             "rows": [row.to_json() for row in r.rows]}
            for r in results
        ],
    }


def render_png(results: list[CaseResult], info: dict[str, Any], path: Path) -> None:
    """The table as a picture (matplotlib table, Agg), goal cells green when met and red when not."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = COLUMNS[:6]
    cells = [r[:6] for r in table_rows(results)]
    wrapped = [[_wrap(c, 42) for c in r] for r in cells]
    heights = [max(c.count("\n") + 1 for c in r) for r in wrapped]
    fig_h = 1.2 + 0.22 * (sum(heights) + 2)
    fig, ax = plt.subplots(figsize=(22, fig_h))
    ax.axis("off")
    table = ax.table(cellText=wrapped, colLabels=list(cols), loc="upper center", cellLoc="left",
                     colWidths=[0.22, 0.2, 0.2, 0.16, 0.17, 0.05])
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    for (r, c), cell in table.get_celld().items():
        lines = 1 if r == 0 else heights[r - 1]
        cell.set_height(0.9 * lines / (sum(heights) + 2))
        if r == 0:
            cell.set_facecolor("#dddddd")
        elif c == 5 and cells[r - 1][5] in ("yes", "NO"):
            cell.set_facecolor("#c8f0c8" if cells[r - 1][5] == "yes" else "#f4c4c4")
    load = load_text(info["load_average"])
    ax.set_title(f"ground3d bench - {info['cpu']}, {info['cores']} cores, torch threads {info['torch_threads']}, "
                 f"load average {load} (shared machine)", fontsize=10)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def write_outputs(results: list[CaseResult], info: dict[str, Any], command: str, quick: bool,
                  out_dir: Path) -> list[Path]:
    """bench.md, bench.json and bench.png in ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js, png = out_dir / "bench.md", out_dir / "bench.json", out_dir / "bench.png"
    md.write_text(markdown(results, info, command), encoding="utf-8")
    js.write_text(json.dumps(document(results, info, command, quick), indent=1) + "\n", encoding="utf-8")
    render_png(results, info, png)
    return [md, js, png]
