"""Text side: the pretrained MiniLM (or any local transformers model) as word tokens and a sentence vector."""

from grounding.text.encoder import TextEncoder, TextEncoderConfig, TextEncoding, default_text_model_dir

__all__ = ["TextEncoder", "TextEncoderConfig", "TextEncoding", "default_text_model_dir"]
