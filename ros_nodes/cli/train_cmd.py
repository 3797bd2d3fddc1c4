"""``ground3d train``: train the grounding model on a dataset (format v1); runs under torchrun for DDP."""

from __future__ import annotations

import argparse

HELP = "train the grounding model on a dataset"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``ground3d train``."""
    parser.add_argument(
        "--data", required=True, help="dataset folder (format v1: dataset.json, scenes/, refer.json, qa.json)"
    )
    parser.add_argument("--out", required=True, help="checkpoint folder to write (and resume from)")
    parser.add_argument("--config", default=None, help="YAML file of TrainConfig overrides")
    parser.add_argument(
        "--fusion", default=None, choices=["late", "early", "cross_attention"], help="override model.fusion"
    )
    parser.add_argument("--epochs", type=int, default=None, help="override epochs")
    parser.add_argument("--seed", type=int, default=None, help="override seed")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (smoke runs)")
    parser.add_argument("--no-resume", action="store_true", help="start afresh even if --out holds a training state")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    """Train; print where the checkpoint is and its validation figures. Returns 0, or 2 on bad input."""
    import sys
    from dataclasses import replace

    from grounding.errors import GroundingError
    from grounding.training import TrainConfig, train
    from perception.dataset import DatasetError

    try:
        config = TrainConfig.from_yaml(args.config) if args.config else TrainConfig()
        overrides = {
            k: v
            for k, v in (("epochs", args.epochs), ("seed", args.seed), ("max_steps", args.max_steps))
            if v is not None
        }
        if args.fusion:
            overrides["model"] = replace(config.model, fusion=args.fusion)
        config = replace(config, **overrides)
        command = "ground3d " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["train"] else "ground3d train"
        result = train(
            args.data,
            args.out,
            config,
            resume=not args.no_resume,
            progress=not args.no_progress,
            metadata={"command": command},
        )
    except (GroundingError, DatasetError) as exc:
        print(f"ground3d train: {exc}", file=sys.stderr)
        return 2
    import os

    if int(os.environ.get("RANK", "0")) != 0:
        return 0
    print(f"checkpoint: {result.out_dir}  steps: {result.steps}  seconds: {result.seconds:.1f}")
    if result.best_val is not None:
        v = result.best_val
        print(
            f"val: grounding {v.grounding_accuracy:.3f}  qa EM@1 {v.qa_em1:.3f}  absent->not found "
            f"{v.absent_not_found:.3f}  present->not found {v.present_not_found:.3f}  ambiguous split "
            f"{v.ambiguous_split:.3f}"
        )
    return 0
