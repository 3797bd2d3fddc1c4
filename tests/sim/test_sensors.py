"""Virtual RGB-D camera, LiDAR and trajectories against the scene's ground truth."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import open3d as o3d
import pytest

from perception.convert import depth_to_cloud
from sim.errors import SimConfigError
from sim.scene import SceneConfig, generate_scene
from sim.scene.geometry import object_footprint
from sim.sensors import (
    CameraNoiseConfig,
    LidarConfig,
    RGBDCamera,
    RGBDCameraConfig,
    SceneRaycaster,
    VirtualLidar,
    look_at_pose,
    walk_trajectory,
)


@pytest.fixture(scope="module")
def scene():
    return generate_scene(SceneConfig(min_objects=15, max_objects=20), 11)


@pytest.fixture(scope="module")
def raycaster(scene):
    return SceneRaycaster(scene.mesh)


def _distance_to_mesh(scene, object_id: int, points: np.ndarray) -> np.ndarray:
    keep = scene.mesh.instance == object_id
    rs = o3d.t.geometry.RaycastingScene()
    rs.add_triangles(o3d.core.Tensor.from_numpy(scene.mesh.vertices),
                     o3d.core.Tensor.from_numpy(scene.mesh.triangles[keep].astype(np.uint32)))
    return rs.compute_distance(o3d.core.Tensor.from_numpy(points.astype(np.float32))).numpy()


def test_look_at_pose_is_an_optical_frame():
    T = look_at_pose(np.array([1.0, 2.0, 1.5]), np.array([3.0, 2.0, 0.5]))
    R = T[:3, :3]
    assert np.allclose(R.T @ R, np.eye(3)) and np.isclose(np.linalg.det(R), 1.0)
    fwd = np.array([2.0, 0.0, -1.0]) / np.sqrt(5.0)
    assert np.allclose(R[:, 2], fwd)  # z looks at the target
    assert R[2, 1] < 0 and abs(R[2, 0]) < 1e-12  # y points down, x stays level
    assert np.allclose(R[:, 0], [0.0, -1.0, 0.0])  # facing +x with z up, image right is -y
    with pytest.raises(SimConfigError):
        look_at_pose(np.zeros(3), np.array([0.0, 0.0, -1.0]))


def test_trajectory_keeps_clear_of_objects(scene):
    poses = walk_trajectory(scene, 12, np.random.default_rng(0))
    assert len(poses) == 12
    steps = np.linalg.norm(np.diff([p.position for p in poses], axis=0), axis=1)
    assert steps.max() < 1.5  # a walk, not jumps
    hits = 0
    for p in poses:
        for o in scene.objects:
            q = object_footprint(o)
            c = q.mean(axis=0)
            ex, ey = q[1] - q[0], q[3] - q[0]
            d = p.position[:2] - c
            hits += abs(d @ ex) / np.linalg.norm(ex) < np.linalg.norm(ex) / 2 and \
                abs(d @ ey) / np.linalg.norm(ey) < np.linalg.norm(ey) / 2
    assert hits == 0


def _pose(scene):
    p = walk_trajectory(scene, 1, np.random.default_rng(2))[0]
    return look_at_pose(p.position, p.look_at)


def test_ideal_depth_backprojects_onto_each_objects_surface(scene, raycaster):
    cam = RGBDCamera(RGBDCameraConfig(width=96, height=72, noise=CameraNoiseConfig.ideal()))
    T = _pose(scene)
    r = cam.render(raycaster, T, np.random.default_rng(0))
    assert r.rgb.shape == (72, 96, 3) and r.depth_mm.dtype == np.uint16 and r.instance.dtype == np.int32
    cloud = depth_to_cloud(r.depth_mm, r.intrinsics).transformed(T, "world")  # perception's own conversion
    inst = r.instance.reshape(-1)
    seen = [i for i in np.unique(inst) if i >= 0 and (inst == i).sum() >= 5]
    assert len(seen) >= 2
    for oid in seen:
        pts = cloud.xyz[(inst == oid) & cloud.finite_mask()]
        dist = _distance_to_mesh(scene, int(oid), pts)
        # Depth is quantised to 1 mm along z; the along-ray error stays under a few mm.
        assert np.percentile(dist, 99) < 4e-3, (oid, np.percentile(dist, 99))


def test_noisy_depth_stays_within_the_noise_model(scene, raycaster):
    noise = CameraNoiseConfig(depth_sigma_const_m=0.002, depth_sigma_quad=0.004, dropout_prob=0.0)
    cam = RGBDCamera(RGBDCameraConfig(width=96, height=72, noise=noise))
    ideal = RGBDCamera(RGBDCameraConfig(width=96, height=72, noise=CameraNoiseConfig.ideal()))
    T = _pose(scene)
    noisy = cam.render(raycaster, T, np.random.default_rng(1))
    clean = ideal.render(raycaster, T, np.random.default_rng(1))
    both = (noisy.depth_mm > 0) & (clean.depth_mm > 0)
    z = clean.depth_m[both]
    err = noisy.depth_m[both] - z
    sigma = noise.depth_sigma(z)
    assert np.abs(err).max() < 5 * sigma.max() + 1e-3
    assert 0.5 < np.std(err / sigma) < 1.5  # errors scale with a + b z^2
    far, near = z > np.median(z), z <= np.median(z)
    assert np.std(err[far]) > np.std(err[near])
    # Colour jitter moved colour too.
    assert not np.array_equal(noisy.rgb, clean.rgb)
    # Back-projected by perception, noisy points stay within 5 sigma(z) of their object's true surface.
    cloud = depth_to_cloud(noisy.depth_mm, noisy.intrinsics)
    world = cloud.transformed(T, "world").xyz
    inst, z_all = noisy.instance.reshape(-1), cloud.xyz[:, 2]
    for oid in [i for i in np.unique(inst) if i >= 0]:
        rows = (inst == oid) & cloud.finite_mask()
        if rows.sum() < 5:
            continue
        dist = _distance_to_mesh(scene, int(oid), world[rows])
        assert (dist <= 5 * noise.depth_sigma(z_all[rows]) + 1e-3).all(), oid


def test_grazing_angles_lose_returns(scene, raycaster):
    def missing(cos_min: float) -> float:
        noise = CameraNoiseConfig(grazing_cos_min=cos_min, dropout_prob=0.0)
        cam = RGBDCamera(RGBDCameraConfig(width=96, height=72, noise=noise))
        return float((cam.render(raycaster, _pose(scene), np.random.default_rng(0)).depth_mm == 0).mean())

    assert missing(0.6) > missing(0.0) + 0.05


def test_lidar_organized_and_unorganized(scene, raycaster):
    cfg = LidarConfig(rings=8, horizontal_resolution_deg=2.0, range_noise_sigma_m=0.0)
    T = np.eye(4)
    T[:3, 3] = [0.0, 0.0, 0.5]
    org = VirtualLidar(cfg).scan(raycaster, T, np.random.default_rng(0))
    assert org.grid_shape == (8, 180) and len(org) == 8 * 180
    assert org.fields["ring"].min() == 0 and org.fields["ring"].max() == 7
    fin = org.finite_mask()
    assert fin.mean() > 0.5
    assert np.nanmin(org.intensity) >= 0 and np.nanmax(org.intensity) <= 1
    # Rings point where the config says: the top row is the highest elevation.
    grid = org.xyz.reshape(8, 180, 3)
    elev = np.degrees(np.arctan2(grid[..., 2], np.linalg.norm(grid[..., :2], axis=-1)))
    assert np.nanmean(elev[0]) > 14 and np.nanmean(elev[-1]) < -14
    # Returns lie on the scene's surfaces.
    world = org.finite().transformed(T, "world").xyz
    rs = o3d.t.geometry.RaycastingScene()
    rs.add_triangles(o3d.core.Tensor.from_numpy(scene.mesh.vertices),
                     o3d.core.Tensor.from_numpy(scene.mesh.triangles.astype(np.uint32)))
    assert rs.compute_distance(o3d.core.Tensor.from_numpy(world)).numpy().max() < 1e-3
    unorg = VirtualLidar(replace(cfg, organized=False)).scan(raycaster, T, np.random.default_rng(0))
    assert unorg.grid_shape is None and unorg.finite_mask().all() and len(unorg) == int(fin.sum())


def test_sensor_configs_validate():
    with pytest.raises(SimConfigError, match="hfov_deg"):
        RGBDCameraConfig(hfov_deg=0.0)
    with pytest.raises(SimConfigError, match="grazing_cos_min"):
        CameraNoiseConfig(grazing_cos_min=1.5)
    with pytest.raises(SimConfigError, match="rings"):
        LidarConfig(rings=0)
