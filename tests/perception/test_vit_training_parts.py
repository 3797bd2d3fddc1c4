"""The pieces of the camera-ViT recipe: view instance masks, object crops, classifier save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from perception import CameraIntrinsics
from perception.vit import CameraEncoder, CameraEncoderConfig
from perception.vit.classifier import CropClassifier, CropClassifierConfig
from perception.vit.crops import CropConfig, object_crops
from perception.vit.errors import CameraModelError
from perception.vit.train import AugmentConfig, augment
from perception.vit.view_instances import view_instance_mask


def _plane_scene() -> tuple[np.ndarray, np.ndarray]:
    """A labelled plane at z = 2: x < 0 is instance 3, x >= 0 instance 5, spacing 1 cm."""
    xs, ys = np.meshgrid(np.arange(-1.0, 1.0, 0.01), np.arange(-1.0, 1.0, 0.01))
    points = np.stack([xs.ravel(), ys.ravel(), np.full(xs.size, 2.0)], 1).astype(np.float32)
    instance = np.where(points[:, 0] < 0, 3, 5).astype(np.int32)
    return points, instance


def test_view_instance_mask_labels_pixels_by_nearest_surface() -> None:
    points, instance = _plane_scene()
    K = CameraIntrinsics(K=np.array([[80.0, 0, 31.5], [0, 80.0, 23.5], [0, 0, 1]]), width=64, height=48)
    depth = np.full((48, 64), 2.0, np.float32)
    depth[0, 0] = 0.0  # no return
    depth[1, 1] = 3.0  # a surface the scene cloud does not have
    mask = view_instance_mask(depth, K, np.eye(4), points, instance)
    assert mask[0, 0] == -1 and mask[1, 1] == -1
    assert (mask[10:40, 2:28] == 3).all()
    assert (mask[10:40, 36:62] == 5).all()


def test_object_crops_skip_small_objects_and_keep_ids() -> None:
    mask = np.full((48, 64), -1, np.int32)
    mask[5:25, 5:30] = 7
    mask[40:42, 60:62] = 9  # 4 pixels: too small
    rgb = np.zeros((48, 64, 3), np.uint8)
    rgb[5:25, 5:30] = [255, 0, 0]
    cut = object_crops(rgb, mask, CropConfig(size=16, min_pixels=10))
    assert cut.ids.tolist() == [7]
    assert cut.crops.shape == (1, 3, 16, 16)
    assert cut.crops[0, 0, 8, 8] > 0.9 and cut.crops[0, 1, 8, 8] < 0.1  # the red object fills the crop's centre
    assert cut.pixel_size_m is None  # no depth given


def test_crop_pixel_size_is_the_metric_size_of_a_crop_pixel_on_a_plane() -> None:
    # A 20 x 20 pixel object at 2 m with f = 100 px is 0.4 m wide; its crop (15 % padding on each side)
    # is 26 pixels = 0.52 m, so each of the 13 crop pixels covers 4 cm.
    K = CameraIntrinsics(K=np.array([[100.0, 0, 31.5], [0, 100.0, 31.5], [0, 0, 1]]), width=64, height=64)
    mask = np.full((64, 64), -1, np.int32)
    mask[20:40, 20:40] = 4
    depth = np.full((64, 64), 5.0, np.float32)
    depth[20:40, 20:40] = 2.0
    depth[20, 20] = np.nan  # one invalid pixel of the object does not move its median depth
    cut = object_crops(np.zeros((64, 64, 3), np.uint8), mask, CropConfig(size=13, min_pixels=10), depth, K)
    assert cut.pixel_size_m is not None
    assert cut.pixel_size_m.tolist() == pytest.approx([2.0 * 26 / 100 / 13])


def test_classifier_round_trips_and_serves_as_camera_encoder(tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = CropClassifierConfig(categories=["mug", "ball"], colors=["red"], hidden_size=24, num_layers=1, num_heads=2)
    model = CropClassifier(config).eval()
    crops = torch.rand(2, 3, 48, 48)
    model.save(tmp_path / "vit")
    loaded = CropClassifier.load(tmp_path / "vit").eval()
    with torch.no_grad():
        assert torch.equal(model(crops).category, loaded(crops).category)
        assert torch.equal(model(crops).color, loaded(crops).color)
    # The saved backbone is an ordinary transformers directory that CameraEncoder loads.
    encoder = CameraEncoder(CameraEncoderConfig(model_dir=str(tmp_path / "vit"), input_width=64, input_height=48))
    assert not encoder.needs_depth
    assert encoder.encode(np.zeros((48, 64, 3), np.uint8)).features.shape == (6, 8, 24)


def test_a_pixel_size_classifier_sees_size_and_its_encoder_needs_depth(tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = CropClassifierConfig(categories=["mug", "bin"], colors=["red"], hidden_size=24, num_layers=1,
                                  num_heads=2, pixel_size_channel=True)
    model = CropClassifier(config).eval()
    crops = torch.rand(1, 3, 48, 48).expand(2, -1, -1, -1)
    with torch.no_grad():
        logits = model(crops, torch.tensor([0.002, 0.02])).category  # one crop drawn at two metric sizes
        assert not torch.allclose(logits[0], logits[1])
        with pytest.raises(CameraModelError, match="pixel_size_m"):
            model(crops)
    model.save(tmp_path / "vit")
    loaded = CropClassifier.load(tmp_path / "vit").eval()
    with torch.no_grad():
        assert torch.equal(loaded(crops, torch.tensor([0.002, 0.02])).category, logits)
    encoder = CameraEncoder(CameraEncoderConfig(model_dir=str(tmp_path / "vit"), input_width=64, input_height=48))
    assert encoder.needs_depth
    rgb = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    K = CameraIntrinsics(K=np.array([[60.0, 0, 31.5], [0, 60.0, 23.5], [0, 0, 1]]), width=64, height=48)
    with pytest.raises(CameraModelError, match="depth"):
        encoder.encode(rgb)
    near = encoder.encode(rgb, np.full((48, 64), 0.5, np.float32), K).features
    far = encoder.encode(rgb, np.full((48, 64), 4.0, np.float32), K).features
    assert near.shape == (6, 8, 24)
    assert not torch.allclose(near, far)  # the same picture further away is a larger thing


def test_augment_off_is_identity_up_to_flip_and_keeps_hue() -> None:
    crops = torch.full((8, 3, 16, 16), 0.5)
    crops[:, :, 4:12, 2:10] = torch.tensor([0.8, 0.2, 0.1]).view(1, 3, 1, 1)  # an orange object on grey
    gen = torch.Generator().manual_seed(0)
    sizes = torch.full((8,), 0.01)
    off, off_sizes = augment(crops, sizes, gen, AugmentConfig(log_scale=0, shift=0, rotate_rad=0, brightness=0,
                                                              erase_prob=0))
    assert torch.equal(off_sizes, sizes)
    same = (off - crops).abs().amax((1, 2, 3)) < 1e-5
    flipped = (off - crops.flip(-1)).abs().amax((1, 2, 3)) < 1e-5
    assert (same | flipped).all()
    on, on_sizes = augment(crops, sizes, gen, AugmentConfig(erase_prob=0))
    # A zoom by s draws the object s times larger: each pixel then covers 1 / s of the metres.
    assert on_sizes.min() >= 0.01 * np.exp(-0.25) - 1e-9 and on_sizes.max() <= 0.01 * np.exp(0.25) + 1e-9
    assert not torch.equal(on_sizes, sizes)
    assert on.shape == crops.shape and on.min() >= 0 and on.max() <= 1
    # Object pixels stay orange (red > green > blue); everything else stays background grey.
    red, green, blue = on[:, 0], on[:, 1], on[:, 2]
    obj = (on - 0.5).abs().amax(1) > 0.05
    assert obj.any(dim=(1, 2)).all()
    assert ((red > green) & (green > blue))[obj].all()
    assert ((on[:, :, 0, 0] - 0.5).abs() < 1e-5).all()
