"""TrainingStep: the model plus its losses as one module, so DistributedDataParallel can wrap it."""

from __future__ import annotations

from torch import nn

from grounding.model.grounding_model import GroundingModel
from grounding.training.batches import StepBatch
from grounding.training.losses import LossConfig, LossTerms, answer_loss, evidence_loss, grounding_loss, info_nce


class TrainingStep(nn.Module):
    """forward(StepBatch) -> LossTerms."""

    def __init__(self, model: GroundingModel, weights: LossConfig) -> None:
        super().__init__()
        self.model = model
        self.weights = weights

    def forward(self, batch: StepBatch) -> LossTerms:
        """Encode the S scenes once, query the B sentences, and score all three heads."""
        scene = self.model.encode_scene(batch.scenes, batch.views)
        out = self.model.query(batch.text, scene, batch.scene_index)
        zero = out.grounding.none_logit.sum() * 0.0
        refer, qa = batch.is_refer, ~batch.is_refer
        ground = zero
        if bool(refer.any()):
            sel = refer.nonzero().squeeze(1)
            g = out.grounding
            ground = grounding_loss(type(g)(g.object_logits[sel], g.none_logit[sel]), batch.target[sel],
                                    batch.candidates[sel], self.weights.absent)
        ans = evid = zero
        if bool(qa.any()):
            sel = qa.nonzero().squeeze(1)
            a = out.answer
            sub = type(a)(a.answer_logits[sel], a.evidence_logits[sel])
            ans = answer_loss(sub, batch.answer_targets[sel])
            evid = evidence_loss(sub, batch.evidence[sel], out.mask[sel])
        contrast = zero
        present = refer & (batch.target >= 0)
        if bool(present.any()):
            sel = present.nonzero().squeeze(1)
            N = scene.objects.embedding.shape[1]
            flat = batch.scene_index[sel] * N + batch.target[sel]
            contrast = info_nce(
                out.retrieval.text_embedding[sel],
                scene.objects.embedding,
                scene.objects.batch.mask,
                flat,
                self.model.contrastive_head.scale,
            )
        w = self.weights
        total = w.grounding * ground + w.answer * ans + w.evidence * evid + w.contrastive * contrast
        return LossTerms(total=total, grounding=ground, answer=ans, evidence=evid, contrastive=contrast)
