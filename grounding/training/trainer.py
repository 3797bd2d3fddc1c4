"""train(): the training loop behind ``ground3d train``, on one process or several through torchrun (gloo DDP)."""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from grounding.errors import CheckpointError
from grounding.model.checkpoint import WEIGHTS_FILE, load_state_into, load_weights, read_config, save_model
from grounding.model.grounding_model import GroundingModel, build_model
from grounding.training.batches import QueryGroup, group_queries, make_step_batch
from grounding.training.config import TrainConfig
from grounding.training.data import PreparedDataset, prepare_dataset
from grounding.training.state import STATE_FILE, load_training_state, save_training_state
from grounding.training.step import TrainingStep
from grounding.training.text_bank import TextBank
from grounding.training.validate import SplitMetrics, evaluate_split

LOG_FILE = "train_log.jsonl"


@dataclass
class TrainResult:
    """What a finished run reports."""

    out_dir: Path
    """Checkpoint folder (model.safetensors, config.json, training_state.safetensors, train_log.jsonl)."""
    steps: int
    """Optimizer steps taken in total (across resumes)."""
    seconds: float
    """Wall-clock seconds of this invocation (data preparation included)."""
    best_val: SplitMetrics | None
    """Validation metrics of the saved model (None without a val split)."""


def _dist_info() -> tuple[int, int, bool]:
    """(rank, world size, whether this call initialised the process group)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("gloo")
        return dist.get_rank(), world, True
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size(), False
    return 0, 1, False


def _barrier(world: int) -> None:
    if world > 1:
        dist.barrier()


def _lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warm-up, then cosine decay to 5% of the peak."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))


def _optimizer(model: GroundingModel, config: TrainConfig) -> torch.optim.Optimizer:
    text = [p for p in model.text_encoder.parameters() if p.requires_grad]
    text_ids = {id(p) for p in text}
    rest = [p for p in model.parameters() if p.requires_grad and id(p) not in text_ids]
    groups: list[dict[str, Any]] = [{"params": rest, "lr": config.lr, "base_lr": config.lr}]
    if text:
        groups.append({"params": text, "lr": config.text_lr, "base_lr": config.text_lr})
    return torch.optim.AdamW(groups, weight_decay=config.weight_decay)


def _init_from(model: GroundingModel, ckpt_dir: Path) -> None:
    """Load a checkpoint's weights into ``model``; its answer vocabulary must be the model's, index for index."""
    vocab = read_config(ckpt_dir)["answer_vocab"]
    if list(vocab) != list(model.answer_vocab):
        raise CheckpointError(
            f"init_checkpoint {ckpt_dir}: expected this dataset's answer vocabulary ({len(model.answer_vocab)} "
            f"answers), got a different one ({len(vocab)} answers)"
        )
    load_state_into(model, load_weights(ckpt_dir / WEIGHTS_FILE), str(ckpt_dir))


def _sample_groups(groups: list[QueryGroup], k: int, rng: np.random.Generator) -> list[QueryGroup]:
    out = []
    for g in groups:
        pick = rng.choice(len(g.items), size=min(k, len(g.items)), replace=False)
        out.append(QueryGroup(g.scene_id, g.view, [g.items[i] for i in sorted(pick)]))
    return out


def build_text_bank(
    model: GroundingModel, data: PreparedDataset, config: TrainConfig, rank: int, world: int, progress: bool
) -> TextBank | None:
    """The precomputed text encodings of every query (None when the text encoder fine-tunes)."""
    if not model.text_encoder.frozen:
        return None
    texts = [q.text for items in data.queries.values() for q in items]
    cache = config.cache_dir or None
    if cache is not None and world > 1:
        # Rank 0 encodes and writes the cache; the others then read it instead of encoding again.
        if rank == 0:
            TextBank.build(model.text_encoder, texts, cache, progress=progress)
        _barrier(world)
    return TextBank.build(model.text_encoder, texts, cache, progress=progress and rank == 0)


def train(
    data_dir: str | Path,
    out_dir: str | Path,
    config: TrainConfig | None = None,
    resume: bool = True,
    progress: bool = True,
    metadata: dict[str, Any] | None = None,
) -> TrainResult:
    """Train on the train split, keep the best model on val in ``out_dir``; resume from ``out_dir`` if possible.

    Run it under ``torchrun --nproc_per_node K`` for K processes: each takes every K-th (scene, view)
    group of a shared shuffle, and gradients are averaged by DistributedDataParallel over gloo.
    """
    start = time.perf_counter()
    config = config or TrainConfig()
    rank, world, owns_group = _dist_info()
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    out = Path(out_dir)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    data = prepare_dataset(data_dir, ["train", "val"], seed=config.seed)
    model = build_model(config.model, data.answer_vocab)
    bank = build_text_bank(model, data, config, rank, world, progress)
    optimizer = _optimizer(model, config)
    counters: dict[str, Any] = {"epoch": 0, "step": 0, "best_score": -1.0, "best_val": None}
    if resume and (out / STATE_FILE).is_file():
        counters = load_training_state(out / STATE_FILE, model, optimizer)
    elif config.init_checkpoint:
        _init_from(model, Path(config.init_checkpoint))
    step_module = TrainingStep(model, config.loss)
    runner: torch.nn.Module = (
        DistributedDataParallel(step_module, find_unused_parameters=True) if world > 1 else step_module
    )
    groups = group_queries(data.queries.get("train", []))
    steps_per_epoch = max(1, len(groups) // (world * config.pairs_per_step))
    total_steps = config.epochs * steps_per_epoch
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)
    log = (out / LOG_FILE).open("a") if rank == 0 else None
    model.train()
    epoch, step = int(counters["epoch"]), int(counters["step"])
    try:
        while epoch < config.epochs and step < total_steps:
            order = np.random.default_rng([config.seed, epoch]).permutation(len(groups))
            mine = [groups[i] for i in order[rank::world]]
            bar = tqdm(
                range(steps_per_epoch),
                desc=f"epoch {epoch + 1}/{config.epochs}",
                disable=not progress or rank != 0,
                leave=False,
            )
            for i in bar:
                if step >= total_steps:
                    break
                rng = np.random.default_rng([config.seed, epoch, rank, i])
                chosen = _sample_groups(
                    mine[i * config.pairs_per_step : (i + 1) * config.pairs_per_step], config.queries_per_pair, rng
                )
                texts = [q.text for g in chosen for q in g.items]
                batch = make_step_batch(model, data, chosen, bank.lookup(texts) if bank else None, rng, config.augment)
                factor = _lr_factor(step, total_steps, config.warmup_steps)
                for group in optimizer.param_groups:
                    group["lr"] = group["base_lr"] * factor
                terms = runner(batch)
                optimizer.zero_grad(set_to_none=True)
                terms.total.backward()
                if config.grad_clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
                step += 1
                losses = terms.as_floats()
                bar.set_postfix(
                    loss=f"{losses['total']:.3f}", ground=f"{losses['grounding']:.3f}", qa=f"{losses['answer']:.3f}"
                )
                if log is not None:
                    entry = {"epoch": epoch, "step": step, "world": world, "lr": config.lr * factor, **losses}
                    log.write(json.dumps(entry) + "\n")
                    log.flush()
            epoch += 1
            last = epoch >= config.epochs or step >= total_steps
            if rank == 0 and (epoch % config.val_every == 0 or last):
                counters = _validate_and_keep(
                    model, data, bank, out, config, counters, epoch, step, start, metadata, log
                )
            counters.update(epoch=epoch, step=step)
            if rank == 0:
                save_training_state(out / STATE_FILE, model, optimizer, counters)
            _barrier(world)
    finally:
        if log is not None:
            log.close()
        if owns_group:
            dist.destroy_process_group()
    best = counters.get("best_val")
    return TrainResult(out, step, time.perf_counter() - start, SplitMetrics(**best) if best else None)


def _validate_and_keep(
    model: GroundingModel,
    data: PreparedDataset,
    bank: TextBank | None,
    out: Path,
    config: TrainConfig,
    counters: dict[str, Any],
    epoch: int,
    step: int,
    start: float,
    metadata: dict[str, Any] | None,
    log: Any,
) -> dict[str, Any]:
    """Validate on val (or keep the latest model without a val split); save the model when it is the best."""
    has_val = bool(data.queries.get("val"))
    metrics = evaluate_split(model, data, "val", bank) if has_val else None
    score = metrics.selection_score if metrics else float(epoch)
    if log is not None and metrics is not None:
        log.write(json.dumps({"epoch": epoch, "step": step, "val": asdict(metrics)}) + "\n")
        log.flush()
        tqdm.write(f"epoch {epoch}: val grounding {metrics.grounding_accuracy:.3f} qa {metrics.qa_em1:.3f}")
    counters = dict(counters)
    if score > float(counters.get("best_score", -1.0)):
        counters["best_score"] = score
        counters["best_val"] = asdict(metrics) if metrics else None
        meta = {
            "epoch": epoch,
            "step": step,
            "seed": config.seed,
            "train_config": config.to_dict(),
            "val": asdict(metrics) if metrics else None,
            "train_seconds_so_far": time.perf_counter() - start,
            **(metadata or {}),
        }
        save_model(model, out, metadata=meta)
    return counters
