"""Specific errors of the message converters. All are ``MessageFormatError``s, so a node can catch one type."""

from perception.errors import MessageFormatError


class PointFieldError(MessageFormatError):
    """A PointCloud2 field layout is invalid: unknown datatype, count 0, overlap, duplicate or out of the point."""


class MissingFieldError(MessageFormatError):
    """A PointCloud2 lacks a field the conversion needs (x, y or z)."""


class DataSizeError(MessageFormatError):
    """A message's ``data`` length, ``step`` or ``row_step`` does not match its declared geometry."""


class EncodingError(MessageFormatError):
    """An Image encoding is unknown, or is not the kind the conversion needs (colour versus depth)."""


class CameraInfoError(MessageFormatError):
    """A CameraInfo is uncalibrated (all zeros) or its matrices have the wrong size."""
