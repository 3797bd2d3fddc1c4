"""Multi-frame fusion: the real 5-frame RGB-D sequence of open3d's test data, and ids along a trajectory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.spatial import cKDTree

from perception import CameraIntrinsics, RGBDFrame
from perception.convert import rgbd_frame_to_cloud
from perception.geometry.depth_filter import denoised_frame
from perception.geometry.errors import GeometryConfigError
from perception.geometry.fusion import SceneMap, SceneMapConfig
from perception.geometry.proposals import extract_proposals
from perception.geometry.tracking import ObjectTracker, TrackerConfig
from perception.geometry.voxel import voxel_downsample, voxel_keys
from tests.perception._geometry_scenes import SynthBox, look_at, render_view, tabletop_boxes


def _open3d_sequence(extdata: Path) -> list[RGBDFrame]:
    root = extdata / "open3d-testdata" / "RGBD"
    K = np.array([[525.0, 0.0, 319.5], [0.0, 525.0, 239.5], [0.0, 0.0, 1.0]])
    intrinsics = CameraIntrinsics(K=K, width=640, height=480)
    rows = [line.split() for line in (root / "trajectory.log").read_text().splitlines() if line.strip()]
    poses = [np.array(rows[i + 1 : i + 5], dtype=np.float64) for i in range(0, len(rows), 5)]
    frames = []
    for k, pose in enumerate(poses):
        rgb = np.asarray(Image.open(root / "color" / f"{k:05d}.jpg").convert("RGB"))
        depth = np.asarray(Image.open(root / "depth" / f"{k:05d}.png")).astype(np.uint16)
        frames.append(RGBDFrame.from_depth_image(rgb, depth, intrinsics, T_world_cam=pose))
    return frames


@pytest.fixture(scope="module")
def sequence(extdata: Path) -> list[RGBDFrame]:
    return _open3d_sequence(extdata)


@pytest.mark.parametrize("method", ["tsdf", "voxel_hash"])
def test_fused_frames_agree_within_2cm(sequence: list[RGBDFrame], method: str) -> None:
    assert len(sequence) == 5
    config = SceneMapConfig(method=method, voxel_size=0.01, depth_max=3.0)
    first = SceneMap(config)
    first.integrate(sequence[0])
    fused = SceneMap(config)
    for frame in sequence:
        fused.integrate(frame)
    cloud = fused.cloud()
    assert cloud.rgb is not None
    tree = cKDTree(cloud.xyz)
    first_tree = cKDTree(first.cloud().xyz)
    covered_by_fused, covered_by_first = [], []
    for frame in sequence:
        world = rgbd_frame_to_cloud(frame, world=True).finite()
        world = world.select(np.linalg.norm(world.xyz - frame.T_world_cam[:3, 3], axis=1) < 3.0)
        dist, _ = tree.query(world.xyz[::7])
        assert np.median(dist) < 0.01
        assert np.percentile(dist, 95) < 0.02
        covered_by_fused.append(float((dist < 0.02).mean()))
        covered_by_first.append(float((first_tree.query(world.xyz[::7])[0] < 0.02).mean()))
    # Denser where it matters: the fused map covers the later frames better than the first frame alone.
    assert np.mean(covered_by_fused[1:]) > np.mean(covered_by_first[1:])


def test_voxel_hash_memory_is_bounded(sequence: list[RGBDFrame]) -> None:
    scene_map = SceneMap(SceneMapConfig(method="voxel_hash", voxel_size=0.02, max_voxels=5000))
    for frame in sequence:
        scene_map.integrate(frame)
        assert scene_map.num_voxels <= 5000
    assert scene_map.num_voxels == 5000


def test_voxel_hash_is_the_voxel_mean_of_every_frame_s_points(sequence: list[RGBDFrame]) -> None:
    """Frame by frame, the map holds what one voxel average of all the frames' points at once gives: the same
    voxels and, to float rounding, the same means."""
    config = SceneMapConfig(method="voxel_hash", voxel_size=0.02)
    scene_map = SceneMap(config)
    points = []
    for frame in sequence:
        scene_map.integrate(frame)
        frame = denoised_frame(frame, config.denoise)
        valid = np.isfinite(frame.depth_m) & (frame.depth_m >= config.depth_min) & (frame.depth_m <= config.depth_max)
        points.append(rgbd_frame_to_cloud(frame, world=True).xyz[valid.reshape(-1)])
    want = voxel_downsample(np.concatenate(points), None, 0.02).points
    got = scene_map.cloud().xyz
    want_keys, got_keys = voxel_keys(want, 0.02), voxel_keys(got, 0.02)
    want_order, got_order = np.argsort(want_keys), np.argsort(got_keys)
    np.testing.assert_array_equal(got_keys[got_order], want_keys[want_order])
    np.testing.assert_allclose(got[got_order], want[want_order], atol=1e-5)


def test_voxel_hash_drops_the_least_recent_and_still_finds_its_voxels(sequence: list[RGBDFrame]) -> None:
    """After the cap drops voxels, the last frame's are all kept, and the same frame again adds no voxel and
    leaves every mean where it was (its voxels are found, not appended twice)."""
    cap = 20000  # a frame holds about 18k voxels at 2 cm, the five about 24k
    scene_map = SceneMap(SceneMapConfig(method="voxel_hash", voxel_size=0.02, max_voxels=cap))
    for frame in sequence:
        scene_map.integrate(frame)
    alone = SceneMap(SceneMapConfig(method="voxel_hash", voxel_size=0.02))
    alone.integrate(sequence[-1])
    last = {tuple(k) for k in np.floor(alone.cloud().xyz / 0.02).astype(np.int64)}
    kept = {tuple(k) for k in np.floor(scene_map.cloud().xyz / 0.02).astype(np.int64)}
    assert last <= kept
    before = scene_map.cloud().xyz.copy()
    scene_map.mark()
    scene_map.integrate(sequence[-1])
    assert scene_map.growth_since_mark() == 0.0 and scene_map.num_voxels == cap
    moved = np.linalg.norm(scene_map.cloud().xyz - before, axis=1)
    assert np.percentile(moved, 99) < 0.01  # the running means take the same points again


def _trajectory(n: int) -> list[np.ndarray]:
    """Camera poses on an arc around the table, always looking at its centre."""
    angles = np.linspace(-0.5, 0.5, n)
    return [look_at(np.array([2.0 * np.cos(a), 2.0 * np.sin(a), 1.6]), np.array([0.0, 0.0, 0.75]))
            for a in angles]


def test_ids_stay_stable_while_the_camera_moves() -> None:
    objects = tabletop_boxes()
    scene_map = SceneMap(SceneMapConfig(method="voxel_hash", voxel_size=0.01))
    tracker = ObjectTracker()
    ids_of: dict[int, set[int]] = {}
    for T in _trajectory(5):
        frame, _ = render_view(objects, T)
        scene_map.integrate(frame)
        cloud = scene_map.cloud()
        for proposal in tracker.update(extract_proposals(cloud).proposals):
            inside = [o.instance for o in objects if np.linalg.norm(proposal.aabb.center - o.center) < 0.05]
            for instance in inside:
                ids_of.setdefault(instance, set()).add(proposal.object_id)
    seen = {k: v for k, v in ids_of.items() if k in (1, 2, 3)}
    assert len(seen) == 3, ids_of
    assert all(len(ids) == 1 for ids in seen.values()), seen
    assert len({next(iter(ids)) for ids in seen.values()}) == 3


def test_tracker_ages_out_objects_and_keeps_appearance_apart() -> None:
    objects = [SynthBox(1, (0.0, 0.0, 0.81), (0.12, 0.12, 0.12), (220, 30, 30))]
    frame, _ = render_view(objects, look_at(np.array([1.5, 0.0, 1.5]), np.array([0.0, 0.0, 0.75])))
    proposals = extract_proposals(rgbd_frame_to_cloud(frame, world=True).finite()).proposals
    tracker = ObjectTracker(TrackerConfig(max_age=2))
    first = {p.object_id for p in tracker.update(proposals)}
    assert {p.object_id for p in tracker.update(proposals)} == first
    for _ in range(3):
        tracker.update([])
    assert tracker.tracks == []
    assert {p.object_id for p in tracker.update(proposals)}.isdisjoint(first)


def test_bad_map_config_raises() -> None:
    with pytest.raises(GeometryConfigError, match="method"):
        SceneMapConfig(method="octree")
