"""The calibration that ships with a checkpoint, as JSON beside its safetensors file."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CALIBRATION_FILE = "calibration.json"
"""Name of the calibration file inside a checkpoint folder, beside ``model.safetensors``."""


@dataclass
class CalibrationParams:
    """Temperature and decision thresholds of one checkpoint, chosen on its val split."""

    temperature: float = 1.0
    """T > 0 dividing the grounding logits before the softmax over proposals + none."""
    not_found_threshold: float = 0.0
    """Answer "not_found" when the best object's calibrated probability is below this, in [0, 1)."""
    ambiguity_margin: float = 0.0
    """Answer "ambiguous" when the best two calibrated probabilities differ by less than this, in [0, 1)."""
    answer_threshold: float = 0.0
    """QA: answer "not_found" when the best answer's probability is below this, in [0, 1)."""
    fitted_on: str = "uncalibrated"
    """Where the values came from, e.g. "val split of /data/sim200 (812 queries)"."""
    metrics: dict[str, float] = field(default_factory=dict)
    """Figures measured while fitting (ECE before/after, NLL, abstention rates), for the record."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ValueError(f"CalibrationParams.temperature: expected a finite value > 0, got {self.temperature}")
        for name in ("not_found_threshold", "ambiguity_margin", "answer_threshold"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ValueError(f"CalibrationParams.{name}: expected a value in [0, 1), got {v}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CalibrationParams:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"CalibrationParams: expected keys among {sorted(known)}, got unknown {sorted(unknown)}")
        return cls(**data)

    def save(self, path: str | Path) -> Path:
        """Write JSON to ``path`` and return it."""
        p = Path(path)
        p.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return p

    @classmethod
    def load(cls, path: str | Path) -> CalibrationParams:
        """Read the JSON written by ``save``."""
        return cls.from_json(json.loads(Path(path).read_text()))


def calibration_path(checkpoint: str | Path) -> Path:
    """Where the calibration of ``checkpoint`` lives: ``CKPT/calibration.json`` for a checkpoint folder
    (or for its ``model.safetensors`` file)."""
    p = Path(checkpoint)
    folder = p.parent if p.suffix == ".safetensors" else p
    return folder / CALIBRATION_FILE
