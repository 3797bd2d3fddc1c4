"""TextBank: precomputed frozen encodings equal direct ones, and the disk cache is reused."""

from __future__ import annotations

from pathlib import Path

import torch

from grounding.text import TextEncoder
from grounding.training.text_bank import TextBank


def test_bank_matches_direct_encoding_and_caches(tmp_path: Path) -> None:
    enc = TextEncoder()
    texts = ["the chair", "the red mug left of the laptop on the table", "a", "the chair"]
    bank = TextBank.build(enc, texts, tmp_path, chunk=2, progress=False)
    assert len(bank.index) == 3 and len(list(tmp_path.glob("text-*.safetensors"))) == 1
    got = bank.lookup(["the red mug left of the laptop on the table", "a"])
    with torch.no_grad():
        direct = enc(["the red mug left of the laptop on the table", "a"])
    assert torch.equal(got.mask, direct.mask)
    torch.testing.assert_close(got.tokens[got.mask], direct.tokens[direct.mask], atol=2e-2, rtol=1e-2)
    torch.testing.assert_close(got.pooled, direct.pooled, atol=2e-2, rtol=1e-2)
    again = TextBank.build(enc, texts, tmp_path, progress=False)  # read back from the cache file
    assert torch.equal(again.tokens, bank.tokens) and again.index == bank.index
