"""Where a growing map's proposal extraction spends its time: the replay bench's drive (seed 3, 60 frames at
1 Hz, the perception node's map settings) through ``ScenePerception.update`` under cProfile, reported as the
cumulative time of each step of the chain.

    python -m bench.profile_extraction [--seed 3] [--seconds 60]

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=3, help="bag drive seed (3: the replay bench's)")
    parser.add_argument("--seconds", type=float, default=60.0, help="drive length, seconds")
    args = parser.parse_args(argv)
    default_blas_threads()  # as the ground3d command does, before numpy is imported

    from bench.cases_map import _drive
    from perception.geometry.depth_filter import DepthDenoiseConfig
    from perception.geometry.fusion import SceneMapConfig
    from perception.pipeline import ScenePerception, ScenePerceptionConfig
    from ros_nodes.session_factory import make_sessions

    frames, _ = _drive(args.seed, args.seconds)
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

    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    cumulative: dict[tuple[str, str], float] = {}
    for (path, _, name), (_, _, _, cum, _) in stats.items():
        key = (path.rsplit("/", 1)[-1], name)
        cumulative[key] = cumulative.get(key, 0.0) + cum
    total = cumulative.get(("incremental.py", "extract"), 0.0)
    print(f"drive seed {args.seed}: {len(frames)} frames, {perception.num_extractions} extractions "
          f"({perception.extractor.num_full} of the whole map); times under cProfile, which slows Python-level "
          "code more than the C steps")
    print(f"{'step':44} {'seconds':>8} {'of extraction':>14}")
    for label, path, name in STEPS:
        seconds = cumulative.get((path, name), 0.0)
        print(f"{label:44} {seconds:8.2f} {seconds / max(total, 1e-9):14.0%}")


if __name__ == "__main__":
    main()
