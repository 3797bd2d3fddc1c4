"""Views given to the engine, turned into the model's ``QueryView`` (right, forward, up view frame)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from grounding.errors import SceneInputError
from grounding.model.view import QueryView


def as_query_view(view: Any) -> QueryView | None:
    """Any accepted view as a QueryView, or None for "no view" (the model then uses its default view).

    Accepted: None; a QueryView; a mapping {"position": (3,), "look_at": (3,)} (the dataset's ``view``
    record); an object with ``position`` and ``look_at`` attributes (e.g. a ViewPose); a (4, 4) camera
    pose T_world_cam whose camera looks along +z. Anything else raises SceneInputError.
    """
    if view is None or isinstance(view, QueryView):
        return view
    if isinstance(view, Mapping):
        if "position" not in view or "look_at" not in view:
            raise SceneInputError(f"view: expected keys 'position' and 'look_at', got {sorted(view)}")
        return QueryView(position=view["position"], look_at=view["look_at"])
    if hasattr(view, "position") and hasattr(view, "look_at"):
        return QueryView(position=view.position, look_at=view.look_at)
    if isinstance(view, (np.ndarray, list, tuple)):
        T = np.asarray(view, dtype=np.float64)
        if T.shape == (4, 4):
            R = T[:3, :3]
            if not (
                np.isfinite(T).all() and np.allclose(T[3], [0, 0, 0, 1]) and np.allclose(R @ R.T, np.eye(3), atol=1e-4)
            ):
                raise SceneInputError(
                    "view: expected a rigid (4, 4) T_world_cam with last row [0, 0, 0, 1], got another"
                )
            return QueryView.from_camera_pose(T)
    raise SceneInputError(
        f"view: expected None, {{'position', 'look_at'}} or a (4, 4) T_world_cam, got {type(view).__name__}"
    )


def to_view_frame(points_world: np.ndarray, view: QueryView) -> np.ndarray:
    """(M, 3) coordinates (right, forward, up) relative to the viewer, from (M, 3) world points in metres."""
    return (np.asarray(points_world, dtype=np.float64) - view.position) @ view.rotation().T  # (M, 3)
