"""``python -m grounding.training.report``: oracle-proposal accuracy of a checkpoint on one split, as JSON.

The training-time figures (by relation kind and question type); ``ground3d eval`` gives the full set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict

import torch

from grounding.model.checkpoint import default_checkpoint_dir, load_model
from grounding.training.data import prepare_dataset
from grounding.training.text_bank import TextBank
from grounding.training.validate import evaluate_split


def main(argv: list[str] | None = None) -> int:
    """Print the SplitMetrics of ``--checkpoint`` on ``--split`` of ``--data`` as one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m grounding.training.report", description=__doc__)
    parser.add_argument("--data", required=True, help="dataset folder (format v1)")
    parser.add_argument("--checkpoint", default=str(default_checkpoint_dir()), help="checkpoint folder")
    parser.add_argument("--split", default="test", help="split to score (default test)")
    parser.add_argument("--cache-dir", default="/tmp/ground3d-cache", help="text encoding cache")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    model = load_model(args.checkpoint)
    data = prepare_dataset(args.data, [args.split])
    bank = TextBank.build(
        model.text_encoder, [q.text for q in data.queries[args.split]], args.cache_dir, progress=False
    )
    metrics = evaluate_split(model, data, args.split, bank)
    out = {
        "checkpoint": args.checkpoint,
        "split": args.split,
        "fusion": model.config.fusion,
        **asdict(metrics),
        "seconds": round(time.perf_counter() - start, 1),
    }
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
