"""Checks and (de)serialisation shared by the encoder configs: JSON and YAML give lists, configs keep tuples."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pointnet.errors import ConfigError

NORMS = ("batch", "layer", "none")

T = TypeVar("T")


def require(ok: bool, field: str, expected: str, value: object) -> None:
    """Raise ConfigError naming ``field``, what it should be and the ``value`` it holds, unless ``ok``."""
    if not ok:
        raise ConfigError(f"{field}: expected {expected}, got {value!r}")


def require_widths(field: str, widths: Iterable[int]) -> None:
    """Check a non-empty sequence of positive layer widths."""
    widths = tuple(widths)
    require(len(widths) > 0 and all(isinstance(w, int) and w > 0 for w in widths), field,
            "a non-empty tuple of positive ints", widths)


def to_dict(config: Any) -> dict[str, Any]:
    """A config dataclass as plain JSON-ready values (tuples become lists)."""
    return dataclasses.asdict(config)


def from_dict(cls: type[T], values: Mapping[str, Any]) -> T:
    """Build config ``cls`` from a mapping (JSON / YAML), turning lists back into tuples. Unknown keys fail."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(f"{cls.__name__}: unknown fields {unknown}; expected some of {sorted(names)}")
    hints = typing.get_type_hints(cls)
    kwargs = {k: _tuplify(v) if "tuple" in str(hints[k]) else v for k, v in values.items()}
    return cls(**kwargs)


def _tuplify(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_tuplify(v) for v in value)
    return value
