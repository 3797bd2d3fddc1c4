"""Dataset -> oracle scenes and query items; also the tiny on-disk dataset the training tests share."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from grounding.model import GroundingModelConfig, build_model
from grounding.training.batches import group_queries, make_step_batch
from grounding.training.data import build_answer_vocab, prepare_dataset
from grounding.training.validate import evaluate_split

TINY_MODEL = {"d_model": 16, "num_heads": 2, "points_per_object": 16, "point_feature_dim": 16, "fourier_bands": 2,
              "contrastive_dim": 8, "scene_layers": 1, "text_layers": 1, "object_layers": 1}
"""A model small enough to train and validate in seconds (also ``tests/grounding/test_train.py``'s)."""
LABELS = ("cube", "ball", "rod")
COLORS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220)}
SIZES = {"cube": (0.3, 0.3, 0.3), "ball": (0.25, 0.25, 0.25), "rod": (0.08, 0.08, 0.6)}


def _camera(position: np.ndarray, look_at: np.ndarray) -> dict[str, object]:
    z = look_at - position
    z /= np.linalg.norm(z)
    x = np.cross(z, [0.0, 0.0, 1.0])
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    T = np.eye(4)
    T[:3, :3] = np.stack([x, y, z], axis=1)
    T[:3, 3] = position
    K = [[100.0, 0.0, 32.0], [0.0, 100.0, 24.0], [0.0, 0.0, 1.0]]
    return {
        "K": K,
        "width": 64,
        "height": 48,
        "T_world_cam": T.tolist(),
        "position": position.tolist(),
        "look_at": look_at.tolist(),
    }


def write_tiny_dataset(root: Path, num_scenes: int = 6, seed: int = 0) -> Path:
    """A format-v1 dataset of ``num_scenes`` scenes of 3-5 coloured cubes, balls and rods on a floor.

    Refer: "the <colour> <label>" (unique here), "the <label> on the left" and one absent target per scene.
    QA: "what color is the <label>?" for unique labels and "how many objects are there?".
    Splits: the last scene is test, the one before val, the rest train.
    """
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    ids = [f"s{i:02d}" for i in range(num_scenes)]
    refer, qa = [], []
    for sid in ids:
        n = int(rng.integers(3, 6))
        pairs = list({(str(rng.choice(LABELS)), str(rng.choice(list(COLORS)))) for _ in range(n)})
        xs = rng.permutation(np.linspace(-1.5, 1.5, len(pairs)))
        pts, cols, inst, objs = [], [], [], []
        for oid, ((label, color), x) in enumerate(zip(pairs, xs, strict=True)):
            size = np.array(SIZES[label])
            center = np.array([x, rng.uniform(-0.3, 0.3), size[2] / 2])
            p = center + rng.uniform(-0.5, 0.5, (300, 3)) * size
            if label == "ball":
                p = center + rng.normal(size=(300, 3)) * 0.0
                d = rng.normal(size=(300, 3))
                p = center + d / np.linalg.norm(d, axis=1, keepdims=True) * size / 2
            pts.append(p)
            cols.append(np.tile(COLORS[color], (300, 1)))
            inst.append(np.full(300, oid))
            objs.append(
                {
                    "object_id": oid,
                    "label": label,
                    "color": color,
                    "center": center.tolist(),
                    "size": size.tolist(),
                    "yaw": 0.0,
                }
            )
        floor = np.column_stack([rng.uniform(-2, 2, 500), rng.uniform(-1, 1, 500), np.zeros(500)])
        pts.append(floor)
        cols.append(np.full((500, 3), 120))
        inst.append(np.full(500, -1))
        folder = root / "scenes" / sid
        (folder / "views" / "v0").mkdir(parents=True, exist_ok=True)
        np.savez(
            folder / "scene.npz",
            points=np.concatenate(pts).astype(np.float32),
            colors=np.concatenate(cols).astype(np.uint8),
            instance=np.concatenate(inst).astype(np.int32),
        )
        (folder / "objects.json").write_text(json.dumps(objs))
        cam = _camera(np.array([0.0, -3.0, 1.5]), np.array([0.0, 0.0, 0.2]))
        (folder / "views" / "v0" / "camera.json").write_text(json.dumps(cam))
        left = min(objs, key=lambda o: o["center"][0])
        labels = [o["label"] for o in objs]
        for o in objs:
            refer.append(
                {
                    "scene_id": sid,
                    "object_id": o["object_id"],
                    "object_name": o["label"],
                    "ann_id": len(refer),
                    "description": f"the {o['color']} {o['label']}",
                    "unique": "unique" if labels.count(o["label"]) == 1 else "multiple",
                    "view": "v0",
                    "relation": "attribute",
                    "view_dependent": False,
                }
            )
        refer.append(
            {
                "scene_id": sid,
                "object_id": left["object_id"],
                "object_name": left["label"],
                "ann_id": len(refer),
                "description": "the object on the far left",
                "view": "v0",
                "relation": "left",
                "view_dependent": True,
            }
        )
        refer.append(
            {
                "scene_id": sid,
                "object_id": -1,
                "object_name": "cube",
                "ann_id": len(refer),
                "description": "the purple cube",
                "view": "v0",
                "relation": "absent",
                "view_dependent": False,
            }
        )
        for o in objs:
            if labels.count(o["label"]) == 1:
                qa.append(
                    {
                        "scene_id": sid,
                        "question_id": f"{sid}-{len(qa)}",
                        "question": f"what color is the {o['label']}?",
                        "answers": [o["color"]],
                        "object_ids": [o["object_id"]],
                        "view": "v0",
                        "type": "attribute",
                    }
                )
        qa.append(
            {
                "scene_id": sid,
                "question_id": f"{sid}-{len(qa)}",
                "question": "how many objects are there?",
                "answers": [str(len(objs))],
                "object_ids": [o["object_id"] for o in objs],
                "view": "v0",
                "type": "count",
            }
        )
    splits = {"train": ids[:-2], "val": ids[-2:-1], "test": ids[-1:]}
    meta = {
        "format": "ground3d-dataset",
        "version": 1,
        "categories": list(LABELS),
        "colors": list(COLORS),
        "splits": splits,
    }
    (root / "dataset.json").write_text(json.dumps(meta))
    (root / "refer.json").write_text(json.dumps(refer))
    (root / "qa.json").write_text(json.dumps(qa))
    return root


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_dataset(tmp_path_factory.mktemp("tiny"))


