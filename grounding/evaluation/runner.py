"""Evaluate a SceneQueryEngine on a dataset split: grounding, QA, retrieval, calibration, abstention, latency.

Every query goes through the engine, exactly as a robot's query would: the scene is set once, queries
are answered from the cached scene, and the checkpoint's calibration decides found / not found /
ambiguous. The figures are what ``ground3d eval`` prints.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from grounding.calibration.abstention import abstention_report
from grounding.calibration.fit import CalibrationReport, calibrate, ece_of
from grounding.engine.engine import SceneQueryEngine
from grounding.engine.scene_source import proposals_from
from grounding.errors import GroundingConfigError
from grounding.evaluation.metrics import (
    GroundingRecord,
    acc_at_iou,
    exact_match_at_k,
    grounding_accuracy,
    percentile_ms,
    recall_at_k,
)
from grounding.evaluation.scenes import (
    best_match,
    ground_truth_boxes,
    object_metadata,
    proposals_from_scene_input,
    scene_cloud,
)
from grounding.training.data import PreparedScene, QueryItem, prepare_dataset
from perception.dataset import Dataset

PROPOSAL_MODES = ("oracle", "predicted", "views")


@dataclass
class EvalConfig:
    """What to evaluate and how."""

    split: str = "test"
    """Dataset split."""
    proposals: str = "oracle"
    """"oracle": ground-truth instances as proposals; "predicted": perception's proposals on the full-scene cloud;
    "views": perception's proposals on the scene's RGB-D views fused as a robot fuses them (``views_perception``)."""
    max_scenes: int = 0
    """Evaluate at most this many scenes of the split (0: all)."""
    batch_size: int = 64
    """Queries per model call."""
    latency_queries: int = 50
    """Queries timed one by one on cached scenes for the latency figures."""
    match_iou: float = 0.25
    """Predicted proposals: a proposal stands for a ground-truth object when their boxes overlap this much."""
    seed: int = 0
    """Seed of the oracle point subsampling."""

    def __post_init__(self) -> None:
        if self.proposals not in PROPOSAL_MODES:
            raise GroundingConfigError(
                f"EvalConfig.proposals: expected one of {PROPOSAL_MODES}, got {self.proposals!r}"
            )
        for name in ("max_scenes", "latency_queries"):
            if getattr(self, name) < 0:
                raise GroundingConfigError(f"EvalConfig.{name}: expected >= 0, got {getattr(self, name)}")
        if self.batch_size < 1:
            raise GroundingConfigError(f"EvalConfig.batch_size: expected >= 1, got {self.batch_size}")
        if not 0.0 < self.match_iou <= 1.0:
            raise GroundingConfigError(f"EvalConfig.match_iou: expected in (0, 1], got {self.match_iou}")


@dataclass
class Collected:
    """Per-query outcomes of one pass over a split."""

    records: list[GroundingRecord] = field(default_factory=list)
    """Grounding outcomes."""
    logits: list[np.ndarray] = field(default_factory=list)
    """Raw grounding logits (K + 1,) per referring query, "none" last."""
    targets: list[int] = field(default_factory=list)
    """Target column per referring query (K when no proposal shows the target)."""
    similarity: list[np.ndarray] = field(default_factory=list)
    """Retrieval similarity rows (K,) of queries whose target is a proposal."""
    similarity_targets: list[int] = field(default_factory=list)
    """Target column of each similarity row."""
    qa_ranked: list[list[str]] = field(default_factory=list)
    """Top answers per question, best first."""
    qa_gold: list[list[str]] = field(default_factory=list)
    """Accepted answers per question."""
    latency_new_text_ms: list[float] = field(default_factory=list)
    """ground() latencies on cached scenes with an uncached text."""
    latency_repeat_text_ms: list[float] = field(default_factory=list)
    """ground() latencies on cached scenes with a cached text."""
    statuses: list[str] = field(default_factory=list)
    """Status per referring query with a present or absent target."""
    present: list[bool] = field(default_factory=list)
    """Whether each of those queries' target exists in the scene."""
    ambiguous_detected: list[bool] = field(default_factory=list)
    """Per query the dataset marks ambiguous (several objects fit): whether the engine said "ambiguous"."""
    ambiguous_candidate_recall: list[float] = field(default_factory=list)
    """Per such query: share of the dataset's candidates among the engine's candidates."""
    anchor_recall: list[float] = field(default_factory=list)
    """Per found query whose record names anchor objects: share of them among the reported anchors."""
    n_scenes: int = 0
    """Scenes evaluated."""


