"""The shipped camera ViT: a small ViT backbone with category and colour heads, trained on sim crops."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import ViTConfig, ViTModel

from perception.vit.errors import CameraModelError
from perception.vit.pixel_size import CHANNEL_NAME, normalised_log_size


@dataclass
class CropClassifierConfig:
    """Size of the default camera ViT and the label sets of its heads."""

    categories: list[str] = field(default_factory=list)
    """Category names, the classes of the category head."""
    colors: list[str] = field(default_factory=list)
    """Colour names, the classes of the colour head."""
    image_size: int = 48
    """Training crop edge in pixels; larger inputs interpolate the position embeddings."""
    patch_size: int = 8
    """Patch edge in pixels."""
    hidden_size: int = 128
    """Token width D."""
    num_layers: int = 6
    """Transformer blocks."""
    num_heads: int = 4
    """Attention heads per block."""
    pixel_size_channel: bool = False
    """Feed each crop's pixel size in metres (``pixel_size``) as a fourth input channel, so that objects that
    differ mostly in size can be told apart; the encoder then needs depth."""

    def __post_init__(self) -> None:
        if self.image_size % self.patch_size:
            raise CameraModelError(
                f"CropClassifierConfig.image_size: expected a multiple of patch_size {self.patch_size}, "
                f"got {self.image_size}"
            )
        if self.hidden_size % self.num_heads:
            raise CameraModelError(
                f"CropClassifierConfig.hidden_size: expected a multiple of num_heads {self.num_heads}, "
                f"got {self.hidden_size}"
            )


@dataclass
class CropLogits:
    """Per-crop class scores."""

    category: torch.Tensor
    """(B, num_categories) logits."""
    color: torch.Tensor
    """(B, num_colors) logits."""


# Crops are normalised to [-1, 1]; written to preprocessor_config.json so CameraEncoder does the same.
MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)


class CropClassifier(nn.Module):
    """ViT backbone; heads read the mean of the patch tokens, the same tokens that get lifted to 3D."""

    def __init__(self, config: CropClassifierConfig) -> None:
        super().__init__()
        self.config = config
        self.backbone = ViTModel(
            ViTConfig(
                image_size=config.image_size,
                patch_size=config.patch_size,
                hidden_size=config.hidden_size,
                num_hidden_layers=config.num_layers,
                num_attention_heads=config.num_heads,
                intermediate_size=2 * config.hidden_size,
                hidden_dropout_prob=0.0,
                attention_probs_dropout_prob=0.0,
                num_channels=4 if config.pixel_size_channel else 3,
            ),
            add_pooling_layer=False,
        )
        self.category_head = nn.Linear(config.hidden_size, len(config.categories))
        self.color_head = nn.Linear(config.hidden_size, len(config.colors))

    def forward(self, crops: torch.Tensor, pixel_size_m: torch.Tensor | None = None) -> CropLogits:
        """crops (B, 3, S, S) in [0, 1] and, with ``pixel_size_channel``, their pixel sizes (B,) in metres
        -> logits."""
        mean = torch.tensor(MEAN, device=crops.device).view(1, 3, 1, 1)
        std = torch.tensor(STD, device=crops.device).view(1, 3, 1, 1)
        pixels = (crops - mean) / std  # (B, 3, S, S)
        if self.config.pixel_size_channel:
            if pixel_size_m is None:
                raise CameraModelError("CropClassifier: expected pixel_size_m (B,) for a pixel-size model, got None")
            size = normalised_log_size(pixel_size_m).view(-1, 1, 1, 1)  # (B, 1, 1, 1)
            pixels = torch.cat([pixels, size.expand(-1, 1, *pixels.shape[2:])], dim=1)  # (B, 4, S, S)
        hidden = self.backbone(pixel_values=pixels).last_hidden_state  # (B, 1 + P, D)
        pooled = hidden[:, 1:].mean(dim=1)  # (B, D)
        return CropLogits(category=self.category_head(pooled), color=self.color_head(pooled))

    def save(self, directory: Path) -> None:
        """Write a transformers directory (config.json, model.safetensors) plus heads.safetensors and labels."""
        directory.mkdir(parents=True, exist_ok=True)
        self.backbone.save_pretrained(directory, safe_serialization=True)
        heads = {f"category_head.{k}": v for k, v in self.category_head.state_dict().items()}
        heads.update({f"color_head.{k}": v for k, v in self.color_head.state_dict().items()})
        save_file({k: v.contiguous() for k, v in heads.items()}, str(directory / "heads.safetensors"))
        (directory / "classifier.json").write_text(json.dumps(asdict(self.config), indent=2))
        preprocessor: dict[str, object] = {"image_mean": list(MEAN), "image_std": list(STD),
                                           "size": self.config.image_size}
        if self.config.pixel_size_channel:
            preprocessor["extra_channel"] = CHANNEL_NAME
        (directory / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2))

    @classmethod
    def load(cls, directory: Path) -> CropClassifier:
        """Inverse of ``save``; safetensors only."""
        path = directory / "classifier.json"
        if not path.is_file():
            raise CameraModelError(f"crop classifier: expected {path}, not found")
        model = cls(CropClassifierConfig(**json.loads(path.read_text())))
        model.backbone = ViTModel.from_pretrained(directory, local_files_only=True, use_safetensors=True,
                                                 add_pooling_layer=False)
        heads = load_file(str(directory / "heads.safetensors"))
        for name, head in (("category_head", model.category_head), ("color_head", model.color_head)):
            head.load_state_dict({k.split(".", 1)[1]: v for k, v in heads.items() if k.startswith(name + ".")})
        return model
