"""QueryView: where a sentence is spoken from, and the view frame (right, forward, up) it defines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grounding.errors import SceneInputError

DEFAULT_VIEW_DISTANCE_M = 3.0
"""How far behind the scene centre the default view stands, along world -y."""
DEFAULT_VIEW_HEIGHT_M = 1.5
"""How far above the scene centre the default view stands."""


@dataclass
class QueryView:
    """A viewpoint: position and look-at point in metres, world frame (z up)."""

    position: np.ndarray
    """(3,) float64 viewer position in metres, world frame."""
    look_at: np.ndarray
    """(3,) float64 point the viewer looks at, world frame."""

    def __post_init__(self) -> None:
        self.position = np.asarray(self.position, dtype=np.float64).reshape(-1)
        self.look_at = np.asarray(self.look_at, dtype=np.float64).reshape(-1)
        if self.position.shape != (3,) or self.look_at.shape != (3,):
            raise SceneInputError(
                "QueryView: expected position and look_at of shape (3,), got "
                f"{self.position.shape}, {self.look_at.shape}"
            )
        flat = self.look_at[:2] - self.position[:2]
        if not np.isfinite(self.position).all() or not np.isfinite(self.look_at).all() or np.linalg.norm(flat) < 1e-6:
            raise SceneInputError(
                "QueryView: expected finite points with a horizontal look direction, got "
                f"position {self.position.tolist()} look_at {self.look_at.tolist()}"
            )

    def rotation(self) -> np.ndarray:
        """(3, 3) rows right, forward, up: world vectors to view-frame coordinates (v_view = R @ v_world).

        Forward is the horizontal part of the look direction, so a camera tilted down still says "left"
        and "right" along the floor; up is world +z.
        """
        forward = self.look_at - self.position
        forward[2] = 0.0
        forward /= np.linalg.norm(forward)
        up = np.array([0.0, 0.0, 1.0])
        right = np.cross(forward, up)
        return np.stack([right, forward, up])

    @classmethod
    def from_camera_pose(cls, T_world_cam: np.ndarray) -> QueryView:
        """The view of a camera that looks along its +z axis, from its 4x4 pose in the world."""
        T = np.asarray(T_world_cam, dtype=np.float64)
        if T.shape != (4, 4):
            raise SceneInputError(f"QueryView.from_camera_pose: expected a (4, 4) pose, got {T.shape}")
        position = T[:3, 3]
        return cls(position=position, look_at=position + T[:3, 2])

    @classmethod
    def default_for(cls, centers: np.ndarray) -> QueryView:
        """The view used when a query gives none: behind the scene centre along world -y, looking along +y.

        So "left" means world -x and "in front" means towards -y, a fixed and documented convention.
        """
        c = np.asarray(centers, dtype=np.float64).reshape(-1, 3).mean(axis=0)
        position = c + np.array([0.0, -DEFAULT_VIEW_DISTANCE_M, DEFAULT_VIEW_HEIGHT_M])
        return cls(position=position, look_at=c)


def views_to_frames(views: Sequence[QueryView | None], centers: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Origins (B, 3) and rotations (B, 3, 3) of B views; a None view becomes the scene's default view."""
    if len(views) != len(centers):
        raise SceneInputError(f"views: expected one view (or None) per scene, {len(centers)}, got {len(views)}")
    origins, rotations = [], []
    for view, c in zip(views, centers, strict=True):
        v = view if view is not None else QueryView.default_for(c)
        origins.append(v.position)
        rotations.append(v.rotation())
    return np.stack(origins), np.stack(rotations)
