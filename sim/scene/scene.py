"""A generated indoor scene: its objects, one triangle mesh with per-triangle colour and instance, and its cloud."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from sim.errors import PlacementError, SimConfigError
from sim.scene.categories import CATEGORIES
from sim.scene.colors import COLORS, sample_shade
from sim.scene.composition import Pair, furniture_plan, pick_color, small_plan
from sim.scene.geometry import yaw_matrix
from sim.scene.placement import Placed, Placer, Room
from sim.scene.primitives import ObjectModel
from sim.scene_object import SceneObject


@dataclass
class SceneConfig:
    """How scenes are generated."""

    min_objects: int = 5
    """Fewest objects (furniture included) in a scene."""
    max_objects: int = 40
    """Most objects (furniture included) in a scene."""
    room_size_m: tuple[float, float] = (4.0, 8.0)
    """Range of the room's width and depth in metres."""
    wall_probability: float = 0.7
    """Chance that the room has walls."""
    points_per_scene: int = 40000
    """Points N sampled from the surfaces for scene.npz."""
    background_weight: float = 0.15
    """Point density of floor and walls relative to objects (per square metre)."""
    forbidden_pairs: frozenset[Pair] = frozenset()
    """(colour, category) pairs that must not appear (held out of training scenes)."""
    required_pairs: tuple[Pair, ...] = ()
    """(colour, category) pairs of small categories that the scene must contain when they fit."""

    def __post_init__(self) -> None:
        if not 1 <= self.min_objects <= self.max_objects:
            raise SimConfigError(
                f"SceneConfig.min_objects/max_objects: expected 1 <= min <= max, got {self.min_objects}, "
                f"{self.max_objects}")
        lo, hi = self.room_size_m
        if not 2.5 <= lo <= hi:
            raise SimConfigError(f"SceneConfig.room_size_m: expected 2.5 <= lo <= hi, got {self.room_size_m}")
        if not 0.0 <= self.wall_probability <= 1.0:
            raise SimConfigError(f"SceneConfig.wall_probability: expected in [0, 1], got {self.wall_probability}")
        if self.points_per_scene < 1:
            raise SimConfigError(f"SceneConfig.points_per_scene: expected >= 1, got {self.points_per_scene}")
        if self.background_weight < 0:
            raise SimConfigError(f"SceneConfig.background_weight: expected >= 0, got {self.background_weight}")
        for color, cat in (*self.forbidden_pairs, *self.required_pairs):
            if color not in COLORS or cat not in CATEGORIES:
                raise SimConfigError(f"SceneConfig pairs: expected (colour, category) names, got {(color, cat)}")


@dataclass
class SceneMesh:
    """The whole scene as one triangle soup: T triangles, V vertices, world frame, metres, z up."""

    vertices: np.ndarray
    """(V, 3) float32 positions."""
    triangles: np.ndarray
    """(T, 3) int32 vertex indices."""
    colors: np.ndarray
    """(T, 3) uint8 colour of each triangle."""
    instance: np.ndarray
    """(T,) int32 object id of each triangle, -1 for floor and walls."""


@dataclass
class ScenePoints:
    """The sampled ground-truth cloud written to scene.npz."""

    points: np.ndarray
    """(N, 3) float32 positions in metres, world frame."""
    colors: np.ndarray
    """(N, 3) uint8 colours."""
    instance: np.ndarray
    """(N,) int32 object ids, -1 for background."""


@dataclass
class Scene:
    """One generated scene."""

    scene_id: str
    """Scene identifier (the folder name in a dataset)."""
    room: Room
    """Floor and walls."""
    objects: list[SceneObject]
    """All objects, furniture included; ``object_id`` equals the index."""
    mesh: SceneMesh
    """Renderable geometry."""
    seed: int = 0
    """Seed that generated the scene."""

    def sample_points(self, n: int, rng: np.random.Generator, background_weight: float = 0.15) -> ScenePoints:
        """N points on the surfaces, area-weighted, with floor and walls thinned by ``background_weight``.

        Sampled here with numpy rather than open3d's ``sample_points_uniformly`` so that the seed fixes the
        result and instance ids travel with each point.
        """
        v = self.mesh.vertices.astype(np.float64)[self.mesh.triangles]  # (T, 3, 3)
        area = 0.5 * np.linalg.norm(np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]), axis=1)  # (T,)
        weight = area * np.where(self.mesh.instance < 0, background_weight, 1.0)
        tri = rng.choice(len(area), size=n, p=weight / weight.sum())  # (N,)
        r1, r2 = rng.random(n), rng.random(n)
        flip = r1 + r2 > 1.0
        r1[flip], r2[flip] = 1.0 - r1[flip], 1.0 - r2[flip]
        vt = v[tri]  # (N, 3, 3)
        pts = vt[:, 0] + r1[:, None] * (vt[:, 1] - vt[:, 0]) + r2[:, None] * (vt[:, 2] - vt[:, 0])
        return ScenePoints(pts.astype(np.float32), self.mesh.colors[tri].copy(), self.mesh.instance[tri].copy())


