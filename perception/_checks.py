"""Small validators shared by the core dataclasses, so every error message has the same form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from perception.errors import ShapeError


def check_array(
    name: str,
    value: Any,
    shape: Sequence[int | None],
    dtypes: Sequence[type | np.dtype[Any]] | None = None,
) -> np.ndarray:
    """Check that ``value`` is an ndarray of ``shape`` (None matches any size) and one of ``dtypes``.

    Returns the array unchanged. Raises ShapeError naming ``name``, the expected and the received value.
    """
    if not isinstance(value, np.ndarray):
        raise ShapeError(f"{name}: expected a numpy array of shape {_fmt(shape)}, got {type(value).__name__}")
    if value.ndim != len(shape) or any(s is not None and s != v for s, v in zip(shape, value.shape, strict=False)):
        raise ShapeError(f"{name}: expected shape {_fmt(shape)}, got {value.shape}")
    if dtypes is not None and not any(value.dtype == np.dtype(d) for d in dtypes):
        names = " or ".join(np.dtype(d).name for d in dtypes)
        raise ShapeError(f"{name}: expected dtype {names}, got {value.dtype}")
    return value


def check_length(name: str, value: np.ndarray, n: int, what: str) -> None:
    """Check that ``value`` has ``n`` rows, matching ``what``."""
    if value.shape[0] != n:
        raise ShapeError(f"{name}: expected {n} rows to match {what}, got {value.shape[0]}")


def _fmt(shape: Sequence[int | None]) -> str:
    return "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
