"""The human-readable table of ``ground3d eval`` (``--json`` prints the same figures as JSON)."""

from __future__ import annotations

from typing import Any


def _pct(x: Any) -> str:
    return "  n/a" if x is None else f"{100.0 * float(x):5.1f}%"


def format_report(r: dict[str, Any]) -> str:
    """Lines of text of an ``evaluate`` result."""
    acc = r["grounding_accuracy"]
    ab = r["abstention"]
    lines = [
        f"ground3d eval  split={r['split']}  proposals={r['proposals']}  scenes={r['n_scenes']}  "
        f"refer={r['n_refer']}  qa={r['n_qa']}  int8={r['int8']}",
        f"checkpoint: {r['checkpoint']}",
        "",
        f"grounding accuracy        {_pct(acc['overall'])}   (n={acc['n']})",
        f"  unique / multiple       {_pct(acc['unique'])} / {_pct(acc['multiple'])}",
        f"  view-dep. / view-indep. {_pct(acc['view_dependent'])} / {_pct(acc['view_independent'])}",
    ]
    for kind, v in acc["by_relation"].items():
        lines.append(f"  {kind:<23} {_pct(v)}")
    lines += [
        f"Acc@0.25 / Acc@0.5        {_pct(r['acc@0.25'])} / {_pct(r['acc@0.5'])}",
        f"QA EM@1 / EM@10           {_pct(r['qa_em@1'])} / {_pct(r['qa_em@10'])}",
        f"retrieval R@1 / R@5       {_pct(r['retrieval_recall@1'])} / {_pct(r['retrieval_recall@5'])}",
        f"ECE (calibrated / T=1)    {_pct(r['ece'])} / {_pct(r['ece_uncalibrated'])}",
        f"absent -> not found       {_pct(ab['absent_not_found_rate'])}   (n={ab['n_absent']})",
        f"present -> not found      {_pct(ab['present_not_found_rate'])}   (n={ab['n_present']})",
        f"ambiguous -> ambiguous    {_pct(r['ambiguity']['detected_rate'])}   (n={r['ambiguity']['n']}, "
        f"candidate recall {_pct(r['ambiguity']['candidate_recall'])})",
        f"present -> ambiguous      {_pct(r['ambiguity']['false_ambiguous_rate'])}",
        f"anchor recall             {_pct(r['anchor_recall'])}",
        "query latency p50         "
        + ("n/a" if r["latency_ms_p50"] is None else f"{r['latency_ms_p50']:.1f} ms new text")
        + ("" if r["latency_ms_p50_repeat_text"] is None else f", {r['latency_ms_p50_repeat_text']:.1f} ms repeated"),
    ]
    return "\n".join(lines)
