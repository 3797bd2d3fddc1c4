"""One OpenBLAS thread for numpy and scipy in ground3d's processes, set before numpy is imported.

numpy's matrix products in the perception chain have an inner dimension of 3 (RANSAC's point-to-plane
distances of a block of hypotheses, plane fits, rigid transforms). A second OpenBLAS thread gains nothing on
them, and its worker spins between calls, on the core that open3d's threads and the replay's extraction
thread need. ``OPENBLAS_NUM_THREADS=2 ground3d bench --only replay`` replayed the 60 s bench bag in 5.99 and
5.93 s of wall time (10.8 and 10.7 s of CPU), where the default of one thread took 5.14 and 5.03 s (6.7 and
6.6 s of CPU) in the same minutes. torch and open3d keep their own thread pools, which this does not touch.

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
