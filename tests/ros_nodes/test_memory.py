"""release_free_memory gives freed heap pages back on glibc and is harmless elsewhere."""

from __future__ import annotations

import platform

import numpy as np
import psutil

from ros_nodes.memory import release_free_memory


def test_freed_fragmented_heap_is_returned_to_the_os() -> None:
    # Many mid-sized arrays (below glibc's mmap threshold, so they live in the heap), every other one freed:
    # the holes stay resident until trimmed.
    blocks = [np.ones(n) for n in np.random.default_rng(0).integers(2_000, 15_000, 3_000)]
    del blocks[::2]
    before = psutil.Process().memory_info().rss
    released = release_free_memory()
    after = psutil.Process().memory_info().rss
    if platform.libc_ver()[0] == "glibc":
        assert released and after < before - 50 * 2**20, (before, after)
    else:
        assert not released
    del blocks
