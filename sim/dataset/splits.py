"""Splits by scene, with colour-category pairs held out of training for compositional generalisation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scene.categories import SMALL
from sim.scene.colors import COLOR_NAMES
from sim.scene.composition import Pair

SPLITS: tuple[str, ...] = ("train", "val", "test")


@dataclass(frozen=True)
class SplitPlan:
    """Which split each scene belongs to, and which pairs only evaluation scenes may hold."""

    split_of: tuple[str, ...]
    """Split name of scene i."""
    held_out: tuple[Pair, ...]
    """(colour, category) pairs that no training scene contains."""


def plan_splits(n_scenes: int, seed: int, fractions: tuple[float, float, float], n_held_out: int) -> SplitPlan:
    """Assign ``n_scenes`` to train, val and test by ``fractions`` and pick ``n_held_out`` held-out pairs.

    With at least three scenes, val and test each get at least one scene. Held-out pairs are drawn from the
    small-object categories, at most one per category, so every category still appears in training.
    """
    rng = np.random.default_rng([seed, 0x5EED])
    n_val = round(n_scenes * fractions[1])
    n_test = round(n_scenes * fractions[2])
    if n_scenes >= 3:
        n_val, n_test = max(n_val, 1), max(n_test, 1)
    n_test = min(n_test, n_scenes)
    n_val = min(n_val, n_scenes - n_test)
    labels = ["test"] * n_test + ["val"] * n_val + ["train"] * (n_scenes - n_val - n_test)
    order = rng.permutation(n_scenes)
    split_of = [""] * n_scenes
    for label, idx in zip(labels, order, strict=True):
        split_of[int(idx)] = label
    cats = [SMALL[int(i)] for i in rng.permutation(len(SMALL))[: min(n_held_out, len(SMALL))]]
    held = tuple((COLOR_NAMES[int(rng.integers(len(COLOR_NAMES)))], c) for c in cats)
    return SplitPlan(tuple(split_of), held)
