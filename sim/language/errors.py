"""Exception types of the language generator. Each message says what was expected and what came."""


class LanguageError(ValueError):
    """Bad input to the language generator: a malformed object, view or program."""


class LanguageConfigError(LanguageError):
    """A language or relation config field holds a value outside its allowed range."""
