"""One wording of every error per edge: the terminal may name flags, settings and paths; a
chat never does."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.index.errors import (
    BadQuestion,
    ConfigError,
    DataDirError,
    IndexBusy,
    IndexNotBuilt,
    NewsdeskError,
)
from newsdesk.index.messages import NOT_INDEXED_CHAT, OOPS, REBUILD_RUNNING, for_chat, for_terminal

SECRET = Path("/srv/operator/secret-data")

ERRORS: list[NewsdeskError] = [
    BadQuestion("the question is empty: ask something about the articles"),
    BadQuestion("since 'soon' is not a date: use one like 2026-01-31", field="since"),
    IndexNotBuilt(SECRET),
    IndexBusy(
        "another rebuild of this index is running; try again when it has finished", path=SECRET
    ),
    DataDirError("cannot create the data dir (Permission denied)", path=SECRET),
    ConfigError("NEWSDESK_TOP_K='x' is not valid", setting="NEWSDESK_TOP_K"),
]


def test_the_terminal_says_what_to_run_and_where() -> None:
    assert for_terminal(IndexNotBuilt(SECRET)) == (
        f"no articles are indexed yet: add articles to {SECRET} and run `newsdesk index`"
    )
    assert for_terminal(ERRORS[1]).startswith("--since: since 'soon' is not a date")
    assert str(SECRET) in for_terminal(ERRORS[4])
    assert for_terminal(ERRORS[3]).startswith(f"another `newsdesk index` is rebuilding {SECRET}")
    assert for_terminal(ERRORS[0]) == str(ERRORS[0]), "the question's own error is as is"


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_a_chat_never_sees_a_path_a_flag_or_a_setting(error: NewsdeskError) -> None:
    text = for_chat(error)
    assert "secret" not in text and "--" not in text and "NEWSDESK_" not in text
    assert "`" not in text and text[0].isupper() and text.endswith(".")


def test_a_chat_is_told_what_it_can_act_on() -> None:
    assert for_chat(ERRORS[0]) == "The question is empty: ask something about the articles."
    assert for_chat(ERRORS[1]) == "Since 'soon' is not a date: use one like 2026-01-31."
    assert for_chat(IndexNotBuilt(SECRET)) == NOT_INDEXED_CHAT
    assert for_chat(ERRORS[3]) == REBUILD_RUNNING
    assert for_chat(ERRORS[4]) == for_chat(ERRORS[5]) == OOPS, "the operators' business"
