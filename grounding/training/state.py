"""Resumable training state in one safetensors file: model weights, AdamW moments and counters.

Tensors only (no pickle): optimizer moments become ``optim.<param name>.<key>`` tensors, and the
counters and hyper-parameters go to the file's string metadata as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from grounding.errors import CheckpointError
from grounding.model.checkpoint import load_state_into, load_weights, stored_state
from grounding.model.grounding_model import GroundingModel

STATE_FILE = "training_state.safetensors"


def _named_params(model: GroundingModel) -> list[tuple[str, torch.nn.Parameter]]:
    return [(n, p) for n, p in model.named_parameters() if p.requires_grad]


def save_training_state(
    path: str | Path, model: GroundingModel, optimizer: torch.optim.Optimizer, counters: dict[str, Any]
) -> None:
    """Write model weights, the optimizer's per-parameter state and ``counters`` (JSON-able) to ``path``."""
    tensors = {f"model.{k}": v for k, v in stored_state(model).items()}
    index = {id(p): n for n, p in _named_params(model)}
    for group in optimizer.param_groups:
        for p in group["params"]:
            for key, value in optimizer.state.get(p, {}).items():
                t = value if isinstance(value, torch.Tensor) else torch.tensor(value)
                tensors[f"optim.{index[id(p)]}.{key}"] = t.detach().contiguous().cpu()
    groups = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
    meta = {"counters": json.dumps(counters), "param_groups": json.dumps(groups)}
    p = Path(path)
    tmp = p.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata=meta)
    tmp.replace(p)


def load_training_state(path: str | Path, model: GroundingModel, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Restore what ``save_training_state`` wrote into ``model`` and ``optimizer``; returns the counters."""
    from safetensors import safe_open

    tensors = load_weights(path)
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    if "counters" not in meta or "param_groups" not in meta:
        raise CheckpointError(f"{path}: expected training-state metadata (counters, param_groups), got {sorted(meta)}")
    load_state_into(model, {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}, str(path))
    groups = json.loads(meta["param_groups"])
    if len(groups) != len(optimizer.param_groups):
        raise CheckpointError(f"{path}: expected {len(optimizer.param_groups)} optimizer groups, got {len(groups)}")
    for group, saved in zip(optimizer.param_groups, groups, strict=True):
        group.update(saved)
    params = dict(_named_params(model))
    for key, value in tensors.items():
        if not key.startswith("optim."):
            continue
        name, field = key[6:].rsplit(".", 1)
        if name not in params:
            raise CheckpointError(f"{path}: optimizer state for unknown parameter {name!r}")
        optimizer.state[params[name]][field] = value
    return dict(json.loads(meta["counters"]))
