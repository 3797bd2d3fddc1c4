"""Exception types of the pointnet layer. Each message says what was expected and what came."""

from perception.errors import PerceptionError


class PointNetError(PerceptionError):
    """Base class for every error that pointnet raises on bad input."""


class ConfigError(PointNetError):
    """A config field holds a value outside its allowed range; the message names the field and the value."""


class BatchError(PointNetError):
    """A packed batch is malformed: unsorted or mismatched batch index, or an empty cloud."""


class CheckpointError(PointNetError):
    """A weights file is missing, truncated, or does not fit the model it is loaded into."""
