"""ScenePerception, the single entry point: clouds, messages, fused frames, live updates, camera tokens."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import ViTConfig, ViTModel

from perception import PointCloud, SpatialTokens
from perception.convert import cloud_to_pointcloud2
from perception.geometry.errors import GeometryConfigError
from perception.geometry.fusion import SceneMapConfig
from perception.geometry.proposals import extract_proposals
from perception.pipeline import (
    TOKEN_CHANNELS,
    PerceptionResult,
    ScenePerception,
    ScenePerceptionConfig,
    TokenConfig,
    voxel_tokens,
)
from perception.vit import CameraEncoderConfig
from tests.perception._geometry_scenes import look_at, render_view, sample_scene, tabletop_boxes


def _views(n: int) -> list:
    objects = tabletop_boxes()
    poses = [look_at(np.array([2.0 * np.cos(a), 2.0 * np.sin(a), 1.6]), np.array([0.0, 0.0, 0.75]))
             for a in np.linspace(-0.4, 0.4, n)]
    return [render_view(objects, T)[0] for T in poses]


def _near_objects(result: PerceptionResult) -> set[int]:
    """Instances of the three table-top boxes that some proposal is centred on (within 5 cm)."""
    return {
        b.instance
        for b in tabletop_boxes()[:3]
        if any(np.linalg.norm(p.aabb.center - b.center) < 0.05 for p in result.proposals)
    }


def _ids_by_instance(result: PerceptionResult) -> dict[int, int]:
    """Object id of the proposal centred (within 5 cm) on each table-top box that has one."""
    return {
        b.instance: p.object_id
        for b in tabletop_boxes()[:3]
        for p in result.proposals
        if np.linalg.norm(p.aabb.center - b.center) < 0.05
    }


def _check_tokens(tokens: SpatialTokens) -> None:
    assert tokens.num_channels == TOKEN_CHANNELS and tokens.batch_size == 1
    assert tokens.num_tokens > 50
    rgb, normal = tokens.features[:, :3], tokens.features[:, 3:]
    assert float(rgb.min()) >= 0.0 and float(rgb.max()) <= 1.0
    torch.testing.assert_close(normal.norm(dim=1), torch.ones(tokens.num_tokens), atol=1e-3, rtol=0)


def test_from_cloud_and_from_a_pointcloud2_message_agree() -> None:
    cloud, _ = sample_scene(tabletop_boxes(), spacing=0.015)
    perception = ScenePerception()
    direct = perception.from_cloud(cloud)
    via_msg = perception.from_cloud(cloud_to_pointcloud2(cloud, frame_id="world"))
    assert _near_objects(direct) == {1, 2, 3}
    assert len(via_msg.proposals) == len(direct.proposals)
    assert any(p.is_floor for p in direct.planes)
    assert "normal" in direct.cloud.fields
    _check_tokens(direct.tokens)
    assert direct.image_tokens is None


def test_from_frames_fuses_views_and_update_keeps_ids() -> None:
    frames = _views(3)
    config = ScenePerceptionConfig(fusion=SceneMapConfig(method="voxel_hash", voxel_size=0.01))
    perception = ScenePerception(config)
    fused = perception.from_frames(frames)
    assert _near_objects(fused) == {1, 2, 3}
    _check_tokens(fused.tokens)
    ids: list[dict[int, int]] = []
    for frame in frames:
        ids.append(_ids_by_instance(perception.update(frame)))
    assert ids[-1].keys() == {1, 2, 3}
    live = perception.update(frames[-1])
    assert "tokens" not in vars(live)  # not made until something reads them
    want = voxel_tokens(live.cloud, config.tokens)
    assert torch.equal(live.tokens.pos, want.pos) and torch.equal(live.tokens.features, want.features)
    for earlier in ids:
        assert all(ids[-1][k] == v for k, v in earlier.items())


def test_update_recomputes_proposals_only_once_the_map_has_grown() -> None:
    frames = _views(3)
    perception = ScenePerception(ScenePerceptionConfig(
        fusion=SceneMapConfig(method="voxel_hash", voxel_size=0.01), min_map_growth=0.05))
    first = perception.update(frames[0])
    assert perception.map.growth_since_mark() == 0.0
    # The same view again re-observes mapped voxels only: the map is fused, the proposals are reused.
    again = perception.update(frames[0])
    assert again is first and perception.map.num_frames == 2
    assert perception.map.growth_since_mark() < 0.05
    # A view from the side adds surface the map lacked: a fresh extraction, same ids for the same boxes.
    moved = perception.update(frames[2])
    assert moved is not first and perception.map.growth_since_mark() == 0.0
    assert _near_objects(first) and _near_objects(moved) == {1, 2, 3}
    before, after = _ids_by_instance(first), _ids_by_instance(moved)
    assert all(after[k] == v for k, v in before.items())


def test_update_cuts_again_only_where_the_map_changed_and_agrees_with_the_whole_map() -> None:
    frames = _views(4)
    perception = ScenePerception(ScenePerceptionConfig(fusion=SceneMapConfig(method="voxel_hash", voxel_size=0.01)))
    ids = [_ids_by_instance(perception.update(frame)) for frame in frames]
    # Views seen again change little of the map: a region is cut, or nothing, and the ids stay.
    ids += [_ids_by_instance(perception.update(frame)) for frame in frames]
    assert perception.extractor.num_regional >= 3
    assert perception.extractor.region_fraction < 0.5
    assert ids[-1].keys() == {1, 2, 3} and all(ids[-1][k] == v for e in ids for k, v in e.items())
    last = perception.update(frames[-1])
    whole = extract_proposals(perception.map.cloud(), perception.config.geometry).proposals
    assert len(last.proposals) == len(whole)
    assert all(max(w.aabb.iou(p.aabb) for p in last.proposals) > 0.9 for w in whole)


def test_perceive_behind_integrate_gives_the_proposals_of_update() -> None:
    """Every snapshot perceived only after all the frames were fused (as replay's worker may lag) gives what
    ``update`` gave at its frame: later frames do not reach into a snapshot."""
    frames = [*_views(4), *_views(4)[::-1]]
    config = ScenePerceptionConfig(fusion=SceneMapConfig(method="voxel_hash", voxel_size=0.01), min_map_growth=0.02)
    plain = ScenePerception(config)
    expected = [plain.update(frame) for frame in frames]
    split = ScenePerception(config)
    snapshots = [split.integrate(frame) for frame in frames]
    due = [i for i, s in enumerate(snapshots) if s is not None]
    assert due[0] == 0 and 1 < len(due) < len(frames)  # some frames were fused without an extraction
    for i in due:
        snapshot = snapshots[i]
        assert snapshot is not None
        got = split.perceive(snapshot)
        assert len(got.proposals) == len(expected[i].proposals)
        for p, q in zip(got.proposals, expected[i].proposals, strict=True):
            assert p.object_id == q.object_id
            np.testing.assert_array_equal(p.points, q.points)
    assert split.num_extractions == plain.num_extractions == len(due)


def test_a_failed_first_extraction_is_tried_again_on_the_next_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _views(1)[0]
    perception = ScenePerception(ScenePerceptionConfig(
        fusion=SceneMapConfig(method="voxel_hash", voxel_size=0.01), min_map_growth=0.5))
    extract, calls = perception.extractor.extract, []

    def failing_once(cloud: PointCloud) -> object:
        calls.append(len(cloud))
        if len(calls) == 1:
            raise GeometryConfigError("the first extraction fails")
        return extract(cloud)

    monkeypatch.setattr(perception.extractor, "extract", failing_once)
    with pytest.raises(GeometryConfigError):
        perception.update(frame)
    # The same view again: the map has not grown, yet no proposals exist, so this frame extracts.
    assert _near_objects(perception.update(frame)) and len(calls) == 2


def test_tsdf_map_always_counts_as_grown() -> None:
    perception = ScenePerception(ScenePerceptionConfig(min_map_growth=0.5))
    frame = _views(1)[0]
    first = perception.update(frame)
    assert perception.map.growth_since_mark() == 1.0  # TSDF does not count voxels: never skipped
    assert perception.update(frame) is not first


def test_bad_min_map_growth_raises() -> None:
    with pytest.raises(GeometryConfigError, match="min_map_growth"):
        ScenePerceptionConfig(min_map_growth=1.5)


def test_camera_tokens_come_from_a_local_vit(tmp_path: Path) -> None:
    model_dir = tmp_path / "vit"
    tiny = ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64)
    ViTModel(tiny).save_pretrained(model_dir, safe_serialization=True)
    camera = CameraEncoderConfig(model_dir=str(model_dir), input_width=64, input_height=48)
    perception = ScenePerception(ScenePerceptionConfig(
        fusion=SceneMapConfig(method="voxel_hash", voxel_size=0.02), camera=camera))
    result = perception.from_frames(_views(2))
    assert result.image_tokens is not None
    assert result.image_tokens.num_channels == 32 and result.image_tokens.batch_size == 1
    assert 0 < result.image_tokens.num_tokens <= 2 * (48 // 8) * (64 // 8)


def test_the_shipped_camera_vit_is_given_each_frames_depth() -> None:
    # The shipped ViT's fourth channel is each pixel's size in metres, from the frame's depth.
    perception = ScenePerception(ScenePerceptionConfig(
        fusion=SceneMapConfig(method="voxel_hash", voxel_size=0.02), camera=CameraEncoderConfig()))
    result = perception.from_frames(_views(1))
    assert result.image_tokens is not None and result.image_tokens.num_tokens > 0
    assert torch.isfinite(result.image_tokens.features).all()


def test_voxel_tokens_without_normals_estimate_them() -> None:
    xyz = np.random.default_rng(0).uniform(0, 1, (3000, 3)).astype(np.float32)
    xyz[:, 2] = 0.0
    tokens = voxel_tokens(PointCloud(xyz=xyz), TokenConfig(voxel_size=0.1, max_tokens=50))
    assert tokens.num_tokens == 50
    assert float(tokens.features[:, 5].abs().min()) > 0.99  # a flat floor: normals along z
    assert float(tokens.features[:, 0].max()) == pytest.approx(128 / 255)
