"""``bench.flops``: the FLOP count of a call and the matmul rate it is set against."""

from __future__ import annotations

import math

import torch

from bench.flops import gflop, matmul_gflops


def test_a_matmul_counts_two_flops_per_multiply_add() -> None:
    a, b = torch.randn(4, 8), torch.randn(8, 16)
    assert gflop(lambda: a @ b) == 2 * 4 * 8 * 16 / 1e9


def test_a_linear_layer_counts_its_matmul_and_elementwise_work_counts_nothing() -> None:
    layer = torch.nn.Linear(32, 64)
    x = torch.randn(10, 32)
    with torch.no_grad():
        assert gflop(lambda: layer(x)) == 2 * 10 * 32 * 64 / 1e9
        assert gflop(lambda: torch.relu(x) + x.sort().values) == 0.0


def test_matmul_rate_is_a_finite_positive_rate() -> None:
    rate, timing = matmul_gflops(size=64, repeats=2)
    assert math.isfinite(rate) and rate > 0
    assert timing.median_ms > 0
