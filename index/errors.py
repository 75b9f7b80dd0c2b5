"""The errors the core raises. Each carries what went wrong as data; `str()` is a plain
sentence that names no command-line flag, so every edge (the CLI, the bot, a Python caller)
can show it or word it its own way (see `newsdesk.index.messages`)."""

from __future__ import annotations

from pathlib import Path


class NewsdeskError(Exception):
    """Base class: the message is meant for a person, as is."""


class ConfigError(NewsdeskError):
    """A setting is missing or malformed; `setting` names it (an environment variable) when
    one is to blame."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class ArticleError(NewsdeskError):
    """An article file cannot be used (binary, undecodable, empty, too large)."""


class IndexNotBuilt(NewsdeskError):
    """Asked to answer before any article was indexed; `articles_dir` is where they are
    expected, if known."""

    def __init__(self, articles_dir: Path | None = None, message: str | None = None) -> None:
        super().__init__(message or "no articles are indexed yet")
        self.articles_dir = articles_dir


class IndexBusy(NewsdeskError):
    """Another rebuild holds the index lock of the data dir `path`."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


class DataDirError(NewsdeskError):
    """The data dir (index, catalog, conversations) cannot be created or written; `path`
    says which."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


class BackendUnavailable(NewsdeskError):
    """The configured generation backend cannot be loaded or reached."""


class BadQuestion(NewsdeskError):
    """The question or one of its filters is unusable; `field` says which ("question",
    "since", "source")."""

    def __init__(self, message: str, *, field: str = "question") -> None:
        super().__init__(message)
        self.field = field


class FetchError(NewsdeskError):
    """A page or feed could not be fetched, or was refused; `url` says which, and the message
    why, in one line ("… is a private or reserved address", "timed out"). `transient` when a
    later try may succeed (a timeout, a refused connection, a server error); `setting` names
    the setting that would allow what was refused, if one would."""

    def __init__(
        self, message: str, *, url: str, transient: bool = False, setting: str | None = None
    ) -> None:
        super().__init__(message)
        self.url = url
        self.transient = transient
        self.setting = setting


class NoStory(NewsdeskError):
    """No story matches `query`; `closest` holds the labels of the nearest ones."""

    def __init__(self, query: str, closest: list[str]) -> None:
        shown = "; ".join(f"“{label}”" for label in closest)
        super().__init__(
            f"no story found for {query!r}" + (f"; the closest: {shown}" if shown else "")
        )
        self.query = query
        self.closest = closest
