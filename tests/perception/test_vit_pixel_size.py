"""The pixel-size channel: metres per pixel of a resized frame, from depth."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from perception.vit.pixel_size import DEFAULT_SIZE_M, image_pixel_size, normalised_log_size


def test_a_resized_frame_at_one_depth_has_one_pixel_size() -> None:
    # 640 x 480 at 2 m with f = 500 px is 4 mm per pixel; resized to 160 x 120 each pixel covers 16 mm.
    size = image_pixel_size(np.full((480, 640), 2.0, np.float32), 500.0, 500.0, 120, 160)
    assert size.shape == (1, 1, 120, 160)
    assert torch.allclose(size, torch.full_like(size, 0.016))


def test_invalid_depth_takes_the_median_and_no_depth_the_default() -> None:
    depth = np.full((40, 40), 1.0, np.float32)
    depth[:, :10] = np.nan
    depth[:, 10:15] = 0.0
    size = image_pixel_size(depth, 100.0, 100.0, 40, 40)
    assert torch.allclose(size, torch.full_like(size, 0.01))
    empty = image_pixel_size(np.full((40, 40), np.nan, np.float32), 100.0, 200.0, 20, 20)
    assert empty.shape == (1, 1, 20, 20) and torch.all(empty == DEFAULT_SIZE_M)


def test_the_channel_is_a_centred_log_scale() -> None:
    values = normalised_log_size(torch.tensor([0.01, 0.01 * math.e, 0.01 / math.e]))
    assert values.tolist() == pytest.approx([0.0, 1.0, -1.0], abs=1e-6)
