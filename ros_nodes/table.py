"""A readable text table of results: request, status, object, confidence, evidence."""

from __future__ import annotations

from typing import Any


def _evidence(r: dict[str, Any]) -> str:
    if r.get("status") == "error":
        return str(r.get("error", ""))
    if r.get("kind") == "answer":
        return f"answer {r.get('answer')!r} from objects {r.get('evidence_object_ids', [])}"
    if r.get("status") == "ambiguous":
        ids = [c["object_id"] for c in r.get("candidates") or []]
        return f"candidates {ids}: {r.get('clarifying_question') or ''}"
    ev = r.get("evidence") or {}
    anchors = [a.get("label") or a["object_id"] for a in ev.get("anchors") or []]
    runner = [c["object_id"] for c in ev.get("runner_ups") or []]
    parts = []
    if anchors:
        parts.append(f"anchors {anchors}")
    if runner:
        parts.append(f"runner-ups {runner}")
    parts.append(f"p(none) {ev.get('none_score', 0.0):.2f}")
    return ", ".join(parts)


def results_table(results: list[dict[str, Any]], width: int = 44) -> str:
    """One row per result; long texts are cut to ``width`` characters."""
    rows = [("query", "status", "object", "conf", "evidence")]
    for r in results:
        text = str(r.get("text") or r.get("question") or "")
        obj = r.get("object_id")
        label = r.get("label")
        shown = "-" if obj is None else f"{obj}" + (f" {label}" if label else "")
        if r.get("kind") == "answer":
            shown = str(r.get("answer") or "-")
        rows.append((_cut(text, width), str(r.get("status")), _cut(shown, 18),
                     f"{float(r.get('confidence') or 0.0):.2f}", _cut(_evidence(r), 70)))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
