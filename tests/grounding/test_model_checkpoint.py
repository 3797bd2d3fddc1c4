"""Checkpoints: safetensors round trip, and refusal of truncated or mismatched files."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from grounding.errors import CheckpointError, GroundingConfigError
from grounding.model import GroundingModelConfig, load_model, save_model
from grounding.model.checkpoint import WEIGHTS_FILE, stored_state
from grounding.text import TextEncoder
from tests.grounding.test_fusion import TEXTS, tiny_model
from tests.grounding.test_model_scene import make_scene


@pytest.fixture(scope="module")
def text_encoder() -> TextEncoder:
    return TextEncoder()


def test_round_trip_gives_identical_outputs(tmp_path: Path, text_encoder: TextEncoder) -> None:
    model = tiny_model("cross_attention", text_encoder).eval()
    save_model(model, tmp_path, metadata={"seed": 3})
    assert not any(k.startswith("text_encoder.") for k in stored_state(model))  # frozen MiniLM is not copied
    loaded = load_model(tmp_path, text_encoder=text_encoder)
    assert loaded.answer_vocab == model.answer_vocab and loaded.config == model.config
    with torch.no_grad():
        scene = make_scene(4)
        a = model.query(model.encode_text(TEXTS), model.encode_scene(scene))
        b = loaded.query(loaded.encode_text(TEXTS), loaded.encode_scene(scene))
    assert torch.equal(a.grounding.object_logits, b.grounding.object_logits)
    assert torch.equal(a.answer.answer_logits, b.answer.answer_logits)


def test_truncated_file_is_refused(tmp_path: Path, text_encoder: TextEncoder) -> None:
    save_model(tiny_model("late", text_encoder), tmp_path)
    path = tmp_path / WEIGHTS_FILE
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match="safetensors"):
        load_model(tmp_path, text_encoder=text_encoder)


def test_wrong_shapes_are_refused(tmp_path: Path, text_encoder: TextEncoder) -> None:
    save_model(tiny_model("early", text_encoder), tmp_path / "a")
    save_model(tiny_model("early", text_encoder, scene_layers=1, object_layers=1, image_dim=4), tmp_path / "b")
    (tmp_path / "a" / WEIGHTS_FILE).write_bytes((tmp_path / "b" / WEIGHTS_FILE).read_bytes())
    with pytest.raises(CheckpointError, match="does not match"):
        load_model(tmp_path / "a", text_encoder=text_encoder)


def test_a_tensor_of_the_wrong_shape_is_refused(tmp_path: Path, text_encoder: TextEncoder) -> None:
    from safetensors.torch import load_file, save_file

    save_model(tiny_model("late", text_encoder), tmp_path)
    state = load_file(str(tmp_path / WEIGHTS_FILE))
    state["text_proj.0.weight"] = torch.zeros(3, 3)
    save_file(state, str(tmp_path / WEIGHTS_FILE))
    with pytest.raises(CheckpointError, match=r"text_proj.0.weight: expected \(16, 384\), got \(3, 3\)"):
        load_model(tmp_path, text_encoder=text_encoder)


def test_missing_files_and_bad_config(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"config\.json"):
        load_model(tmp_path)
    with pytest.raises(GroundingConfigError, match="unknown fields"):
        GroundingModelConfig.from_dict({"d_model": 8, "colour": 1})
    with pytest.raises(GroundingConfigError, match="num_heads"):
        GroundingModelConfig(d_model=10, num_heads=4)
