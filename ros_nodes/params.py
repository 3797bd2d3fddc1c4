"""Node parameters: one spec list per node, declared with descriptors and ranges, read from a params file.

The file is in the ROS 2 params format, ``node_name: {ros__parameters: {...}}`` (``/**`` applies to all),
so ``--ros-args --params-file config/ground3d.yaml`` and ``ground3d launch`` read the same file.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ros_nodes.errors import ConfigError

CONFIG_ENV = "GROUND3D_CONFIG"


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: name, default, one-line description, and an optional inclusive numeric range."""

    name: str
    default: Any
    description: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def check(self, value: Any) -> Any:
        """``value`` converted to the default's type, or ``ConfigError`` naming the parameter."""
        kind = type(self.default)
        try:
            if kind is bool:
                if not isinstance(value, bool):
                    raise TypeError
                out: Any = value
            elif kind is float:
                out = float(value)
            elif kind is int:
                if isinstance(value, bool) or int(value) != value:
                    raise TypeError
                out = int(value)
            elif kind is list:
                out = [float(v) for v in value]
            else:
                out = str(value)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"parameter {self.name}: expected {kind.__name__}, got {value!r}") from err
        if (self.low is not None and out < self.low) or (self.high is not None and out > self.high):
            raise ConfigError(f"parameter {self.name}: expected in [{self.low}, {self.high}], got {out}")
        if self.choices and out not in self.choices:
            raise ConfigError(f"parameter {self.name}: expected one of {self.choices}, got {out!r}")
        return out


def default_config_path() -> Path | None:
    """``$GROUND3D_CONFIG``, else the repository's ``config/ground3d.yaml``, else the installed share copy."""
    candidates = [
        os.environ.get(CONFIG_ENV, ""),
        str(Path(__file__).resolve().parents[1] / "config" / "ground3d.yaml"),
        str(Path(sys.prefix) / "share" / "ground3d" / "config" / "ground3d.yaml"),
    ]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    return None


def load_params_file(path: Path, node_name: str) -> dict[str, Any]:
    """Parameters for ``node_name`` from a ROS 2 params file (``/**`` first, then the node's own section)."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"params file {path}: expected readable YAML, got {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"params file {path}: expected a mapping of node names, got {type(data).__name__}")
    out: dict[str, Any] = {}
    for key in ("/**", node_name, f"/{node_name}"):
        section = data.get(key)
        if section is None:
            continue
        if not isinstance(section, dict) or not isinstance(section.get("ros__parameters"), dict):
            raise ConfigError(f"params file {path}: expected {key}: {{ros__parameters: {{...}}}}")
        out.update(section["ros__parameters"])
    return out


def resolve_params(specs: list[ParamSpec], given: dict[str, Any]) -> dict[str, Any]:
    """Defaults overridden by ``given``, each checked; unknown names raise ``ConfigError``."""
    by_name = {s.name: s for s in specs}
    unknown = sorted(set(given) - set(by_name) - {"use_sim_time"})
    if unknown:
        raise ConfigError(f"unknown parameters {unknown}; expected among {sorted(by_name)}")
    return {s.name: s.check(given.get(s.name, s.default)) for s in specs}


def ros_args_with_config(argv: list[str]) -> list[str]:
    """``argv`` plus ``--ros-args --params-file <default config>`` unless a params file is already given."""
    path = default_config_path()
    if path is None or "--params-file" in argv:
        return argv
    return [*argv, "--ros-args", "--params-file", str(path)]
