"""Query and question requests as they arrive on ``~/query`` / ``~/ask``, and the result JSON sent back.

A request is plain text, or JSON ``{"id": str, "text": str, "view": NAME | {"position": [x, y, z],
"look_at": [x, y, z]}}``. A result is one JSON object that always carries ``id``, ``kind`` and ``status``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from ros_nodes.errors import RequestError

KINDS = ("ground", "ask")
STATUSES = ("found", "not_found", "ambiguous", "answered", "error")
MAX_PAYLOAD_CHARS = 100_000
"""Longest accepted message; the engine applies its own, much shorter, limit to the text itself."""


@dataclass
class Request:
    """One grounding query or question."""

    request_id: str
    """Id echoed in the result so a client can match it; generated when the sender gave none."""
    text: str
    """The query or question as sent; the engine validates and normalises it."""
    kind: str
    """``"ground"`` for ``~/query``, ``"ask"`` for ``~/ask``."""
    view: dict[str, list[float]] | str | None = None
    """Where the sentence is spoken from (world frame, metres), a view name, or None for the robot's view."""


def parse_request(payload: str, kind: str, fallback_id: str) -> Request:
    """Parse a ``std_msgs/String`` payload; a malformed one raises ``RequestError`` naming what was wrong.

    Only the envelope is checked here (JSON, id, view); the text itself is validated by the engine
    (``grounding.engine.query.validate_query``), so a node and replay refuse the same texts.

    ``fallback_id`` is used when the payload carries no id (plain text), so an error can still be matched.
    """
    if kind not in KINDS:
        raise RequestError(f"kind: expected one of {KINDS}, got {kind!r}")
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise RequestError(f"expected a message of at most {MAX_PAYLOAD_CHARS} characters, got {len(payload)}")
    request_id, view, text = fallback_id, None, payload
    stripped = payload.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as err:
            raise RequestError(f"expected plain text or a JSON object, got invalid JSON: {err.msg}") from err
        if not isinstance(data, dict):
            raise RequestError(f"expected a JSON object, got {type(data).__name__}")
        request_id = str(data.get("id", fallback_id))
        try:
            if "text" not in data or not isinstance(data["text"], str):
                raise RequestError(f"expected a string field 'text', got {type(data.get('text')).__name__}")
            text = data["text"]
            view = parse_view(data.get("view"))
        except RequestError as err:
            err.request_id = request_id  # the error result must carry the id the client waits for
            raise
    return Request(request_id=request_id, text=text, kind=kind, view=view)


def parse_view(view: Any) -> dict[str, list[float]] | str | None:
    """Validate a view: None, a view name, or ``{"position": [3 floats], "look_at": [3 floats]}``."""
    if view is None or (isinstance(view, str) and view):
        return view
    if not isinstance(view, dict):
        raise RequestError(f"view: expected a name or {{'position', 'look_at'}}, got {type(view).__name__}")
    out: dict[str, list[float]] = {}
    for key in ("position", "look_at"):
        value = view.get(key)
        if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, int | float) for v in value)):
            raise RequestError(f"view.{key}: expected a list of 3 numbers, got {value!r}")
        if not all(math.isfinite(v) for v in value):
            raise RequestError(f"view.{key}: expected finite numbers, got {value!r}")
        out[key] = [float(v) for v in value]
    if out["position"] == out["look_at"]:
        raise RequestError("view: expected look_at to differ from position, got the same point")
    return out


def error_result(request_id: str, kind: str, reason: str) -> dict[str, Any]:
    """The result sent when a request cannot be answered: status ``error`` and the reason."""
    return {"request_id": request_id, "kind": "grounding" if kind == "ground" else "answer", "status": "error",
            "error": reason}


def parse_result(payload: str) -> dict[str, Any]:
    """Parse a result JSON from ``~/result`` / ``~/answer``; raises ``RequestError`` when it is not one."""
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as err:
        raise RequestError(f"expected a result JSON object, got invalid JSON: {err.msg}") from err
    if not isinstance(data, dict) or "request_id" not in data or data.get("status") not in STATUSES:
        raise RequestError(f"expected a result with 'request_id' and a status in {STATUSES}, got {str(data)[:200]}")
    return data


def dumps(data: dict[str, Any]) -> str:
    """Canonical JSON (sorted keys, no NaN), so the same result gives the same bytes."""
    return json.dumps(data, sort_keys=True, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
