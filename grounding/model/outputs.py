"""Output dataclasses of the grounding model and its heads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from grounding.model.fusion.base import SceneMemory
from grounding.model.scene_batch import SceneBatch


@dataclass
class GroundingScores:
    """Grounding head: a logit per proposal and a 'none of these' logit."""

    object_logits: torch.Tensor
    """(B, N) float32; -inf on padded objects."""
    none_logit: torch.Tensor
    """(B,) float32 logit that the described object is not among the proposals."""

    def logits_with_none(self) -> torch.Tensor:
        """(B, N + 1): the object logits, then the none logit in the last column."""
        return torch.cat([self.object_logits, self.none_logit.unsqueeze(-1)], dim=-1)

    def probabilities(self, temperature: float = 1.0) -> torch.Tensor:
        """(B, N + 1) softmax of ``logits_with_none() / temperature``; the last column is P(none)."""
        return torch.softmax(self.logits_with_none() / temperature, dim=-1)


@dataclass
class AnswerScores:
    """QA head: logits over the answer vocabulary and an evidence logit per object."""

    answer_logits: torch.Tensor
    """(B, A) float32 over ``GroundingModel.answer_vocab``."""
    evidence_logits: torch.Tensor
    """(B, N) float32; sigmoid > 0.5 marks an object as evidence. -inf on padded objects."""


@dataclass
class RetrievalScores:
    """Contrastive head: text-to-object similarity in a shared embedding space."""

    similarity: torch.Tensor
    """(B, N) float32 scaled cosine between the sentence and each object of its scene; -inf on padding."""
    text_embedding: torch.Tensor
    """(B, E) float32 unit-length sentence embedding."""


@dataclass
class GroundingOutput:
    """Everything one query batch gets back. Row b refers to the objects of its scene, in scene order."""

    grounding: GroundingScores
    """Which object the text describes, or none."""
    answer: AnswerScores
    """The answer to the text read as a question, with evidence."""
    retrieval: RetrievalScores
    """Text-to-object retrieval scores."""
    object_ids: torch.Tensor
    """(B, N) int64 object id of each column; -1 on padding."""
    mask: torch.Tensor
    """(B, N) bool, True for a real object."""


@dataclass
class ObjectEncoding:
    """View-independent encoding of B scenes: computed once per scene update and cached."""

    batch: SceneBatch
    """The tensors the tokens came from (boxes are needed again when the view changes)."""
    tokens: torch.Tensor
    """(B, N, D) object tokens."""
    embedding: torch.Tensor
    """(B, N, E) unit-length object embeddings of the contrastive head."""


@dataclass
class SceneEncoding:
    """B (scene, view) pairs fully encoded: a query against it runs only the text side."""

    objects: ObjectEncoding
    """The view-independent part."""
    memory: SceneMemory
    """The fusion's scene side for these views."""
    view_origins: np.ndarray
    """(B, 3) float64 viewer positions, world frame."""
    view_rotations: np.ndarray
    """(B, 3, 3) float64 rows right, forward, up of each view."""

    @property
    def batch_size(self) -> int:
        """B."""
        return int(self.memory.tokens.shape[0])
