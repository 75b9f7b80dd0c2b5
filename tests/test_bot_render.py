from __future__ import annotations

import discord
import pytest

from newsdesk.bot.guard import Concurrency, Cooldown, channel_allowed, may_reindex
from newsdesk.bot.render import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    EMBEDS_TOTAL_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    MAX_EMBEDS,
    MAX_FIELDS,
    MESSAGE_LIMIT,
    answer_messages,
    comparison_messages,
    group,
    quote_block,
    source_line,
    sources_description,
    split_message,
    stories_embed,
    timeline_messages,
)
from newsdesk.index.answer import Answer, Citation
from newsdesk.index.compare import Comparison, Conflict, OutletView, Quoted
from newsdesk.index.coverage import Report
from newsdesk.index.stories import Story
from newsdesk.index.timeline import PAGE_LINES, Line, Timeline


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


def fits(messages: list[list[discord.Embed]]) -> None:
    """Every limit Discord puts on an embed and on the embeds of one message."""
    assert messages, "something to send"
    for embeds in messages:
        assert 1 <= len(embeds) <= MAX_EMBEDS
        assert sum(len(e) for e in embeds) <= EMBEDS_TOTAL_LIMIT
        for e in embeds:
            assert len(e.title or "") <= EMBED_TITLE_LIMIT
            assert len(e.description or "") <= EMBED_DESCRIPTION_LIMIT
            assert len(e.footer.text or "") <= FOOTER_LIMIT
            assert len(e.fields) <= MAX_FIELDS
            for f in e.fields:
                assert 0 < len(f.name or "") <= FIELD_NAME_LIMIT
                assert 0 < len(f.value or "") <= FIELD_VALUE_LIMIT


def test_sources_fit_embed_limits() -> None:
    many = [citation(n, "word " * 300, url="https://example.org/" + "a" * 250) for n in range(60)]
    descriptions = sources_description(many)
    assert len(descriptions) <= MAX_EMBEDS
    assert all(len(d) <= EMBED_DESCRIPTION_LIMIT for d in descriptions)
    messages = group(discord.Embed(description=d) for d in descriptions)
    fits(messages)
    assert len(messages) > 1, "over 6,000 characters of sources take more than one message"


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


# -- timelines and comparisons ---------------------------------------------------------------

PING = "Organisers wrote @everyone and <@123456789> and <@&42> to come, said *the* [union]."
LONG = "The minister said the talks would resume next week in Geneva, " * 30  # ~1,900 chars


def report(n: int, outlet: str | None = None, url: str | None = None) -> Report:
    return Report(
        f"d{n}",
        f"Article {n} about the harbour strike",
        outlet,
        f"2026-01-{1 + n % 28:02d}T10:00" if n % 5 else None,
        url if url is not None else f"https://news{n}.example.org/story/{n}",
        f"d{n}.txt",
        "",
    )


def story(articles: int = 5000, outlets: int = 300) -> Story:
    return Story(
        "s1234567",
        "Harbour strike " + "and its long aftermath " * 20,  # a label over the title limit
        "2026-01-01",
        "2026-01-28",
        tuple(f"Outlet {k}" for k in range(outlets)),
        tuple(f"d{n}" for n in range(articles)),
        articles // 5,
    )


def test_a_page_of_a_huge_timeline_fits_every_limit_and_says_how_to_go_on() -> None:
    """A 5,000-article story: one page of 25 long lines, each reported by 40 outlets with
    long names, long URLs and pings, rendered within every limit; nothing dumped."""
    reports = [report(n, f"The Very Long Name of Outlet Number {n} " * 3) for n in range(40)]
    reports[1].url = "https://example.org/" + "x" * 2000  # too long to link
    lines = [
        Line("2026-01-05", "event", "on Monday", PING, "Ann *Lee*", reports),
        Line("2026-01-06", "published", None, LONG, None, reports[1:]),
        *[
            Line(f"2026-01-{n:02d}", "published", None, f"{LONG[: 40 * n]} ({n}).", "X", reports)
            for n in range(7, 29)
        ],
        Line(None, "undated", None, LONG + " the end.", None, reports[3:4]),
    ]
    assert len(lines) == PAGE_LINES
    timeline = Timeline(story(), lines, 9000, 3, 360, [r.outlet for r in reports])
    messages = timeline_messages(timeline)
    fits(messages)
    fields = [f for embeds in messages for e in embeds for f in e.fields]
    assert len(fields) == PAGE_LINES, "one field per event, none lost"
    assert fields[0].name == "2026-01-05 · event date (“on Monday”)"
    assert fields[1].name == "2026-01-06 · published"
    assert fields[-1].name.startswith("undated")
    assert "*(quote cut: see the article)*" in fields[1].value, "cut, and says so"
    assert len(messages) <= 6, "one page: 25 events, in a handful of messages"
    header = messages[0][0]
    assert header.title and header.title.endswith("…")
    assert "Events 51–75 of 9000" in (header.description or "")
    assert "5,000 articles (1000 undated)" in (header.description or "")
    footer = messages[-1][-1].footer.text or ""
    assert footer == "page 3 of 360; next: /timeline story:s1234567 page:4"
    shown = " ".join(f"{f.name} {f.value}" for f in fields)
    assert "@everyone" not in shown and "<@123456789>" not in shown and "<@&42>" not in shown
    assert "\\*the\\* \\[union\\]" in shown, "article text is not markdown"
    assert "and 35 more outlets" in fields[0].value
    assert "x" * 100 not in shown, "an over-long URL is not linked"


