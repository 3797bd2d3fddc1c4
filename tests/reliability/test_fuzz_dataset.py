"""Fuzzing the dataset loader (issue 9): arbitrary JSON, bytes and arrays in every file of a format-v1 dataset.

The only outcomes allowed are a loaded dataset or perception's own ``DatasetError``: no other exception
type, no crash, no hang. Same budget convention as the converter fuzz test
(``tests/perception/test_fuzz_convert.py``): GROUND3D_FUZZ_EXAMPLES examples per test, default 100.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perception.dataset import Dataset, DatasetError, load_qa, load_refer
from tests.perception.test_dataset_reader import _make

pytestmark = pytest.mark.fuzz
FUZZ = settings(
    max_examples=int(os.environ.get("GROUND3D_FUZZ_EXAMPLES", "100")),
    derandomize="GROUND3D_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

scalars = st.none() | st.booleans() | st.integers(-2**63, 2**64) | st.floats(allow_nan=True) | st.text(max_size=12)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=5), max_leaves=20)
FIELDS = ["object_id", "label", "color", "center", "size", "yaw", "support_id"]
FILES = ["dataset.json", "scenes/s0/objects.json", "scenes/s0/views/v0/camera.json", "refer.json", "qa.json"]


def read_everything(root: Path) -> None:
    """Touch every reader path a user's dataset goes through."""
    ds = Dataset(root)
    for scene_id in ds.scene_ids:
        scene = ds.scene(scene_id)
        for view in scene.views:
            assert view.frame().depth_m.shape == view.rgb.shape[:2]
        for obj in scene.objects:
            assert scene.object(obj.object_id) is obj
    ds.refer()
    ds.qa()


def check(root: Path) -> None:
    try:
        read_everything(root)
    except DatasetError as err:
        assert "expected" in str(err) or "JSON" in str(err), str(err)


def _encode(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


@FUZZ
@given(file=st.sampled_from(FILES), value=json_values)
def test_any_json_in_any_file(file: str, value: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = _make(Path(tmp))
        (root / file).write_bytes(_encode(value))
        check(root)


@FUZZ
@given(file=st.sampled_from([*FILES, "scenes/s0/scene.npz", "scenes/s0/views/v0/rgb.png",
                             "scenes/s0/views/v0/depth.png"]), data=st.binary(max_size=300))
def test_any_bytes_in_any_file(file: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = _make(Path(tmp))
        (root / file).write_bytes(data)
        check(root)


@FUZZ
@given(index=st.integers(0, 1), field=st.sampled_from(FIELDS), value=json_values, drop=st.booleans())
def test_one_object_field_changed_or_dropped(index: int, field: str, value: Any, drop: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = _make(Path(tmp))
        path = root / "scenes/s0/objects.json"
        objects = json.loads(path.read_text())
        if drop:
            objects[index].pop(field, None)
        else:
            objects[index][field] = value
        path.write_bytes(_encode(objects))
        check(root)


arrays = st.builds(
    lambda dtype, shape, fill: np.full(shape, fill).astype(dtype),
    st.sampled_from(["float32", "float64", "uint8", "int32", "int64", "bool"]),
    st.lists(st.integers(0, 5), min_size=0, max_size=3).map(tuple),
    st.integers(-3, 300),
)


@FUZZ
@given(content=st.dictionaries(st.sampled_from(["points", "colors", "instance", "other"]), arrays, max_size=4))
def test_any_arrays_in_scene_npz(content: dict[str, np.ndarray]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = _make(Path(tmp))
        buf = io.BytesIO()
        np.savez(buf, **content)
        (root / "scenes/s0/scene.npz").write_bytes(buf.getvalue())
        check(root)


@FUZZ
@given(records=json_values, which=st.sampled_from(["refer", "qa"]))
def test_annotation_readers_take_any_json(records: Any, which: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ann.json"
        path.write_bytes(_encode(records))
        try:
            (load_refer if which == "refer" else load_qa)(path)
        except DatasetError as err:
            assert "expected" in str(err) or "JSON" in str(err), str(err)