def _room_mesh(room: Room, rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray], list[tuple]]:
    hx, hy, h = room.width / 2, room.depth / 2, room.wall_height
    floor_rgb = sample_shade(("brown", "gray", "white")[int(rng.integers(3))], rng)
    wall_rgb = sample_shade("white", rng)
    quads = [(np.array([[-hx, -hy, 0], [hx, -hy, 0], [hx, hy, 0], [-hx, hy, 0]]), floor_rgb)]
    if room.walls:
        corners = [(-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)]
        for i in range(4):
            (x0, y0), (x1, y1) = corners[i], corners[(i + 1) % 4]
            quads.append((np.array([[x0, y0, 0], [x1, y1, 0], [x1, y1, h], [x0, y0, h]]), wall_rgb))
    verts = [q for q, _ in quads]
    tris = [np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int32) for _ in quads]
    return verts, tris, [c for _, c in quads]


def _assemble(room: Room, placed: Sequence[Placed], rng: np.random.Generator) -> SceneMesh:
    verts, tris, cols, inst = [], [], [], []
    offset = 0

    def add(v: np.ndarray, t: np.ndarray, rgb: tuple, obj_id: int) -> None:
        nonlocal offset
        verts.append(v)
        tris.append(t + offset)
        cols.append(np.tile(np.asarray(rgb, dtype=np.uint8), (len(t), 1)))
        inst.append(np.full(len(t), obj_id, dtype=np.int32))
        offset += len(v)

    for v, t, rgb in zip(*_room_mesh(room, rng), strict=True):
        add(v, t, rgb, -1)
    for p in placed:
        R = yaw_matrix(p.obj.yaw)
        base = np.array([p.obj.center[0], p.obj.center[1], p.base_z])
        for part in p.model.parts:
            add(part.vertices @ R.T + base, part.triangles, part.rgb, p.obj.object_id)
    return SceneMesh(
        vertices=np.concatenate(verts).astype(np.float32),
        triangles=np.concatenate(tris).astype(np.int32),
        colors=np.concatenate(cols),
        instance=np.concatenate(inst),
    )


def _build(category: str, color: str, rng: np.random.Generator) -> tuple[ObjectModel, tuple[int, int, int]]:
    rgb = sample_shade(color, rng)
    return CATEGORIES[category].build(rng, rgb), rgb


def _compose(config: SceneConfig, rng: np.random.Generator, room: Room) -> list[Placed]:
    placer = Placer(room, rng)
    forbidden: Collection[Pair] = config.forbidden_pairs
    n_target = int(rng.integers(config.min_objects, config.max_objects + 1))
    tables: list[Placed] = []
    for cat in furniture_plan(room.width * room.depth, n_target, rng):
        color = pick_color(cat, rng, forbidden)
        model, rgb = _build(cat, color, rng)
        wall = room.walls and cat in ("shelf", "cabinet", "sofa") and rng.random() < 0.7
        if placer.on_floor(len(placer.placed), model, color, rgb, True, against_wall=wall) is not None and \
                cat == "table":
            tables.append(placer.placed[-1])
    for table in tables:
        # Chairs at a table usually share one colour (a dining set), a deliberate "several of a kind".
        color = pick_color("chair", rng, forbidden)
        for _ in range(int(rng.integers(0, 4))):
            if len(placer.placed) >= n_target - 1:
                break
            model, rgb = _build("chair", color, rng)
            placer.facing(len(placer.placed), model, color, rgb, table.obj)
    existing = [(p.obj.color, p.obj.label) for p in placer.placed]
    n_small = max(n_target - len(placer.placed), config.min_objects - len(placer.placed), 0)
    plan = small_plan(n_small + 8, existing, rng, forbidden, config.required_pairs)  # spares for misfits
    for color, cat in plan:
        if len(placer.placed) >= n_target and len(placer.placed) >= config.min_objects:
            break
        _place_small(placer, cat, color, rng)
    return placer.placed


def _place_small(placer: Placer, cat: str, color: str, rng: np.random.Generator) -> bool:
    spec = CATEGORIES[cat]
    model, rgb = _build(cat, color, rng)
    options: list[tuple[Placed | None, int]] = []
    for p in placer.placed:
        label = p.obj.label
        if (label in ("table", "cabinet") and spec.on_table) or (label == "shelf" and spec.on_shelf):
            options.extend((p, i) for i in range(len(p.model.surfaces)))
    if spec.on_floor:
        options.extend([(None, -1)] * max(1, len(options) // 3 if options else 1))
    for k in rng.permutation(len(options))[:6]:
        support, surface = options[int(k)]
        oid = len(placer.placed)
        if support is None:
            ok = placer.on_floor(oid, model, color, rgb, False, margin=0.05) is not None
        else:
            ok = placer.on_surface(oid, model, color, rgb, support, support.model.surfaces[surface]) is not None
        if ok:
            return True
    return False


def generate_scene(config: SceneConfig, seed: int, scene_id: str = "scene0000") -> Scene:
    """A new scene from ``seed``: the same seed and config give the same scene, byte for byte.

    Raises PlacementError when no layout with at least ``config.min_objects`` objects is found.
    """
    rng = np.random.default_rng(seed)
    for _ in range(10):
        lo, hi = config.room_size_m
        walls = bool(rng.random() < config.wall_probability)
        room = Room(float(rng.uniform(lo, hi)), float(rng.uniform(lo, hi)), walls)
        placed = _compose(config, rng, room)
        if len(placed) >= config.min_objects:
            mesh = _assemble(room, placed, rng)
            return Scene(scene_id, room, [p.obj for p in placed], mesh, seed)
    raise PlacementError(f"generate_scene: expected >= {config.min_objects} placed objects for seed {seed}, "
                         f"got fewer in 10 layouts")
