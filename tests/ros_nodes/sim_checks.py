"""Ground-truth checks shared by the simulation tests: which perceived object is which sim object."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from perception import Box3D


def gt_box(obj: dict[str, Any]) -> Box3D:
    return Box3D(np.asarray(obj["center"]), np.asarray(obj["size"]), float(obj.get("yaw", 0.0)))


def gt_object_at(center: list[float], objects: list[dict[str, Any]], margin: float = 0.1) -> dict[str, Any] | None:
    """The ground-truth object whose box (grown by ``margin`` metres) holds ``center``; the smallest if several."""
    hits = [o for o in objects if gt_box(o).contains(np.asarray(center, dtype=np.float64)[None], margin)[0]]
    return min(hits, key=lambda o: float(np.prod(o["size"]))) if hits else None


def query_targets(scene: dict[str, Any], objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """("the COLOUR LABEL", gt object) for perceived objects whose colour + label is unique in the scene,
    largest first (what a camera sees best; small objects are the model's weak spot, which eval measures)."""
    pairs = Counter((o["color"], o["label"]) for o in objects)
    out: dict[int, tuple[str, dict[str, Any]]] = {}
    for obj in scene["objects"]:
        gt = gt_object_at(obj["box"]["center"], objects)
        if gt is not None and pairs[(gt["color"], gt["label"])] == 1:
            out.setdefault(gt["object_id"], (f"the {gt['color']} {gt['label']}", gt))
    return sorted(out.values(), key=lambda t: (-float(np.prod(t[1]["size"])), t[1]["object_id"]))
