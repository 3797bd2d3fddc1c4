"""Where proposal extraction spends its time, step by step, under cProfile: by default over the replay bench's
drive (seed 3, 60 frames at 1 Hz, the perception node's map settings, through ``ScenePerception.update``);
with ``--frame``, on the preprocess bench's one LiDAR scan or RGB-D frame (``extract_proposals``, repeated).

    python -m bench.profile_extraction [--seed 3] [--seconds 60]
    python -m bench.profile_extraction --frame lidar|rgbd [--repeats 10]

Steps nest (the colour split runs inside clustering, DBSCAN inside both), so the shares do not add up to 100 %.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

from ros_nodes.blas_threads import default_blas_threads

STEPS: tuple[tuple[str, str, str], ...] = (
    ("whole extraction", "incremental.py", "extract"),
    ("  voxel downsample", "preprocess.py", "downsample"),
    ("  walls and ground (RANSAC)", "planes.py", "dominant_planes"),
    ("  statistical outliers (open3d)", "preprocess.py", "outlier_mask"),
    ("  normals (open3d)", "preprocess.py", "estimate_normals"),
    ("  support search", "planes.py", "support_planes"),
    ("  clustering and proposal rules", "proposals.py", "_cluster"),
    ("    neighbour pairs (cKDTree)", "clustering.py", "neighbour_pairs"),
    ("    DBSCAN on the pairs", "clustering.py", "dbscan"),
    ("    colour split", "clustering.py", "split_by_color"),
    ("  proposals from clusters", "proposals.py", "describe_clusters"),
    ("  incremental bookkeeping: voxel lookup", "incremental.py", "_lookup"),
    ("map fusion (not extraction)", "fusion.py", "integrate"),
)
"""(label, file the function is in (or "~" for a built-in), function name) of each step reported."""


FRAME_STEPS: tuple[tuple[str, str, str], ...] = (
    ("whole extraction", "proposals.py", "extract_proposals"),
    *(step for step in STEPS[1:] if step[1] not in ("incremental.py", "fusion.py")),
)
"""The steps of one frame's ``extract_proposals``: the map's bookkeeping and fusion left out."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=3, help="bag drive seed (3: the replay bench's)")
    parser.add_argument("--seconds", type=float, default=60.0, help="drive length, seconds")
    parser.add_argument("--frame", choices=("lidar", "rgbd"), default=None,
                        help="profile one frame of the preprocess bench instead of the drive")
    parser.add_argument("--repeats", type=int, default=10, help="extractions of the --frame")
    args = parser.parse_args(argv)
    default_blas_threads()  # as the ground3d command does, before numpy is imported
    if args.frame is None:
        _profile_drive(args.seed, args.seconds)
    else:
        _profile_frame(args.frame, max(1, args.repeats))


def _profile_drive(seed: int, seconds: float) -> None:
    from bench.cases_map import _drive
    from perception.geometry.depth_filter import DepthDenoiseConfig
    from perception.geometry.fusion import SceneMapConfig
    from perception.pipeline import ScenePerception, ScenePerceptionConfig
    from ros_nodes.session_factory import make_sessions

    frames, _ = _drive(seed, seconds)
    node = make_sessions()[0].config
    perception = ScenePerception(ScenePerceptionConfig(
        fusion=SceneMapConfig(method=node.fusion_method, voxel_size=node.fusion_voxel_size,
                              denoise=DepthDenoiseConfig(enabled=node.depth_denoise)),
        proposal_every=node.proposal_every, min_map_growth=node.min_map_growth))
    profile = cProfile.Profile()
    profile.enable()
    for frame in frames:
        perception.update(frame)
    profile.disable()
    print(f"drive seed {seed}: {len(frames)} frames, {perception.num_extractions} extractions "
          f"({perception.extractor.num_full} of the whole map); times under cProfile, which slows Python-level "
          "code more than the C steps")
    _report(profile, STEPS, "seconds", 1.0)


def _profile_frame(which: str, repeats: int) -> None:
    from bench.cases_geometry import preprocess_inputs
    from perception.geometry import extract_proposals

    label, cloud, _ = preprocess_inputs(quick=False)[0 if which == "lidar" else 1]
    extract_proposals(cloud)  # warm-up: imports and first-call caches stay out of the profile
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(repeats):
        extract_proposals(cloud)
    profile.disable()
    print(f"{label}: {len(cloud)} points, {repeats} extractions; milliseconds per extraction under cProfile, which "
          "slows Python-level code more than the C steps")
    _report(profile, FRAME_STEPS, "ms", 1e3 / repeats)


def _report(profile: cProfile.Profile, steps: tuple[tuple[str, str, str], ...], unit: str, scale: float) -> None:
    """One line per step: its cumulative time times ``scale``, and its share of the first step's."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    cumulative: dict[tuple[str, str], float] = {}
    for (path, _, name), (_, _, _, cum, _) in stats.items():
        key = (path.rsplit("/", 1)[-1], name)
        cumulative[key] = cumulative.get(key, 0.0) + cum
    total = cumulative.get(steps[0][1:], 0.0)
    print(f"{'step':44} {unit:>8} {'of extraction':>14}")
    for label, path, name in steps:
        seconds = cumulative.get((path, name), 0.0)
        print(f"{label:44} {seconds * scale:8.2f} {seconds / max(total, 1e-9):14.0%}")


if __name__ == "__main__":
    main()
