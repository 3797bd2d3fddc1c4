"""Errors of the camera encoder."""

from perception.errors import PerceptionError


class CameraModelError(PerceptionError):
    """A vision model directory is missing, unsupported, or not loadable offline."""
