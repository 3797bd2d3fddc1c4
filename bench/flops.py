"""FLOPs of one call, counted by ``torch.utils.flop_counter.FlopCounterMode``, and this machine's fp32 matmul
rate, the fastest a counted FLOP runs here.

It counts the matmuls, convolutions and attention products torch dispatches (2 per multiply-add); gathers,
sorting, neighbour search and elementwise ops count zero. Dynamic int8 Linear layers are quantized ops it does
not see, so count an fp32 model.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

from bench.harness import Timing, timed

MATMUL_SIZE = 2048
"""Side of the square fp32 matmul whose rate is measured: large enough to run at the machine's peak."""


def gflop(fn: Callable[[], object]) -> float:
    """GFLOP (1e9 floating-point operations) of one call of ``fn``, in the current grad mode."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return float(counter.get_total_flops()) / 1e9


def matmul_gflops(size: int = MATMUL_SIZE, repeats: int = 10) -> tuple[float, Timing]:
    """fp32 GFLOP/s of a (size x size) @ (size x size) torch matmul at the current thread count."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    t = timed(lambda: a @ b, repeats, warmup=2)
    return 2 * size**3 / (t.median_ms * 1e-3) / 1e9, t
