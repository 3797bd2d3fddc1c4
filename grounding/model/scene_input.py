"""The scene as the grounding model takes it: a list of objects, each with its points, colours and box."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from grounding.errors import SceneInputError
from perception.box3d import Box3D
from perception.proposal import ObjectProposal


@dataclass
class ObjectInput:
    """One object (a proposal or an oracle instance) of a scene."""

    object_id: int
    """Id reported back in outputs (the proposal id or the ground-truth instance id)."""
    points: np.ndarray
    """(M, 3) float32 points in metres, world frame, M >= 1."""
    colors: np.ndarray
    """(M, 3) uint8 RGB colours of the points."""
    box: Box3D
    """The object's box in the world frame."""
    image_feature: np.ndarray | None = None
    """(C_img,) float32 pooled camera-ViT feature, or None when no image saw the object."""

    def __post_init__(self) -> None:
        if not isinstance(self.points, np.ndarray) or self.points.ndim != 2 or self.points.shape[1] != 3:
            shape = getattr(self.points, "shape", type(self.points).__name__)
            raise SceneInputError(f"ObjectInput {self.object_id}.points: expected shape (M, 3), got {shape}")
        if self.points.shape[0] == 0:
            raise SceneInputError(f"ObjectInput {self.object_id}.points: expected at least one point, got 0")
        if not isinstance(self.colors, np.ndarray) or self.colors.shape != self.points.shape:
            shape = getattr(self.colors, "shape", type(self.colors).__name__)
            raise SceneInputError(
                f"ObjectInput {self.object_id}.colors: expected shape {self.points.shape}, got {shape}"
            )
        if self.colors.dtype != np.uint8:
            raise SceneInputError(f"ObjectInput {self.object_id}.colors: expected uint8, got {self.colors.dtype}")
        self.points = self.points.astype(np.float32, copy=False)
        if self.image_feature is not None:
            self.image_feature = np.asarray(self.image_feature, dtype=np.float32).reshape(-1)


@dataclass
class SceneInput:
    """A scene for the grounding model: its objects, in the order outputs refer to them."""

    objects: list[ObjectInput]
    """The objects; at least one."""
    scene_id: str = ""
    """Optional name, for logs."""

    def __post_init__(self) -> None:
        if not self.objects:
            raise SceneInputError(f"SceneInput {self.scene_id!r}: expected at least one object, got none")

    @property
    def num_objects(self) -> int:
        """N, the number of objects."""
        return len(self.objects)

    @property
    def object_ids(self) -> list[int]:
        """The ids of the objects, in order."""
        return [o.object_id for o in self.objects]

    def centers(self) -> np.ndarray:
        """(N, 3) box centres in metres, world frame."""
        return np.stack([o.box.center for o in self.objects])

    @classmethod
    def from_proposals(
        cls,
        proposals: Sequence[ObjectProposal],
        image_features: Mapping[int, np.ndarray] | None = None,
        scene_id: str = "",
    ) -> SceneInput:
        """A scene from perception's proposals; ``image_features`` maps object_id to a pooled ViT feature."""
        feats = image_features or {}
        objects = [ObjectInput(p.object_id, p.points, p.colors, p.box, feats.get(p.object_id)) for p in proposals]
        return cls(objects=objects, scene_id=scene_id)
