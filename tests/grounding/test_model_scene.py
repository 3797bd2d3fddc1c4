"""Scene inputs, views and the padded SceneBatch."""

from __future__ import annotations

import numpy as np
import pytest

from grounding.errors import GroundingConfigError, SceneInputError
from grounding.model import AugmentConfig, ObjectInput, QueryView, SceneInput, build_scene_batch
from grounding.model.scene_batch import color_statistics
from perception import Box3D
from perception.proposal import COLOR_HIST_BINS


def make_scene(n: int, seed: int = 0, m: int = 40) -> SceneInput:
    """n objects with random boxes on a line along x, each with m points inside its box."""
    rng = np.random.default_rng(seed)
    objects = []
    for i in range(n):
        center = np.array([i - n / 2, rng.uniform(-1, 1), 0.3])
        size = rng.uniform(0.1, 0.5, 3)
        pts = (center + rng.uniform(-0.5, 0.5, (m, 3)) * size).astype(np.float32)
        cols = rng.integers(0, 256, (m, 3), dtype=np.uint8)
        objects.append(ObjectInput(10 + i, pts, cols, Box3D(center, size, 0.0)))
    return SceneInput(objects, scene_id=f"scene{seed}")


def test_batch_pads_and_masks() -> None:
    batch = build_scene_batch([make_scene(2), make_scene(5, 1)], points_per_object=16, image_dim=0)
    assert batch.points.shape == (2, 5, 16, 3)
    assert batch.mask.tolist() == [[True, True, False, False, False], [True] * 5]
    assert batch.object_ids[0].tolist() == [10, 11, -1, -1, -1]
    assert float(batch.points[0, 2:].abs().sum()) == 0.0
    # points are normalised: centred on the box and at most unit distance per axis
    assert float(batch.points[batch.mask].abs().max()) <= 1.0 + 1e-6


def test_augmentation_is_seeded_and_changes_points() -> None:
    scenes = [make_scene(3)]
    a = build_scene_batch(scenes, 16, 0, np.random.default_rng(1), AugmentConfig())
    b = build_scene_batch(scenes, 16, 0, np.random.default_rng(1), AugmentConfig())
    c = build_scene_batch(scenes, 16, 0)
    assert np.array_equal(a.points.numpy(), b.points.numpy())
    assert not np.allclose(a.points.numpy(), c.points.numpy())
    assert not np.allclose(a.centers.numpy(), c.centers.numpy())


def test_camera_like_augmentation_grows_boxes_darkens_and_cuts_to_one_side() -> None:
    scenes = [make_scene(4, m=400)]
    plain = build_scene_batch(scenes, 32, 0, np.random.default_rng(2), AugmentConfig(center_jitter_m=0, size_jitter=0))
    grown = build_scene_batch(
        scenes, 32, 0, np.random.default_rng(2), AugmentConfig(center_jitter_m=0, size_jitter=0, size_grow_m=0.04)
    )
    delta = (grown.sizes - plain.sizes).numpy()
    assert (delta >= 0).all() and (delta <= 0.04 + 1e-6).all() and delta.max() > 0.01
    dark = build_scene_batch(scenes, 32, 0, np.random.default_rng(2), AugmentConfig(brightness_min=0.5, color_jitter=0))
    mean = (grown.color_stats[..., :3] - dark.color_stats[..., :3]).numpy()  # the same points, darkened
    assert (mean >= -1e-6).all() and mean.max() > 0.02
    side = build_scene_batch(
        scenes, 32, 0, np.random.default_rng(2), AugmentConfig(center_jitter_m=0, size_jitter=0, one_side_prob=1.0)
    )
    full = np.stack([o.box.size for o in scenes[0].objects])
    halved = side.sizes[0, :, :2].numpy() / full[:, :2]
    # A cut across an axis halves that extent; a diagonal one keeps both (it leaves a triangle).
    assert (halved <= 1.0 + 1e-6).all() and halved.min() < 0.75
    assert float(side.points.abs().max()) <= 1.0 + 1e-6  # still centred on the (smaller) box


def test_bad_augment_configs_are_rejected() -> None:
    for bad in ({"brightness_min": 0.0}, {"one_side_prob": 1.5}, {"size_grow_m": -0.01}):
        with pytest.raises(GroundingConfigError):
            AugmentConfig(**bad)  # type: ignore[arg-type]


def test_color_statistics_match_known_colours() -> None:
    red = np.tile(np.array([[255, 0, 0]], np.uint8), (10, 1))
    stats = color_statistics(red)
    assert stats.shape == (3 + 3 * COLOR_HIST_BINS,)
    np.testing.assert_allclose(stats[:3], [1.0, 0.0, 0.0])
    hist = stats[3:].reshape(3, COLOR_HIST_BINS)
    np.testing.assert_allclose(hist.sum(axis=1), 1.0)
    assert hist[0, 0] == 1.0  # hue 0 (red) falls in the first bin
    assert hist[1, -1] == 1.0  # fully saturated


def test_image_feature_width_is_checked() -> None:
    scene = make_scene(2)
    scene.objects[0].image_feature = np.ones(7, np.float32)
    with pytest.raises(SceneInputError, match=r"\(4,\)"):
        build_scene_batch([scene], 8, image_dim=4)
    batch = build_scene_batch([make_scene(2)], 8, image_dim=4)
    assert not batch.image_present.any()


def test_view_frame_left_right_forward() -> None:
    view = QueryView(position=[0.0, 0.0, 1.0], look_at=[0.0, 5.0, 0.0])  # looking along +y, tilted down
    R = view.rotation()
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(R @ np.array([-1.0, 0, 0]), [-1, 0, 0], atol=1e-12)  # world -x is on the left
    back = QueryView(position=[0.0, 5.0, 1.0], look_at=[0.0, 0.0, 1.0])  # the other way round
    np.testing.assert_allclose(back.rotation() @ np.array([-1.0, 0, 0]), [1, 0, 0], atol=1e-12)
    T = np.eye(4)
    T[:3, :3] = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]]).T  # columns: x right, y down, z along world +y
    np.testing.assert_allclose(QueryView.from_camera_pose(T).rotation(), np.eye(3), atol=1e-12)


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(SceneInputError, match="at least one object"):
        SceneInput([])
    with pytest.raises(SceneInputError, match="colors"):
        ObjectInput(1, np.zeros((3, 3), np.float32), np.zeros((2, 3), np.uint8), Box3D(np.zeros(3), np.ones(3)))
    with pytest.raises(SceneInputError, match="horizontal"):
        QueryView(position=[0, 0, 2], look_at=[0, 0, 0])
