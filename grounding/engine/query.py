"""Validation and normalisation of query text before it reaches the text encoder."""

from __future__ import annotations

import unicodedata

from grounding.engine.errors import QueryError

MAX_QUERY_CHARS = 512
"""Longest accepted query, in characters after trimming. MiniLM reads at most 256 word pieces, which
ordinary text reaches at roughly 1000 characters; a spoken command is far shorter, so anything past 512
characters is a malformed message rather than a request, and refusing it keeps a query's cost bounded."""


def validate_query(text: object, max_chars: int = MAX_QUERY_CHARS) -> str:
    """The query as clean text: NFC-normalised, whitespace runs collapsed, ends trimmed.

    Accepts ``str`` or UTF-8 ``bytes``. Emoji and any script pass through (the encoder answers them,
    possibly with "not_found"). Raises QueryError for another type, bytes that are not UTF-8, text
    that is empty or whitespace only, and text longer than ``max_chars``.
    """
    if isinstance(text, (bytes, bytearray)):
        raw = bytes(text)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise QueryError(
                f"query: expected UTF-8 text, got invalid byte 0x{raw[err.start]:02x} at offset {err.start}"
            ) from None
    if not isinstance(text, str):
        raise QueryError(f"query: expected str or UTF-8 bytes, got {type(text).__name__}")
    # Control characters (other than whitespace) never belong in a sentence; they become spaces.
    cleaned = "".join(" " if unicodedata.category(c) == "Cc" else c for c in unicodedata.normalize("NFC", text))
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QueryError(f"query: expected a non-empty sentence, got {text!r}")
    if len(cleaned) > max_chars:
        raise QueryError(f"query: expected at most {max_chars} characters, got {len(cleaned)}")
    return cleaned
