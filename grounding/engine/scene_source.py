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
    the world frame, or posed ``RGBDFrame``(s). The last two go through ``perception``, an object with
    ``proposals(scene) -> list[ObjectProposal]`` (perception's ``ScenePerception``, the single entry
    point of the perception pipeline); without one, the default ``ScenePerception()`` is built.
    """
    if is_proposal_list(scene):
        return list(scene)  # type: ignore[arg-type]
    frames = isinstance(scene, RGBDFrame) or (
        isinstance(scene, (list, tuple)) and len(scene) > 0 and all(isinstance(f, RGBDFrame) for f in scene)
    )
    if not (isinstance(scene, PointCloud) or frames):
        raise SceneInputError(
            f"scene: expected a PointCloud, RGBDFrame(s) or a list of ObjectProposal, got {type(scene).__name__}"
        )
    if perception is None:
        try:
            from perception.pipeline import ScenePerception  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            raise SceneInputError(
                "scene: clouds and RGB-D frames need perception.pipeline.ScenePerception, which this build "
                f"lacks ({exc}); pass a list of ObjectProposal instead"
            ) from exc
        perception = ScenePerception()
    return list(perception.proposals(scene))
