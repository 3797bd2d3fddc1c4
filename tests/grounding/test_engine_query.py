"""Query validation: what is refused, with which message, and what is cleaned."""

import pytest

from grounding.engine.errors import GroundingError, QueryError
from grounding.engine.query import MAX_QUERY_CHARS, validate_query


def test_whitespace_is_collapsed_and_trimmed() -> None:
    assert validate_query("  the red\tmug \n left of  the laptop ") == "the red mug left of the laptop"


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\x00\x01"])
def test_empty_queries_are_refused(text: str) -> None:
    with pytest.raises(QueryError, match="expected a non-empty sentence"):
        validate_query(text)


def test_over_long_query_names_limit_and_length() -> None:
    with pytest.raises(QueryError, match=f"at most {MAX_QUERY_CHARS} characters, got {MAX_QUERY_CHARS + 1}"):
        validate_query("a" * (MAX_QUERY_CHARS + 1))
    assert len(validate_query("a" * MAX_QUERY_CHARS)) == MAX_QUERY_CHARS


def test_bytes_are_decoded_and_invalid_utf8_refused() -> None:
    assert validate_query("la taza roja ☕".encode()) == "la taza roja ☕"
    with pytest.raises(QueryError, match="invalid byte 0xff at offset 4"):
        validate_query(b"mug \xff\xfe")


def test_wrong_type_is_refused_and_is_a_grounding_error() -> None:
    with pytest.raises(GroundingError, match="expected str or UTF-8 bytes, got int"):
        validate_query(42)


def test_other_scripts_and_emoji_pass_through_nfc() -> None:
    assert validate_query("赤いマグカップ 🍵") == "赤いマグカップ 🍵"
    assert validate_query("cafe\u0301") == "caf\u00e9"  # NFC composes the accent
