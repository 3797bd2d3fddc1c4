"""Exception types of the sim layer. Each message says what was expected and what came."""


class SimError(ValueError):
    """Base class for every error that sim raises on bad input or an impossible request."""


class SimConfigError(SimError):
    """A sim config field holds a value outside its allowed range."""


class PlacementError(SimError):
    """A scene could not be laid out within the allowed number of tries."""