def target_kind(item: QueryItem) -> str:
    """ "present", "absent" or "ambiguous" (the dataset's ``status`` when given, else from object_id)."""
    status = str(item.record.extra.get("status", "")) if item.record is not None else ""
    if status in ("absent", "ambiguous"):
        return status
    return "present" if int(item.record.object_id) >= 0 else "absent"


def is_unique(item: QueryItem) -> bool:
    """ScanRefer's split: the dataset writes "unique"/"multiple" (or a bool); else the label count decides."""
    u = item.record.extra.get("unique", item.unique) if item.record is not None else item.unique
    return u.lower() == "unique" if isinstance(u, str) else bool(u)


def _groups(items: Sequence[QueryItem]) -> dict[str, list[QueryItem]]:
    out: dict[str, list[QueryItem]] = defaultdict(list)
    for it in items:
        out[it.view_key].append(it)
    return out


def views_perception() -> Any:
    """The ``ScenePerception`` of "views" proposals: the voxel-hash fusion of ``perception_node``'s defaults
    (config/ground3d.yaml), so that the figure measures what a robot's camera gives the model."""
    from perception.geometry.fusion import VOXEL_HASH, SceneMapConfig
    from perception.pipeline import ScenePerception, ScenePerceptionConfig

    return ScenePerception(ScenePerceptionConfig(fusion=SceneMapConfig(method=VOXEL_HASH, voxel_size=0.02)))


def collect(engine: SceneQueryEngine, data_root: str | Path, config: EvalConfig, perception: Any = None) -> Collected:
    """Run every query of ``config.split`` through ``engine`` and keep what the metrics need."""
    prepared = prepare_dataset(data_root, [config.split], seed=config.seed)
    if config.split not in prepared.queries:
        raise GroundingConfigError(f"eval: expected split {config.split!r} in the dataset at {data_root}, got none")
    dataset = Dataset(data_root)
    by_scene: dict[str, list[QueryItem]] = defaultdict(list)
    for it in prepared.queries[config.split]:
        by_scene[it.scene_id].append(it)
    scene_ids = [s for s in dataset.splits[config.split] if s in prepared.scenes]
    if config.max_scenes:
        scene_ids = scene_ids[: config.max_scenes]
    if config.proposals == "views" and perception is None:
        perception = views_perception()
    out = Collected()
    for sid in tqdm(scene_ids, desc=f"eval {config.split}", file=sys.stderr, disable=not sys.stderr.isatty()):
        _scene(engine, prepared.scenes[sid], dataset, sid, by_scene[sid], config, perception, out)
        out.n_scenes += 1
    return out


