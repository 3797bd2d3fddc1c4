"""The facts the simulator knows about each object and view, shared by scene building and language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class SceneObject:
    """One object of a scene, as written to ``objects.json``."""

    object_id: int
    """Instance id; equals the per-point ``instance`` value in scene.npz."""
    label: str
    """Category name, e.g. ``"mug"``."""
    color: str
    """Colour name, e.g. ``"red"``."""
    center: np.ndarray
    """(3,) box centre in metres, world frame, z up."""
    size: np.ndarray
    """(3,) full box extents (dx, dy, dz) in metres along the object's own axes."""
    yaw: float = 0.0
    """Rotation about +z in radians."""
    support_id: int = -1
    """object_id of the object it stands on, or -1 for the floor."""
    rgb: tuple[int, int, int] = (128, 128, 128)
    """Base colour that was rendered, 0-255."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Other facts (e.g. ``"is_furniture": True``)."""

    def to_json(self) -> dict[str, Any]:
        """The ``objects.json`` record: the design's fields plus ``support_id`` and ``rgb``."""
        return {
            "object_id": int(self.object_id),
            "label": self.label,
            "color": self.color,
            "center": [float(v) for v in self.center],
            "size": [float(v) for v in self.size],
            "yaw": float(self.yaw),
            "support_id": int(self.support_id),
            "rgb": [int(v) for v in self.rgb],
            **self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SceneObject:
        """Inverse of ``to_json``; unknown keys go to ``extra``."""
        known = {"object_id", "label", "color", "center", "size", "yaw", "support_id", "rgb"}
        return cls(
            object_id=int(data["object_id"]),
            label=str(data["label"]),
            color=str(data["color"]),
            center=np.asarray(data["center"], dtype=np.float64),
            size=np.asarray(data["size"], dtype=np.float64),
            yaw=float(data.get("yaw", 0.0)),
            support_id=int(data.get("support_id", -1)),
            rgb=tuple(int(v) for v in data.get("rgb", (128, 128, 128))),  # type: ignore[arg-type]
            extra={k: v for k, v in data.items() if k not in known},
        )


@dataclass
class ViewPose:
    """Where a sentence is spoken from: the robot camera's position and the point it looks at."""

    position: np.ndarray
    """(3,) camera position in metres, world frame."""
    look_at: np.ndarray
    """(3,) point the camera looks at, world frame."""

    def to_json(self) -> dict[str, list[float]]:
        return {"position": [float(v) for v in self.position], "look_at": [float(v) for v in self.look_at]}
