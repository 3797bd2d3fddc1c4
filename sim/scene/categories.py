"""One parametric builder per object category, from open3d primitives with random proportions.

Every builder takes a random generator and the object's base colour and returns an ``ObjectModel`` in its
local frame (footprint centred on the origin, base at z = 0, front facing -y). Proportions are drawn from
ranges typical of a home or office, so two chairs are not the same chair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.scene.primitives import (
    ObjectModel,
    Part,
    Surface,
    box,
    cone,
    cylinder,
    darker,
    ellipsoid,
    lower_half_shell,
    rotate_x,
    sphere,
    torus_xz,
)

RGB = tuple[int, int, int]
_SCREEN: RGB = (18, 20, 24)
_FOLIAGE: RGB = (46, 110, 40)
_METAL: RGB = (150, 150, 155)


def _legs(w: float, d: float, h: float, t: float, inset: float, rgb: RGB) -> list[Part]:
    xs = (-w / 2 + inset + t / 2, w / 2 - inset - t / 2)
    ys = (-d / 2 + inset + t / 2, d / 2 - inset - t / 2)
    return [box(t, t, h, (x, y, h / 2), rgb) for x in xs for y in ys]


def build_chair(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    w, d = rng.uniform(0.40, 0.52), rng.uniform(0.40, 0.50)
    seat_h, seat_t = rng.uniform(0.42, 0.50), rng.uniform(0.03, 0.06)
    back_h, leg = rng.uniform(0.35, 0.50), rng.uniform(0.03, 0.045)
    parts = _legs(w, d, seat_h - seat_t, leg, 0.01, darker(rgb, 0.7))
    parts.append(box(w, d, seat_t, (0.0, 0.0, seat_h - seat_t / 2), rgb))
    parts.append(box(w, seat_t, back_h, (0.0, d / 2 - seat_t / 2, seat_h + back_h / 2), rgb))
    return ObjectModel("chair", parts)


def build_table(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    w, d = rng.uniform(0.8, 1.6), rng.uniform(0.6, 0.9)
    h, top_t, leg = rng.uniform(0.70, 0.78), rng.uniform(0.03, 0.05), rng.uniform(0.04, 0.07)
    parts = _legs(w, d, h - top_t, leg, rng.uniform(0.02, 0.08), darker(rgb, 0.8))
    parts.append(box(w, d, top_t, (0.0, 0.0, h - top_t / 2), rgb))
    return ObjectModel("table", parts, surfaces=[Surface(h, (0.0, 0.0), (w / 2 - 0.03, d / 2 - 0.03), 0.6)])


def build_shelf(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    w, d, h = rng.uniform(0.6, 1.2), rng.uniform(0.30, 0.40), rng.uniform(1.2, 1.9)
    t = rng.uniform(0.02, 0.03)
    levels = int(rng.integers(3, 6))
    parts = [
        box(t, d, h, (-w / 2 + t / 2, 0.0, h / 2), rgb),
        box(t, d, h, (w / 2 - t / 2, 0.0, h / 2), rgb),
        box(w - 2 * t, t, h, (0.0, d / 2 - t / 2, h / 2), darker(rgb, 0.85)),
    ]
    board_z = np.linspace(0.05, h - t, levels)
    surfaces = []
    for i, z in enumerate(board_z):
        parts.append(box(w - 2 * t, d - t, t, (0.0, -t / 2, z + t / 2), rgb))
        clearance = (board_z[i + 1] - z - t) if i + 1 < levels else 0.4
        surfaces.append(Surface(z + t, (0.0, -t / 2), ((w - 2 * t) / 2 - 0.01, (d - t) / 2 - 0.01), clearance - 0.01))
    return ObjectModel("shelf", parts, surfaces=surfaces)


def build_sofa(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    w, d = rng.uniform(1.4, 2.2), rng.uniform(0.8, 1.0)
    seat_h, back_h, arm_w = rng.uniform(0.40, 0.46), rng.uniform(0.75, 0.9), rng.uniform(0.12, 0.22)
    arm_h = rng.uniform(seat_h + 0.1, back_h - 0.1)
    back_t = rng.uniform(0.15, 0.25)
    parts = [
        box(w - 2 * arm_w, d - back_t, seat_h, (0.0, -back_t / 2, seat_h / 2), rgb),
        box(w, back_t, back_h, (0.0, d / 2 - back_t / 2, back_h / 2), darker(rgb, 0.9)),
        box(arm_w, d, arm_h, (-w / 2 + arm_w / 2, 0.0, arm_h / 2), darker(rgb, 0.95)),
        box(arm_w, d, arm_h, (w / 2 - arm_w / 2, 0.0, arm_h / 2), darker(rgb, 0.95)),
    ]
    return ObjectModel("sofa", parts)


def build_cabinet(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    w, d, h = rng.uniform(0.5, 1.0), rng.uniform(0.4, 0.6), rng.uniform(0.7, 1.2)
    doors = int(rng.integers(1, 3))
    parts = [box(w, d, h, (0.0, 0.0, h / 2), rgb)]
    for i in range(doors):
        x = -w / 2 + (i + 0.5) * w / doors
        parts.append(box(0.02, 0.02, 0.12, (x + (0.35 if i == 0 else -0.35) * w / doors, -d / 2 - 0.01, h * 0.6),
                         _METAL))
    return ObjectModel("cabinet", parts, surfaces=[Surface(h, (0.0, 0.0), (w / 2 - 0.02, d / 2 - 0.02), 0.6)])


def build_trash_bin(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    h = rng.uniform(0.30, 0.55)
    if rng.random() < 0.5:
        r = rng.uniform(0.12, 0.2)
        parts = [cylinder(r, h, (0.0, 0.0, 0.0), rgb), cylinder(r * 1.04, 0.02, (0.0, 0.0, h), darker(rgb, 0.8))]
    else:
        w, d = rng.uniform(0.22, 0.35), rng.uniform(0.18, 0.3)
        parts = [box(w, d, h, (0.0, 0.0, h / 2), rgb), box(w + 0.01, d + 0.01, 0.02, (0.0, 0.0, h + 0.01),
                                                              darker(rgb, 0.8))]
    return ObjectModel("trash bin", parts)


def build_lamp(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    h = rng.uniform(1.3, 1.8)
    base_r, shade_r, shade_h = rng.uniform(0.12, 0.18), rng.uniform(0.15, 0.25), rng.uniform(0.2, 0.3)
    parts = [
        cylinder(base_r, 0.03, (0.0, 0.0, 0.0), darker(rgb, 0.6)),
        cylinder(0.015, h - shade_h * 0.6, (0.0, 0.0, 0.03), _METAL, resolution=8),
        cone(shade_r, shade_h, (0.0, 0.0, h - shade_h), rgb),
    ]
    return ObjectModel("lamp", parts)


def build_mug(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    r, h = rng.uniform(0.035, 0.05), rng.uniform(0.08, 0.12)
    ring, tube = rng.uniform(0.022, 0.03), rng.uniform(0.006, 0.009)
    parts = [cylinder(r, h, (0.0, 0.0, 0.0), rgb), torus_xz(ring, tube, (r + ring * 0.4, 0.0, h * 0.55), rgb)]
    return ObjectModel("mug", parts)


def build_bottle(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    r, body_h = rng.uniform(0.03, 0.045), rng.uniform(0.12, 0.2)
    shoulder_h, neck_h = rng.uniform(0.03, 0.05), rng.uniform(0.03, 0.06)
    neck_r = r * rng.uniform(0.3, 0.45)
    parts = [
        cylinder(r, body_h, (0.0, 0.0, 0.0), rgb),
        cone(r, shoulder_h / 0.6, (0.0, 0.0, body_h), rgb),
        cylinder(neck_r, neck_h + shoulder_h * 0.4, (0.0, 0.0, body_h + shoulder_h * 0.6), rgb, resolution=10),
        cylinder(neck_r * 1.15, 0.015, (0.0, 0.0, body_h + shoulder_h + neck_h), darker(rgb, 0.6), resolution=10),
    ]
    return ObjectModel("bottle", parts)


def build_bowl(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    r, depth = rng.uniform(0.07, 0.13), rng.uniform(0.04, 0.07)
    foot_h = 0.012
    parts = [
        cylinder(r * 0.45, foot_h, (0.0, 0.0, 0.0), darker(rgb, 0.9)),
        lower_half_shell(r, depth, foot_h + depth * 0.9, rgb),
    ]
    return ObjectModel("bowl", parts)


def build_box(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    w, d, h = rng.uniform(0.1, 0.4), rng.uniform(0.1, 0.35), rng.uniform(0.08, 0.3)
    parts = [box(w, d, h, (0.0, 0.0, h / 2), rgb), box(w + 0.004, 0.05, 0.004, (0.0, 0.0, h), darker(rgb, 0.75))]
    return ObjectModel("box", parts)


def build_book(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    w, d, t = rng.uniform(0.14, 0.22), rng.uniform(0.2, 0.3), rng.uniform(0.015, 0.05)
    cover = 0.003
    parts = [
        box(w, d, cover, (0.0, 0.0, cover / 2), rgb),
        box(w - 0.006, d - 0.006, t - 2 * cover, (0.003, 0.0, t / 2), (235, 230, 215)),
        box(w, d, cover, (0.0, 0.0, t - cover / 2), rgb),
        box(cover, d, t, (-w / 2 + cover / 2, 0.0, t / 2), rgb),
    ]
    return ObjectModel("book", parts)


def build_laptop(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    w, d, t = rng.uniform(0.3, 0.38), rng.uniform(0.21, 0.26), rng.uniform(0.015, 0.022)
    opening = np.deg2rad(rng.uniform(95.0, 125.0))  # hinge angle between keyboard and screen
    hinge = (0.0, d / 2, t)
    # Closed, the screen faces down onto the keyboard; opening turns lid and screen about the back edge.
    screen = box(w * 0.9, d * 0.85, 0.002, (0.0, 0.0, t + 0.001), _SCREEN)
    lid = box(w, d, t * 0.6, (0.0, 0.0, t + 0.002 + t * 0.3), rgb)
    parts = [
        box(w, d, t, (0.0, 0.0, t / 2), rgb),
        box(w * 0.85, d * 0.5, 0.002, (0.0, -d * 0.05, t + 0.001), darker(rgb, 0.5)),
        rotate_x(lid, -opening, hinge),
        rotate_x(screen, -opening, hinge),
    ]
    return ObjectModel("laptop", parts)


def build_monitor(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    w, h, t = rng.uniform(0.45, 0.7), rng.uniform(0.28, 0.42), rng.uniform(0.03, 0.05)
    lift = rng.uniform(0.08, 0.15)
    base_w, base_d = rng.uniform(0.18, 0.25), rng.uniform(0.15, 0.2)
    parts = [
        box(base_w, base_d, 0.015, (0.0, 0.0, 0.0075), darker(rgb, 0.8)),
        box(0.04, 0.025, lift + h / 2, (0.0, 0.03, (lift + h / 2) / 2), darker(rgb, 0.8)),
        box(w, t, h, (0.0, 0.0, lift + h / 2), rgb),
        box(w * 0.93, 0.002, h * 0.88, (0.0, -t / 2 - 0.001, lift + h / 2), _SCREEN),
    ]
    return ObjectModel("monitor", parts)


def build_plant(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    pot_r, pot_h = rng.uniform(0.06, 0.14), rng.uniform(0.08, 0.2)
    parts = [cylinder(pot_r, pot_h, (0.0, 0.0, 0.0), rgb), cylinder(pot_r * 1.08, 0.02, (0.0, 0.0, pot_h), rgb)]
    n_blobs = int(rng.integers(1, 4))
    fr = pot_r * rng.uniform(1.1, 1.6)
    for i in range(n_blobs):
        ang = 2 * np.pi * i / n_blobs
        off = 0.0 if n_blobs == 1 else fr * 0.35
        parts.append(ellipsoid((fr, fr, fr * rng.uniform(0.9, 1.4)),
                               (off * np.cos(ang), off * np.sin(ang), pot_h + fr * 0.9), _FOLIAGE))
    return ObjectModel("plant", parts)


def build_ball(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    r = rng.uniform(0.05, 0.14)
    return ObjectModel("ball", [sphere(r, (0.0, 0.0, r), rgb, resolution=10)])


def build_can(rng: np.random.Generator, rgb: RGB) -> ObjectModel:
    r, h = rng.uniform(0.03, 0.035), rng.uniform(0.1, 0.125)
    parts = [
        cylinder(r, h, (0.0, 0.0, 0.0), rgb, resolution=12),
        cylinder(r * 0.92, 0.004, (0.0, 0.0, h), _METAL, resolution=12),
    ]
    return ObjectModel("can", parts)


@dataclass(frozen=True)
class CategorySpec:
    """How a category is built and where it may stand."""

    name: str
    """Category label, as written to objects.json."""
    build: Callable[[np.random.Generator, RGB], ObjectModel]
    """Parametric builder."""
    furniture: bool
    """True for large pieces that stand on the floor and may carry other objects."""
    on_floor: bool
    """May stand directly on the floor."""
    on_table: bool
    """May stand on a table or cabinet top."""
    on_shelf: bool
    """May stand on a shelf board."""


CATEGORIES: dict[str, CategorySpec] = {
    s.name: s
    for s in (
        CategorySpec("chair", build_chair, True, True, False, False),
        CategorySpec("table", build_table, True, True, False, False),
        CategorySpec("shelf", build_shelf, True, True, False, False),
        CategorySpec("sofa", build_sofa, True, True, False, False),
        CategorySpec("cabinet", build_cabinet, True, True, False, False),
        CategorySpec("trash bin", build_trash_bin, False, True, False, False),
        CategorySpec("lamp", build_lamp, False, True, False, False),
        CategorySpec("mug", build_mug, False, False, True, True),
        CategorySpec("bottle", build_bottle, False, False, True, True),
        CategorySpec("bowl", build_bowl, False, False, True, True),
        CategorySpec("box", build_box, False, True, True, True),
        CategorySpec("book", build_book, False, False, True, True),
        CategorySpec("laptop", build_laptop, False, False, True, False),
        CategorySpec("monitor", build_monitor, False, False, True, False),
        CategorySpec("plant", build_plant, False, True, True, True),
        CategorySpec("ball", build_ball, False, True, True, True),
        CategorySpec("can", build_can, False, False, True, True),
    )
}
"""Every category by name, in a fixed order (the order of ``dataset.json["categories"]``)."""

CATEGORY_NAMES: tuple[str, ...] = tuple(CATEGORIES)
"""All category names."""

FURNITURE: tuple[str, ...] = tuple(n for n, s in CATEGORIES.items() if s.furniture)
"""Furniture categories (placed first, on the floor)."""

SMALL: tuple[str, ...] = tuple(n for n, s in CATEGORIES.items() if not s.furniture)
"""Categories placed after the furniture, on surfaces or the floor."""
