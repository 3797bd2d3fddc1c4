"""CameraEncoder loads ViT, CLIP and DINOv2 directories offline and returns a patch grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import (
    CLIPConfig,
    CLIPModel,
    CLIPVisionConfig,
    CLIPVisionModel,
    Dinov2Config,
    Dinov2Model,
    ViTConfig,
    ViTModel,
)

from perception import CameraIntrinsics
from perception.vit import CameraEncoder, CameraEncoderConfig
from perception.vit.errors import CameraModelError

TINY = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64}


def _save(model: torch.nn.Module, path: Path) -> str:
    model.save_pretrained(path, safe_serialization=True)
    return str(path)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ViTModel(ViTConfig(image_size=32, patch_size=8, **TINY)),
        lambda: CLIPVisionModel(CLIPVisionConfig(image_size=32, patch_size=8, **TINY)),
        lambda: CLIPModel(
            CLIPConfig(
                vision_config={"image_size": 32, "patch_size": 8, **TINY},
                text_config={"vocab_size": 99, **TINY},
                projection_dim=16,
            )
        ),
        lambda: Dinov2Model(Dinov2Config(image_size=32, patch_size=8, **TINY)),
    ],
    ids=["vit", "clip-vision", "clip-full", "dinov2"],
)
def test_loads_local_directory_and_returns_patch_grid(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    model_dir = _save(make(), tmp_path / "model")
    encoder = CameraEncoder(CameraEncoderConfig(model_dir=model_dir, input_width=64, input_height=48))
    rgb = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    patches = encoder.encode(rgb)
    assert patches.grid == (6, 8)
    assert patches.features.shape == (6, 8, 32)
    assert patches.image_size == (120, 160)
    assert torch.isfinite(patches.features).all()
    # Same image, same tokens: eval mode, no dropout.
    assert torch.equal(encoder.encode(rgb).features, patches.features)


def test_refuses_a_directory_without_config(tmp_path: Path) -> None:
    with pytest.raises(CameraModelError, match=r"config\.json"):
        CameraEncoder(CameraEncoderConfig(model_dir=str(tmp_path)))


def test_refuses_a_text_model(tmp_path: Path) -> None:
    from transformers import BertConfig, BertModel

    model_dir = _save(BertModel(BertConfig(vocab_size=50, **TINY)), tmp_path / "bert")
    with pytest.raises(CameraModelError, match="model_type"):
        CameraEncoder(CameraEncoderConfig(model_dir=model_dir))


def test_shipped_default_model_loads_offline_and_classifies() -> None:
    from perception.vit.camera_encoder import DEFAULT_MODEL_DIR
    from perception.vit.classifier import CropClassifier

    encoder = CameraEncoder()  # no directory given: the weights shipped in the package
    assert encoder.needs_depth  # its fourth channel is each pixel's size in metres
    K = CameraIntrinsics(K=np.array([[525.0, 0, 319.5], [0, 525.0, 239.5], [0, 0, 1]]), width=640, height=480)
    patches = encoder.encode(np.zeros((480, 640, 3), np.uint8), np.full((480, 640), 2.0, np.float32), K)
    assert patches.grid == (24, 32)
    classifier = CropClassifier.load(DEFAULT_MODEL_DIR)
    assert "mug" in classifier.config.categories and "red" in classifier.config.colors
