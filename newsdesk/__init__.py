"""newsdesk: ask questions about a news archive, get answers with citations you can check.

    >>> from newsdesk import Newsdesk
    >>> desk = Newsdesk.from_env()          # .env and the environment, as the CLI reads them
    >>> desk.build()                        # index the articles dir (only what changed)
    >>> print(desk.ask("Why did the Powell-Ushakov call fail?").text)

`desk.as_retriever()` and `desk.as_query_engine()` give the same retrieval and checked answers
behind LlamaIndex's interfaces. The names below are imported when first used, so that
`import newsdesk` (and the `newsdesk` command's start) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsdesk.index.answer import Answer, Citation, Dropped
    from newsdesk.index.app import Newsdesk, Source
    from newsdesk.index.config import Settings
    from newsdesk.index.conversation import Turn
    from newsdesk.index.errors import (
        BadQuestion,
        ConfigError,
        IndexNotBuilt,
        NewsdeskError,
    )
    from newsdesk.index.interfaces import NewsdeskQueryEngine, NewsdeskRetriever
    from newsdesk.index.retrieve import Filters

_EXPORTS = {
    "Answer": "newsdesk.index.answer",
    "Citation": "newsdesk.index.answer",
    "Dropped": "newsdesk.index.answer",
    "Newsdesk": "newsdesk.index.app",
    "Source": "newsdesk.index.app",
    "Settings": "newsdesk.index.config",
    "Turn": "newsdesk.index.conversation",
    "BadQuestion": "newsdesk.index.errors",
    "ConfigError": "newsdesk.index.errors",
    "IndexNotBuilt": "newsdesk.index.errors",
    "NewsdeskError": "newsdesk.index.errors",
    "NewsdeskQueryEngine": "newsdesk.index.interfaces",
    "NewsdeskRetriever": "newsdesk.index.interfaces",
    "Filters": "newsdesk.index.retrieve",
}

__all__ = [
    "Answer",
    "BadQuestion",
    "Citation",
    "ConfigError",
    "Dropped",
    "Filters",
    "IndexNotBuilt",
    "Newsdesk",
    "NewsdeskError",
    "NewsdeskQueryEngine",
    "NewsdeskRetriever",
    "Settings",
    "Source",
    "Turn",
]

try:
    __version__ = version("newsdesk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'newsdesk' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
