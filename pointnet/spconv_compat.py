"""Two fixes that make spconv 2.3.8 train correctly on CPU. Both are applied on import of the spconv encoder.

1. Backward under a CPU-only torch (spconv issue #366): the backward kernels ask
   ``torch.cuda.current_stream()`` for a stream handle even for CPU tensors, which raises when torch has
   no CUDA. The CPU kernels ignore the stream, so the null stream (0) is exact there.
   ``spconv.pytorch.ops`` and ``spconv.pytorch.hash`` imported the function by name, so every copy is
   replaced. Only done when CUDA is absent.
2. Wrong results from multi-threaded CPU convolution: with more than one torch thread,
   ``ops.indice_conv`` / ``ops.indice_conv_backward`` (gather, mm, scatter-add) return different numbers
   from run to run (in an ad-hoc check, weight gradients up to 75% off; the two-thread determinism test
   in ``tests/pointnet/test_spconv_compat.py`` fails without this fix). With one thread they match dense
   conv3d, so CPU tensors go through them with one thread.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

import torch

_STREAM_MODULES = ("spconv.pytorch.cppcore", "spconv.pytorch.ops", "spconv.pytorch.hash")
_CONV_FUNCTIONS = ("indice_conv", "indice_conv_backward")


def _null_stream() -> int:
    return 0


def apply_cpu_stream_patch() -> bool:
    """Patch spconv's ``get_current_stream`` to the null stream when CUDA is absent. Idempotent.

    Returns True when the patch is (now) in place, False when CUDA is available and nothing was done.
    """
    if torch.cuda.is_available():
        return False
    for name in _STREAM_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "get_current_stream", None) is not _null_stream:
            module.get_current_stream = _null_stream  # type: ignore[attr-defined]
    return True


def _single_threaded_on_cpu(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(features: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        if features.is_cuda:
            return fn(features, *args, **kwargs)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return fn(features, *args, **kwargs)
        finally:
            torch.set_num_threads(threads)

    wrapper.__ground3d_single_threaded__ = True  # type: ignore[attr-defined]
    return wrapper


def apply_cpu_thread_patch() -> None:
    """Run spconv's CPU gather-mm-scatter convolution (forward and backward) with one thread. Idempotent."""
    ops = importlib.import_module("spconv.pytorch.ops")
    for name in _CONV_FUNCTIONS:
        fn = getattr(ops, name)
        if not getattr(fn, "__ground3d_single_threaded__", False):
            setattr(ops, name, _single_threaded_on_cpu(fn))


def apply_spconv_cpu_fixes() -> None:
    """Apply both fixes (idempotent)."""
    apply_cpu_stream_patch()
    apply_cpu_thread_patch()


def is_patched() -> bool:
    """True when the stream shim (where CUDA is absent) and the single-thread wrappers are in place."""
    stream_ok = torch.cuda.is_available() or all(
        importlib.import_module(n).get_current_stream is _null_stream for n in _STREAM_MODULES
    )
    ops = importlib.import_module("spconv.pytorch.ops")
    return stream_ok and all(getattr(getattr(ops, n), "__ground3d_single_threaded__", False) for n in _CONV_FUNCTIONS)
