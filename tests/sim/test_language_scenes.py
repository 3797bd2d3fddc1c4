"""Hand-built scenes for the language tests, and checks that they are physically sensible."""

from __future__ import annotations

import math

import numpy as np

from sim.scene_object import SceneObject, ViewPose


def _obj(oid: int, label: str, color: str, center: tuple[float, float, float],
         size: tuple[float, float, float], yaw: float = 0.0, support: int = -1) -> SceneObject:
    return SceneObject(oid, label, color, np.array(center, float), np.array(size, float), yaw, support)


def office_scene() -> tuple[list[SceneObject], dict[str, ViewPose]]:
    """A table with things on and under it, chairs, a sofa, a shelf, and two views from opposite sides."""
    objects = [
        _obj(0, "table", "brown", (0.0, 0.0, 0.375), (1.2, 0.7, 0.75)),
        _obj(1, "laptop", "gray", (0.0, 0.05, 0.85), (0.33, 0.23, 0.2), support=0),
        _obj(2, "mug", "red", (-0.4, 0.0, 0.8), (0.09, 0.09, 0.1), support=0),
        _obj(3, "mug", "blue", (0.4, 0.1, 0.8), (0.09, 0.09, 0.1), support=0),
        _obj(4, "mug", "red", (2.0, 1.5, 0.05), (0.09, 0.09, 0.1)),
        _obj(5, "chair", "black", (-0.3, -0.65, 0.45), (0.5, 0.5, 0.9)),
        _obj(6, "chair", "black", (0.4, -0.7, 0.45), (0.5, 0.5, 0.9)),
        _obj(7, "chair", "green", (1.6, 0.0, 0.45), (0.5, 0.5, 0.9), yaw=0.5),
        _obj(8, "sofa", "blue", (0.0, 2.0, 0.4), (2.0, 0.9, 0.8)),
        _obj(9, "shelf", "white", (-2.0, 1.0, 0.9), (0.4, 1.0, 1.8)),
        _obj(10, "book", "yellow", (-2.0, 0.8, 0.62), (0.15, 0.22, 0.04), support=9),
        _obj(11, "book", "red", (-2.0, 1.2, 1.82), (0.2, 0.15, 0.04), support=9),
        _obj(12, "book", "green", (0.1, -0.2, 0.77), (0.2, 0.15, 0.04), support=0),
        _obj(13, "ball", "orange", (0.0, 0.0, 0.11), (0.22, 0.22, 0.22)),
        _obj(14, "trash bin", "gray", (1.0, 1.0, 0.2), (0.3, 0.3, 0.4)),
        _obj(15, "lamp", "white", (-1.2, 2.0, 0.8), (0.3, 0.3, 1.6)),
        _obj(16, "plant", "green", (0.0, 1.0, 0.3), (0.3, 0.3, 0.6)),
        _obj(17, "box", "brown", (1.0, -1.5, 0.15), (0.3, 0.3, 0.3)),
        _obj(18, "box", "red", (1.0, -1.5, 0.375), (0.2, 0.2, 0.15), support=17),
    ]
    views = {
        "front": ViewPose(np.array([0.0, -3.0, 1.4]), np.array([0.0, 0.0, 0.5])),
        "back": ViewPose(np.array([0.0, 4.0, 1.4]), np.array([0.0, 0.0, 0.5])),
    }
    return objects, views


