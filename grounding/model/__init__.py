"""The grounding model: scene inputs, object encoder, fusion strategies, heads and checkpoints."""

from grounding.model.checkpoint import default_checkpoint_dir, load_default_model, load_model, save_model
from grounding.model.config import FUSIONS, GroundingModelConfig
from grounding.model.grounding_model import GroundingModel, build_model
from grounding.model.outputs import (
    AnswerScores,
    GroundingOutput,
    GroundingScores,
    ObjectEncoding,
    RetrievalScores,
    SceneEncoding,
)
from grounding.model.scene_batch import AugmentConfig, SceneBatch, build_scene_batch
from grounding.model.scene_input import ObjectInput, SceneInput
from grounding.model.view import QueryView

__all__ = [
    "FUSIONS",
    "AnswerScores",
    "AugmentConfig",
    "GroundingModel",
    "GroundingModelConfig",
    "GroundingOutput",
    "GroundingScores",
    "ObjectEncoding",
    "ObjectInput",
    "QueryView",
    "RetrievalScores",
    "SceneBatch",
    "SceneEncoding",
    "SceneInput",
    "build_model",
    "build_scene_batch",
    "default_checkpoint_dir",
    "load_default_model",
    "load_model",
    "save_model",
]
