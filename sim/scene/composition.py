"""What goes into a scene: furniture for the room size, and small objects with deliberate distractors.

Distractors make grounding hard on purpose: the same category in another colour, the same colour in
another category, and several objects of the same kind, so that "the mug" alone is often ambiguous.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from sim.scene.categories import CATEGORIES, SMALL
from sim.scene.colors import COLOR_NAMES

Pair = tuple[str, str]
"""(colour, category)."""

_RARE = {"lamp": 0.35, "trash bin": 0.35}
"""Relative frequency of floor-only categories among small objects (a room has few lamps)."""


def _pick_category(rng: np.random.Generator, choices: Sequence[str]) -> str:
    w = np.array([_RARE.get(c, 1.0) for c in choices])
    return str(choices[int(rng.choice(len(choices), p=w / w.sum()))])


def pick_color(category: str, rng: np.random.Generator, forbidden: Collection[Pair], avoid: str = "") -> str:
    """A colour name for ``category`` that is not in a forbidden (colour, category) pair and not ``avoid``."""
    allowed = [c for c in COLOR_NAMES if (c, category) not in forbidden and c != avoid]
    return str(allowed[int(rng.integers(len(allowed)))])


def furniture_plan(area_m2: float, n_objects: int, rng: np.random.Generator) -> list[str]:
    """Furniture categories for a room of ``area_m2``: always a table, some chairs, then others."""
    n = int(np.clip(round(area_m2 / 8.0 + rng.uniform(0, 2)), 1, max(1, n_objects // 3)))
    plan = ["table"]
    others = ["shelf", "sofa", "cabinet", "table", "shelf", "cabinet"]
    for _ in range(n - 1):
        plan.append(others[int(rng.integers(len(others)))])
    return plan


def small_plan(
    n: int, existing: Sequence[Pair], rng: np.random.Generator, forbidden: Collection[Pair],
    required: Sequence[Pair] = (),
) -> list[Pair]:
    """``n`` (colour, category) pairs of small objects, starting with ``required``, with distractors.

    Each new pair is one of: a fresh random pair, the category of an earlier object in another colour, the
    colour of an earlier object on another category, or an exact duplicate of an earlier small object.
    """
    plan: list[Pair] = list(required)[:n]
    pool: list[Pair] = list(existing) + plan
    modes = ("new", "same_category", "same_color", "duplicate")
    probs = (0.35, 0.25, 0.25, 0.15)
    while len(plan) < n:
        mode = modes[int(rng.choice(4, p=probs))] if plan else "new"
        if mode == "new":
            cat = _pick_category(rng, SMALL)
            pair = (pick_color(cat, rng, forbidden), cat)
        elif mode == "same_category":
            color, cat = plan[int(rng.integers(len(plan)))]
            pair = (pick_color(cat, rng, forbidden, avoid=color), cat)
        elif mode == "same_color":
            color, _ = pool[int(rng.integers(len(pool)))]
            cats = [c for c in SMALL if (color, c) not in forbidden]
            pair = (color, _pick_category(rng, cats))
        else:
            pair = plan[int(rng.integers(len(plan)))]
        if pair not in forbidden and pair[1] in CATEGORIES:
            plan.append(pair)
            pool.append(pair)
    return plan
