"""Scenes: determinism, categories, no interpenetration, nothing floats, distractors, ground-truth cloud."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import SimConfigError
from sim.scene import CATEGORIES, COLOR_NAMES, SceneConfig, generate_scene
from sim.scene.colors import COLORS, sample_shade
from sim.scene.geometry import boxes_overlap, object_footprint
from sim.scene.scene import SceneMesh
from sim.sensors.raycaster import SceneRaycaster

SEEDS = (0, 1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def scenes():
    return [generate_scene(SceneConfig(), s, f"s{s}") for s in SEEDS]


def test_enough_categories_and_colors():
    assert len(CATEGORIES) >= 17 and len(COLOR_NAMES) >= 10
    rng = np.random.default_rng(0)
    for name, spec in CATEGORIES.items():
        a, b = spec.build(rng, (200, 0, 0)), spec.build(rng, (200, 0, 0))
        assert a.label == name and (a.size > 0).all()
        assert not np.allclose(a.size, b.size), f"{name}: two builds have identical proportions"


def test_shades_vary_but_stay_near_their_colour():
    rng = np.random.default_rng(1)
    for name in COLORS:
        shades = np.array([sample_shade(name, rng) for _ in range(20)], dtype=float)
        assert shades.std(axis=0).sum() > 0
        dists = {other: np.linalg.norm(shades.mean(axis=0) - np.array(rgb)) for other, rgb in COLORS.items()}
        assert min(dists, key=dists.__getitem__) == name, name


def test_same_seed_same_scene_other_seed_other_scene():
    a, b, c = generate_scene(SceneConfig(), 7), generate_scene(SceneConfig(), 7), generate_scene(SceneConfig(), 8)
    assert [o.to_json() for o in a.objects] == [o.to_json() for o in b.objects]
    for f in ("vertices", "triangles", "colors", "instance"):
        assert np.array_equal(getattr(a.mesh, f), getattr(b.mesh, f))
    assert [o.to_json() for o in a.objects] != [o.to_json() for o in c.objects]


def test_object_counts_in_range(scenes):
    for s in scenes:
        assert 5 <= len(s.objects) <= 40
        assert [o.object_id for o in s.objects] == list(range(len(s.objects)))


def test_no_interpenetration(scenes):
    for s in scenes:
        for i, a in enumerate(s.objects):
            for b in s.objects[i + 1:]:
                if a.support_id == b.object_id or b.support_id == a.object_id:
                    continue
                assert not boxes_overlap(a, b), f"{s.scene_id}: {a.label} {a.object_id} and {b.label} {b.object_id}"


def test_objects_inside_room(scenes):
    for s in scenes:
        for o in s.objects:
            corners = object_footprint(o)
            assert (np.abs(corners[:, 0]) <= s.room.width / 2 + 1e-9).all()
            assert (np.abs(corners[:, 1]) <= s.room.depth / 2 + 1e-9).all()


def _without(mesh: SceneMesh, object_id: int) -> SceneMesh:
    keep = mesh.instance != object_id
    return SceneMesh(mesh.vertices, mesh.triangles[keep], mesh.colors[keep], mesh.instance[keep])


def test_nothing_floats_and_support_is_what_lies_beneath(scenes):
    """Rays cast down from an object's base, through the scene without the object, hit its support at once."""
    for s in scenes[:3]:
        for o in s.objects:
            rc = SceneRaycaster(_without(s.mesh, o.object_id))
            bottom = o.center[2] - o.size[2] / 2
            quad = object_footprint(o)
            samples = [o.center[:2]] + [o.center[:2] + 0.8 * (c - o.center[:2]) for c in quad]
            origins = np.array([[x, y, bottom + 1e-3] for x, y in samples], dtype=np.float32)
            dirs = np.tile(np.array([0, 0, -1], dtype=np.float32), (len(origins), 1))
            hits = rc.cast(origins, dirs)
            k = int(np.argmin(hits.t_hit))
            assert hits.t_hit[k] < 3e-3, f"{s.scene_id}: {o.label} {o.object_id} floats {hits.t_hit[k]:.3f} m"
            assert hits.instance[k] == o.support_id, f"{o.label} {o.object_id} rests on {hits.instance[k]}"


def test_small_objects_stand_on_tables_shelves_or_floor(scenes):
    for s in scenes:
        by_id = {o.object_id: o for o in s.objects}
        for o in s.objects:
            if o.support_id >= 0:
                assert by_id[o.support_id].label in ("table", "shelf", "cabinet")
                assert not CATEGORIES[o.label].furniture


def test_distractors_appear(scenes):
    same_cat = same_color = duplicate = 0
    for s in scenes:
        pairs = [(o.color, o.label) for o in s.objects if not o.extra["is_furniture"]]
        cats = {c for _, c in pairs}
        same_cat += any(len({col for col, c in pairs if c == cat}) > 1 for cat in cats)
        same_color += any(len({c for col, c in pairs if col == color}) > 1 for color in {p[0] for p in pairs})
        duplicate += len(set(pairs)) < len(pairs)
    assert same_cat >= len(scenes) // 2 and same_color >= len(scenes) // 2 and duplicate >= 2


def test_forbidden_pairs_never_appear_and_required_do():
    forbidden = frozenset((c, "mug") for c in COLOR_NAMES if c != "red") | {("blue", "book")}
    cfg = SceneConfig(min_objects=15, max_objects=25, forbidden_pairs=forbidden, required_pairs=(("yellow", "can"),))
    for seed in range(4):
        s = generate_scene(cfg, seed)
        pairs = {(o.color, o.label) for o in s.objects}
        assert not pairs & forbidden
        assert ("yellow", "can") in pairs


def test_sampled_points_carry_instances(scenes):
    s = scenes[0]
    pts = s.sample_points(20000, np.random.default_rng(0))
    assert pts.points.dtype == np.float32 and pts.points.shape == (20000, 3)
    assert pts.colors.dtype == np.uint8 and pts.instance.dtype == np.int32
    ids = {o.object_id for o in s.objects}
    assert set(np.unique(pts.instance).tolist()) <= ids | {-1}
    for o in s.objects:  # every point of an object lies in its box (yaw-rotated), a few mm of slack
        p = pts.points[pts.instance == o.object_id].astype(np.float64) - o.center
        c, sn = np.cos(-o.yaw), np.sin(-o.yaw)
        local = np.stack([c * p[:, 0] - sn * p[:, 1], sn * p[:, 0] + c * p[:, 1], p[:, 2]], axis=1)
        assert (np.abs(local) <= o.size / 2 + 2e-3).all(), o.label


def test_config_errors_name_the_field():
    with pytest.raises(SimConfigError, match="min_objects"):
        SceneConfig(min_objects=0)
    with pytest.raises(SimConfigError, match="pairs"):
        SceneConfig(forbidden_pairs=frozenset({("red", "spaceship")}))
