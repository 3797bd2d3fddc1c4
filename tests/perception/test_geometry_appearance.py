"""Colour statistics of proposals: HSV conversion and histograms."""

from __future__ import annotations

import colorsys

import numpy as np

from perception.geometry.appearance import histogram_similarity, hsv_histogram, hsv_histograms, rgb_to_hsv
from perception.proposal import COLOR_HIST_BINS


def test_hsv_matches_colorsys() -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (200, 3)).astype(np.uint8)
    expected = np.array([colorsys.rgb_to_hsv(*(c / 255.0)) for c in rgb.astype(np.float64)])
    np.testing.assert_allclose(rgb_to_hsv(rgb), expected, atol=1e-5)


def test_histogram_channels_sum_to_one_and_separate_colours() -> None:
    red = np.tile(np.array([[230, 20, 20]], dtype=np.uint8), (50, 1))
    blue = np.tile(np.array([[20, 20, 230]], dtype=np.uint8), (50, 1))
    h_red, h_blue = hsv_histogram(red), hsv_histogram(blue)
    assert h_red.shape == (3 * COLOR_HIST_BINS,)
    np.testing.assert_allclose(h_red.reshape(3, -1).sum(axis=1), 1.0)
    assert h_red[0] == 1.0  # hue 0 is red
    assert histogram_similarity(h_red, h_red) == 1.0
    assert histogram_similarity(h_red, h_blue) < 0.7


def test_histograms_of_runs_are_each_runs_own_histogram() -> None:
    rng = np.random.default_rng(0)
    sizes = [0, 5, 9000, 1, 20000]  # an empty run, and runs across the conversion's 8192-colour chunks
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    rgb = rng.integers(0, 256, (int(bounds[-1]), 3), dtype=np.uint8)
    together = hsv_histograms(rgb, bounds)
    assert together.shape == (len(sizes), 3 * COLOR_HIST_BINS) and together.dtype == np.float32
    for k in range(len(sizes)):
        run = rgb[bounds[k] : bounds[k + 1]]
        cells = np.minimum((rgb_to_hsv(run) * COLOR_HIST_BINS).astype(np.int64), COLOR_HIST_BINS - 1)
        counts = np.concatenate([np.bincount(cells[:, c], minlength=COLOR_HIST_BINS) for c in range(3)])
        np.testing.assert_array_equal(together[k], counts.astype(np.float32) / np.float32(max(len(run), 1)))
        if run.size:
            np.testing.assert_array_equal(hsv_histogram(run), together[k])
    np.testing.assert_array_equal(hsv_histograms(rgb, bounds[1:3])[0], together[1])  # bounds need not start at 0
