"""Turn whatever scene a caller has into object proposals: proposals as they are, clouds and frames via perception."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grounding.errors import SceneInputError
from perception import ObjectProposal, PointCloud, RGBDFrame

SceneLike = PointCloud | Sequence[RGBDFrame] | RGBDFrame | Sequence[ObjectProposal]


def is_proposal_list(scene: Any) -> bool:
    """True for a list (or tuple) of ObjectProposal, the empty list included."""
    return isinstance(scene, (list, tuple)) and all(isinstance(p, ObjectProposal) for p in scene)


def proposals_from(scene: SceneLike, perception: Any = None) -> list[ObjectProposal]:
    """Object proposals of ``scene``.

    ``scene`` is a list of ``perception.ObjectProposal`` (used as given), a coloured ``PointCloud`` in
    the world frame (z up), or posed ``RGBDFrame``(s). Clouds and frames go through perception's single
    entry point, ``perception`` (a ``perception.pipeline.ScenePerception``, or any object with its
    ``from_cloud`` and ``from_frames``); None builds the default ``ScenePerception()``.
    """
    if is_proposal_list(scene):
        return list(scene)  # type: ignore[arg-type]
    if isinstance(scene, RGBDFrame):
        scene = [scene]
    frames = isinstance(scene, (list, tuple)) and len(scene) > 0 and all(isinstance(f, RGBDFrame) for f in scene)
    if not (isinstance(scene, PointCloud) or frames):
        raise SceneInputError(
            f"scene: expected a PointCloud, RGBDFrame(s) or a list of ObjectProposal, got {type(scene).__name__}"
        )
    if perception is None:
        from perception.pipeline import ScenePerception

        perception = ScenePerception()
    result = perception.from_frames(list(scene)) if frames else perception.from_cloud(scene)  # type: ignore[arg-type]
    return list(result.proposals)
