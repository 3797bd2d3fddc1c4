"""The named colours shared by the simulator (what it paints) and grounding (what it calls a colour)."""

COLOR_NAMES_RGB: dict[str, tuple[int, int, int]] = {
    "red": (200, 30, 35),
    "green": (40, 150, 60),
    "blue": (35, 70, 190),
    "yellow": (235, 205, 40),
    "orange": (240, 125, 25),
    "purple": (120, 50, 160),
    "pink": (240, 130, 175),
    "brown": (120, 75, 40),
    "black": (25, 25, 28),
    "white": (235, 235, 230),
    "gray": (128, 128, 132),
    "cyan": (40, 190, 200),
}
"""Base sRGB of each colour name, 0-255, in the fixed order of ``dataset.json["colors"]``."""
