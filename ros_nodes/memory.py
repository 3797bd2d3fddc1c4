"""Give freed heap memory back to the operating system after each scene update.

glibc keeps memory freed by large temporary arrays (the fused cloud, open3d's copies, torch activations) in
its arenas and reuses it only for requests that fit, so a long-running node's resident size creeps up with
the largest scene it has seen. ``malloc_trim(0)`` returns the free pages; it costs well under a millisecond
to a few milliseconds, against about a second of work per scene update. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None


def release_free_memory() -> bool:
    """Return free heap pages to the OS; True when glibc released something."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
