"""Procedural indoor scenes: categories, colours, placement and the assembled scene."""

from sim.scene.categories import CATEGORIES, CATEGORY_NAMES
from sim.scene.colors import COLOR_NAMES, COLORS
from sim.scene.scene import Scene, SceneConfig, SceneMesh, ScenePoints, generate_scene

__all__ = [
    "CATEGORIES",
    "CATEGORY_NAMES",
    "COLORS",
    "COLOR_NAMES",
    "Scene",
    "SceneConfig",
    "SceneMesh",
    "ScenePoints",
    "generate_scene",
]
