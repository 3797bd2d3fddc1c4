"""Exception types of the grounding layer. Each message says what was expected and what came."""


class GroundingError(ValueError):
    """Base class for every error that grounding raises on bad input."""


class GroundingConfigError(GroundingError):
    """A config field has a value outside its allowed range."""


class SceneInputError(GroundingError):
    """A scene given to the model is malformed (no object, mismatched arrays, bad view)."""


class TextModelError(GroundingError):
    """A text model directory cannot be loaded (missing files, not a transformers model)."""


class CheckpointError(GroundingError):
    """A checkpoint is missing, truncated, or does not match the model it is loaded into."""
