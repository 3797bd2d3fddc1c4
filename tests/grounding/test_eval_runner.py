"""``ground3d eval`` end to end on a tiny dataset written here, with tiny models whose answers are known."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from grounding.calibration import CalibrationParams
from grounding.engine import SceneQueryEngine
from grounding.evaluation.runner import EvalConfig, calibrate_engine, evaluate
from grounding.model import save_model
from ros_nodes.cli.main import main
from tests.grounding._engine_scene import tiny_model

VIEW = {"position": [0.0, -3.0, 1.5], "look_at": [0.0, 0.0, 0.5]}
# scene -> [(object_id, label, colour, rgb, centre)]
SCENES = {
    "s0": [
        (1, "mug", "red", (200, 30, 35), (-0.5, 0.0, 0.1)),
        (2, "mug", "blue", (35, 70, 190), (0.5, 0.0, 0.1)),
        (3, "lamp", "white", (235, 235, 230), (0.0, 0.5, 0.3)),
    ],
    "s1": [(4, "chair", "brown", (120, 75, 40), (0.0, 0.0, 0.4)), (5, "box", "green", (40, 150, 60), (1.0, 0.0, 0.2))],
    "s2": [(6, "cup", "red", (200, 30, 35), (0.0, 0.0, 0.1)), (7, "cup", "red", (200, 30, 35), (0.6, 0.0, 0.1))],
}
SPLITS = {"test": ["s0", "s1"], "val": ["s2"], "train": []}
# (scene, target id or -1, text, relation, view_dependent)
REFER = [
    ("s0", 1, "the red mug", "none", False),
    ("s0", 2, "the mug on the right", "right_of", True),
    ("s0", 3, "the lamp behind the mugs", "behind", True),
    ("s0", -1, "the purple sofa", "none", False),
    ("s1", 4, "the brown chair", "none", False),
    ("s1", 5, "the green box next to the chair", "next_to", False),
    ("s2", 6, "the red cup on the left", "left_of", True),
    ("s2", 7, "the red cup on the right", "right_of", True),
    ("s2", -1, "the yellow lamp", "none", False),
]
# Several objects fit: the dataset marks it ambiguous and lists the candidates.
AMBIGUOUS = {
    "scene_id": "s0",
    "object_id": -1,
    "object_name": "mug",
    "ann_id": 99,
    "description": "the mug",
    "view": VIEW,
    "relation": "attribute",
    "view_dependent": False,
    "status": "ambiguous",
    "candidate_ids": [1, 2],
    "unique": "multiple",
}
QA = [("s0", "how many mugs are there?", ["2"]), ("s1", "what colour is the box?", ["green"])]


def write_dataset(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for sid, objs in SCENES.items():
        folder = root / "scenes" / sid
        folder.mkdir(parents=True)
        pts, cols, inst, records = [], [], [], []
        for oid, label, color, rgb, center in objs:
            size = np.array([0.2, 0.2, 0.2])
            p = np.asarray(center) + (rng.random((50, 3)) - 0.5) * size
            pts.append(p)
            cols.append(np.tile(rgb, (50, 1)))
            inst.append(np.full(50, oid))
            records.append(
                {
                    "object_id": oid,
                    "label": label,
                    "color": color,
                    "center": list(center),
                    "size": size.tolist(),
                    "yaw": 0.0,
                    "support_id": -1,
                }
            )
        np.savez(
            folder / "scene.npz",
            points=np.concatenate(pts).astype(np.float32),
            colors=np.concatenate(cols).astype(np.uint8),
            instance=np.concatenate(inst).astype(np.int32),
        )
        (folder / "objects.json").write_text(json.dumps(records))
    labels = sorted({o[1] for objs in SCENES.values() for o in objs})
    (root / "dataset.json").write_text(
        json.dumps(
            {
                "format": "ground3d-dataset",
                "version": 1,
                "categories": labels,
                "colors": ["red", "blue"],
                "splits": SPLITS,
            }
        )
    )
    (root / "refer.json").write_text(
        json.dumps(
            [
                {
                    "scene_id": s,
                    "object_id": t,
                    "object_name": "x",
                    "ann_id": i,
                    "description": d,
                    "view": VIEW,
                    "relation": r,
                    "view_dependent": vd,
                }
                for i, (s, t, d, r, vd) in enumerate(REFER)
            ]
            + [AMBIGUOUS]
        )
    )
    (root / "qa.json").write_text(
        json.dumps(
            [
                {
                    "scene_id": s,
                    "question_id": f"q{i}",
                    "question": q,
                    "answers": a,
                    "object_ids": [],
                    "view": VIEW,
                    "type": "count",
                }
                for i, (s, q, a) in enumerate(QA)
            ]
        )
    )
    return root


def first_object_model():
    """Object scores are equal, "none" never wins, so every query picks the first object of its scene."""
    m = tiny_model()
    with torch.no_grad():
        m.grounding_head.score[-1].weight.zero_()
        m.grounding_head.score[-1].bias.zero_()
        m.grounding_head.prior_weight.zero_()  # drop the retrieval prior that would break the tie
        m.grounding_head.none[-1].bias.fill_(-50.0)
    return m


def test_eval_figures_on_a_model_that_always_picks_the_first_object(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data")
    engine = SceneQueryEngine(first_object_model())
    r = evaluate(engine, data, EvalConfig(split="test", latency_queries=3))
    acc = r["grounding_accuracy"]
    # Present test targets: 1 (first of s0: right), 2, 3 (wrong), 4 (first of s1: right), 5 (wrong).
    assert acc["n"] == 5 and acc["overall"] == pytest.approx(2 / 5)
    assert acc["by_relation"] == {"behind": 0.0, "next_to": 0.0, "none": 1.0, "right_of": 0.0}
    assert acc["view_dependent"] == 0.0 and acc["view_independent"] == pytest.approx(2 / 3)
    assert acc["unique"] == pytest.approx(1 / 3) and acc["multiple"] == pytest.approx(1 / 2)  # mugs are "multiple"
    assert r["acc@0.25"] == pytest.approx(2 / 5) and r["acc@0.5"] == pytest.approx(2 / 5)
    assert r["abstention"] == {
        "absent_not_found_rate": 0.0,
        "present_not_found_rate": 0.0,
        "n_absent": 1,
        "n_present": 5,
    }
    assert r["n_scenes"] == 2 and r["n_refer"] == 6 and r["n_qa"] == 2
    # The vocabulary (0, 1, 2, red, blue) fits in the top 10: "2" is always listed, "green" never.
    assert r["qa_em@10"] == 0.5 and 0.0 <= r["qa_em@1"] <= 0.5
    assert 0.0 <= r["retrieval_recall@1"] <= r["retrieval_recall@5"] == 1.0  # at most 3 objects per scene
    assert 0.0 <= r["ece"] <= 1.0 and r["latency_ms_p50"] > 0 and r["latency_ms_p50_repeat_text"] > 0
    assert r["ambiguity"] == {"n": 1, "detected_rate": 0.0, "candidate_recall": None, "false_ambiguous_rate": 0.0}


def test_ties_within_the_margin_are_reported_ambiguous(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data")
    engine = SceneQueryEngine(first_object_model(), CalibrationParams(ambiguity_margin=0.05))
    r = evaluate(engine, data, EvalConfig(split="test", latency_queries=0))
    assert r["ambiguity"] == {"n": 1, "detected_rate": 1.0, "candidate_recall": 1.0, "false_ambiguous_rate": 1.0}
    assert r["grounding_accuracy"]["overall"] == pytest.approx(2 / 5)  # an ambiguous answer counts its top pick


def test_none_dominant_model_abstains_on_everything(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data")
    m = tiny_model()
    with torch.no_grad():
        m.grounding_head.none[-1].bias.fill_(50.0)
    r = evaluate(SceneQueryEngine(m), data, EvalConfig(split="test", latency_queries=0))
    assert r["abstention"]["absent_not_found_rate"] == 1.0 and r["abstention"]["present_not_found_rate"] == 1.0
    assert r["grounding_accuracy"]["overall"] == 0.0 and r["latency_ms_p50"] is None


def test_calibration_on_val_is_fitted_and_installed(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data")
    engine = SceneQueryEngine(tiny_model(), CalibrationParams(temperature=7.0))
    rep = calibrate_engine(engine, data, "val")
    assert engine.calibration is rep.params and rep.params.metrics["n_queries"] == 3.0
    assert rep.nll_after <= rep.nll_before and "val split" in rep.params.fitted_on


def test_cli_json_and_calibrate_write_beside_the_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_dataset(tmp_path / "data")
    ckpt = save_model(first_object_model(), tmp_path / "ckpt")
    code = main(
        ["eval", "--data", str(data), "--checkpoint", str(ckpt), "--json", "--calibrate", "--latency-queries", "2"]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert (ckpt / "calibration.json").is_file()
    assert out["calibration"] == json.loads((ckpt / "calibration.json").read_text())
    assert set(out) >= {
        "grounding_accuracy",
        "acc@0.25",
        "acc@0.5",
        "qa_em@1",
        "qa_em@10",
        "retrieval_recall@1",
        "retrieval_recall@5",
        "ece",
        "abstention",
        "latency_ms_p50",
    }
    png = tmp_path / "reliability.png"
    args = [
        "eval",
        "--data",
        str(data),
        "--checkpoint",
        str(ckpt),
        "--latency-queries",
        "0",
        "--reliability-png",
        str(png),
    ]
    assert main(args) == 0
    assert "grounding accuracy" in capsys.readouterr().out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["eval", "--data", str(tmp_path / "missing"), "--checkpoint", str(ckpt)]) == 2
    assert "ground3d eval:" in capsys.readouterr().err



@pytest.fixture(scope="module")
def sim_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three small sim scenes with two RGB-D views each (one per split)."""
    from sim.dataset.writer import DatasetConfig, write_dataset
    from sim.scene import SceneConfig
    from sim.sensors.camera import RGBDCameraConfig

    root = tmp_path_factory.mktemp("sim") / "data"
    write_dataset(root, DatasetConfig(scenes=3, views=2, split_fractions=(0.34, 0.33, 0.33), held_out_pairs=0,
                                      scene=SceneConfig(min_objects=5, max_objects=8, points_per_scene=20000),
                                      camera=RGBDCameraConfig(width=160, height=120)), progress=False)
    return root


@pytest.mark.parametrize("mode", ["predicted", "views"])
def test_perceived_proposals_are_scored_by_box_overlap(sim_dataset: Path, mode: str) -> None:
    """Perception's proposals (on the scene cloud, or on its fused RGB-D views) stand for ground-truth objects by
    IoU: each figure is a rate, and a target the proposals missed counts as a miss."""
    engine = SceneQueryEngine(first_object_model())
    r = evaluate(engine, sim_dataset, EvalConfig(split="test", proposals=mode, latency_queries=2))
    assert r["proposals"] == mode and r["n_scenes"] == 1 and r["n_refer"] > 0
    for key in ("acc@0.25", "acc@0.5"):
        assert 0.0 <= r[key] <= 1.0
    assert r["acc@0.5"] <= r["acc@0.25"]
