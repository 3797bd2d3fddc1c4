"""``ground3d eval``: evaluate a grounding checkpoint on a dataset split and print the figures (or JSON)."""

from __future__ import annotations

import argparse

HELP = "evaluate a grounding checkpoint on a dataset"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``ground3d eval``."""
    parser.add_argument("--data", required=True, help="dataset folder (format v1)")
    parser.add_argument(
        "--checkpoint", default=None, help="checkpoint folder (or its model.safetensors); default: the shipped one"
    )
    parser.add_argument(
        "--proposals",
        default="oracle",
        choices=["oracle", "predicted", "views"],
        help="ground-truth instances, perception's proposals on the full-scene cloud, or on the scene's RGB-D "
        "views fused as on a robot",
    )
    parser.add_argument("--split", default="test", help="dataset split to evaluate (default test)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--max-scenes", type=int, default=0, help="evaluate at most this many scenes (0: all)")
    parser.add_argument("--int8", action="store_true", help="run the model with dynamic int8 Linear layers")
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="first fit temperature and thresholds on the val split and write calibration.json "
        "beside the checkpoint's weights",
    )
    parser.add_argument("--latency-queries", type=int, default=50, help="queries timed one by one for latency")
    parser.add_argument("--device", default="cpu", help="torch device")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch CPU threads (0: torch's default); 1 avoids thread contention on a busy machine",
    )
    parser.add_argument(
        "--reliability-png",
        default=None,
        help="also write a reliability diagram (T = 1 and the checkpoint's T) of the split to this PNG",
    )


def run(args: argparse.Namespace) -> int:
    """Evaluate; returns 0, or 2 on bad input (message on stderr)."""
    import json
    import sys

    from grounding.calibration.params import calibration_path
    from grounding.engine.engine import EngineConfig, SceneQueryEngine, resolve_checkpoint
    from grounding.errors import GroundingError
    from grounding.evaluation.report_text import format_report
    from grounding.evaluation.runner import EvalConfig, calibrate_engine, collect, report
    from perception.dataset import DatasetError

    if args.threads > 0:
        import torch

        torch.set_num_threads(args.threads)
    try:
        folder = resolve_checkpoint(args.checkpoint)
        config = EvalConfig(
            split=args.split, proposals=args.proposals, max_scenes=args.max_scenes, latency_queries=args.latency_queries
        )
        engine = SceneQueryEngine.from_checkpoint(folder, EngineConfig(device=args.device, int8=args.int8))
        if args.calibrate:
            rep = calibrate_engine(engine, args.data, "val", args.max_scenes)
            path = rep.params.save(calibration_path(folder))
            print(
                f"calibration: T={rep.params.temperature:.3f} not_found<{rep.params.not_found_threshold:.3f} "
                f"ambiguity margin {rep.params.ambiguity_margin:.3f}; ECE {rep.ece_before:.3f} -> "
                f"{rep.ece_after:.3f}; written to {path}",
                file=sys.stderr,
            )
        collected = collect(engine, args.data, config)
        result = report(engine, collected, config, checkpoint=str(folder))
        if args.reliability_png and collected.logits:
            from grounding.calibration.plot import plot_reliability

            plot_reliability(collected.logits, collected.targets, engine.calibration.temperature, args.reliability_png)
    except (GroundingError, DatasetError) as exc:
        print(f"ground3d eval: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result) if args.json else format_report(result))
    return 0
