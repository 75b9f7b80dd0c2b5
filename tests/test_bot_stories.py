"""/timeline, /compare and /stories through the bot's one flow, on the real index of the
sample articles (real embeddings, real Chroma); fakes only at the Discord edge."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import pytest_asyncio
from test_bot import interaction, said, slash
from test_bot_render import fits

from newsdesk.bot.client import NO_STORY_GIVEN, NewsdeskBot
from newsdesk.index.app import Newsdesk

POWELL_CALL = "Powell Ushakov phone call"
NOWHERE = "volcano eruption in Iceland"


async def make_bot(desk: Newsdesk) -> NewsdeskBot:
    desk.settings = desk.settings.with_(bot_cooldown=0, bot_max_concurrent=2)
    bot = NewsdeskBot(desk=desk, engine=desk.engine())
    await bot._async_setup_hook()
    await bot.setup_hook()
    return bot


@pytest_asyncio.fixture
async def bot(sample: Newsdesk) -> AsyncIterator[NewsdeskBot]:
    """A bot over the sample index (shared by this module's tests, which only read it)."""
    bot = await make_bot(sample)
    yield bot
    bot.answers.shutdown(wait=True)
    bot.conversations.close()


def replies(it: Any) -> list[dict[str, Any]]:
    """Every message of the deferred response: the edit of the original, then follow-ups."""
    edits = [c.kwargs for c in it.edit_original_response.await_args_list]
    return edits + [c.kwargs for c in it.followup.send.await_args_list]


def embeds_of(it: Any) -> list[list[discord.Embed]]:
    return [m["embeds"] for m in replies(it) if "embeds" in m]


def text_of(messages: list[list[discord.Embed]]) -> str:
    parts = []
    for embeds in messages:
        for e in embeds:
            parts += [e.title or "", e.description or "", e.footer.text or ""]
            parts += [f"{f.name}\n{f.value}" for f in e.fields]
    return "\n".join(parts)


def unescaped(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).replace("\u200b", "")


async def test_timeline_of_the_sample_story_in_date_order_within_every_limit(
    bot: NewsdeskBot, sample: Newsdesk
) -> None:
    it = interaction(bot)
    await slash(bot, "timeline", it, story=POWELL_CALL, page=1)
    it.response.defer.assert_awaited_once()
    assert all(m["allowed_mentions"].to_dict() == {"parse": []} for m in replies(it))
    messages = embeds_of(it)
    fits(messages)
    (story,) = sample.stories()
    timeline = sample.timeline(story.id)
    header = messages[0][0]
    assert header.title == "UK rejects calls to reopen talks with Putin"
    assert f"Story `{story.id}` · 2026-01-16 · 4 articles (3 undated) from 4 outlets" in (
        header.description or ""
    )
    total = timeline.total
    assert f"Events 1–{total} of {total}, in date order" in (header.description or "")
    fields = [f for embeds in messages for e in embeds for f in e.fields]
    assert len(fields) == len(timeline.lines) == total
    for f, line in zip(fields, timeline.lines, strict=True):
        assert (f.name or "").startswith(line.date or "undated")
        assert " ".join(line.quote.split()) in unescaped(f.value or ""), "each quote whole"
    names = [f.name or "" for f in fields]
    assert "2026-01-15 · event date (“January 15”)" in names
    dated = [n[:10] for n in names if not n.startswith("undated")]
    assert dated == sorted(dated), "dated events in date order"
    undated = sum(1 for line in timeline.lines if line.dated_by == "undated")
    assert undated and names[len(dated) :] == ["undated (its article gives no date)"] * undated, (
        "the undated articles' events come last, and say so"
    )
    assert messages[-1][-1].footer.text == "page 1 of 1"


async def test_compare_of_the_sample_story_within_every_limit(
    bot: NewsdeskBot, sample: Newsdesk
) -> None:
    (story,) = sample.stories()
    comparison = sample.compare(story.id)
    it = interaction(bot)
    await slash(bot, "compare", it, story=story.id, page=1)
    assert all(m["allowed_mentions"].to_dict() == {"parse": []} for m in replies(it))
    messages = embeds_of(it)
    fits(messages)
    titles = [e.title for embeds in messages for e in embeds]
    assert titles[0] == story.label
    sections = [t or "" for t in titles[1:] if not (t or "").endswith(" (continued)")]
    assert [unescaped(t) for t in sections if t != "Where they disagree"] == [
        v.outlet for v in comparison.outlets
    ], "after the disagreements, each outlet"
    if comparison.conflicts:
        assert titles[1] == "Where they disagree"
    else:
        assert "No disagreement found between the outlets." in (messages[0][0].description or "")
    text = unescaped(text_of(messages))
    assert "I’m still not seeing that,” Cooper said." in text, "quotes verbatim"
    assert messages[-1][-1].footer.text == "page 1 of 1"


async def test_no_story_found_is_one_message_naming_the_closest(bot: NewsdeskBot) -> None:
    for command in ("timeline", "compare"):
        it = interaction(bot)
        await slash(bot, command, it, story=NOWHERE, page=1)
        (reply,) = replies(it)
        assert reply["content"] == (
            f"No story found for '{NOWHERE}'; the closest: "
            "“UK rejects calls to reopen talks with Putin”."
        )
        assert reply["allowed_mentions"].to_dict() == {"parse": []}
        it.followup.send.assert_not_awaited()


async def test_an_empty_story_is_refused_at_once_and_only_to_the_asker(bot: NewsdeskBot) -> None:
    for command in ("timeline", "compare"):
        it = interaction(bot)
        await slash(bot, command, it, story="  \n ", page=1)
        it.response.defer.assert_not_awaited()
        assert it.response.send_message.await_args.kwargs["ephemeral"] is True
        assert said(it) == NO_STORY_GIVEN
    assert not bot.concurrency._running.get(42), "a refusal holds no slot"


async def test_the_new_commands_share_the_cooldown_and_the_servers_cap(bot: NewsdeskBot) -> None:
    bot.cooldown.seconds = 60
    first = interaction(bot, user_id=5)
    await slash(bot, "timeline", first, story=POWELL_CALL, page=1)
    assert embeds_of(first)
    for command, options in (("compare", {"page": 1}), ("timeline", {"page": 2})):
        again = interaction(bot, user_id=5)
        await slash(bot, command, again, story=POWELL_CALL, **options)
        assert said(again).startswith("Busy, try again in")
        again.response.defer.assert_not_awaited()
    ask = interaction(bot, user_id=5)
    await slash(bot, "ask", ask, question="What did Cooper say?")
    assert said(ask).startswith("Busy, try again in"), "one cooldown for every way of asking"

    bot.cooldown.seconds = 0
    assert bot.concurrency.acquire(42) and bot.concurrency.acquire(42)  # two answers running
    busy = interaction(bot, user_id=6)
    await slash(bot, "compare", busy, story=POWELL_CALL, page=1)
    assert said(busy) == "Busy answering other questions, try again in a few seconds."
    bot.concurrency.release(42)
    bot.concurrency.release(42)


async def test_a_failure_is_one_sentence_and_the_slot_is_freed(
    bot: NewsdeskBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("chroma segment corrupted at /secret/path")

    monkeypatch.setattr(bot.desk, "compare", explode)
    it = interaction(bot)
    await slash(bot, "compare", it, story=POWELL_CALL, page=1)
    assert [m["content"] for m in replies(it)] == [
        "Something went wrong while answering; the operators have the details."
    ]
    assert any("chroma segment corrupted" in (r.exc_text or "") for r in caplog.records)
    assert not bot.concurrency._running.get(42)


async def test_stories_lists_the_story_ids(bot: NewsdeskBot, sample: Newsdesk) -> None:
    (story,) = sample.stories()
    it = interaction(bot)
    await slash(bot, "stories", it, page=1)
    kwargs = it.response.send_message.await_args.kwargs
    assert kwargs["ephemeral"] is True
    embed = kwargs["embed"]
    assert embed.title == "1 story"
    assert f"`{story.id}` **UK rejects calls to reopen talks with Putin**" in embed.description
    assert "2026-01-16 · 4 articles (3 undated) · Caliber.az" in embed.description


async def test_slash_ask_until_filters_and_a_bad_date_is_one_clear_sentence(
    bot: NewsdeskBot,
) -> None:
    question = "What did Cooper say about evidence that Putin wants peace?"
    bot.engine.backend = None  # extractive: the answer quotes what the filter lets through
    kept = interaction(bot, user_id=1)
    await slash(bot, "ask", kept, question=question, until="2026-01-16")
    final = kept.edit_original_response.await_args_list[-1].kwargs
    assert "still not seeing that" in final["content"]
    assert "Caliber.az" in final["embeds"][0].description
    before = interaction(bot, user_id=2)
    await slash(bot, "ask", before, question=question, until="2026-01-15")
    final = before.edit_original_response.await_args_list[-1].kwargs
    assert "still not seeing that" not in final["content"], "the only dated article is later"
    bad = interaction(bot, user_id=3)
    await slash(bot, "ask", bad, question=question, until="next week")
    assert said(bad) == "Until 'next week' is not a date: use one like 2026-01-31."
    bad.response.defer.assert_not_awaited()


FERRY = """---
title: Zanzibar ferry strike ends after pay deal
source: Zanzibar Daily
published: 2026-01-20
---
The Zanzibar ferry strike ended on Monday after the union told @everyone and <@123456789> that \
workers had accepted a pay rise of twelve percent, the port authority said.

Ferries between Stone Town and Dar es Salaam resumed their timetable on Tuesday morning, with \
extra crossings planned for the weekend.
"""


async def test_a_story_of_one_article_is_a_timeline_of_one_outlet_and_never_pings(
    app: Newsdesk,
) -> None:
    (app.settings.articles_dir / "ferry.md").write_text(FERRY, encoding="utf-8")
    app.build()
    # by its id, as /stories lists it (the words "Zanzibar ferry strike" find the sample's
    # four-article story instead: see the report on `coverage.find`)
    (ferry,) = [s for s in app.stories() if s.doc_ids == ("ferry",)]
    bot = await make_bot(app)
    try:
        it = interaction(bot)
        await slash(bot, "timeline", it, story=ferry.id, page=1)
        messages = embeds_of(it)
        fits(messages)
        header = messages[0][0]
        assert header.title == "Zanzibar ferry strike ends after pay deal"
        description = header.description or ""
        assert "1 article from 1 outlet" in description
        assert "Only Zanzibar Daily reports this story: a timeline of one outlet." in description
        text = text_of(messages)
        assert "twelve percent" in text
        assert "@everyone" not in text and "<@123456789>" not in text
        assert "@\u200beveryone" in text, "shown, not sent as a mention"
        assert all(m["allowed_mentions"].to_dict() == {"parse": []} for m in replies(it))

        it = interaction(bot)
        await slash(bot, "compare", it, story=ferry.id, page=1)
        messages = embeds_of(it)
        fits(messages)
        assert "Only Zanzibar Daily reports this story: there is nothing to compare it with." in (
            messages[0][0].description or ""
        )
    finally:
        bot.answers.shutdown(wait=True)
        bot.conversations.close()
