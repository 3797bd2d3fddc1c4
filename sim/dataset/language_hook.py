"""Finds the language generators of ``sim.language``; datasets are written without text when they are absent."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from sim.scene_object import SceneObject, ViewPose

Generator = Callable[[Sequence[SceneObject], Mapping[str, ViewPose], str, np.random.Generator], list[dict[str, Any]]]


def language_generators() -> tuple[Generator, Generator] | None:
    """``(generate_expressions, generate_questions)`` from ``sim.language``, or None when not installed."""
    try:
        mod = importlib.import_module("sim.language")
    except ImportError:
        return None
    expr = getattr(mod, "generate_expressions", None)
    qa = getattr(mod, "generate_questions", None)
    if expr is None or qa is None:
        return None
    return expr, qa
