"""Exception types of perception.geometry. Each message says what was expected and what came."""

from perception.errors import PerceptionError


class GeometryConfigError(PerceptionError):
    """A geometry, fusion or tracking config field has an invalid value."""