def _scene(
    engine: SceneQueryEngine,
    prepared: PreparedScene,
    dataset: Dataset,
    sid: str,
    items: list[QueryItem],
    config: EvalConfig,
    perception: Any,
    out: Collected,
) -> None:
    data = dataset.scene(sid)
    gt_boxes = ground_truth_boxes(data)
    gt_ids = list(gt_boxes)
    if config.proposals == "oracle":
        proposals = proposals_from_scene_input(prepared.scene)
        engine.set_scene(proposals, object_metadata(data), scene_id=sid)
    else:
        source = [v.frame() for v in data.views] if config.proposals == "views" else scene_cloud(data)
        proposals = proposals_from(source, perception)
        engine.set_scene(proposals, scene_id=sid)
    prop_ids = [p.object_id for p in proposals]
    prop_boxes = [p.box for p in proposals]
    refer = [it for it in items if it.kind == "refer"]
    qa = [it for it in items if it.kind == "qa"]
    for group in _groups(refer).values():
        for start in range(0, len(group), config.batch_size):
            chunk = group[start : start + config.batch_size]
            results, raw = engine.ground_batch_with_outputs([it.text for it in chunk], chunk[0].view)
            for b, (it, res) in enumerate(zip(chunk, results, strict=True)):
                kind = target_kind(it)
                if kind == "ambiguous":
                    wanted = [int(i) for i in it.record.extra.get("candidate_ids", [])]
                    out.ambiguous_detected.append(res.status == "ambiguous")
                    if wanted and res.status == "ambiguous":
                        got = set(_candidate_gt_ids(res, prop_ids, gt_boxes, gt_ids, config))
                        out.ambiguous_candidate_recall.append(len(got & set(wanted)) / len(wanted))
                    continue
                target_id = int(it.record.object_id) if kind == "present" else -1
                target_box = gt_boxes.get(target_id)
                if config.proposals == "oracle":
                    col = it.target
                    predicted_id = res.object_id
                else:
                    col = best_match(target_box, prop_boxes, config.match_iou) if target_box is not None else -1
                    j = -1 if res.box is None else best_match(res.box, [gt_boxes[g] for g in gt_ids], config.match_iou)
                    predicted_id = None if j < 0 else gt_ids[j]
                out.records.append(
                    GroundingRecord(
                        target_id=target_id,
                        predicted_id=predicted_id,
                        status=res.status,
                        unique=is_unique(it),
                        view_dependent=it.view_dependent,
                        relation=it.relation or "none",
                        predicted_box=res.box,
                        target_box=target_box,
                    )
                )
                out.statuses.append(res.status)
                out.present.append(target_id >= 0)
                anchors_gt = [int(i) for i in it.record.extra.get("anchor_ids", [])]
                if anchors_gt and res.status == "found" and res.evidence is not None:
                    got = {a.object_id for a in res.evidence.anchors}
                    if config.proposals != "oracle":
                        got = {
                            g for g in (_gt_of(a.box, gt_boxes, gt_ids, config) for a in res.evidence.anchors) if g >= 0
                        }
                    out.anchor_recall.append(len(got & set(anchors_gt)) / len(anchors_gt))
                if raw is not None:
                    k = len(prop_ids)
                    out.logits.append(raw.grounding.logits_with_none()[b].double().cpu().numpy()[np.r_[0:k, -1]])
                    out.targets.append(col if col >= 0 else k)
                    if col >= 0:
                        out.similarity.append(raw.retrieval.similarity[b, :k].double().cpu().numpy())
                        out.similarity_targets.append(col)
    for group in _groups(qa).values():
        for start in range(0, len(group), config.batch_size):
            chunk = group[start : start + config.batch_size]
            answers = engine.ask_batch([it.text for it in chunk], chunk[0].view)
            for it, ans in zip(chunk, answers, strict=True):
                out.qa_ranked.append([a for a, _ in ans.top_answers])
                out.qa_gold.append(list(it.answers))
    budget = config.latency_queries - len(out.latency_new_text_ms)
    for it in refer[: max(budget, 0)]:
        engine.clear_text_cache()
        out.latency_new_text_ms.append(engine.ground(it.text, it.view).latency_ms)
        out.latency_repeat_text_ms.append(engine.ground(it.text, it.view).latency_ms)


def _gt_of(box: Any, gt_boxes: dict[int, Any], gt_ids: list[int], config: EvalConfig) -> int:
    j = best_match(box, [gt_boxes[g] for g in gt_ids], config.match_iou)
    return -1 if j < 0 else gt_ids[j]


