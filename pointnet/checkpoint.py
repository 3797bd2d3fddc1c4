"""Save and load weights as safetensors, with shape checks and errors that say what does not fit.

An encoder directory holds ``encoder.safetensors`` (the state dict) and ``encoder.json``
(``{"encoder": name, "config": {...}}``), enough to rebuild the module without the code that trained it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from pointnet.config_utils import to_dict
from pointnet.errors import CheckpointError
from pointnet.registry import build_encoder

PRETRAINED_OBJECT_ENCODER = Path(__file__).resolve().parent / "pretrained" / "object_pointnet2_ssg"
"""PointNet++ SSG trained by ``pointnet.train_classify`` on sim200 object clouds (see its results.json).
Input: pos (N, 3) centred on the object's box centre and scaled to unit radius; x (N, 4) = RGB in [0, 1]
and the object's radius in metres. ``load_encoder(PRETRAINED_OBJECT_ENCODER)`` rebuilds it."""

WEIGHTS_FILE = "encoder.safetensors"
CONFIG_FILE = "encoder.json"


def save_weights(module: nn.Module, path: str | Path, metadata: dict[str, str] | None = None) -> None:
    """Write ``module``'s state dict (parameters and buffers) to a safetensors file."""
    tensors = {k: v.detach().contiguous().cpu() for k, v in module.state_dict().items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=metadata)


def read_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file; CheckpointError when missing, truncated or not safetensors."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights: expected a safetensors file at {path}, found none")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as err:
        raise CheckpointError(f"weights: {path} is not a complete safetensors file ({err})") from err


def load_weights(module: nn.Module, path: str | Path, prefix: str = "") -> None:
    """Load a safetensors file into ``module`` after checking that names and shapes match exactly.

    ``prefix`` selects the entries under it (e.g. ``"encoder."`` from a whole classifier's file).
    """
    tensors = read_weights(path)
    if prefix:
        tensors = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    expected = module.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"weights {path}: expected the keys of {type(module).__name__}; missing {missing[:5]}"
            f"{' ...' if len(missing) > 5 else ''}, unexpected {unexpected[:5]}{' ...' if len(unexpected) > 5 else ''}"
        )
    wrong = [f"{k}: expected {tuple(v.shape)}, got {tuple(tensors[k].shape)}"
             for k, v in expected.items() if tensors[k].shape != v.shape]
    if wrong:
        raise CheckpointError(f"weights {path}: shapes do not match: " + "; ".join(wrong[:5]))
    module.load_state_dict(tensors, strict=True)


def save_encoder(directory: str | Path, name: str, encoder: nn.Module, extra: dict[str, Any] | None = None) -> Path:
    """Write ``encoder.safetensors`` + ``encoder.json`` for encoder ``name`` (a registry name) into ``directory``.

    ``extra`` is stored under ``"extra"`` in the JSON (e.g. training figures, the categories). Returns the directory.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    save_weights(encoder, directory / WEIGHTS_FILE)
    meta = {"encoder": name, "config": to_dict(encoder.config), "extra": extra or {}}
    (directory / CONFIG_FILE).write_text(json.dumps(meta, indent=2))
    return directory


def load_encoder(directory: str | Path) -> nn.Module:
    """Rebuild the encoder saved by ``save_encoder`` in ``directory`` and load its weights (eval mode)."""
    directory = Path(directory)
    config_path = directory / CONFIG_FILE
    if not config_path.is_file():
        raise CheckpointError(f"encoder: expected {CONFIG_FILE} in {directory}, found none")
    try:
        meta = json.loads(config_path.read_text())
        name, config = meta["encoder"], meta["config"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise CheckpointError(f"encoder: {config_path} is not an encoder config ({err})") from err
    encoder = build_encoder(name, config)
    load_weights(encoder, directory / WEIGHTS_FILE)
    return encoder.eval()
