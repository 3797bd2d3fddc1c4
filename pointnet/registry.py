"""Encoders by name, so a JSON or YAML file (or a CLI flag) can say which one to build and how.

Names: ``pointnet``, ``pointnet2_ssg``, ``pointnet2_msg``, ``sparse_voxel``. The spconv encoder is imported
only when asked for, because importing spconv is slow.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from torch import nn

from pointnet.config_utils import from_dict
from pointnet.errors import ConfigError

# name -> (module, config class, encoder class, preset overrides of the config's defaults)
_ENCODERS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "pointnet": ("pointnet.pointnet_encoder", "PointNetConfig", "PointNetEncoder", {}),
    "pointnet2_ssg": ("pointnet.pointnet2_encoder", "PointNet2Config", "PointNet2Encoder", {}),
    "pointnet2_msg": ("pointnet.pointnet2_encoder", "PointNet2Config", "PointNet2Encoder", {
        "radii": ((0.1, 0.2), (0.3, 0.5)),
        "max_neighbors": (16, 32),
        "sa_channels": ((32, 32, 64), (64, 64, 128)),
    }),
    "sparse_voxel": ("pointnet.sparse_voxel_encoder", "SparseVoxelConfig", "SparseVoxelEncoder", {}),
}

ENCODER_NAMES = tuple(_ENCODERS)


def _lookup(name: str) -> tuple[type, type, dict[str, Any]]:
    if name not in _ENCODERS:
        raise ConfigError(f"encoder name: expected one of {list(ENCODER_NAMES)}, got {name!r}")
    module_name, config_name, encoder_name, preset = _ENCODERS[name]
    module = importlib.import_module(module_name)
    return getattr(module, config_name), getattr(module, encoder_name), preset


def make_config(name: str, overrides: Mapping[str, Any] | None = None) -> Any:
    """The config dataclass of encoder ``name``: its preset, then ``overrides`` (JSON-style values)."""
    config_cls, _, preset = _lookup(name)
    return from_dict(config_cls, {**preset, **(overrides or {})})


def build_encoder(name: str, config: Any = None) -> nn.Module:
    """Encoder ``name`` from a config dataclass, a mapping of overrides, or None for the preset.

    Every encoder is called as ``encoder(x (N, C_in) | None, pos (N, 3), batch (N,))`` and returns a
    ``pointnet.EncoderOutput``.
    """
    config_cls, encoder_cls, _ = _lookup(name)
    if config is None or isinstance(config, Mapping):
        config = make_config(name, config)
    if not isinstance(config, config_cls):
        raise ConfigError(f"build_encoder({name!r}): expected a {config_cls.__name__}, got {type(config).__name__}")
    return encoder_cls(config)
