"""One OpenBLAS thread for numpy and scipy in ground3d's processes, set before numpy is imported.

numpy's matrix products in the perception chain have an inner dimension of 3 (RANSAC's point-to-plane
distances of a block of hypotheses, plane fits, rigid transforms). A second OpenBLAS thread gains nothing on
them (RANSAC of 1000 hypotheses on 60k points took 50 ms with two, 42 ms with one), and its worker spins
between calls, on the core that open3d's threads and the replay's extraction thread need: with two, the
replay of the 60 s bench bag used 10.7 s of CPU for 6.3 s of wall time, with one 6.5 s for 5.8 s. torch and
open3d keep their own thread pools, which this does not touch.

This module imports nothing but the standard library, so that an entry point can call it first.
"""

from __future__ import annotations

import os
import sys

VARIABLE = "OPENBLAS_NUM_THREADS"
"""OpenBLAS reads it once, when numpy (or scipy) loads its copy of the library."""


def default_blas_threads(threads: int = 1) -> bool:
    """Set ``OPENBLAS_NUM_THREADS`` to ``threads`` unless the user set it. Returns whether it takes effect in
    this process: not when numpy is already imported (child processes still inherit it)."""
    os.environ.setdefault(VARIABLE, str(threads))
    return "numpy" not in sys.modules
