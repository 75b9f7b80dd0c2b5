"""Every sentence newsdesk says to a person outside an answer, for every edge in one place.

The core's errors carry data (see `newsdesk.index.errors`); the two functions at the end
word them for a terminal, where the reader runs newsdesk and may fix its settings, and for
a chat, where the reader can neither run a command nor see the operator's paths. (The
answer to a question the articles do not cover is `prompts/not_covered.txt`: the model is
told to say exactly that.)
"""

from __future__ import annotations

from newsdesk.index.errors import (
    BadQuestion,
    DataDirError,
    FetchError,
    IndexBusy,
    IndexNotBuilt,
    NewsdeskError,
    NoStory,
)

LOOKING = "Looking through the articles…"
BUSY_USER = "Busy, try again in {seconds:.0f} s."
BUSY_SERVER = "Busy answering other questions, try again in a few seconds."
OOPS = "Something went wrong while answering; the operators have the details."
NOT_INDEXED_CHAT = "No articles are indexed yet; an operator has to add some first."
REBUILD_RUNNING = "A rebuild is already running; try again when it's done."
CONVERSATION_FORGOTTEN = "Conversation forgotten: the next question starts afresh."


def for_terminal(error: NewsdeskError) -> str:
    """The error as one line for someone at the command line."""
    if isinstance(error, IndexNotBuilt):
        where = f" to {error.articles_dir}" if error.articles_dir else ""
        return f"{error}: add articles{where} and run `newsdesk index`"
    if isinstance(error, BadQuestion) and error.field != "question":
        return f"--{error.field}: {error}"
    if isinstance(error, IndexBusy):
        return f"another `newsdesk index` is rebuilding {error.path}; try again when it is done"
    if isinstance(error, DataDirError):
        return f"{error} [{error.path}]"
    if isinstance(error, FetchError):
        allow = f" ({error.setting}=true allows it)" if error.setting else ""
        return f"{error.url}: {error}{allow}"
    return str(error)


def for_chat(error: NewsdeskError) -> str:
    """The error as one line for a chat user: no paths, flags or settings; what the user
    can change themselves is said, the rest goes to the operators (the edge logs it)."""
    if isinstance(error, BadQuestion | NoStory):
        return _sentence(str(error))
    if isinstance(error, IndexNotBuilt):
        return NOT_INDEXED_CHAT
    if isinstance(error, IndexBusy):
        return REBUILD_RUNNING
    if isinstance(error, FetchError):
        return _sentence(f"could not add {error.url}: {error}")
    return OOPS


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