def test_oracle_scenes_follow_instances_and_boxes(tiny: Path) -> None:
    data = prepare_dataset(tiny, ["train", "val", "test"])
    objs = json.loads((tiny / "scenes" / "s00" / "objects.json").read_text())
    scene = data.scenes["s00"].scene
    assert scene.object_ids == [o["object_id"] for o in objs]
    for o, rec in zip(scene.objects, objs, strict=True):
        assert o.points.shape == (300, 3)
        np.testing.assert_allclose(o.box.center, rec["center"])
        # every cut-out point lies in its own box: the instance ids were followed, not the boxes
        assert o.box.contains(o.points.astype(np.float64), margin=1e-4).all()


def test_queries_resolve_targets_views_and_absent(tiny: Path) -> None:
    data = prepare_dataset(tiny, ["train"])
    refer = [q for q in data.queries["train"] if q.kind == "refer"]
    absent = [q for q in refer if q.relation == "absent"]
    assert absent and all(q.target == -1 for q in absent)
    assert all(q.view is not None and q.view_key == "v0" for q in refer)
    left = [q for q in refer if q.relation == "left"]
    for q in left:
        centers = data.scenes[q.scene_id].scene.centers()
        assert q.target == int(np.argmin(centers[:, 0]))
    # ScanRefer's "unique" / "multiple" strings become booleans
    attr = [q for q in refer if q.relation == "attribute"]
    for q in attr:
        labels = data.scenes[q.scene_id].labels
        assert q.unique is (labels.count(labels[q.target]) == 1)
    assert any(q.unique for q in attr) and not all(q.unique for q in attr)
    # one group per (scene, view): all queries of a train scene share view v0
    assert len(group_queries(data.queries["train"])) == 4


def test_answer_vocab_is_from_train_and_deterministic(tiny: Path) -> None:
    a = prepare_dataset(tiny, ["test"]).answer_vocab
    b = prepare_dataset(tiny, ["train", "val"]).answer_vocab
    assert a == b and a
    assert build_answer_vocab([["b"], ["a"], ["b"], []]) == ["b", "a"]


def _with_ambiguous(tiny: Path, root: Path) -> Path:
    """A copy of ``tiny`` whose scenes each get two ambiguous records as the sim writes them: one that fits
    the scene's first two objects, and one that fits its first object and an id with no points."""
    shutil.copytree(tiny, root)
    refer = json.loads((root / "refer.json").read_text())
    for sid in sorted({r["scene_id"] for r in refer}):
        for candidates in ([0, 1], [0, 99]):
            refer.append({"scene_id": sid, "object_id": -1, "object_name": "object", "ann_id": len(refer),
                          "description": "one of the objects", "view": "v0", "relation": "attribute",
                          "view_dependent": False, "status": "ambiguous", "candidate_ids": candidates})
    (root / "refer.json").write_text(json.dumps(refer))
    return root


def test_ambiguous_sentences_target_every_object_they_fit(tiny: Path, tmp_path: Path) -> None:
    data = prepare_dataset(_with_ambiguous(tiny, tmp_path / "amb"), ["train", "val"])
    amb = [q for q in data.queries["train"] if q.text == "one of the objects"]
    assert len(amb) == 2 * 4
    for q in amb:
        cols = [data.scenes[q.scene_id].column_of(i) for i in (0, 1)]
        if q.candidates:  # fits objects 0 and 1: both are its target, none of them alone
            assert q.candidates == cols and q.target == -1
        else:  # fits object 0 and one with no points: among these proposals it is unique
            assert q.target == cols[0]
    assert sum(bool(q.candidates) for q in amb) == 4
    assert all(not q.candidates for q in data.queries["train"] if q.text != "one of the objects")

    model = build_model(GroundingModelConfig(**TINY_MODEL), data.answer_vocab)
    groups = group_queries(data.queries["train"])
    batch = make_step_batch(model, data, groups, None, None, None)
    rows = [b for b, q in enumerate(batch.items) if q.candidates]
    assert batch.candidates.shape == (len(batch.items), batch.scenes.num_objects)
    assert int(batch.candidates.sum()) == 2 * len(rows) and batch.candidates[rows][:, :2].all()

    # Validation scores them apart from the absent targets, by whether the belief went to what they fit.
    metrics = evaluate_split(model, data, "val")
    assert metrics.counts["ambiguous_split"] == 1
    assert metrics.counts["absent_not_found"] == 1 and metrics.counts["refer"] == len(
        [q for q in data.queries["val"] if q.kind == "refer" and not q.candidates])
