"""The facts of one scene that language is generated from: its objects, views and relation scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from sim.language.errors import LanguageError
from sim.language.geometry import BoxSet, ViewFrame, default_view
from sim.language.relations import RelationConfig, Relations
from sim.scene_object import SceneObject, ViewPose

DEFAULT_VIEW_NAME = "default"
"""Name of the view made up for a scene that comes without views (written to records as a pose dict)."""


class SceneFacts:
    """Objects of one scene indexed 0..N-1 (in the order given), their labels, colours and relation scores."""

    def __init__(
        self,
        objects: Sequence[SceneObject],
        views: Mapping[str, ViewPose],
        config: RelationConfig | None = None,
    ) -> None:
        self.objects = list(objects)
        ids = [int(o.object_id) for o in self.objects]
        if len(set(ids)) != len(ids):
            raise LanguageError(f"expected distinct object ids, got {sorted(ids)}")
        if any(i < 0 for i in ids):
            raise LanguageError(f"expected object ids >= 0 (-1 means absent), got {sorted(ids)}")
        self.ids = np.array(ids, dtype=np.int64)
        self.index = {oid: i for i, oid in enumerate(ids)}
        self.labels = np.array([o.label for o in self.objects], dtype=object)
        self.colors = np.array([o.color for o in self.objects], dtype=object)
        self.boxes = BoxSet.from_objects(self.objects)
        self.poses: dict[str, ViewPose] = {str(k): views[k] for k in sorted(views, key=str)}
        self.view_given = bool(self.poses)
        if not self.poses:
            self.poses = {DEFAULT_VIEW_NAME: default_view(self.boxes)}
        frames = {name: ViewFrame.from_pose(pose) for name, pose in self.poses.items()}
        self.relations = Relations(self.boxes, frames, config)

    def __len__(self) -> int:
        return len(self.objects)

    @property
    def view_names(self) -> list[str]:
        """View names in a fixed (sorted) order."""
        return list(self.poses)

    def view_field(self, name: str) -> str | dict[str, list[float]]:
        """What a record's ``view`` holds: the name of a given view, or the pose of the made-up one."""
        return name if self.view_given else self.poses[name].to_json()

    def members(self, category: str, color: str | None = None, not_color: str | None = None) -> np.ndarray:
        """Indices of the objects of ``category``, with colour ``color`` / not ``not_color`` when given."""
        mask = self.labels == category
        if color is not None:
            mask &= self.colors == color
        if not_color is not None:
            mask &= self.colors != not_color
        return np.flatnonzero(mask)

    def count(self, category: str) -> int:
        """How many objects of ``category`` the scene holds."""
        return int((self.labels == category).sum())
