"""Training losses of the three heads: grounding (with 'none'), QA (answer and evidence), InfoNCE alignment."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from grounding.model.outputs import AnswerScores, GroundingScores


@dataclass
class LossConfig:
    """Weights of the loss terms."""

    grounding: float = 1.0
    """Weight of the grounding cross-entropy over N objects + none."""
    absent: float = 1.0
    """Relative weight, within the grounding cross-entropy, of the sentences whose target is 'none of these'
    (the grounding term stays a weighted mean). Above 1 it makes up for the ambiguous sentences, which no
    longer have that target."""
    answer: float = 1.0
    """Weight of the QA answer cross-entropy."""
    evidence: float = 0.5
    """Weight of the QA evidence binary cross-entropy."""
    contrastive: float = 0.3
    """Weight of the InfoNCE text-object alignment loss."""

    def __post_init__(self) -> None:
        for name in ("grounding", "absent", "answer", "evidence", "contrastive"):
            if getattr(self, name) < 0:
                raise ValueError(f"LossConfig.{name}: expected >= 0, got {getattr(self, name)}")


@dataclass
class LossTerms:
    """The loss terms of one step (each a scalar tensor; 0 when the batch had no query of that kind)."""

    total: torch.Tensor
    """Weighted sum, what is minimised."""
    grounding: torch.Tensor
    """Grounding cross-entropy."""
    answer: torch.Tensor
    """Answer cross-entropy."""
    evidence: torch.Tensor
    """Evidence binary cross-entropy."""
    contrastive: torch.Tensor
    """InfoNCE."""

    def as_floats(self) -> dict[str, float]:
        """Plain floats, for logs."""
        return {
            k: float(getattr(self, k).detach()) for k in ("total", "grounding", "answer", "evidence", "contrastive")
        }


def grounding_loss(
    scores: GroundingScores, target: torch.Tensor, candidates: torch.Tensor | None = None, absent_weight: float = 1.0
) -> torch.Tensor:
    """Cross-entropy over (B, N + 1) logits; target (B,) int64 is the object column, or -1 for 'none of these'.

    ``candidates`` (B, N) bool marks, for an ambiguous sentence, every object it fits; such a row's target
    is the uniform distribution over them instead. The model so learns to split its belief evenly among
    objects that fit equally, which the calibrated ambiguity margin reads as "ambiguous", where a 'none'
    target taught it to answer "not_found" for them.

    The loss is a weighted mean over the B rows, in which rows whose target is 'none' count
    ``absent_weight`` times.
    """
    logp = torch.log_softmax(scores.logits_with_none(), dim=-1)  # (B, N + 1)
    index = torch.where(target < 0, torch.full_like(target, logp.shape[1] - 1), target)
    nll = -logp.gather(1, index.unsqueeze(1)).squeeze(1)  # (B,)
    absent = target < 0  # (B,)
    if candidates is not None:
        count = candidates.sum(dim=1)  # (B,)
        # masked_fill first: padded objects have logp -inf, and 0 * -inf would be NaN.
        picked = logp[:, :-1].masked_fill(~candidates, 0.0).sum(dim=1)  # (B,)
        nll = torch.where(count > 0, -picked / count.clamp(min=1), nll)
        absent &= count == 0
    weight = torch.where(absent, absent_weight, 1.0).to(nll.dtype)  # (B,)
    return (weight * nll).sum() / weight.sum()


def answer_loss(scores: AnswerScores, answer_targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against soft targets (B, A) (accepted answers share the mass); rows summing to 0 are skipped."""
    keep = answer_targets.sum(dim=1) > 0
    if not bool(keep.any()):
        return scores.answer_logits.sum() * 0.0
    logp = torch.log_softmax(scores.answer_logits[keep], dim=-1)
    return -(answer_targets[keep] * logp).sum(dim=1).mean()


def evidence_loss(scores: AnswerScores, evidence: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of evidence logits (B, N) against 0/1 targets (B, N) on the valid objects (B, N)."""
    logits = scores.evidence_logits.masked_fill(~mask, 0.0)
    per = nn.functional.binary_cross_entropy_with_logits(logits, evidence.to(logits.dtype), reduction="none")
    return (per * mask.to(per.dtype)).sum() / mask.sum().clamp(min=1)


def info_nce(
    text_embedding: torch.Tensor,
    object_embedding: torch.Tensor,
    object_mask: torch.Tensor,
    target_flat: torch.Tensor,
    scale: torch.Tensor,
) -> torch.Tensor:
    """InfoNCE of B sentences (B, E) against every object of the batch's scenes (S, N, E) with mask (S, N).

    ``target_flat`` (B,) int64 is the index of each sentence's object in the flattened (S * N) objects;
    objects of other scenes are negatives too. Unit-length embeddings, ``scale`` the inverse temperature.
    """
    objs = object_embedding.flatten(0, 1)  # (S * N, E)
    logits = (text_embedding @ objs.T) * scale  # (B, S * N)
    logits = logits.masked_fill(~object_mask.flatten().unsqueeze(0), float("-inf"))
    return nn.functional.cross_entropy(logits, target_flat)
