"""A small hand-built scene and a tiny untrained model for the engine tests (shared by test_engine*.py)."""

from __future__ import annotations

import numpy as np

from grounding.model import GroundingModel, GroundingModelConfig, build_model
from grounding.text.encoder import TextEncoder
from perception import Box3D, ObjectProposal
from perception.proposal import COLOR_HIST_BINS

# object_id: (label, colour word, rgb, centre, size, support_id)
OBJECTS = {
    1: ("table", "brown", (120, 75, 40), (0.0, 0.0, 0.375), (1.2, 0.8, 0.75), -1),
    2: ("mug", "red", (200, 30, 35), (-0.4, 0.1, 0.80), (0.08, 0.08, 0.1), 1),
    3: ("mug", "red", (205, 35, 30), (0.4, 0.1, 0.80), (0.08, 0.08, 0.1), 1),
    4: ("laptop", "gray", (128, 128, 132), (0.0, -0.1, 0.76), (0.35, 0.25, 0.02), 1),
    5: ("box", "blue", (35, 70, 190), (1.5, 0.5, 0.15), (0.3, 0.3, 0.3), -1),
}
VIEW = {"position": [0.0, -2.5, 1.5], "look_at": [0.0, 0.0, 0.75]}


def proposal(oid: int, seed: int = 0) -> ObjectProposal:
    _, _, rgb, center, size, _ = OBJECTS[oid]
    rng = np.random.default_rng(seed * 100 + oid)
    box = Box3D(center=np.array(center), size=np.array(size))
    pts = (box.center + (rng.random((64, 3)) - 0.5) * box.size).astype(np.float32)
    colors = np.tile(np.array(rgb, np.uint8), (64, 1))
    return ObjectProposal(
        object_id=oid,
        points=pts,
        colors=colors,
        indices=np.arange(64, dtype=np.int64),
        aabb=box,
        obb=box,
        mean_color=np.array(rgb, np.float32),
        color_hist=np.zeros(3 * COLOR_HIST_BINS, np.float32),
    )


def proposals(ids: tuple[int, ...] = (1, 2, 3, 4, 5), seed: int = 0) -> list[ObjectProposal]:
    return [proposal(i, seed) for i in ids]


def metadata() -> dict[int, dict[str, object]]:
    return {i: {"label": o[0], "color": o[1], "support_id": o[5]} for i, o in OBJECTS.items()}


_TEXT_ENCODER: list[TextEncoder] = []


def tiny_model(seed: int = 0, fusion: str = "cross_attention") -> GroundingModel:
    """An untrained model small enough to run in milliseconds (the text encoder is the real, frozen MiniLM,
    loaded once and shared, which is safe because nothing trains it)."""
    import torch

    if not _TEXT_ENCODER:
        _TEXT_ENCODER.append(TextEncoder())
    torch.manual_seed(seed)
    cfg = GroundingModelConfig(
        fusion=fusion,
        d_model=32,
        num_heads=4,
        scene_layers=1,
        text_layers=1,
        object_layers=1,
        dropout=0.0,
        points_per_object=16,
        point_feature_dim=32,
        fourier_bands=2,
        contrastive_dim=16,
    )
    return build_model(cfg, answer_vocab=["0", "1", "2", "red", "blue"], text_encoder=_TEXT_ENCODER[0]).eval()
