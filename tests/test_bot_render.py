from __future__ import annotations

import pytest

from newsdesk.bot.guard import Concurrency, Cooldown, channel_allowed, may_reindex
from newsdesk.bot.render import (
    EMBED_DESCRIPTION_LIMIT,
    MAX_EMBEDS,
    MESSAGE_LIMIT,
    answer_messages,
    source_line,
    sources_description,
    split_message,
)
from newsdesk.index.answer import Answer, Citation


def citation(n: int, quote: str = "A quoted sentence.", **kw: object) -> Citation:
    values: dict[str, object] = {
        "n": n,
        "doc_id": f"d{n}",
        "title": f"Title {n}",
        "source": "Caliber.az",
        "date": "2026-01-16T11:37",
        "path": f"d{n}.txt",
        "quote": quote,
    }
    values.update(kw)
    return Citation(**values)  # type: ignore[arg-type]


def answer(
    text: str,
    citations: list[Citation] | None = None,
    answered: bool = True,
    closest: list[str] | None = None,
) -> Answer:
    return Answer(
        "q?", text, answered, citations or [], "extractive", {"total": 1.0}, closest=closest or []
    )


def test_long_answers_split_at_paragraphs_then_sentences_never_mid_word() -> None:
    sentence = "The minister said the talks would resume next week in Geneva. "
    text = "\n\n".join(sentence * 12 for _ in range(6))
    pieces = split_message(text)
    assert len(pieces) > 1 and all(len(p) <= MESSAGE_LIMIT for p in pieces)
    assert all(p.endswith(".") for p in pieces), "cut at sentence or paragraph ends"
    assert " ".join(pieces).split() == text.split(), "nothing lost, no word cut"


def test_a_single_giant_word_is_the_only_thing_ever_cut() -> None:
    pieces = split_message("x" * 4500)
    assert [len(p) for p in pieces] == [2000, 2000, 500]


def test_sources_fit_embed_limits() -> None:
    many = [citation(n, "word " * 300) for n in range(1, 60)]
    descriptions = sources_description(many)
    assert len(descriptions) <= MAX_EMBEDS
    assert all(len(d) <= EMBED_DESCRIPTION_LIMIT for d in descriptions)


def test_source_line_links_shortens_and_escapes() -> None:
    line = source_line(
        citation(
            2,
            "q" * 500 + " end",
            url="https://example.org/a",
            title="A *bold* claim",
            also_reported_by=("d7",),
        )
    )
    assert line.startswith(
        "`[2]` [A \\*bold\\* claim](https://example.org/a) — Caliber.az, 2026-01-16"
    )
    assert "…" in line and len(line) < 400
    assert line.endswith("*also reported by d7*")


def test_everyone_in_an_article_is_shown_not_pinged() -> None:
    text = answer(
        "The post said @everyone should leave [1].",
        [citation(1, "Join us @everyone and @here now.")],
    )
    assert "@everyone" not in answer_messages(text)[0]
    assert "@everyone" not in sources_description(text.citations)[0]
    assert "@\u200beveryone" in answer_messages(text)[0]


def test_cooldown_per_user() -> None:
    now = [100.0]
    cooldown = Cooldown(10, clock=lambda: now[0])
    assert cooldown.retry_after(1) == 0
    assert cooldown.retry_after(2) == 0
    now[0] = 104
    assert cooldown.retry_after(1) == pytest.approx(6)
    now[0] = 110.5
    assert cooldown.retry_after(1) == 0


def test_concurrency_cap_per_server() -> None:
    cap = Concurrency(2)
    assert cap.acquire(1) and cap.acquire(1) and not cap.acquire(1)
    assert cap.acquire(2)
    cap.release(1)
    assert cap.acquire(1)


def test_permissions_and_channels() -> None:
    assert may_reindex(5, is_admin=True, admins=frozenset())
    assert not may_reindex(5, is_admin=False, admins=frozenset())
    assert not may_reindex(5, is_admin=True, admins=frozenset({6}))
    assert may_reindex(6, is_admin=False, admins=frozenset({6}))
    assert channel_allowed(1, None, frozenset())
    assert channel_allowed(9, 1, frozenset({1})), "a thread counts as its parent"
    assert not channel_allowed(2, None, frozenset({1}))
