"""Dynamic int8 quantization of a model's Linear layers, for faster CPU queries."""

from __future__ import annotations

import copy
import warnings

import torch
from torch import nn

INT8_SUBMODULES = ("text_encoder",)
"""What the engine's int8 mode quantizes: MiniLM, where a query's time goes, not the fusion and heads."""
INT8_KEEP_FP32 = tuple(f"text_encoder.model.encoder.layer.{k}.output.dense" for k in range(3))
"""Layers inside those that stay fp32: MiniLM's first three feed-forward down-projections, whose inputs
(GELU activations with a few large channels) round worst under one int8 scale per tensor."""


def quantize_linear_int8(
    model: nn.Module, submodules: tuple[str, ...] | None = None, keep_fp32: tuple[str, ...] = ()
) -> nn.Module:
    """A copy of ``model`` whose nn.Linear layers run as dynamic int8; the input model is left unchanged.

    ``submodules`` names the children whose Linear layers are quantized (``("text_encoder",)``: MiniLM only);
    None quantizes every Linear layer. ``keep_fp32`` names (dotted, from ``named_modules``) Linear layers
    left fp32 among those. Weights are quantized once per output channel (per-tensor scales cost
    MiniLM's sentence vectors about twice the error: cosine to fp32 about 0.95 instead of 0.98), activations
    per call. torch marks its eager quantization API as deprecated in favour of torchao, which is not
    installed here; the eager path still works, so its deprecation warnings are silenced for this one call.
    """
    from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    spec: dict[type[nn.Module] | str, object]
    if submodules is None:
        spec = {nn.Linear: per_channel_dynamic_qconfig}
    else:
        names = dict(model.named_children())
        missing = [name for name in submodules if name not in names]
        if missing:
            raise ValueError(f"quantize_linear_int8: expected submodules among {sorted(names)}, got {missing}")
        spec = dict.fromkeys(submodules, per_channel_dynamic_qconfig)
    modules = dict(model.named_modules())
    unknown = [name for name in keep_fp32 if not isinstance(modules.get(name), nn.Linear)]
    if unknown:
        raise ValueError(f"quantize_linear_int8: keep_fp32 expected names of Linear layers, got {unknown}")
    spec.update(dict.fromkeys(keep_fp32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.simplefilter("ignore", category=FutureWarning)
        # The mapping keeps a named submodule's embeddings fp32 (their int8 form needs another qconfig).
        mapping: dict[type[nn.Module], type[nn.Module]] = {nn.Linear: DynamicInt8Linear}
        return quantize_dynamic(copy.deepcopy(model).eval(), spec, dtype=torch.qint8, mapping=mapping)
