"""``perception.vit.train`` end to end on a one-scene dataset: from scratch, then continued with ``init``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perception.dataset import Dataset
from perception.vit.classifier import CropClassifier
from perception.vit.train import TrainConfig, train
from tests.perception.test_geometry_evaluate import _write_dataset


def _one_scene_dataset(root: Path, categories: list[str]) -> Dataset:
    _write_dataset(root)
    meta = json.loads((root / "dataset.json").read_text())
    meta.update(categories=categories, splits={"train": ["s0"], "val": ["s0"], "test": ["s0"]})
    (root / "dataset.json").write_text(json.dumps(meta))
    return Dataset(root)


def test_training_continues_from_a_saved_classifier_of_the_same_labels(tmp_path: Path) -> None:
    data = _one_scene_dataset(tmp_path / "data", ["box"])
    first = train(data, tmp_path / "first", TrainConfig(epochs=1, batch_size=4))
    assert first["train_crops"] > 0 and first["init"] == ""
    again = train(data, tmp_path / "again", TrainConfig(epochs=1, batch_size=4, init=str(tmp_path / "first")))
    assert again["init"] == str(tmp_path / "first")
    assert CropClassifier.load(tmp_path / "again").config.categories == ["box"]
    other = _one_scene_dataset(tmp_path / "other", ["box", "mug"])
    with pytest.raises(ValueError, match="categories"):
        train(other, tmp_path / "bad", TrainConfig(epochs=1, batch_size=4, init=str(tmp_path / "first")))
