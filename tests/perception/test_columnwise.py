"""``perception.columnwise`` gives numpy's row-wise all / any and column bounds, column by column."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from perception.columnwise import column_bounds, finite_rows, rows_all, rows_any


@settings(max_examples=80, deadline=None, database=None, derandomize=True)
@given(n=st.integers(0, 50), k=st.integers(0, 5), seed=st.integers(0, 2**32 - 1))
def test_row_reductions_match_numpys(n: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    mask = rng.random((n, k)) < 0.7
    np.testing.assert_array_equal(rows_all(mask), mask.all(axis=1))
    np.testing.assert_array_equal(rows_any(mask), mask.any(axis=1))
    values = rng.normal(size=(n, k)).astype(np.float32)
    values[rng.random((n, k)) < 0.1] = np.nan
    values[rng.random((n, k)) < 0.05] = -np.inf
    np.testing.assert_array_equal(finite_rows(values), np.isfinite(values).all(axis=1))
    # Strided columns (a view of every other column) read the same.
    wide = rng.random((n, 2 * k)) < 0.5
    np.testing.assert_array_equal(rows_all(wide[:, ::2]), wide[:, ::2].all(axis=1))


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(n=st.integers(1, 300), k=st.integers(1, 4), nan=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_column_bounds_are_numpys_min_and_max_down_the_rows(n: int, k: int, nan: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for values in (rng.normal(size=(n, k)), rng.normal(size=(n, k)).astype(np.float32), rng.integers(-9, 9, (n, k))):
        if nan and values.dtype.kind == "f":
            values[rng.integers(0, n), rng.integers(0, k)] = np.nan
        lo, hi = column_bounds(values)
        assert lo.dtype == values.dtype and hi.dtype == values.dtype
        np.testing.assert_array_equal(lo, values.min(axis=0))
        np.testing.assert_array_equal(hi, values.max(axis=0))
