"""Arguments and printing shared by ``ground3d query`` and ``ground3d ask`` (argparse only at import)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_request_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("text", help=f"the {what}, in quotes")
    parser.add_argument("--node", default="/grounding_node", help="grounding node name (default /grounding_node)")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for the answer (default 15)")
    parser.add_argument("--view", nargs=6, type=float, metavar=("PX", "PY", "PZ", "LX", "LY", "LZ"),
                        help="speak from this camera position looking at this point (world frame, metres)")
    parser.add_argument("--id", default=None, help="request id (default: random)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def run_request(args: argparse.Namespace, kind: str) -> int:
    from ros_nodes.request_client import NoAnswerError, send_request

    view = None if args.view is None else {"position": list(args.view[:3]), "look_at": list(args.view[3:])}
    try:
        result = send_request(kind, args.text, node=args.node, view=view, timeout_s=args.timeout,
                              request_id=args.id)
    except NoAnswerError as err:
        print(f"ground3d {'query' if kind == 'ground' else 'ask'}: {err}", file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(result, ensure_ascii=False, sort_keys=True))
    else:
        print(format_result(result))
    return 0 if result.get("status") != "error" else 1


def format_result(result: dict[str, Any]) -> str:
    """A few readable lines of a grounding or answer result."""
    lines = [f"status: {result.get('status')}"]
    if result.get("kind") == "answer":
        lines.append(f"answer: {result.get('answer')}  (confidence {result.get('confidence', 0.0):.2f})")
        lines.append(f"evidence objects: {result.get('evidence_object_ids', [])}")
    else:
        lines.append(f"object: {result.get('object_id')} {result.get('label') or ''}  "
                     f"(confidence {result.get('confidence', 0.0):.2f})")
        if result.get("box"):
            box = result["box"]
            lines.append("box: center " + " ".join(f"{v:.2f}" for v in box["center"]) +
                         "  size " + " ".join(f"{v:.2f}" for v in box["size"]))
        if result.get("clarifying_question"):
            lines.append(f"question: {result['clarifying_question']}")
        cands = result.get("candidates") or []
        if cands:
            lines.append("candidates: " + ", ".join(f"{c['object_id']} ({c['score']:.2f})" for c in cands))
    if result.get("error"):
        lines.append(f"error: {result['error']}")
    return "\n".join(lines)
