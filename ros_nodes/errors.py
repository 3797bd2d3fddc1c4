"""Exception types of the ros_nodes layer. Each message says what was expected and what came."""


class RosNodesError(ValueError):
    """Base class for every error that ros_nodes raises on bad input."""


class WireError(RosNodesError):
    """A message could not be built, encoded or decoded."""


class RequestError(RosNodesError):
    """A query or question is malformed: empty, too long, bad JSON or a bad view."""

    request_id: str | None = None
    """The request's own id when the envelope parsed far enough to read it, so the error result can echo it."""


class BagError(RosNodesError):
    """A bag is missing, truncated, corrupt, lacks its metadata, or an output path escapes its folder."""


class ConfigError(RosNodesError):
    """A parameter file or a parameter value is invalid."""
