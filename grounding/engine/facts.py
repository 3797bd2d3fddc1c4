"""What the engine knows about each object: label, colour name, box and what it stands on.

Facts come from scene metadata when it exists (a dataset's ``objects.json``, or labels a caller
attaches) and are otherwise derived from the proposals' geometry and colour, so a clarifying question
can always be phrased from the scene itself.
"""

from __future__ import annotations

import colorsys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from perception import Box3D, ObjectProposal
from perception.color_names import COLOR_NAMES_RGB

SUPPORT_GAP_M = 0.06
"""Largest gap in metres between an object's bottom and another's top for "on" to hold."""


@dataclass
class ObjectFacts:
    """Facts of one object that language can use to tell it apart."""

    object_id: int
    """Id of the object (the proposal's id)."""
    box: Box3D
    """Its box, world frame, metres."""
    label: str | None = None
    """Category word, e.g. "mug", or None when unknown."""
    color: str | None = None
    """Colour word, e.g. "red", or None when unknown."""
    support_id: int | None = None
    """object_id of the object it stands on; -1 for the floor; None when unknown."""

    def to_json(self) -> dict[str, Any]:
        return {
            "object_id": int(self.object_id),
            "label": self.label,
            "color": self.color,
            "support_id": self.support_id,
            "box": self.box.to_json(),
        }


def color_name(rgb: Sequence[float] | np.ndarray) -> str:
    """The colour word whose shade is nearest to ``rgb`` (3,) in [0, 255].

    Compared in HSV with hue weighted by saturation, since a dim or grey shade's hue is noise.
    """

    def hsv(c: Sequence[float] | np.ndarray) -> np.ndarray:
        return np.array(colorsys.rgb_to_hsv(*(float(v) / 255.0 for v in c)))

    q = hsv(rgb)
    best, best_d = "gray", np.inf
    for name, ref in COLOR_NAMES_RGB.items():
        r = hsv(ref)
        dh = min(abs(q[0] - r[0]), 1.0 - abs(q[0] - r[0])) * 2.0  # circular, in [0, 1]
        chroma = min(q[1] * q[2], r[1] * r[2])
        d = (dh * chroma * 2.0) ** 2 + (q[1] - r[1]) ** 2 + (q[2] - r[2]) ** 2
        if d < best_d:
            best, best_d = name, d
    return best


def support_of(box: Box3D, others: Mapping[int, Box3D], floor_z: float) -> int | None:
    """object_id of the box in ``others`` that ``box`` stands on, -1 for the floor, None if floating.

    "Stands on" means: its bottom is within SUPPORT_GAP_M of the other's top and its centre lies over
    the other's footprint. The highest such support wins (a mug on a tray on a table is on the tray).
    """
    bottom = box.center[2] - box.size[2] / 2.0
    best, best_top = None, -np.inf
    for oid, other in others.items():
        top = other.center[2] + other.size[2] / 2.0
        if abs(bottom - top) > SUPPORT_GAP_M or top <= best_top:
            continue
        probe = np.array([[box.center[0], box.center[1], other.center[2]]])
        if other.contains(probe)[0]:
            best, best_top = oid, top
    if best is not None:
        return best
    return -1 if bottom - floor_z <= SUPPORT_GAP_M else None


def facts_from_proposals(
    proposals: Sequence[ObjectProposal], metadata: Mapping[int, Mapping[str, Any]] | None = None
) -> dict[int, ObjectFacts]:
    """Facts of every proposal, by object_id.

    ``metadata`` maps object_id to known facts (keys ``label``, ``color``, ``support_id`` as in
    ``objects.json``); whatever it lacks is derived: the colour word from the proposal's mean colour
    and the support from box geometry (floor = lowest box bottom in the scene).
    """
    metadata = metadata or {}
    boxes = {int(p.object_id): p.box for p in proposals}
    floor_z = min((b.center[2] - b.size[2] / 2.0 for b in boxes.values()), default=0.0)
    out: dict[int, ObjectFacts] = {}
    for p in proposals:
        oid = int(p.object_id)
        meta = metadata.get(oid, {})
        label = meta.get("label")
        color = meta.get("color") or color_name(p.mean_color)
        if "support_id" in meta:
            support: int | None = int(meta["support_id"])
        else:
            support = support_of(p.box, {k: b for k, b in boxes.items() if k != oid}, floor_z)
        out[oid] = ObjectFacts(
            object_id=oid, box=p.box, label=None if label is None else str(label), color=str(color), support_id=support
        )
    return out
