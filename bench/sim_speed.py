"""Simulator speed: an RGB-D frame render and dataset generation, with ratios against peers in the same run.

Usage: ``.venv/bin/python bench/sim_speed.py [--repeat 10] [--scenes 6] [--workers 1]``

Prints
- the time of one 640x480 RGB-D frame (``RGBDCamera.render``: ray casting, Lambert shading, depth and colour
  noise, instance ids) of a 30-object scene on one core, and its ratio over the bare peer: open3d's own
  ``create_rays_pinhole`` + ``cast_rays`` for the same camera (geometry only, one thread);
- the wall and CPU time per scene of ``write_dataset`` with 3 views (scene, 40k-point cloud, 3 views as PNG,
  language), their projections to 200 scenes, and the CPU time's ratio over the render peer.
Each render time is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import timeit
from pathlib import Path

import numpy as np
import open3d as o3d

from sim.dataset import DatasetConfig, write_dataset
from sim.scene import SceneConfig, generate_scene
from sim.sensors import RGBDCamera, SceneRaycaster, look_at_pose, walk_trajectory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="best of this many renders")
    parser.add_argument("--scenes", type=int, default=6, help="scenes written for the dataset timing")
    parser.add_argument("--workers", type=int, default=1, help="worker processes for the dataset timing")
    args = parser.parse_args()

    scene = generate_scene(SceneConfig(min_objects=30, max_objects=30), 5)
    pose = walk_trajectory(scene, 1, np.random.default_rng(0))[0]
    T = look_at_pose(pose.position, pose.look_at)
    camera, raycaster = RGBDCamera(), SceneRaycaster(scene.mesh, nthreads=1)
    rng = np.random.default_rng(0)
    render_ms = 1e3 * min(timeit.repeat(lambda: camera.render(raycaster, T, rng), number=1, repeat=args.repeat))

    bare = o3d.t.geometry.RaycastingScene()
    bare.add_triangles(o3d.core.Tensor.from_numpy(scene.mesh.vertices),
                       o3d.core.Tensor.from_numpy(scene.mesh.triangles.astype(np.uint32)))
    K = o3d.core.Tensor(camera.intrinsics.K)
    extrinsic = o3d.core.Tensor(np.linalg.inv(T))
    w, h = camera.intrinsics.width, camera.intrinsics.height

    def peer() -> None:
        rays = o3d.t.geometry.RaycastingScene.create_rays_pinhole(K, extrinsic, w, h)
        bare.cast_rays(rays, nthreads=1)

    peer_ms = 1e3 * min(timeit.repeat(peer, number=1, repeat=args.repeat))
    print(f"render 640x480 RGB-D, {len(scene.objects)} objects, 1 thread: {render_ms:.1f} ms "
          f"(bare open3d cast_rays {peer_ms:.1f} ms, ratio {render_ms / peer_ms:.2f})")

    with tempfile.TemporaryDirectory() as tmp:
        start, cpu0 = time.perf_counter(), _cpu_s()
        write_dataset(Path(tmp) / "ds", DatasetConfig(scenes=args.scenes, seed=0, views=3, workers=args.workers),
                      progress=False)
        per_scene = (time.perf_counter() - start) / args.scenes
        cpu_per_scene = (_cpu_s() - cpu0) / args.scenes
    # CPU seconds (this process and its workers) do not depend on how busy the shared machine is; two free
    # cores finish 200 scenes in about 200 * cpu / 2.
    print(f"dataset, 3 views/scene, {args.workers} worker(s): {per_scene:.2f} s/scene wall, {cpu_per_scene:.2f} "
          f"CPU s/scene; 200 scenes ~ {200 * per_scene / 60:.1f} min at this load, ~ "
          f"{200 * cpu_per_scene / 2 / 60:.1f} min on 2 free cores (ratio over one bare cast "
          f"{1e3 * cpu_per_scene / peer_ms:.0f})")


def _cpu_s() -> float:
    """User + system CPU seconds of this process and its finished children."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


if __name__ == "__main__":
    main()
