"""Image <-> arrays for every supported encoding, with row padding and big-endian data."""

from __future__ import annotations

import numpy as np
import pytest

from perception.convert import (
    ENCODINGS,
    HeaderData,
    ImageData,
    array_to_image,
    image_to_array,
    image_to_depth_m,
    image_to_rgb,
)


def random_pixels(encoding: str, h: int = 3, w: int = 5, seed: int = 0) -> np.ndarray:
    spec = ENCODINGS[encoding]
    rng = np.random.default_rng(seed)
    shape = (h, w) if spec.channels == 1 else (h, w, spec.channels)
    if spec.dtype.kind == "f":
        return rng.normal(size=shape).astype(spec.dtype)
    return rng.integers(0, np.iinfo(spec.dtype).max, size=shape, endpoint=True).astype(spec.dtype)


def padded_image(pixels: np.ndarray, encoding: str, pad: int, big: bool) -> ImageData:
    """Pack rows by hand with ``pad`` junk bytes after each row."""
    order = ">" if big else "<"
    rows = pixels.astype(pixels.dtype.newbyteorder(order)).reshape(pixels.shape[0], -1)
    data = b"".join(row.tobytes() + b"\xee" * pad for row in rows)
    step = len(data) // pixels.shape[0]
    return ImageData(HeaderData(), pixels.shape[0], pixels.shape[1], encoding, int(big), step, data)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize(("pad", "big"), [(0, False), (3, False), (7, True)])
def test_image_to_array_reads_padded_rows_in_either_order(encoding: str, pad: int, big: bool) -> None:
    pixels = random_pixels(encoding)
    out = image_to_array(padded_image(pixels, encoding, pad, big))
    assert out.dtype == ENCODINGS[encoding].dtype and out.shape == pixels.shape
    np.testing.assert_array_equal(out, pixels)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("big", [False, True])
def test_array_to_image_round_trip(encoding: str, big: bool) -> None:
    pixels = random_pixels(encoding, seed=3)
    msg = array_to_image(pixels, encoding, frame_id="cam", stamp_ns=7, is_bigendian=big)
    assert msg.step == pixels.shape[1] * ENCODINGS[encoding].pixel_bytes
    assert msg.data.size == msg.step * msg.height and msg.is_bigendian == int(big)
    assert not np.shares_memory(msg.data, pixels)
    np.testing.assert_array_equal(image_to_array(msg), pixels)
    assert msg.header.frame_id == "cam" and msg.header.stamp.nanosec == 7


def test_image_to_rgb_orders_channels() -> None:
    rgb = random_pixels("rgb8")
    assert np.array_equal(image_to_rgb(array_to_image(rgb, "rgb8")), rgb)
    assert np.array_equal(image_to_rgb(array_to_image(np.ascontiguousarray(rgb[:, :, ::-1]), "bgr8")), rgb)
    rgba = np.concatenate([rgb, np.full((*rgb.shape[:2], 1), 77, np.uint8)], axis=2)
    assert np.array_equal(image_to_rgb(array_to_image(rgba, "rgba8")), rgb)
    bgra = np.ascontiguousarray(rgba[:, :, [2, 1, 0, 3]])
    assert np.array_equal(image_to_rgb(array_to_image(bgra, "bgra8")), rgb)
    grey = random_pixels("mono8")
    assert np.array_equal(image_to_rgb(array_to_image(grey, "mono8")), np.stack([grey] * 3, axis=2))
    grey16 = np.array([[0, 255, 256, 65535]], np.uint16)
    assert image_to_rgb(array_to_image(grey16, "mono16"))[0, :, 0].tolist() == [0, 0, 1, 255]


def test_depth_in_metres_from_millimetres_scaled_units_and_floats() -> None:
    mm = np.array([[0, 1000, 1500], [65535, 1, 2]], np.uint16)
    np.testing.assert_allclose(image_to_depth_m(array_to_image(mm, "16UC1")), mm / 1000.0, rtol=1e-7)
    big = padded_image(mm, "16UC1", pad=2, big=True)
    np.testing.assert_allclose(image_to_depth_m(big, depth_scale=5000.0), mm / 5000.0, rtol=1e-7)
    metres = np.array([[np.nan, 0.5], [1.25, 0.0]], np.float32)
    out = image_to_depth_m(padded_image(metres, "32FC1", pad=1, big=True), depth_scale=1000.0)
    np.testing.assert_array_equal(out, metres)  # float depth is metres already: the scale is not applied
    assert out.dtype == np.float32


def test_native_image_is_a_view_of_the_message() -> None:
    pixels = random_pixels("16UC1")
    msg = array_to_image(pixels, "16UC1")
    assert np.shares_memory(image_to_array(msg), msg.data)
    swapped = array_to_image(pixels, "16UC1", is_bigendian=True)
    assert not np.shares_memory(image_to_array(swapped), swapped.data)
