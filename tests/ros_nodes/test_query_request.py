"""Request and result JSON parsing: plain text, JSON envelopes, views, and the error result."""

from __future__ import annotations

import json

import pytest

from ros_nodes.errors import RequestError
from ros_nodes.query_request import dumps, error_result, parse_request, parse_result


def test_plain_text_gets_the_fallback_id() -> None:
    r = parse_request("  the red mug  ", "ground", "n-1")
    assert (r.request_id, r.text, r.kind, r.view) == ("n-1", "  the red mug  ", "ground", None)


def test_json_envelope_with_id_and_view() -> None:
    payload = json.dumps({"id": "q7", "text": "the mug left of the laptop",
                          "view": {"position": [0, 0, 1.5], "look_at": [2, 0, 0.8]}})
    r = parse_request(payload, "ground", "fallback")
    assert r.request_id == "q7"
    assert r.text == "the mug left of the laptop"
    assert r.view == {"position": [0.0, 0.0, 1.5], "look_at": [2.0, 0.0, 0.8]}


def test_view_name_passes_through() -> None:
    assert parse_request('{"id": "a", "text": "x", "view": "view0"}', "ask", "f").view == "view0"


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ('{"id": "a", "text": ', "invalid JSON"),
        ('{"id": "a"}', "'text'"),
        ('{"id": "a", "text": 5}', "'text'"),
        ('{"text": "x", "view": {"position": [0, 0], "look_at": [1, 1, 1]}}', "view.position"),
        ('{"text": "x", "view": {"position": [0, 0, 0], "look_at": [0, 0, 0]}}', "differ"),
        ('{"text": "x", "view": 3}', "view"),
        ('{"text": "x", "view": {"position": [0, 0, NaN], "look_at": [1, 1, 1]}}', "finite"),
    ],
)
def test_bad_envelopes_name_the_problem(payload: str, match: str) -> None:
    with pytest.raises(RequestError, match=match):
        parse_request(payload, "ground", "f")


def test_oversized_payload_and_bad_kind_are_refused() -> None:
    with pytest.raises(RequestError, match="at most"):
        parse_request("x" * 200_000, "ground", "f")
    with pytest.raises(RequestError, match="kind"):
        parse_request("x", "shout", "f")


def test_text_that_only_looks_like_json_is_text() -> None:
    assert parse_request("[1, 2]", "ground", "f").text == "[1, 2]"


def test_error_result_round_trips_through_parse_result() -> None:
    data = error_result("q1", "ground", "empty query")
    back = parse_result(dumps(data))
    assert back == {"request_id": "q1", "kind": "grounding", "status": "error", "error": "empty query"}
    assert error_result("q2", "ask", "x")["kind"] == "answer"


def test_parse_result_refuses_non_results() -> None:
    with pytest.raises(RequestError):
        parse_result('{"status": "found"}')
    with pytest.raises(RequestError):
        parse_result('{"request_id": "a", "status": "maybe"}')
    with pytest.raises(RequestError):
        parse_result("not json")


def test_dumps_is_canonical_and_refuses_nan() -> None:
    assert dumps({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
    with pytest.raises(ValueError):
        dumps({"x": float("nan")})
