"""Errors of the dataset reader."""

from perception.errors import PerceptionError


class DatasetError(PerceptionError):
    """A dataset file is missing, malformed or inconsistent; the message names the file, what was expected
    and what came."""
