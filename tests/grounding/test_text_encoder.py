"""TextEncoder: the installed MiniLM offline, and any local transformers model directory."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from grounding.errors import GroundingConfigError, TextModelError
from grounding.text import TextEncoder, TextEncoderConfig, default_text_model_dir


@pytest.fixture(scope="module")
def minilm() -> TextEncoder:
    return TextEncoder()


def test_minilm_loads_offline_with_shapes(minilm: TextEncoder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert minilm.model_dir == default_text_model_dir()
    enc = minilm(["the red mug left of the laptop", "chair"])
    B, L, C = enc.tokens.shape
    assert (B, C) == (2, 384) and enc.mask.shape == (2, L) and enc.pooled.shape == (2, 384)
    assert enc.mask[0].all() and not enc.mask[1].all()  # the short sentence is padded
    expected = enc.tokens[1, enc.mask[1]].mean(dim=0)
    torch.testing.assert_close(enc.pooled[1], expected)
    assert minilm.frozen and not any(p.requires_grad for p in minilm.parameters())


def test_minilm_is_pretrained_paraphrases_are_close(minilm: TextEncoder) -> None:
    enc = minilm(["the red mug", "a crimson cup", "the wooden bookshelf"])
    v = torch.nn.functional.normalize(enc.pooled, dim=-1)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.1


def test_top_layers_fine_tune(minilm: TextEncoder) -> None:
    enc = TextEncoder(TextEncoderConfig(trainable_top_layers=1))
    trainable = {n.split(".")[2] for n, p in enc.model.named_parameters() if p.requires_grad}
    assert trainable == {"5"}  # only the last of MiniLM's six layers
    assert not enc.frozen
    with pytest.raises(GroundingConfigError, match="trainable_top_layers"):
        TextEncoder(TextEncoderConfig(trainable_top_layers=7))


def _tiny_bert_dir(root: Path) -> Path:
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "red", "mug", "chair", "left", "of"]
    (root / "vocab.txt").write_text("\n".join(words) + "\n")
    tok = BertTokenizerFast(vocab_file=str(root / "vocab.txt"))
    cfg = BertConfig(
        vocab_size=len(words),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    BertModel(cfg).save_pretrained(str(root))
    tok.save_pretrained(str(root))
    return root


def test_user_model_dir_loads_the_same_way(tmp_path: Path) -> None:
    enc = TextEncoder(TextEncoderConfig(model_dir=str(_tiny_bert_dir(tmp_path))))
    out = enc(["the red mug", "chair left of the mug"])
    assert enc.width == 32 and out.tokens.shape[-1] == 32 and out.pooled.shape == (2, 32)
    assert list((tmp_path).glob("*.safetensors"))  # the model was saved and read as safetensors


def test_missing_model_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TextModelError, match=r"config\.json"):
        TextEncoder(TextEncoderConfig(model_dir=str(tmp_path)))
