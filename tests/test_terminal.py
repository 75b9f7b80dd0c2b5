"""What the CLI and the REPL print."""

from __future__ import annotations

from newsdesk.index.answer import Answer, Citation, Dropped
from newsdesk.index.terminal import quoted, render

PESKOV = (
    "“There indeed was a conversation, that much is true. However, the dialogue did not "
    "progress,” Kremlin spokesperson Dmitry Peskov stated."
)


def answer(*citations: Citation) -> Answer:
    return Answer(
        "Why did the call fail?",
        "The dialogue did not progress [1].",
        True,
        list(citations),
        "fake",
        {"retrieve": 12.0, "total": 30.0},
        [Dropped("Powell was arrested.", "names not in the passage")],
    )


def citation(quote: str, n: int = 1) -> Citation:
    return Citation(n, "000", "Kremlin acknowledges", "TASS", "2026-01-15", "000.txt", quote)


def test_a_quote_that_opens_with_its_own_quotation_mark_is_not_quoted_twice() -> None:
    assert quoted(PESKOV) == PESKOV
    assert quoted("The call did not go well.") == "“The call did not go well.”"
    assert quoted("  spread over\n two lines ") == "“spread over two lines”"
    shown = render(answer(citation(PESKOV)))
    assert "““" not in shown and f"    {PESKOV}" in shown


def test_sources_are_numbered_with_outlet_date_and_path() -> None:
    lines = render(answer(citation("The call did not go well."))).splitlines()
    assert lines[0] == "The dialogue did not progress [1]."
    assert lines[2:] == [
        "Sources:",
        "[1] Kremlin acknowledges (TASS, 2026-01-15) [000.txt]",
        "    “The call did not go well.”",
    ]


def test_verbose_adds_what_the_checks_dropped_and_the_timings() -> None:
    shown = render(answer(citation("x y z")), verbose=True)
    assert "Dropped by the checks:\n  - Powell was arrested. (names not in the passage)" in shown
    assert shown.endswith("[fake; retrieve 12 ms, total 30 ms]")
    assert "Dropped" not in render(answer(citation("x y z")))
