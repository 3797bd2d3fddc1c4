"""perception.dataset: a hand-written format-v1 dataset reads back, and every inconsistency raises DatasetError."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from perception.dataset import Dataset, DatasetError
from perception.errors import PerceptionError


def _make(root: Path, objects: list | None = None, instance: np.ndarray | None = None) -> Path:
    (root / "scenes" / "s0" / "views" / "v0").mkdir(parents=True)
    (root / "dataset.json").write_text(json.dumps({
        "format": "ground3d-dataset", "version": 1, "categories": ["mug", "table"], "colors": ["red", "blue"],
        "splits": {"train": ["s0"], "val": [], "test": []}}))
    objs = objects if objects is not None else [
        {"object_id": 0, "label": "table", "color": "blue", "center": [0, 0, 0.4], "size": [1, 0.6, 0.8],
         "yaw": 0.0},
        {"object_id": 1, "label": "mug", "color": "red", "center": [0.1, 0, 0.85], "size": [0.1, 0.08, 0.1],
         "yaw": 1.0, "support_id": 0},
    ]
    (root / "scenes" / "s0" / "objects.json").write_text(json.dumps(objs))
    inst = instance if instance is not None else np.array([-1, 0, 0, 1], dtype=np.int32)
    np.savez(root / "scenes" / "s0" / "scene.npz", points=np.zeros((len(inst), 3), np.float32),
             colors=np.zeros((len(inst), 3), np.uint8), instance=inst)
    v = root / "scenes" / "s0" / "views" / "v0"
    K = [[50.0, 0, 15.5], [0, 50.0, 11.5], [0, 0, 1]]
    (v / "camera.json").write_text(json.dumps({"K": K, "width": 32, "height": 24, "T_world_cam": np.eye(4).tolist()}))
    Image.fromarray(np.full((24, 32, 3), 7, np.uint8)).save(v / "rgb.png")
    Image.fromarray(np.full((24, 32), 1500, np.uint16)).save(v / "depth.png")
    return root


def test_reads_a_handwritten_dataset(tmp_path):
    ds = Dataset(_make(tmp_path))
    assert ds.categories == ["mug", "table"] and ds.colors == ["red", "blue"] and ds.splits["train"] == ["s0"]
    scene = ds.scene("s0")
    assert [o.label for o in scene.objects] == ["table", "mug"]
    assert scene.object(1).extra["support_id"] == 0 and scene.object(1).yaw == 1.0
    view = scene.views[0]
    assert view.name == "v0" and view.intrinsics.fx == 50.0
    assert view.rgb.shape == (24, 32, 3) and np.allclose(view.depth_m, 1.5)
    assert view.frame().depth_m.shape == (24, 32)
    assert ds.refer("train") == [] and ds.qa() == []
    assert view.instance is None  # written without instance.png


def test_instance_png_reads_as_ids_with_minus_one_for_background(tmp_path):
    root = _make(tmp_path)
    ids = np.zeros((24, 32), np.uint16)
    ids[5:10, 5:10] = 2  # object 1 (ids are stored + 1)
    Image.fromarray(ids).save(root / "scenes" / "s0" / "views" / "v0" / "instance.png")
    instance = Dataset(root).scene("s0").views[0].instance
    assert instance is not None and instance.dtype == np.int32
    assert (instance[5:10, 5:10] == 1).all() and (instance == -1).sum() == 24 * 32 - 25
    Image.fromarray(np.zeros((24, 31), np.uint16)).save(root / "scenes" / "s0" / "views" / "v0" / "instance.png")
    with pytest.raises(DatasetError, match=r"instance\.png"):
        _ = Dataset(root).scene("s0").views[0].instance


def test_instance_without_object_record_raises(tmp_path):
    ds = Dataset(_make(tmp_path, instance=np.array([-1, 0, 5, 1], dtype=np.int32)))
    with pytest.raises(DatasetError, match=r"ids \[5\]"):
        ds.scene("s0")


@pytest.mark.parametrize(("bad", "match"), [
    ({"object_id": "zero", "label": "mug", "center": [0, 0, 0], "size": [1, 1, 1]}, "object_id"),
    ({"object_id": 0, "label": "mug", "center": [0, 0], "size": [1, 1, 1]}, "center"),
    ({"object_id": 0, "center": [0, 0, 0], "size": [1, 1, 1]}, "label"),
    ({"object_id": 0, "label": "mug", "center": [0, 0, 0], "size": [1, -1, 1]}, "size"),
    ({"object_id": 0, "label": "spaceship", "center": [0, 0, 0], "size": [1, 1, 1]}, "spaceship"),
])
def test_bad_object_fields_raise_with_expected_and_received(tmp_path, bad, match):
    ds = Dataset(_make(tmp_path, objects=[bad], instance=np.array([-1], np.int32)))
    with pytest.raises(DatasetError, match=match) as info:
        ds.scene("s0")
    assert "expected" in str(info.value) and isinstance(info.value, PerceptionError)


def test_duplicate_ids_and_missing_files_raise(tmp_path):
    obj = {"object_id": 0, "label": "mug", "center": [0, 0, 0], "size": [1, 1, 1]}
    ds = Dataset(_make(tmp_path / "a", objects=[obj, obj], instance=np.array([0], np.int32)))
    with pytest.raises(DatasetError, match="duplicates"):
        ds.scene("s0")
    root = _make(tmp_path / "b")
    (root / "scenes" / "s0" / "objects.json").unlink()
    with pytest.raises(DatasetError, match=r"objects\.json"):
        Dataset(root).scene("s0")
    with pytest.raises(DatasetError, match="nope"):
        Dataset(root).scene("nope")


def test_wrong_format_and_image_size_raise(tmp_path):
    root = _make(tmp_path)
    meta = json.loads((root / "dataset.json").read_text())
    (root / "dataset.json").write_text(json.dumps({**meta, "version": 2}))
    with pytest.raises(DatasetError, match="version"):
        Dataset(root)
    (root / "dataset.json").write_text(json.dumps(meta))
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(root / "scenes" / "s0" / "views" / "v0" / "rgb.png")
    with pytest.raises(DatasetError, match=r"\(24, 32, 3\)"):
        _ = Dataset(root).scene("s0").views[0].rgb
    with pytest.raises(DatasetError, match="split"):
        Dataset(root).refer("nope")
