"""``ground3d sim``: write a dataset, a bag or a preview picture from the simulator.

    ground3d sim --out DIR --scenes N --seed S [--views K]
    ground3d sim --bag OUT --format mcap|sqlite3 [--seconds T]
    ground3d sim --language DIR
    ground3d sim --preview OUT.png
"""

from __future__ import annotations

import argparse

HELP = "generate a dataset, a bag or a preview picture from the simulator"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--out", help="write a format-v1 dataset to this folder")
    what.add_argument("--bag", help="write a rosbag2 of a robot driving through one scene to this path")
    what.add_argument("--language", metavar="DIR",
                      help="(re)write refer.json and qa.json of an existing dataset from its files")
    what.add_argument("--preview", help="write a PNG picture of one scene, its camera view and expressions")
    parser.add_argument("--scenes", type=int, default=10, help="scenes in the dataset (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    parser.add_argument("--views", type=int, default=0, help="RGB-D views per scene along a trajectory")
    parser.add_argument("--width", type=int, help="image width (default 640 for views, 320 for bags)")
    parser.add_argument("--height", type=int, help="image height (default 480 for views, 240 for bags)")
    parser.add_argument("--points", type=int, default=40000, help="points per scene.npz")
    parser.add_argument("--min-objects", type=int, default=5, help="fewest objects per scene")
    parser.add_argument("--max-objects", type=int, default=40, help="most objects per scene")
    parser.add_argument("--workers", type=int, default=1, help="worker processes for --out")
    parser.add_argument("--format", choices=("mcap", "sqlite3"), default="mcap", help="bag storage (--bag)")
    parser.add_argument("--seconds", type=float, default=5.0, help="bag duration in seconds (--bag)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from sim.errors import SimError
    from sim.scene.scene import SceneConfig
    from sim.sensors.camera import RGBDCameraConfig

    try:
        scene_cfg = SceneConfig(min_objects=args.min_objects, max_objects=args.max_objects,
                                points_per_scene=args.points)
        def camera_cfg(width: int, height: int) -> RGBDCameraConfig:
            return RGBDCameraConfig(width=args.width or width, height=args.height or height)

        if args.out:
            from sim.dataset.writer import DatasetConfig, write_dataset

            summary = write_dataset(args.out, DatasetConfig(
                scenes=args.scenes, seed=args.seed, views=args.views, workers=args.workers, scene=scene_cfg,
                camera=camera_cfg(640, 480)), progress=not args.no_progress)
            counts = ", ".join(f"{k} {len(v)}" for k, v in summary.splits.items())
            print(f"wrote {summary.root}: scenes {counts}; {summary.n_expressions} expressions, "
                  f"{summary.n_questions} questions; held-out pairs {summary.held_out_pairs}")
        elif args.language:
            from sim.dataset.writer import write_language

            n_refer, n_qa = write_language(args.language, progress=not args.no_progress)
            print(f"wrote {args.language}: {n_refer} expressions, {n_qa} questions")
        elif args.bag:
            from sim.bag.writer import BagConfig, write_bag

            info = write_bag(args.bag, BagConfig(seconds=args.seconds, storage=args.format, seed=args.seed,
                                                 scene=scene_cfg, camera=camera_cfg(320, 240)))
            print(f"wrote {info.path}: " + ", ".join(f"{t} {n}" for t, n in info.counts.items()))
        else:
            from sim.preview import write_preview

            print(f"wrote {write_preview(args.preview, seed=args.seed, scene_config=scene_cfg)}")
    except SimError as exc:
        print(f"ground3d sim: {exc}")
        return 2
    return 0
