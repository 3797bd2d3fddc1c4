"""``python -m grounding.training.report``: oracle-proposal accuracy of a checkpoint on one split, as JSON.

The training-time figures (by relation kind and question type); ``ground3d eval`` gives the full set.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict

import torch

from grounding.model.checkpoint import default_checkpoint_dir, load_model
from grounding.model.grounding_model import GroundingModel
from grounding.training.data import PreparedDataset, prepare_dataset
from grounding.training.text_bank import TextBank
from grounding.training.validate import evaluate_split


@torch.no_grad()
def query_latency_ms(model: GroundingModel, data: PreparedDataset, split: str, repeats: int = 20) -> dict[str, float]:
    """Median milliseconds of one query on a cached scene: text encoder + text side, and the text side alone.

    The scene is the first of ``split`` with its first query's view, encoded once beforehand.
    """
    items = data.queries[split]
    scene = model.encode_scene(data.scenes[items[0].scene_id].scene, items[0].view)
    texts = [q.text for q in items if q.scene_id == items[0].scene_id][:repeats]
    full, side = [], []
    for text in texts:
        t0 = time.perf_counter()
        encoded = model.encode_text([text])
        t1 = time.perf_counter()
        model.query(encoded, scene)
        t2 = time.perf_counter()
        full.append(t2 - t0)
        side.append(t2 - t1)
    return {"with_text_encoder": 1e3 * statistics.median(full), "text_side_only": 1e3 * statistics.median(side)}


def main(argv: list[str] | None = None) -> int:
    """Print the SplitMetrics of ``--checkpoint`` on ``--split`` of ``--data`` as one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m grounding.training.report", description=__doc__)
    parser.add_argument("--data", required=True, help="dataset folder (format v1)")
    parser.add_argument("--checkpoint", default=str(default_checkpoint_dir()), help="checkpoint folder")
    parser.add_argument("--split", default="test", help="split to score (default test)")
    parser.add_argument("--cache-dir", default="/tmp/ground3d-cache", help="text encoding cache")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--latency-only", action="store_true", help="measure query latency only, no accuracy")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    model = load_model(args.checkpoint)
    data = prepare_dataset(args.data, [args.split])
    if args.latency_only:
        latency = {"fusion": model.config.fusion, "query_latency_ms": query_latency_ms(model, data, args.split)}
        json.dump(latency, sys.stdout, indent=1)
        print()
        return 0
    bank = TextBank.build(
        model.text_encoder, [q.text for q in data.queries[args.split]], args.cache_dir, progress=False
    )
    metrics = evaluate_split(model, data, args.split, bank)
    out = {
        "checkpoint": args.checkpoint,
        "split": args.split,
        "fusion": model.config.fusion,
        **asdict(metrics),
        "query_latency_ms": query_latency_ms(model, data, args.split),
        "seconds": round(time.perf_counter() - start, 1),
    }
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
