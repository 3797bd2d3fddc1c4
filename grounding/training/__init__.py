"""Training of the grounding model: dataset to tensors, losses, the loop (DDP-ready) and resumable state."""

from grounding.training.config import TrainConfig
from grounding.training.data import PreparedDataset, QueryItem, prepare_dataset
from grounding.training.losses import LossConfig, LossTerms, answer_loss, evidence_loss, grounding_loss, info_nce
from grounding.training.trainer import TrainResult, train
from grounding.training.validate import SplitMetrics, evaluate_split

__all__ = [
    "LossConfig",
    "LossTerms",
    "PreparedDataset",
    "QueryItem",
    "SplitMetrics",
    "TrainConfig",
    "TrainResult",
    "answer_loss",
    "evaluate_split",
    "evidence_loss",
    "grounding_loss",
    "info_nce",
    "prepare_dataset",
    "train",
]
