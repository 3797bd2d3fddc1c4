"""The training commands run end to end on a tiny dataset in format v1 and save loadable weights."""

import json

import numpy as np
import pytest
import torch

from pointnet import load_encoder
from pointnet.data import load_object_clouds, load_scene_clouds, normalise_object
from pointnet.train_classify import main as classify_main
from pointnet.train_segment import main as segment_main
from pointnet.train_segment import miou


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    """6 scenes of a floor, a ball (category 0) and a box (category 1); splits 4 / 1 / 1."""
    root = tmp_path_factory.mktemp("tiny")
    rng = np.random.default_rng(0)
    ids = [f"s{i}" for i in range(6)]
    for i, sid in enumerate(ids):
        floor = np.c_[rng.random((300, 2)) * 4, np.zeros(300)]
        d = rng.normal(size=(200, 3))
        ball = d / np.linalg.norm(d, axis=1, keepdims=True) * 0.3 + [1.0, 1.0, 0.3]
        box = (rng.random((200, 3)) - 0.5) * [0.6, 0.4, 0.5]
        box[np.arange(200), rng.integers(0, 3, 200)] = np.sign(box[np.arange(200), 0]) * 0.2
        box += [3.0, 2.0, 0.25]
        points = np.concatenate([floor, ball, box]).astype(np.float32)
        colors = rng.integers(0, 256, (700, 3)).astype(np.uint8)
        instance = np.r_[np.full(300, -1), np.full(200, 1), np.full(200, 2)].astype(np.int32)
        folder = root / "scenes" / sid
        folder.mkdir(parents=True)
        np.savez(folder / "scene.npz", points=points, colors=colors, instance=instance)
        objs = [{"object_id": 1, "label": "ball", "color": "red", "center": [1, 1, 0.3], "size": [0.6] * 3, "yaw": 0},
                {"object_id": 2, "label": "box", "color": "blue", "center": [3, 2, 0.25], "size": [0.6, 0.4, 0.5],
                 "yaw": float(i)}]
        (folder / "objects.json").write_text(json.dumps(objs))
    meta = {"format": "ground3d-dataset", "version": 1, "categories": ["ball", "box"], "colors": ["red", "blue"],
            "splits": {"train": ids[:4], "val": ids[4:5], "test": ids[5:]}}
    (root / "dataset.json").write_text(json.dumps(meta))
    return root


def test_object_and_scene_clouds_are_cut_by_instance(tiny_dataset):
    objs = load_object_clouds(str(tiny_dataset), "train")
    assert len(objs.objects) == 8 and {o.label for o in objs.objects} == {0, 1}
    assert all(o.points.shape == (200, 3) for o in objs.objects)
    pos, rgb, radius = normalise_object(objs.objects[0].points, objs.objects[0].colors, 64,
                                        np.random.default_rng(0))
    assert pos.shape == (64, 3) and float(np.linalg.norm(pos, axis=1).max()) == pytest.approx(1.0)
    assert 0.2 < radius < 0.4 and rgb.max() <= 1.0
    scenes, classes = load_scene_clouds(str(tiny_dataset), "test")
    assert classes == ["background", "ball", "box"]
    assert np.bincount(scenes[0].labels).tolist() == [300, 200, 200]


def test_classification_command_trains_and_saves_a_loadable_encoder(tiny_dataset, tmp_path):
    out = tmp_path / "cls"
    res = classify_main(["--data", str(tiny_dataset), "--model", "pointnet", "--out", str(out), "--epochs", "30",
                         "--points", "64", "--batch-size", "4", "--lr", "0.01"])
    # A ball and a box of different sizes are easy; 60 steps also let BatchNorm's running statistics settle.
    assert res["test_accuracy"] == 1.0
    enc = load_encoder(out / "encoder")
    assert enc.config.in_channels == 4  # rgb + radius
    x, pos = torch.rand(64, 4), torch.rand(64, 3)
    assert enc(x, pos).global_feature.shape == (1, enc.config.out_channels)


def test_segmentation_command_runs_and_reports_miou(tiny_dataset, tmp_path):
    res = segment_main(["--data", str(tiny_dataset), "--model", "pointnet", "--out", str(tmp_path / "seg"),
                        "--epochs", "1", "--points", "256", "--batch-size", "2"])
    assert 0.0 <= res["test_miou"] <= 1.0
    assert set(res["test_iou"]) <= {"background", "ball", "box"}
    assert (tmp_path / "seg" / "encoder" / "encoder.safetensors").is_file()


def test_miou_counts_each_class_once():
    pred = torch.tensor([0, 0, 1, 1, 2])
    gt = torch.tensor([0, 1, 1, 1, 2])
    m, ious = miou(pred, gt, 3)
    assert ious == {0: 0.5, 1: 2 / 3, 2: 1.0}
    assert m == pytest.approx((0.5 + 2 / 3 + 1.0) / 3)
