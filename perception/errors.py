"""Exception types of the perception layer. Each message says what was expected and what came."""


class PerceptionError(ValueError):
    """Base class for every error that perception raises on bad input."""


class ShapeError(PerceptionError):
    """An array has the wrong shape or dtype."""


class MessageFormatError(PerceptionError):
    """A ROS message (PointCloud2, Image, CameraInfo) is malformed or unsupported."""


class EmptyCloudError(PerceptionError):
    """A cloud has no usable (finite) point."""


class FrameOrderError(PerceptionError):
    """Frames arrived out of order in time, or a pose jumped further than allowed."""
