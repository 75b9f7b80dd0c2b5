"""The few errors the core raises. Edges (CLI, bot) turn them into one clear line."""


class NewsdeskError(Exception):
    """Base class: the message is meant for the user, as is."""


class ConfigError(NewsdeskError):
    """A setting is missing or malformed."""


class ArticleError(NewsdeskError):
    """An article file cannot be used (binary, undecodable, empty, too large)."""


class IndexNotBuilt(NewsdeskError):
    """Asked to answer before any article was indexed."""


class IndexBusy(NewsdeskError):
    """Another rebuild holds the index lock."""


class BackendUnavailable(NewsdeskError):
    """The configured generation backend cannot be loaded or reached."""


class BadQuestion(NewsdeskError):
    """The question is empty, whitespace only, or too long."""