def _candidate_gt_ids(
    res: Any, prop_ids: list[int], gt_boxes: dict[int, Any], gt_ids: list[int], config: EvalConfig
) -> list[int]:
    """Ground-truth ids of a result's candidates (themselves for oracle proposals, matched by IoU otherwise)."""
    if config.proposals == "oracle":
        return [c.object_id for c in res.candidates]
    return [g for g in (_gt_of(c.box, gt_boxes, gt_ids, config) for c in res.candidates) if g >= 0]


def _mean(xs: Sequence[float] | Sequence[bool]) -> float | None:
    return float(np.mean(xs)) if len(xs) else None


def report(engine: SceneQueryEngine, collected: Collected, config: EvalConfig, checkpoint: str) -> dict[str, Any]:
    """The figures of ``ground3d eval --json``: one flat-ish JSON object (see the notes for the schema)."""
    c = collected
    T = engine.calibration.temperature
    ious = acc_at_iou(c.records)
    return {
        "split": config.split,
        "proposals": config.proposals,
        "checkpoint": checkpoint,
        "n_scenes": c.n_scenes,
        "n_refer": len(c.records),
        "n_qa": len(c.qa_gold),
        "grounding_accuracy": grounding_accuracy(c.records),
        "acc@0.25": ious["acc@0.25"],
        "acc@0.5": ious["acc@0.5"],
        "qa_em@1": exact_match_at_k(c.qa_ranked, c.qa_gold, 1),
        "qa_em@10": exact_match_at_k(c.qa_ranked, c.qa_gold, 10),
        "retrieval_recall@1": recall_at_k(c.similarity, c.similarity_targets, 1),
        "retrieval_recall@5": recall_at_k(c.similarity, c.similarity_targets, 5),
        "ece": ece_of(c.logits, c.targets, T) if c.logits else None,
        "ece_uncalibrated": ece_of(c.logits, c.targets, 1.0) if c.logits else None,
        "abstention": abstention_report(c.statuses, c.present).to_json(),
        "ambiguity": {
            "n": len(c.ambiguous_detected),
            "detected_rate": _mean(c.ambiguous_detected),
            "candidate_recall": _mean(c.ambiguous_candidate_recall),
            "false_ambiguous_rate": _mean([s == "ambiguous" for s, p in zip(c.statuses, c.present, strict=True) if p]),
        },
        "anchor_recall": _mean(c.anchor_recall),
        "latency_ms_p50": percentile_ms(c.latency_new_text_ms),
        "latency_ms_p50_repeat_text": percentile_ms(c.latency_repeat_text_ms),
        "int8": engine.config.int8,
        "calibration": engine.calibration.to_json(),
    }


def evaluate(
    engine: SceneQueryEngine,
    data_root: str | Path,
    config: EvalConfig | None = None,
    checkpoint: str = "default",
    perception: Any = None,
) -> dict[str, Any]:
    """``collect`` then ``report``."""
    cfg = config or EvalConfig()
    return report(engine, collect(engine, data_root, cfg, perception), cfg, checkpoint)


def calibrate_engine(
    engine: SceneQueryEngine, data_root: str | Path, split: str = "val", max_scenes: int = 0
) -> CalibrationReport:
    """Fit temperature and thresholds on ``split`` with oracle proposals; installs them in ``engine``."""
    from grounding.calibration.params import CalibrationParams

    engine.calibration = CalibrationParams()  # the raw logits do not depend on it; statuses are re-derived
    collected = collect(engine, data_root, EvalConfig(split=split, max_scenes=max_scenes, latency_queries=0))
    if not collected.logits:
        raise GroundingConfigError(f"calibrate: expected referring expressions in split {split!r}, got none")
    rep = calibrate(
        collected.logits, collected.targets, fitted_on=f"{split} split of {data_root} ({len(collected.logits)} queries)"
    )
    engine.calibration = rep.params
    return rep