def random_scene(seed: int) -> tuple[list[SceneObject], dict[str, ViewPose]]:
    """A small random room: 2-3 tables with 2-5 small objects each, and furniture and objects on the floor.

    Floor objects are turned at random; everything is placed by rejection so that no two footprints on one
    surface overlap.
    """
    rng = np.random.default_rng(seed)
    colors = ["red", "green", "blue", "yellow", "white", "black"]
    small = {"mug": (0.09, 0.09, 0.1), "bottle": (0.07, 0.07, 0.25), "book": (0.2, 0.15, 0.04),
             "can": (0.07, 0.07, 0.12), "bowl": (0.16, 0.16, 0.07)}
    floor = {"chair": (0.5, 0.5, 0.9), "box": (0.4, 0.3, 0.3), "trash bin": (0.3, 0.3, 0.4),
             "ball": (0.25, 0.25, 0.25), "plant": (0.35, 0.35, 0.7)}
    objects: list[SceneObject] = []
    floor_rects: list[tuple[float, float, float, float]] = []

    def free(x: float, y: float, hx: float, hy: float, rects: list[tuple[float, float, float, float]]) -> bool:
        return all(abs(x - ox) > hx + ohx + 0.05 or abs(y - oy) > hy + ohy + 0.05 for ox, oy, ohx, ohy in rects)

    for _ in range(int(rng.integers(2, 4))):
        for _try in range(50):
            sx, sy = rng.uniform(0.8, 1.4), rng.uniform(0.6, 0.9)
            x, y = rng.uniform(-2.5, 2.5), rng.uniform(-2.0, 2.5)
            if free(x, y, sx / 2, sy / 2, floor_rects):
                break
        else:
            continue
        tid = len(objects)
        objects.append(_obj(tid, "table", str(rng.choice(["brown", "white", "black"])), (x, y, 0.375),
                            (sx, sy, 0.75)))
        floor_rects.append((x, y, sx / 2, sy / 2))
        top: list[tuple[float, float, float, float]] = []
        for _ in range(int(rng.integers(2, 6))):
            label = str(rng.choice(sorted(small)))
            s = small[label]
            for _try in range(30):
                ox = rng.uniform(x - sx / 2 + 0.1, x + sx / 2 - 0.1)
                oy = rng.uniform(y - sy / 2 + 0.1, y + sy / 2 - 0.1)
                if free(ox, oy, s[0] / 2, s[1] / 2, top):
                    top.append((ox, oy, s[0] / 2, s[1] / 2))
                    objects.append(_obj(len(objects), label, str(rng.choice(colors)), (ox, oy, 0.75 + s[2] / 2),
                                        s, support=tid))
                    break
    for _ in range(int(rng.integers(4, 9))):
        label = str(rng.choice(sorted(floor)))
        s = floor[label]
        yaw = float(rng.uniform(0.0, np.pi))
        r = math.hypot(s[0], s[1]) / 2  # a turned box stays inside this square
        for _try in range(50):
            x, y = rng.uniform(-3.0, 3.0), rng.uniform(-2.5, 3.0)
            if free(x, y, r, r, floor_rects):
                floor_rects.append((x, y, r, r))
                objects.append(_obj(len(objects), label, str(rng.choice(colors)), (x, y, s[2] / 2), s, yaw))
                break
    views = {
        "v0": ViewPose(np.array([0.0, -4.5, 1.5]), np.array([0.0, 0.0, 0.5])),
        "v1": ViewPose(np.array([-4.5, 0.5, 1.5]), np.array([0.0, 0.5, 0.5])),
        "v2": ViewPose(np.array([3.0, 4.5, 1.6]), np.array([0.0, 0.0, 0.5])),
    }
    return objects, views


def _world_extent(o: SceneObject) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned world bounds of a turned box."""
    c, s = abs(math.cos(o.yaw)), abs(math.sin(o.yaw))
    half = np.array([c * o.size[0] + s * o.size[1], s * o.size[0] + c * o.size[1], o.size[2]]) / 2
    return o.center - half, o.center + half


def _boxes_overlap(a: SceneObject, b: SceneObject) -> bool:
    """Overlap of the boxes' axis-aligned world bounds (conservative: disjoint bounds, disjoint boxes)."""
    (lo_a, hi_a), (lo_b, hi_b) = _world_extent(a), _world_extent(b)
    return bool(np.all(np.minimum(hi_a, hi_b) - np.maximum(lo_a, lo_b) > 1e-6))


def _nested(a: SceneObject, b: SceneObject) -> bool:
    """b stands on a board inside shelf a, or on the floor under table a (open furniture holds other boxes)."""
    if a.label == "shelf":
        return b.support_id == a.object_id
    top_a, top_b = a.center[2] + a.size[2] / 2, b.center[2] + b.size[2] / 2
    return a.label == "table" and b.support_id == -1 and top_b < top_a - 0.1


def test_test_scenes_do_not_interpenetrate() -> None:
    scenes = [office_scene()[0]] + [random_scene(s)[0] for s in range(6)]
    for objects in scenes:
        for i, a in enumerate(objects):
            for b in objects[i + 1:]:
                if _nested(a, b) or _nested(b, a):
                    continue
                assert not _boxes_overlap(a, b), (a.object_id, a.label, b.object_id, b.label)


def test_random_scenes_have_distractors() -> None:
    objects, _ = random_scene(0)
    labels = [o.label for o in objects]
    assert len(objects) >= 8
    assert max(labels.count(x) for x in set(labels)) >= 2
