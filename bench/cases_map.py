"""A growing map's proposals: region-incremental (``IncrementalExtractor``) against whole-map extraction on
every update, over two sim drives (one the replay bench's bag: the same scene and path), one frame a second.

Both run the same frames through ``ScenePerception.update`` with the perception node's map settings; the
row's ratio is the whole-map extraction time over the incremental one, measured in the same run. Quality is
reported beside it: recall of the scene's objects by the proposals of every update (IoU of the oriented
boxes), and how many of the last whole-map proposals the last incremental result matches.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.harness import Row

SEEDS = (3, 5)
"""Scenes and paths of the drives: 3 is ``bench.cases_ros.replay``'s bag, 5 a second room."""


def _drive(seed: int, seconds: float) -> tuple[list, list]:
    """RGB-D frames of the bag drive of ``seed`` at 1 Hz (its camera's 10 Hz thinned as the node's
    ``update_period_s`` of 1 s does), and the scene's object boxes."""
    from perception import Box3D
    from sim.bag import BagConfig
    from sim.scene.scene import generate_scene
    from sim.sensors.camera import RGBDCamera
    from sim.sensors.raycaster import SceneRaycaster
    from sim.sensors.trajectory import look_at_pose, walk_trajectory

    cfg = BagConfig(seconds=seconds, rate_hz=10.0, seed=seed)
    scene = generate_scene(cfg.scene, cfg.seed, f"bag{cfg.seed:04d}")
    raycaster, camera = SceneRaycaster(scene.mesh), RGBDCamera(cfg.camera)
    rng = np.random.default_rng([cfg.seed, 5])
    frames = []
    for i, pose in enumerate(walk_trajectory(scene, cfg.frames, rng, cfg.trajectory)):
        render = camera.render(raycaster, look_at_pose(pose.position, pose.look_at), rng)
        if i % 10 == 0:
            frames.append(render.to_frame(stamp_ns=i * 100_000_000))
    boxes = [Box3D(center=o.center, size=o.size, yaw=o.yaw) for o in scene.objects]
    return frames, boxes


def incremental(quick: bool) -> list[Row]:
    """``update`` over each drive with ``IncrementalConfig()`` (ours) and with it disabled (peer)."""
    from perception.geometry.depth_filter import DepthDenoiseConfig
    from perception.geometry.fusion import SceneMapConfig
    from perception.geometry.incremental import IncrementalConfig
    from perception.pipeline import ScenePerception, ScenePerceptionConfig
    from ros_nodes.session_factory import make_sessions

    node = make_sessions()[0].config  # config/ground3d.yaml's perception_node: the map the replay row builds
    rows = []
    for seed in SEEDS[:1] if quick else SEEDS:
        frames, boxes = _drive(seed, 10.0 if quick else 60.0)
        runs = {}
        for name, enabled in (("incremental", True), ("whole map", False)):
            perception = ScenePerception(ScenePerceptionConfig(
                fusion=SceneMapConfig(method=node.fusion_method, voxel_size=node.fusion_voxel_size,
                                      denoise=DepthDenoiseConfig(enabled=node.depth_denoise)),
                proposal_every=node.proposal_every, min_map_growth=node.min_map_growth,
                incremental=IncrementalConfig(enabled=enabled)))
            found, last, calls = 0, None, []
            for frame in frames:
                before, spent, full = perception.num_extractions, perception.extraction_s, perception.extractor.num_full
                last = perception.update(frame)
                if perception.num_extractions > before:
                    found += sum(max((b.iou(p.obb) for p in last.proposals), default=0.0) >= 0.25 for b in boxes)
                    calls.append((perception.extractor.num_full > full, perception.extraction_s - spent,
                                  perception.extractor.region_fraction))
            assert last is not None
            runs[name] = (perception, found, last.proposals, calls)
        rows.append(_row(seed, len(frames), runs))
    return rows


Run = tuple[Any, int, list[Any], list[tuple[bool, float, float]]]
"""One way over a drive: its ScenePerception, objects recalled, last proposals, and per extraction (whole map,
seconds, fraction of the map cut)."""


def _row(seed: int, num_frames: int, runs: dict[str, Run]) -> Row:
    """The row of one drive from its incremental and whole-map ``runs``."""
    ours, found_ours, last_ours, calls = runs["incremental"]
    peer, found_peer, last_peer, peer_calls = runs["whole map"]
    # The whole-map calls on the finished map (the last third of the drive) give what one costs on the room.
    late = [seconds for _, seconds, _ in peer_calls[2 * len(peer_calls) // 3:]]
    regional = [(seconds, fraction) for full, seconds, fraction in calls if not full]
    regional_s = [seconds for seconds, _ in regional] or [0.0]
    fractions = [fraction for _, fraction in regional] or [0.0]
    speedup = peer.extraction_s / max(ours.extraction_s, 1e-9)
    matched = sum(max((w.aabb.iou(p.aabb) for p in last_ours), default=0.0) >= 0.5 for w in last_peer)
    updates, every = ours.num_extractions, ours.config.incremental.full_every
    scheduled = (updates - 1) // every + 1
    return Row(
        case=f"map proposals over the drive of bag seed {seed} ({num_frames} frames, {updates} updates, "
             f"{len(ours.map.cloud())} map points)",
        ours=f"{ours.extraction_s:.2f} s incremental",
        peer=f"whole map every update {peer.extraction_s:.2f} s",
        ratio=speedup,
        ratio_text=f"{speedup:.2f}x faster",
        goal="report (replay >= 10x real time)",
        met=None,
        note=f"{ours.extractor.num_full} of {updates} updates extracted the whole map ({scheduled} scheduled, "
             f"full_every {every}); objects recalled at IoU 0.25, summed "
             f"over the updates: {found_ours} incremental, {found_peer} whole map; the last incremental result "
             f"matches {matched} of the last whole-map result's {len(last_peer)} proposals at IoU 0.5 "
             f"(it has {len(last_ours)}); a regional update cut {min(fractions):.0%} to {max(fractions):.0%} of the "
             f"map (median {np.median(fractions):.0%}) in {np.median(regional_s):.2f} s median; a whole-map "
             f"extraction of the finished room took {min(late):.2f} to {max(late):.2f} s",
        numbers={"speedup": speedup, "incremental_s": ours.extraction_s, "whole_map_s": peer.extraction_s,
                 "updates": float(updates), "full_extractions": float(ours.extractor.num_full),
                 "recalled_incremental": float(found_ours), "recalled_whole_map": float(found_peer),
                 "last_matched": float(matched), "last_whole_map": float(len(last_peer)),
                 "regional_fraction_min": min(fractions), "regional_fraction_max": max(fractions),
                 "regional_s_median": float(np.median(regional_s)), "whole_map_late_s_min": min(late),
                 "whole_map_late_s_max": max(late)},
    )
