"""Colour statistics of proposals: HSV conversion and histograms."""

from __future__ import annotations

import colorsys

import numpy as np

from perception.geometry.appearance import histogram_similarity, hsv_histogram, rgb_to_hsv
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
