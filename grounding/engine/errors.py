"""Exception types of the serving side, under the grounding layer's ``GroundingError``."""

from grounding.errors import CheckpointError, GroundingError, SceneInputError


class QueryError(GroundingError):
    """A query text is empty, too long, of the wrong type or not valid UTF-8."""


class NoSceneError(GroundingError):
    """A query came before any scene was set."""


__all__ = ["CheckpointError", "GroundingError", "NoSceneError", "QueryError", "SceneInputError"]
