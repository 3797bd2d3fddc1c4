"""Accuracy of a model on one split with oracle proposals: what training picks its checkpoint by.

The full evaluation (predicted proposals, calibration, latency) is ``ground3d eval``; this is the
training-time subset, broken down by relation kind so view-relative relations can be checked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import torch

from grounding.model.grounding_model import GroundingModel
from grounding.training.batches import group_queries, make_step_batch
from grounding.training.data import PreparedDataset
from grounding.training.text_bank import TextBank


@dataclass
class SplitMetrics:
    """Oracle-proposal accuracy on one split. Rates are fractions in [0, 1]; counts say how many were scored."""

    grounding_accuracy: float = 0.0
    """Present targets: argmax over objects + none is the target. Absent: argmax is none. (Ambiguous
    sentences are scored apart, by ``ambiguous_split``.)"""
    present_accuracy: float = 0.0
    """Accuracy over queries whose target is present."""
    absent_not_found: float = 0.0
    """Absent targets answered 'not found' (none wins)."""
    ambiguous_split: float = 0.0
    """Ambiguous sentences whose two most likely columns are both objects they fit (belief split among them)."""
    present_not_found: float = 0.0
    """Present targets wrongly answered 'not found'."""
    qa_em1: float = 0.0
    """Questions whose top answer is one of the accepted answers."""
    retrieval_r1: float = 0.0
    """Present targets ranked first by the contrastive head among the scene's objects."""
    by_relation: dict[str, float] = field(default_factory=dict)
    """Grounding accuracy per relation kind (refer) and QA EM@1 per question type ('qa:<type>')."""
    counts: dict[str, int] = field(default_factory=dict)
    """Number of queries behind each figure."""

    @property
    def selection_score(self) -> float:
        """Mean of grounding accuracy and QA EM@1 (or just the one that exists): what picks the checkpoint."""
        parts = [v for k, v in (("refer", self.grounding_accuracy), ("qa", self.qa_em1)) if self.counts.get(k, 0)]
        return sum(parts) / len(parts) if parts else 0.0


@torch.no_grad()
def evaluate_split(
    model: GroundingModel, data: PreparedDataset, split: str, bank: TextBank | None = None, groups_per_batch: int = 32
) -> SplitMetrics:
    """Score every query of ``split`` (eval mode, no augmentation) and aggregate."""
    was_training = model.training
    model.eval()
    groups = group_queries(data.queries.get(split, []))
    hits: dict[str, list[bool]] = defaultdict(list)
    for start in range(0, len(groups), groups_per_batch):
        chunk = groups[start : start + groups_per_batch]
        texts = [q.text for g in chunk for q in g.items]
        batch = make_step_batch(model, data, chunk, bank.lookup(texts) if bank else None, None, None)
        scene = model.encode_scene(batch.scenes, batch.views)
        out = model.query(batch.text, scene, batch.scene_index)
        logits = out.grounding.logits_with_none()  # (B, N + 1)
        choice = logits.argmax(dim=1)  # (B,) N means none
        n_cols = out.grounding.object_logits.shape[1]
        top_answer = out.answer.answer_logits.argmax(dim=1)
        top_retrieved = out.retrieval.similarity.argmax(dim=1)
        for b, q in enumerate(batch.items):
            if q.kind == "refer" and q.candidates:
                top_two = logits[b].topk(min(2, logits.shape[1])).indices.tolist()
                hits["ambiguous_split"].append(set(top_two) <= set(q.candidates))
            elif q.kind == "refer":
                said_none = int(choice[b]) == n_cols
                ok = said_none if q.target < 0 else int(choice[b]) == q.target
                hits["refer"].append(ok)
                hits[f"relation:{q.relation or 'none'}"].append(ok)
                if q.target < 0:
                    hits["absent_not_found"].append(said_none)
                else:
                    hits["present"].append(ok)
                    hits["present_not_found"].append(said_none)
                    hits["retrieval_r1"].append(int(top_retrieved[b]) == q.target)
                    hits["unique" if q.unique else "multiple"].append(ok)
                hits["view_dependent" if q.view_dependent else "view_independent"].append(ok)
            else:
                vocab = model.answer_vocab
                ok = bool(vocab) and vocab[int(top_answer[b])] in q.answers
                hits["qa"].append(ok)
                hits[f"qa:{q.relation or 'none'}"].append(ok)
    model.train(was_training)

    def rate(key: str) -> float:
        v = hits.get(key, [])
        return sum(v) / len(v) if v else 0.0

    breakdown = {
        k.split(":", 1)[1] if k.startswith("relation:") else k: rate(k)
        for k in sorted(hits)
        if k.startswith(("relation:", "qa:")) or k in ("unique", "multiple", "view_dependent", "view_independent")
    }
    return SplitMetrics(
        grounding_accuracy=rate("refer"),
        present_accuracy=rate("present"),
        absent_not_found=rate("absent_not_found"),
        ambiguous_split=rate("ambiguous_split"),
        present_not_found=rate("present_not_found"),
        qa_em1=rate("qa"),
        retrieval_r1=rate("retrieval_r1"),
        by_relation=breakdown,
        counts={k: len(v) for k, v in sorted(hits.items())},
    )
