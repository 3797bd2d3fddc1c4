"""TextBank: frozen text-encoder outputs of every sentence of a dataset, computed once and cached on disk.

With a frozen text encoder the word tokens of a sentence never change, so encoding each distinct
sentence once (instead of every step) is the largest saving of CPU training.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from grounding.text.encoder import TextEncoder, TextEncoding


class TextBank:
    """Sentences -> rows of precomputed (T, L, C) float16 tokens, (T, L) masks and (T, C) pooled vectors."""

    def __init__(self, texts: Sequence[str], tokens: torch.Tensor, mask: torch.Tensor, pooled: torch.Tensor) -> None:
        self.index = {t: i for i, t in enumerate(texts)}
        self.tokens, self.mask, self.pooled = tokens, mask, pooled

    def lookup(self, texts: Sequence[str]) -> TextEncoding:
        """The encodings of B known sentences: (B, L, C) float32 tokens trimmed to the longest, mask, pooled."""
        rows = torch.tensor([self.index[t] for t in texts], dtype=torch.int64)
        mask = self.mask[rows]
        length = max(1, int(mask.sum(1).max()))
        return TextEncoding(self.tokens[rows, :length].float(), mask[:, :length], self.pooled[rows].float())

    @classmethod
    def build(
        cls,
        encoder: TextEncoder,
        texts: Sequence[str],
        cache_dir: str | Path | None = None,
        chunk: int = 128,
        progress: bool = True,
    ) -> TextBank:
        """Encode the distinct ``texts`` (sorted), or read them from ``cache_dir`` when encoded before."""
        unique = sorted(set(texts))
        path = None
        if cache_dir is not None:
            key = hashlib.sha256(
                json.dumps([str(encoder.model_dir), encoder.config.max_length, unique]).encode()
            ).hexdigest()[:16]
            path = Path(cache_dir) / f"text-{key}.safetensors"
            if path.is_file():
                t = load_file(str(path))
                return cls(unique, t["tokens"], t["mask"].bool(), t["pooled"])
        length = encoder.config.max_length
        tokens = torch.zeros(len(unique), length, encoder.width, dtype=torch.float16)
        mask = torch.zeros(len(unique), length, dtype=torch.bool)
        pooled = torch.zeros(len(unique), encoder.width, dtype=torch.float16)
        # Chunks of similar length waste little compute on padding.
        order = sorted(range(len(unique)), key=lambda i: len(unique[i]))
        with torch.no_grad():
            for start in tqdm(range(0, len(unique), chunk), desc="encoding text", disable=not progress):
                rows = torch.tensor(order[start : start + chunk], dtype=torch.int64)
                enc = encoder([unique[i] for i in rows.tolist()])
                L = enc.tokens.shape[1]
                tokens[rows, :L] = enc.tokens.half()
                mask[rows, :L] = enc.mask
                pooled[rows] = enc.pooled.half()
        used = max(1, int(mask.sum(1).max())) if len(unique) else 1
        tokens, mask = tokens[:, :used].contiguous(), mask[:, :used].contiguous()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            save_file({"tokens": tokens, "mask": mask.to(torch.uint8), "pooled": pooled}, str(tmp))
            tmp.replace(path)
        return cls(unique, tokens, mask, pooled)
