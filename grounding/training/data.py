"""Dataset (format v1) -> oracle scenes and query items for training and validation.

Oracle proposals are the ground-truth instances of scene.npz with the boxes of objects.json; training
augments them (see ``AugmentConfig``) so that predicted proposals work too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grounding.model.scene_input import ObjectInput, SceneInput
from grounding.model.view import QueryView
from perception.box3d import Box3D
from perception.dataset import Dataset, DatasetError, SceneData

MAX_POINTS_PER_OBJECT = 2048
"""Oracle objects keep at most this many points (a fixed random subset), to bound memory."""


@dataclass
class QueryItem:
    """One training or evaluation query: a referring expression or a question, about one scene and view."""

    text: str
    """The sentence."""
    scene_id: str
    """Scene it is about."""
    view: QueryView | None
    """View it is spoken from (None: the default view)."""
    view_key: str
    """Name of the view ("" for none, "custom:<i>" for an explicit pose), to group queries by (scene, view)."""
    kind: str
    """"refer" or "qa"."""
    target: int = -1
    """refer: column of the target object in the scene's object list, -1 when absent or ambiguous."""
    candidates: list[int] = field(default_factory=list)
    """refer, ambiguous sentences (several objects fit): the columns of those objects (at least 2), else empty."""
    answers: list[str] = field(default_factory=list)
    """qa: accepted answers."""
    evidence: list[int] = field(default_factory=list)
    """qa: columns of the evidence objects."""
    relation: str = ""
    """refer: relation kind; qa: question type."""
    view_dependent: bool = False
    """Whether the sentence depends on the view."""
    unique: bool | None = None
    """refer: True when the target's category is unique in the scene (ScanRefer's 'unique' split)."""
    record: Any = None
    """The dataset record it came from."""


@dataclass
class PreparedScene:
    """A scene with oracle objects and its named views."""

    scene: SceneInput
    """Oracle objects, in objects.json order (those with at least one point)."""
    views: dict[str, QueryView]
    """View name -> view."""
    labels: list[str]
    """Category of each object column."""

    def column_of(self, object_id: int) -> int:
        """Column of ``object_id`` in ``scene.objects``; -1 when the object has no point."""
        ids = self.scene.object_ids
        return ids.index(object_id) if object_id in ids else -1


@dataclass
class PreparedDataset:
    """Scenes and queries of some splits, ready to tensorise."""

    scenes: dict[str, PreparedScene]
    """scene_id -> scene."""
    queries: dict[str, list[QueryItem]]
    """split -> queries."""
    answer_vocab: list[str]
    """Answers of the train split, most frequent first."""


def oracle_scene(data: SceneData, rng: np.random.Generator) -> PreparedScene:
    """Cut each ground-truth instance out of the scene cloud; boxes come from objects.json."""
    objects, labels = [], []
    order = np.argsort(data.instance, kind="stable")
    inst_sorted = data.instance[order]
    for rec in data.objects:
        lo, hi = np.searchsorted(inst_sorted, [rec.object_id, rec.object_id + 1])
        rows = order[lo:hi]
        if len(rows) == 0:
            continue
        if len(rows) > MAX_POINTS_PER_OBJECT:
            rows = rng.choice(rows, MAX_POINTS_PER_OBJECT, replace=False)
        box = Box3D(center=rec.center, size=rec.size, yaw=rec.yaw)
        objects.append(ObjectInput(rec.object_id, data.points[rows], data.colors[rows], box))
        labels.append(rec.label)
    if not objects:
        raise DatasetError(f"scene {data.scene_id}: expected at least one object with points, got none")
    views = {}
    for v in data.views:
        if "position" in v.camera and "look_at" in v.camera:
            views[v.name] = QueryView(np.asarray(v.camera["position"]), np.asarray(v.camera["look_at"]))
        else:
            views[v.name] = QueryView.from_camera_pose(v.T_world_cam)
    return PreparedScene(SceneInput(objects, scene_id=data.scene_id), views, labels)


