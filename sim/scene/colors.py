"""Named colours with realistic shade variation. The names are the words that language uses."""

from __future__ import annotations

import colorsys

import numpy as np

from perception.color_names import COLOR_NAMES_RGB

COLORS: dict[str, tuple[int, int, int]] = COLOR_NAMES_RGB
"""Base sRGB of each colour name, 0-255 (defined in perception, so grounding shares it without importing sim)."""

COLOR_NAMES: tuple[str, ...] = tuple(COLORS)
"""All colour names, in a fixed order (the order of ``dataset.json["colors"]``)."""


def sample_shade(name: str, rng: np.random.Generator) -> tuple[int, int, int]:
    """A shade of colour ``name``: hue, saturation and value jittered around the base, so two red mugs differ.

    The jitter is kept small enough that a person would still use the same name for the shade.
    """
    r, g, b = (c / 255.0 for c in COLORS[name])
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    h = (h + rng.uniform(-0.02, 0.02)) % 1.0
    # Achromatic colours keep their low saturation; their identity is the value.
    s = float(np.clip(s + rng.uniform(-0.12, 0.08), 0.0, 0.08 if s < 0.1 else 1.0))
    v = float(np.clip(v * rng.uniform(0.85, 1.1), 0.05, 1.0))
    if name == "black":
        v = float(rng.uniform(0.06, 0.16))
    elif name == "white":
        v = float(rng.uniform(0.86, 0.97))
    elif name == "gray":
        v = float(rng.uniform(0.42, 0.6))
    rr, gg, bb = colorsys.hsv_to_rgb(h, s, v)
    return (round(rr * 255), round(gg * 255), round(bb * 255))