def test_a_quote_too_long_for_a_field_is_cut_and_says_so() -> None:
    value = quote_block(LONG, "https://example.org/a", speaker="Ann Lee", tail="reported by X")
    assert len(value) <= FIELD_VALUE_LIMIT
    quoted = value.removeprefix("> “").split("…")[0]
    assert LONG.startswith(quoted) and len(quoted) > 700, "a verbatim start, as long as fits"
    assert "”" not in value, "a cut quote is never closed as if it were whole"
    assert "*(quote cut: [read the article](https://example.org/a))*" in value
    assert value.endswith(" — Ann Lee\nreported by X")
    assert quote_block(LONG, None).endswith("… *(quote cut: see the article)*")
    whole = quote_block("He said it was over.", "https://example.org/a")
    assert whole == "> “He said it was over.”", "a quote that fits is whole and closed"


def test_a_timeline_of_one_outlet_says_so() -> None:
    only = report(1, "Zanzibar Daily")
    line = Line("2026-01-02", "published", None, "The ferry strike ended on Monday.", None, [only])
    one = Story(
        "s7654321", "Ferry strike ends", "2026-01-02", "2026-01-02", ("Zanzibar Daily",), ("d1",)
    )
    messages = timeline_messages(Timeline(one, [line], 1, 1, 1, ["Zanzibar Daily"]))
    fits(messages)
    description = messages[0][0].description or ""
    assert "Only Zanzibar Daily reports this story: a timeline of one outlet." in description
    assert "Story `s7654321` · 2026-01-02 · 1 article from 1 outlet" in description
    assert messages[-1][-1].footer.text == "page 1 of 1"


def comparison(outlets: int, conflicts: int) -> Comparison:
    views = []
    for k in range(outlets):
        reports = [report(k * 10 + n, f"Outlet {k}") for n in range(8)]
        views.append(
            OutletView(
                f"Outlet {k}",
                reports,
                [Quoted(f"{LONG[: 120 * (n + 1)]} ({k}.{n}) {PING}", reports[n]) for n in range(5)],
                {f"Speaker {n}": Quoted(LONG[:300], reports[0]) for n in range(8)},
            )
        )
    sides = [
        Conflict(
            "number",
            f"{n} / {n + 1}",
            [
                Quoted(f"{LONG[:500]} {n} dead.", views[0].reports[0]),
                Quoted(f"{LONG[:500]} {n + 1} dead.", views[1].reports[0]),
            ],
        )
        for n in range(conflicts)
    ]
    return Comparison(story(), views, sides)


def test_a_comparison_of_many_outlets_is_paged_within_every_limit() -> None:
    big = comparison(outlets=60, conflicts=40)
    first = comparison_messages(big, 1)
    fits(first)
    footer = first[-1][-1].footer.text or ""
    pages = int(footer.split(";")[0].removeprefix("page 1 of "))
    assert pages > 5 and footer.endswith("next: /compare story:s1234567 page:2")
    titles = [e.title or "" for m in first for e in m]
    assert "40 disagreements between the outlets, shown first." in (first[0][0].description or "")
    assert titles[1] == "Where they disagree", "disagreements before any outlet"
    conflict = first[0][1].fields[:2]
    assert conflict[0].name == "#1 number: 0 / 1 · Outlet 0"
    assert conflict[1].name == "#1 number: 0 / 1 · Outlet 1"
    assert conflict[0].value.endswith(
        "0 dead.”\n[Article 0 about the harbour strike](https://news0.example.org/story/0)"
    )
    seen: list[str] = []
    for page in range(1, pages + 1):
        messages = comparison_messages(big, page)
        fits(messages)
        assert len(messages) <= 3
        seen += [e.title or "" for m in messages for e in m]
        last = messages[-1][-1].footer.text or ""
        assert last.startswith(f"page {page} of {pages}")
        assert ("next:" in last) == (page < pages)
    assert {f"Outlet {k}" for k in range(60)} <= set(seen), "every outlet on some page"
    assert comparison_messages(big, 999)[-1][-1].footer.text == f"page {pages} of {pages}"
    text = " ".join(
        f.value
        for p in range(1, pages + 1)
        for m in comparison_messages(big, p)
        for e in m
        for f in e.fields
    )
    assert "@everyone" not in text and "<@123456789>" not in text


def test_a_comparison_of_one_outlet_says_there_is_nothing_to_compare() -> None:
    one = comparison(outlets=1, conflicts=0)
    one.outlets[0].only_here.clear()
    messages = comparison_messages(one)
    fits(messages)
    assert "Only Outlet 0 reports this story: there is nothing to compare it with." in (
        messages[0][0].description or ""
    )
    quotes = [f for m in messages for e in m for f in e.fields if f.name == "Quotes"]
    assert quotes[0].value == ", ".join(f"Speaker {n}" for n in range(8))


def test_stories_list_is_paged_and_names_the_ids() -> None:
    many = [
        Story(f"s{n:07d}", f"Story {n} *bold*", None, None, (), (f"d{n}",), 1) for n in range(23)
    ]
    embed = stories_embed(many, 3)
    assert embed.title == "23 stories"
    assert "`s0000020` **Story 20 \\*bold\\***\nundated · 1 article" in (embed.description or "")
    assert embed.footer.text == "page 3 of 3; /timeline or /compare with story:<id>"
    assert "next: /stories page:2" in (stories_embed(many, 1).footer.text or "")
