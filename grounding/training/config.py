"""TrainConfig: every knob of a training run; a YAML file overrides any field (nested for sub-configs)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from grounding.errors import GroundingConfigError
from grounding.model.config import GroundingModelConfig
from grounding.model.scene_batch import AugmentConfig
from grounding.training.losses import LossConfig


@dataclass
class TrainConfig:
    """A training run: model, losses, augmentation, optimisation and bookkeeping."""

    model: GroundingModelConfig = field(default_factory=GroundingModelConfig)
    """The model to train."""
    loss: LossConfig = field(default_factory=LossConfig)
    """Loss weights."""
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    """Augmentation of the oracle objects."""
    epochs: int = 20
    """Passes over the (scene, view) groups of the train split."""
    lr: float = 1e-3
    """Peak learning rate of the fusion, heads and object encoder (AdamW)."""
    text_lr: float = 2e-5
    """Learning rate of the fine-tuned top text layers (when model.text.trainable_top_layers > 0)."""
    weight_decay: float = 0.01
    """AdamW weight decay."""
    warmup_steps: int = 100
    """Linear warm-up steps before the cosine decay."""
    pairs_per_step: int = 16
    """(scene, view) groups per step on each process."""
    queries_per_pair: int = 8
    """Queries sampled from each group per step."""
    grad_clip: float = 1.0
    """Gradient norm clip; 0 disables it."""
    seed: int = 0
    """Seed of initialisation, shuffling and augmentation."""
    num_threads: int = 1
    """torch threads per process (0: torch's default). One is fastest on a shared CPU, where more threads
    than free cores make each step several times slower."""
    max_steps: int = 0
    """Stop after this many steps in total (0: run all epochs); for smoke tests."""
    val_every: int = 1
    """Validate (and maybe save the best model) every this many epochs."""
    cache_dir: str = "/tmp/ground3d-cache"
    """Where precomputed text encodings are cached; empty disables the cache."""
    init_checkpoint: str = ""
    """Checkpoint folder whose weights a fresh run starts from (fine-tuning); empty starts from scratch. Its
    model config and answer vocabulary must be this run's; a resumed run ignores it."""

    def __post_init__(self) -> None:
        if isinstance(self.model, dict):
            self.model = GroundingModelConfig.from_dict(self.model)
        if isinstance(self.loss, dict):
            self.loss = LossConfig(**self.loss)
        if isinstance(self.augment, dict):
            self.augment = AugmentConfig(**self.augment)
        for name in ("epochs", "pairs_per_step", "queries_per_pair", "val_every"):
            if getattr(self, name) < 1:
                raise GroundingConfigError(f"TrainConfig.{name}: expected >= 1, got {getattr(self, name)}")
        for name in ("lr", "text_lr"):
            if not getattr(self, name) > 0:
                raise GroundingConfigError(f"TrainConfig.{name}: expected > 0, got {getattr(self, name)}")
        for name in ("weight_decay", "warmup_steps", "grad_clip", "num_threads", "max_steps"):
            if getattr(self, name) < 0:
                raise GroundingConfigError(f"TrainConfig.{name}: expected >= 0, got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """From a nested dict; unknown keys are an error that names them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise GroundingConfigError(f"TrainConfig: unknown fields {unknown}; expected some of {sorted(known)}")
        return cls(**data)

    @classmethod
    def from_yaml(cls, path: str | Path) -> TrainConfig:
        """Read a YAML mapping of overrides (fields left out keep their defaults)."""
        data = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(data, dict):
            raise GroundingConfigError(
                f"{path}: expected a YAML mapping of TrainConfig fields, got {type(data).__name__}"
            )
        return cls.from_dict(data)