def _resolve_view(spec: str | dict[str, Any] | None, scene: PreparedScene, where: str) -> tuple[QueryView | None, str]:
    if spec is None or spec == "":
        return None, ""
    if isinstance(spec, str):
        if spec not in scene.views:
            raise DatasetError(
                f"{where}: expected a view of scene {scene.scene.scene_id} in {sorted(scene.views)}, got {spec!r}"
            )
        return scene.views[spec], spec
    view = QueryView(np.asarray(spec["position"]), np.asarray(spec["look_at"]))
    return view, "custom:" + ",".join(f"{x:.3f}" for x in (*view.position, *view.look_at))


def _candidate_columns(extra: dict[str, Any], scene: PreparedScene) -> list[int]:
    """Columns of the objects an ambiguous record fits (its ``candidate_ids`` that have points); [] otherwise."""
    if extra.get("status") != "ambiguous":
        return []
    columns = (scene.column_of(int(i)) for i in extra.get("candidate_ids", []))
    return sorted({c for c in columns if c >= 0})


def build_answer_vocab(answers: Sequence[Sequence[str]]) -> list[str]:
    """Distinct first answers, most frequent first (ties alphabetical), so the vocabulary is deterministic."""
    counts: dict[str, int] = {}
    for a in answers:
        if a:
            counts[a[0]] = counts.get(a[0], 0) + 1
    return sorted(counts, key=lambda k: (-counts[k], k))


def prepare_dataset(root: str | Path, splits: Sequence[str], seed: int = 0) -> PreparedDataset:
    """Read ``splits`` of the dataset at ``root``: oracle scenes, refer and qa queries, the answer vocabulary.

    The answer vocabulary always comes from the train split (when the dataset has one), whatever ``splits`` is.
    """
    ds = Dataset(root)
    rng = np.random.default_rng(seed)
    wanted = [s for s in splits if s in ds.splits]
    scene_ids = [sid for s in wanted for sid in ds.splits[s]]
    scenes = {sid: oracle_scene(ds.scene(sid), rng) for sid in scene_ids}
    queries: dict[str, list[QueryItem]] = {s: [] for s in wanted}
    for split in wanted:
        for r in ds.refer(split):
            sc = scenes[r.scene_id]
            view, key = _resolve_view(r.view, sc, f"refer.json ann {r.ann_id}")
            target = -1 if r.object_id < 0 else sc.column_of(r.object_id)
            if r.object_id >= 0 and target < 0:
                continue  # the target has no point in the cloud, so no oracle proposal can show it
            candidates = _candidate_columns(r.extra, sc)
            if len(candidates) == 1:  # of the objects it fits only one has points: unique in these proposals
                target, candidates = candidates[0], []
            # ScanRefer-style files say "unique" / "multiple"; others may store a bool or nothing.
            raw = r.extra.get("unique")
            unique = raw == "unique" if isinstance(raw, str) else raw
            if unique is None and target >= 0:
                unique = sc.labels.count(sc.labels[target]) == 1
            queries[split].append(
                QueryItem(
                    text=r.description,
                    scene_id=r.scene_id,
                    view=view,
                    view_key=key,
                    kind="refer",
                    target=target,
                    candidates=candidates,
                    relation=r.relation,
                    view_dependent=r.view_dependent,
                    unique=unique,
                    record=r,
                )
            )
        for q in ds.qa(split):
            sc = scenes[q.scene_id]
            view, key = _resolve_view(q.view, sc, f"qa.json question {q.question_id}")
            evidence = [c for c in (sc.column_of(i) for i in q.object_ids) if c >= 0]
            queries[split].append(
                QueryItem(
                    text=q.question,
                    scene_id=q.scene_id,
                    view=view,
                    view_key=key,
                    kind="qa",
                    answers=list(q.answers),
                    evidence=evidence,
                    relation=q.type,
                    record=q,
                )
            )
    vocab_source = (
        ds.qa("train") if "train" in ds.splits else [q.record for s in wanted for q in queries[s] if q.kind == "qa"]
    )
    vocab = build_answer_vocab([q.answers for q in vocab_source])
    return PreparedDataset(scenes=scenes, queries=queries, answer_vocab=vocab)
