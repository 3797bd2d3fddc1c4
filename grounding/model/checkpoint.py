"""Model checkpoints: ``model.safetensors`` (weights) and ``config.json`` (config, answer vocabulary) in a folder.

Frozen text-encoder weights are not stored: they come from the text model directory named in the config
(the installed MiniLM by default). Only safetensors are read, so nothing is unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from grounding.errors import CheckpointError
from grounding.model.config import GroundingModelConfig
from grounding.model.grounding_model import GroundingModel
from grounding.text.encoder import TextEncoder

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
FORMAT = "ground3d-grounding-model"


def default_checkpoint_dir() -> Path:
    """The checkpoint shipped inside the package, ``grounding/weights``."""
    return Path(__file__).resolve().parents[1] / "weights"


def stored_state(model: GroundingModel) -> dict[str, torch.Tensor]:
    """The weights a checkpoint holds: everything except the frozen text-encoder parameters."""
    frozen = {f"text_encoder.{n}" for n, p in model.text_encoder.named_parameters() if not p.requires_grad}
    return {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items() if k not in frozen}


def save_model(model: GroundingModel, out_dir: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``out_dir/model.safetensors`` and ``out_dir/config.json``; returns ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_file(stored_state(model), str(out / WEIGHTS_FILE))
    config = {
        "format": FORMAT,
        "version": 1,
        "model": model.config.to_dict(),
        "answer_vocab": model.answer_vocab,
        "metadata": metadata or {},
    }
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=1))
    return out


def read_config(ckpt_dir: str | Path) -> dict[str, Any]:
    """The parsed ``config.json`` of a checkpoint folder."""
    path = Path(ckpt_dir) / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(f"checkpoint: expected {CONFIG_FILE} in {ckpt_dir}, found none")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"checkpoint: {path} is not valid JSON: {exc}") from exc
    if data.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint: expected format {FORMAT!r} in {path}, got {data.get('format')!r}")
    return data


def load_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors file; a missing, truncated or corrupt file raises CheckpointError."""
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"checkpoint: expected a safetensors file at {p}, found none")
    try:
        return load_file(str(p))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"checkpoint: {p} is not a readable safetensors file: {exc}") from exc


def load_state_into(model: GroundingModel, state: dict[str, torch.Tensor], source: str) -> None:
    """Copy ``state`` into ``model``; every stored tensor must exist with the same shape, none may be missing."""
    expected = stored_state(model)
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [
        f"{k}: expected {tuple(expected[k].shape)}, got {tuple(state[k].shape)}"
        for k in expected.keys() & state.keys()
        if expected[k].shape != state[k].shape
    ]
    if missing or unexpected or wrong:
        raise CheckpointError(
            f"checkpoint {source} does not match the model: missing {missing[:5]}, unexpected {unexpected[:5]}, "
            f"wrong shapes {wrong[:5]}"
        )
    model.load_state_dict(state, strict=False)


def load_model(
    ckpt_dir: str | Path, device: str | torch.device = "cpu", text_encoder: TextEncoder | None = None
) -> GroundingModel:
    """The model stored in a checkpoint folder, in eval mode on ``device``."""
    data = read_config(ckpt_dir)
    config = GroundingModelConfig.from_dict(data["model"])
    model = GroundingModel(config, data["answer_vocab"], text_encoder)
    load_state_into(model, load_weights(Path(ckpt_dir) / WEIGHTS_FILE), str(ckpt_dir))
    return model.to(device).eval()


def load_default_model(device: str | torch.device = "cpu") -> GroundingModel:
    """The checkpoint shipped in ``grounding/weights`` (see its README for the command that trained it)."""
    return load_model(default_checkpoint_dir(), device)
