"""Heads: grounding (object or none), QA (answer and evidence), contrastive (text-object retrieval)."""

from __future__ import annotations

import math

import torch
from torch import nn

from grounding.model.fusion.base import FusionOutput
from grounding.model.outputs import AnswerScores, GroundingScores, RetrievalScores

NEG_INF = float("-inf")


def _mlp(in_dim: int, hidden: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, out_dim))


class GroundingHead(nn.Module):
    """Score each object against the query, plus a 'none of these' score from the query and the best object.

    ``similarity='cosine'`` (late fusion) scores by the scaled cosine of the two towers; ``'mlp'`` reads
    the fused object feature, the query feature and their product. Both add a learnt multiple of a
    ``prior`` score per object (the contrastive head's text-object similarity): attribute matching
    ("the green plant") is learnt fast there, so the fusion has only the relation left to resolve.
    """

    def __init__(self, d_model: int, similarity: str) -> None:
        super().__init__()
        if similarity not in ("cosine", "mlp"):
            raise ValueError(f"GroundingHead.similarity: expected 'cosine' or 'mlp', got {similarity!r}")
        self.similarity = similarity
        if similarity == "cosine":
            self.log_scale = nn.Parameter(torch.tensor(math.log(10.0)))
        else:
            self.score = _mlp(3 * d_model, d_model, 1)
        self.prior_weight = nn.Parameter(torch.tensor(0.3))
        self.none = _mlp(2 * d_model + 1, d_model, 1)

    def forward(self, fused: FusionOutput, prior: torch.Tensor) -> GroundingScores:
        """FusionOutput with (B, N, D) objects and (B, D) queries, prior (B, N) -> GroundingScores (B, N), (B,)."""
        o, q, mask = fused.object_features, fused.query_feature, fused.mask
        if self.similarity == "cosine":
            cos = nn.functional.normalize(o, dim=-1) @ nn.functional.normalize(q, dim=-1).unsqueeze(-1)
            logits = cos.squeeze(-1) * self.log_scale.exp()  # (B, N)
        else:
            qe = q.unsqueeze(1).expand_as(o)
            logits = self.score(torch.cat([o, qe, o * qe], dim=-1)).squeeze(-1)  # (B, N)
        prior = self.prior_weight * prior.masked_fill(~mask, 0.0)
        logits = logits + prior
        best = o.masked_fill(~mask.unsqueeze(-1), NEG_INF).max(dim=1).values  # (B, D)
        best_prior = prior.masked_fill(~mask, NEG_INF).max(dim=1, keepdim=True).values  # (B, 1)
        none = self.none(torch.cat([q, best, best_prior], dim=-1)).squeeze(-1)  # (B,)
        return GroundingScores(object_logits=logits.masked_fill(~mask, NEG_INF), none_logit=none)


class QAHead(nn.Module):
    """Evidence gates pick objects; their gated mean, the gate total (a soft count) and the query give the answer."""

    def __init__(self, d_model: int, num_answers: int) -> None:
        super().__init__()
        self.evidence = _mlp(2 * d_model, d_model, 1)
        self.answer = _mlp(3 * d_model + 2, 2 * d_model, max(1, num_answers))

    def forward(self, fused: FusionOutput) -> AnswerScores:
        """FusionOutput -> AnswerScores with (B, A) answer logits and (B, N) evidence logits."""
        o, q, mask = fused.object_features, fused.query_feature, fused.mask
        ev = self.evidence(torch.cat([o, q.unsqueeze(1).expand_as(o)], dim=-1)).squeeze(-1)  # (B, N)
        gate = torch.sigmoid(ev) * mask.to(o.dtype)  # (B, N)
        count = gate.sum(dim=1, keepdim=True)  # (B, 1) soft count of evidence objects
        pooled = (gate.unsqueeze(-1) * o).sum(dim=1) / count.clamp(min=1e-3)  # (B, D)
        best = o.masked_fill(~mask.unsqueeze(-1), NEG_INF).max(dim=1).values  # (B, D)
        logits = self.answer(torch.cat([q, pooled, best, count, gate.max(dim=1, keepdim=True).values], dim=-1))
        return AnswerScores(answer_logits=logits, evidence_logits=ev.masked_fill(~mask, NEG_INF))


class ContrastiveHead(nn.Module):
    """Project object tokens and sentences to one unit sphere; scaled cosine is the retrieval score."""

    def __init__(self, d_model: int, text_dim: int, embed_dim: int) -> None:
        super().__init__()
        self.objects = _mlp(d_model, d_model, embed_dim)
        self.text = _mlp(text_dim, d_model, embed_dim)
        self.log_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    @property
    def scale(self) -> torch.Tensor:
        """The learnt inverse temperature, clamped to at most 100 as in CLIP."""
        return self.log_scale.exp().clamp(max=100.0)

    def embed_objects(self, tokens: torch.Tensor) -> torch.Tensor:
        """Object tokens (B, N, D) -> unit embeddings (B, N, E)."""
        return nn.functional.normalize(self.objects(tokens), dim=-1)

    def embed_text(self, pooled: torch.Tensor) -> torch.Tensor:
        """Pooled sentences (B, C) -> unit embeddings (B, E)."""
        return nn.functional.normalize(self.text(pooled), dim=-1)

    def forward(
        self, text_embedding: torch.Tensor, object_embedding: torch.Tensor, mask: torch.Tensor
    ) -> RetrievalScores:
        """(B, E) sentences against (B, N, E) objects of their scenes -> RetrievalScores (B, N)."""
        sim = (object_embedding @ text_embedding.unsqueeze(-1)).squeeze(-1) * self.scale  # (B, N)
        return RetrievalScores(similarity=sim.masked_fill(~mask, NEG_INF), text_embedding=text_embedding)
