"""The discord.py wiring with real discord.py objects; fakes only at the gateway/HTTP edge:
dpytest for messages and mentions, spec'd Interaction fakes for slash commands."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import discord.ext.test as dpytest
import pytest
import pytest_asyncio
from discord.ext.test import backend as dpy_backend

from newsdesk.bot.client import NewsdeskBot
from newsdesk.index.app import Newsdesk
from newsdesk.index.llm import Message
from newsdesk.index.watch import Rebuilt

from fakes import FakeBackend
from support import REPO, cli_process
from webserver import Route, Web, page

MakeApp = Callable[..., Newsdesk]
POWELL = "Why did the Powell–Ushakov call fail?"


async def _start_thread(
    self: Any,
    channel_id: int,
    message_id: int,
    *,
    name: str,
    auto_archive_duration: int,
    rate_limit_per_user: int | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """What Discord answers to POST /channels/{id}/messages/{id}/threads (dpytest lacks it)."""
    channel = self.state.get_channel(channel_id)
    data = {
        "id": message_id,
        "guild_id": channel.guild.id,
        "parent_id": channel_id,
        "owner_id": self.state.user.id,
        "name": name,
        "type": 11,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": auto_archive_duration,
            "archive_timestamp": datetime.now(UTC).isoformat(),
            "locked": False,
        },
    }
    channel.guild._add_thread(discord.Thread(guild=channel.guild, state=self.state, data=data))
    return data


@pytest.fixture
def fake() -> FakeBackend:
    return FakeBackend()


@pytest_asyncio.fixture
async def bot(
    app: Newsdesk, fake: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[NewsdeskBot]:
    monkeypatch.setattr(
        dpy_backend.FakeHttp, "start_thread_with_message", _start_thread, raising=False
    )
    app.settings = app.settings.with_(bot_cooldown=0, bot_max_concurrent=2)
    engine = app.engine()
    engine.backend = fake
    bot = NewsdeskBot(desk=app, engine=engine)
    await bot._async_setup_hook()
    await bot.setup_hook()
    # dpytest resolves mentions through the member cache, which the production intents
    # (no privileged members intent) leave empty.
    bot._connection._intents.members = True
    bot._connection.member_cache_flags = discord.MemberCacheFlags.from_intents(
        bot._connection._intents
    )
    dpytest.configure(bot)
    yield bot
    await dpytest.empty_queue()
    bot.answers.shutdown(wait=True)


def sent() -> Iterator[discord.Message]:
    while not dpytest.sent_queue.empty():
        yield dpytest.get_message()


async def fresh(message: discord.Message) -> discord.Message:
    """The message as it is now, after the bot's edits (dpytest records edits in history)."""
    async for current in message.channel.history(limit=50):
        if current.id == message.id:
            return current
    return message


async def answered_thread(bot: NewsdeskBot, fake: FakeBackend) -> discord.Thread:
    """Mention the bot with POWELL and return the thread its answer went to."""
    fake.enqueue("Powell was keen to outline the stance of the Europeans [1].")
    await dpytest.message(f"<@{bot.user.id}> {POWELL}")  # type: ignore[union-attr]
    await settle(bot)
    thread = next(sent()).channel
    list(sent())
    assert isinstance(thread, discord.Thread)
    return thread


async def settle(bot: NewsdeskBot) -> None:
    await dpytest.run_all_events()
    for _ in range(200):
        await asyncio.sleep(0.05)
        if not bot.concurrency._running.get(dpytest.get_config().guilds[0].id):
            break
    await dpytest.run_all_events()


async def test_a_mention_is_answered_in_a_new_thread_with_sources(
    bot: NewsdeskBot, fake: FakeBackend
) -> None:
    fake.enqueue(
        "Powell was keen to outline the stance of the Europeans but showed limited "
        "interest in hearing Moscow's perspective [1]."
    )
    question = await dpytest.message(f"<@{bot.user.id}> {POWELL}")  # type: ignore[union-attr]
    await settle(bot)
    messages = [await fresh(m) for m in sent()]
    assert messages, "the bot answered"
    thread = messages[0].channel
    assert isinstance(thread, discord.Thread) and thread.id == question.id
    assert thread.name == POWELL
    final = messages[0]
    assert final.content.startswith("Powell was keen to outline the stance")
    assert final.content.endswith("[1]")
    assert final.embeds and final.embeds[0].title == "Sources"
    assert "Kremlin Acknowledges Unsuccessful Attempt" in (final.embeds[0].description or "")
    assert fake.history[0][1]["content"].endswith(f"Question: {POWELL}")


async def test_a_follow_up_in_the_thread_carries_the_conversation(
    bot: NewsdeskBot, fake: FakeBackend
) -> None:
    fake.enqueue(
        "Powell was keen to outline the stance of the Europeans [1].",
        "Cooper said she is still not seeing evidence that Putin wants peace [1].",
    )
    await dpytest.message(f"<@{bot.user.id}> {POWELL}")  # type: ignore[union-attr]
    await settle(bot)
    thread = next(sent()).channel
    list(sent())
    await dpytest.message("and what did London say?", channel=thread)
    await settle(bot)
    follow_up = fake.history[1][1]["content"]
    assert f"Earlier in this conversation the user asked: {POWELL}" in follow_up
    assert follow_up.endswith("Question: and what did London say?")
    assert [m for m in sent() if m.channel.id == thread.id]


async def test_messages_without_a_mention_are_ignored(bot: NewsdeskBot, fake: FakeBackend) -> None:
    await dpytest.message(POWELL)
    await settle(bot)
    assert list(sent()) == [] and fake.history == []


async def test_everyone_in_an_article_never_pings(
    bot: NewsdeskBot, app: Newsdesk, fake: FakeBackend
) -> None:
    (app.settings.articles_dir / "ping.txt").write_text(
        "Protest organisers call everyone out\n\nThe organisers wrote: @everyone come to the "
        "harbour protest on Friday at noon."
    )
    app.build()
    fake.enqueue("The organisers wrote that @everyone should come to the harbour protest [1].")
    await dpytest.message(f"<@{bot.user.id}> What did the harbour protest organisers write?")  # type: ignore[union-attr]
    await settle(bot)
    final = await fresh(next(sent()))
    assert "@everyone" not in final.content
    assert "@everyone" not in (final.embeds[0].description or "")
    recorded = dpy_backend._cur_config.messages[final.channel.id]
    payloads = [m for m in recorded if m.get("author", {}).get("id") == bot.user.id]  # type: ignore[union-attr]
    assert payloads and all(m.get("allowed_mentions") == {"parse": []} for m in payloads), (
        "every message the bot sends or edits carries AllowedMentions.none()"
    )
    fresh_bot = NewsdeskBot(desk=app, engine=bot.engine)
    assert fresh_bot.allowed_mentions is not None
    assert fresh_bot.allowed_mentions.to_dict() == {"parse": []}


async def test_cooldown_answers_busy(app: Newsdesk, fake: FakeBackend, bot: NewsdeskBot) -> None:
    bot.cooldown.seconds = 60
    fake.enqueue("Powell was keen to outline the stance of the Europeans [1].")
    await dpytest.message(f"<@{bot.user.id}> {POWELL}")  # type: ignore[union-attr]
    await settle(bot)
    list(sent())
    await dpytest.message(f"<@{bot.user.id}> {POWELL}")  # type: ignore[union-attr]
    await settle(bot)
    replies = [m.content for m in sent()]
    assert len(replies) == 1 and replies[0].startswith("Busy, try again in")
    assert len(fake.history) == 1


async def test_an_engine_error_becomes_one_short_sentence(
    bot: NewsdeskBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("chroma segment corrupted at /secret/path")

    monkeypatch.setattr(bot.engine, "ask", explode)
    await dpytest.message(f"<@{bot.user.id}> {POWELL}")  # type: ignore[union-attr]
    await settle(bot)
    final = await fresh(next(sent()))
    assert final.content == "Something went wrong while answering; the operators have the details."
    assert "secret" not in final.content
    assert any("chroma segment corrupted" in r.exc_text for r in caplog.records if r.exc_text)


async def test_the_event_loop_keeps_ticking_during_a_slow_answer(bot: NewsdeskBot) -> None:
    class Slow(FakeBackend):
        def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
            time.sleep(1.5)  # a CPU-bound generation, as llama.cpp's
            yield from super().stream(messages, max_tokens)

    slow = Slow().enqueue("Powell was keen to outline the stance of the Europeans [1].")
    bot.engine.backend = slow
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    beat = asyncio.create_task(heartbeat())
    started = time.monotonic()
    await dpytest.message(f"<@{bot.user.id}> {POWELL}")  # type: ignore[union-attr]
    await settle(bot)
    elapsed = time.monotonic() - started
    beat.cancel()
    assert elapsed >= 1.5
    assert ticks >= 0.5 * elapsed / 0.05, f"{ticks} ticks in {elapsed:.1f} s"


# -- slash commands: discord.py's real callbacks, a spec'd fake Interaction -----------------


def interaction(bot: NewsdeskBot, *, user_id: int = 1, admin: bool = False) -> Any:
    fake = MagicMock(spec=discord.Interaction)
    fake.client = bot
    fake.guild_id = 42
    fake.channel = MagicMock(spec=discord.TextChannel)
    fake.channel.id = 7
    fake.user = MagicMock(spec=discord.Member)
    fake.user.id = user_id
    fake.user.guild_permissions = discord.Permissions(administrator=admin)
    done = {"value": False}
    fake.response = MagicMock()
    fake.response.is_done = lambda: done["value"]

    async def answered(*args: Any, **kwargs: Any) -> None:
        done["value"] = True

    fake.response.defer = AsyncMock(side_effect=answered)
    fake.response.send_message = AsyncMock(side_effect=answered)
    fake.followup = MagicMock()
    fake.followup.send = AsyncMock()
    fake.edit_original_response = AsyncMock()
    return fake


async def slash(bot: NewsdeskBot, name: str, interaction: Any, **options: Any) -> None:
    """Run a slash command as the tree does: the Cog's check, then the command."""
    command = bot.tree.get_command(name)
    assert isinstance(command, discord.app_commands.Command), f"/{name} is registered"
    cog = command.binding
    if await cog.interaction_check(interaction):
        await command.callback(cog, interaction, **options)


def said(fake: Any) -> str:
    calls = [*fake.response.send_message.await_args_list, *fake.followup.send.await_args_list]
    return " ".join(str(c.args[0] if c.args else c.kwargs.get("content")) for c in calls)


async def test_slash_ask_defers_then_answers_with_sources(
    bot: NewsdeskBot, fake: FakeBackend
) -> None:
    fake.enqueue("Powell was keen to outline the stance of the Europeans [1].")
    it = interaction(bot)
    await slash(bot, "ask", it, question=POWELL)
    it.response.defer.assert_awaited_once()
    final = it.edit_original_response.await_args_list[-1].kwargs
    assert final["content"].startswith("Powell was keen")
    assert final["embeds"][0].title == "Sources"
    assert final["allowed_mentions"].to_dict() == {"parse": []}


async def test_slash_ask_rejects_bad_input_ephemerally(bot: NewsdeskBot) -> None:
    it = interaction(bot)
    await slash(bot, "ask", it, question="   ")
    it.response.send_message.assert_awaited_once()
    assert it.response.send_message.await_args.kwargs["ephemeral"] is True
    assert "empty" in said(it)
    it = interaction(bot)
    await slash(bot, "ask", it, question=POWELL, since="yesterday-ish")
    assert said(it) == "Since 'yesterday-ish' is not a date: use one like 2026-01-31."


async def test_reindex_refused_for_a_non_admin_and_seen_at_once_for_an_admin(
    bot: NewsdeskBot, app: Newsdesk
) -> None:
    (app.settings.articles_dir / "zanzibar.txt").write_text(
        "Zanzibar ferry strike ends\n\nThe Zanzibar ferry strike ended on Monday after "
        "workers accepted a pay rise of twelve percent."
    )
    refused = interaction(bot, admin=False)
    await slash(bot, "reindex", refused)
    assert "Only the bot's administrators" in said(refused)
    assert "Zanzibar" not in {s.title.split()[0] for s in app.sources()}

    admin = interaction(bot, admin=True)
    await slash(bot, "reindex", admin)
    assert "1 added" in said(admin)
    bot.engine.backend = None  # extractive: the next answer quotes the new article
    ask = interaction(bot, user_id=2)
    await slash(bot, "ask", ask, question="Why did the Zanzibar ferry strike end?")
    final = ask.edit_original_response.await_args_list[-1].kwargs
    assert "twelve percent" in final["content"]


async def test_a_second_reindex_is_refused_politely(bot: NewsdeskBot) -> None:
    async with bot.reindexing:
        it = interaction(bot, admin=True)
        await slash(bot, "reindex", it)
    assert "already running" in said(it)


async def test_allowlisted_admins_only(app: Newsdesk, bot: NewsdeskBot) -> None:
    bot.desk.settings = bot.settings.with_(bot_admins=frozenset({99}))
    it = interaction(bot, user_id=5, admin=True)
    await slash(bot, "reindex", it)
    assert "Only the bot's administrators" in said(it)


async def test_sources_and_status(bot: NewsdeskBot) -> None:
    it = interaction(bot)
    await slash(bot, "sources", it, query="putin", page=1)
    embed = it.response.send_message.await_args.kwargs["embed"]
    assert embed.title == "2 articles matching “putin”"
    assert "UK rejects calls to reopen talks with Putin" in embed.description
    it = interaction(bot)
    await slash(bot, "status", it)
    assert said(it).startswith("4 articles, ") and "newest article 2026-01-16" in said(it)
    assert "backend fake, model fake-1" in said(it)


async def test_channel_allowlist_keeps_the_bot_quiet_elsewhere(bot: NewsdeskBot) -> None:
    bot.desk.settings = bot.settings.with_(bot_channels=frozenset({12345}))
    await dpytest.message(f"<@{bot.user.id}> {POWELL}")  # type: ignore[union-attr]
    await settle(bot)
    assert list(sent()) == []
    it = interaction(bot)
    await slash(bot, "ask", it, question=POWELL)
    assert "only answer in the channels" in said(it)


async def test_feedback_is_appended_for_the_operator(bot: NewsdeskBot, app: Newsdesk) -> None:
    from newsdesk.bot.client import FeedbackView

    bot.engine.backend = None
    answer = bot.engine.ask(POWELL)
    view = FeedbackView(bot, answer)
    it = interaction(bot, user_id=77)
    await view.up.callback(it)  # type: ignore[call-arg]
    lines = (app.settings.data_dir / "feedback.jsonl").read_text().splitlines()
    entry = json.loads(lines[-1])
    assert entry["vote"] == "up" and entry["user"] == 77
    assert entry["question"] == POWELL and entry["citations"]


def test_importing_the_bot_needs_no_token(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import newsdesk.bot.client, bot.cli"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_bot_without_a_token_exits_at_once_with_one_line(articles: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    process = cli_process(
        articles,
        tmp_path / "d",
        "bot",
        cwd=tmp_path,
        env={"DISCORD_TOKEN": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert stderr.strip().splitlines() == [
        "Error: DISCORD_TOKEN is not set: put your bot's token in .env (see .env.example and "
        "the README's Discord section)"
    ]
    assert time.monotonic() - started < 30


DROPPED = "Cooper also announced that Britain will send ten thousand troops to Lisbon."
MIXED = (
    "Powell was keen to outline the stance of the Europeans but showed limited interest in "
    f"hearing Moscow's perspective [1]. {DROPPED.removesuffix('.')} [1]."
)


class Trickle(FakeBackend):
    """Writes slowly, so that the reply is edited while the model writes."""

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        for word in super().stream(messages, max_tokens):
            time.sleep(0.05)
            yield word


async def test_slash_ask_shows_the_articles_read_never_the_unchecked_draft(
    bot: NewsdeskBot,
) -> None:
    bot.engine.backend = Trickle().enqueue(MIXED)
    it = interaction(bot)
    edits: list[str] = []

    async def record(**kwargs: Any) -> None:
        edits.append(kwargs.get("content", ""))

    it.edit_original_response = AsyncMock(side_effect=record)
    await slash(bot, "ask", it, question=POWELL)
    assert edits[0].startswith("Reading:") and "Kremlin Acknowledges" in edits[0]
    assert edits[-1].startswith("Powell was keen"), "the checked answer replaces it"
    shown = " ".join(edits) + said(it)
    assert "Lisbon" not in shown and "ten thousand" not in shown
    assert all(len(e) <= 2000 for e in edits)


async def test_a_thread_never_shows_a_sentence_the_checks_dropped(
    bot: NewsdeskBot, fake: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []  # every content the bot sends or edits in, in order
    send, edit = discord.abc.Messageable.send, discord.Message.edit

    async def sending(self: Any, content: Any = None, **kwargs: Any) -> Any:
        shown.append(str(content))
        return await send(self, content, **kwargs)

    async def editing(self: Any, **kwargs: Any) -> Any:
        shown.append(str(kwargs.get("content")))
        return await edit(self, **kwargs)

    monkeypatch.setattr(discord.abc.Messageable, "send", sending)
    monkeypatch.setattr(discord.Message, "edit", editing)
    bot.engine.backend = Trickle().enqueue(MIXED)
    await dpytest.message(f"<@{bot.user.id}> {POWELL}")  # type: ignore[union-attr]
    await settle(bot)
    final = await fresh(next(sent()))
    assert shown[0] == "Looking through the articles…"
    assert shown[1].startswith("Reading:"), "then the articles read, while the model writes"
    assert final.content.startswith("Powell was keen") and shown[-1] == final.content
    assert all("Lisbon" not in c for c in shown), "not in any version of any message"


async def test_a_thread_conversation_survives_a_restart(
    bot: NewsdeskBot, fake: FakeBackend, app: Newsdesk
) -> None:
    thread = await answered_thread(bot, fake)
    bot.conversations.close()
    # a new process: a new bot over the same data dir, nothing carried in memory
    restarted = NewsdeskBot(desk=app, engine=bot.engine)
    key = restarted.thread_key(thread.id)
    assert [t.question for t in restarted.conversations.turns(key)] == [POWELL]
    bot.conversations = restarted.conversations
    fake.enqueue("Downing Street informed the FT that it is normal to talk to Russia [1].")
    await dpytest.message("and what did Downing Street say?", channel=thread)
    await settle(bot)
    assert f"Earlier in this conversation the user asked: {POWELL}" in fake.history[1][1]["content"]


async def test_slash_ask_in_a_bot_thread_continues_its_conversation(
    bot: NewsdeskBot, fake: FakeBackend
) -> None:
    """Mentions, follow-ups and /ask are one flow: /ask inside the thread is a follow-up."""
    thread = await answered_thread(bot, fake)
    fake.enqueue("Downing Street informed the FT that it is normal to talk to Russia [1].")
    it = interaction(bot, user_id=2)
    it.channel = thread
    await slash(bot, "ask", it, question="and what did Downing Street say?")
    assert f"Earlier in this conversation the user asked: {POWELL}" in fake.history[1][1]["content"]
    turns = bot.conversations.turns(bot.thread_key(thread.id))
    assert [t.question for t in turns] == [POWELL, "and what did Downing Street say?"]
    elsewhere = interaction(bot, user_id=3)
    fake.enqueue("Powell was keen to outline the stance of the Europeans [1].")
    await slash(bot, "ask", elsewhere, question=POWELL)
    assert "Earlier in this conversation" not in fake.history[2][1]["content"]


async def test_new_forgets_the_thread_conversation(bot: NewsdeskBot, fake: FakeBackend) -> None:
    thread = await answered_thread(bot, fake)
    key = bot.thread_key(thread.id)
    assert bot.conversations.turns(key)
    it = interaction(bot)
    it.channel = thread
    await slash(bot, "new", it)
    assert "forgotten" in said(it) and bot.conversations.turns(key) == []
    elsewhere = interaction(bot)
    await slash(bot, "new", elsewhere)
    assert "threads" in said(elsewhere)


def test_a_token_discord_rejects_exits_at_once_with_one_line(
    articles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord's login endpoint, faked on loopback, answers 401 as the real one does."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    from click.testing import CliRunner

    from newsdesk.index.cli import _add_plugin_commands, cli

    class Discord(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body = b'{"message": "401: Unauthorized", "code": 0}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Discord)
    Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(
        discord.http.Route, "BASE", f"http://127.0.0.1:{server.server_address[1]}/api/v10"
    )
    _add_plugin_commands()
    started = time.monotonic()
    try:
        result = CliRunner().invoke(
            cli,
            ["--articles", str(articles), "--data-dir", str(tmp_path / "d"), "bot"],
            env={"DISCORD_TOKEN": "not-a-real-token", "NEWSDESK_LLM": "extractive"},
        )
    finally:
        server.shutdown()
    assert result.exit_code == 1
    assert (
        result.stderr.strip().splitlines()[-1].startswith("Error: Discord rejected DISCORD_TOKEN")
    )
    assert "not-a-real-token" not in result.stderr + result.stdout
    assert time.monotonic() - started < 60


# -- new articles: /add and the news channel of a watching bot -------------------------------


@pytest.fixture
def web() -> Iterator[Web]:
    server = Web().start()
    yield server
    server.stop()


ZANZIBAR = [
    "The Zanzibar ferry strike ended on Monday after workers accepted a pay rise of twelve "
    "percent, the port authority said in a statement.",
    "Ferries between Stone Town and Dar es Salaam resumed their timetable on Tuesday morning, "
    "with extra crossings planned for the weekend.",
]


async def test_slash_add_fetches_indexes_and_names_the_article(
    bot: NewsdeskBot, app: Newsdesk, web: Web
) -> None:
    web.routes["/zanzibar"] = Route(page("Zanzibar ferry strike ends after pay deal", ZANZIBAR))
    bot.desk.settings = bot.settings.with_(allow_private_urls=True)  # the loopback test web
    refused = interaction(bot, admin=False)
    await slash(bot, "add", refused, url=web.url("/zanzibar"))
    assert "Only the bot's administrators" in said(refused)
    assert web.hits["/zanzibar"] == 0

    admin = interaction(bot, admin=True)
    await slash(bot, "add", admin, url=web.url("/zanzibar"))
    assert said(admin) == (
        "added: Zanzibar ferry strike ends after pay deal "
        "(The Loopback Times, 2025-11-12T18:04+03:00)"
    )
    assert "Zanzibar ferry strike ends after pay deal" in {s.title for s in app.sources()}
    bot.engine.backend = None  # extractive: the next answer quotes the new article
    ask = interaction(bot, user_id=2)
    await slash(bot, "ask", ask, question="Why did the Zanzibar ferry strike end?")
    assert "twelve percent" in ask.edit_original_response.await_args_list[-1].kwargs["content"]


async def test_slash_add_refusals_are_one_line_without_settings(bot: NewsdeskBot, web: Web) -> None:
    web.routes["/zanzibar"] = Route(page("Zanzibar ferry strike ends after pay deal", ZANZIBAR))
    it = interaction(bot, admin=True)
    await slash(bot, "add", it, url=web.url("/zanzibar"))  # loopback, not allowed by default
    reply = said(it)
    assert "private or reserved address" in reply and "\n" not in reply
    assert "NEWSDESK_" not in reply and "Traceback" not in reply
    assert web.hits["/zanzibar"] == 0  # refused before any connection
    it = interaction(bot, admin=True)
    await slash(bot, "add", it, url="file:///etc/passwd")
    assert "only http and https" in said(it)


async def test_a_watching_bot_posts_new_articles_without_pings(
    bot: NewsdeskBot, app: Newsdesk
) -> None:
    channel = dpytest.get_config().channels[0]
    bot.desk.settings = bot.settings.with_(bot_news_channel=channel.id)
    (app.settings.articles_dir / "zanzibar.txt").write_text(
        "Zanzibar ferry strike ends\n\n" + "\n\n".join(ZANZIBAR), encoding="utf-8"
    )
    stats = await asyncio.to_thread(app.build)
    assert stats.added_ids == ["zanzibar"]
    await asyncio.to_thread(bot._watched, Rebuilt(stats=stats, reason="files changed"))
    for _ in range(100):  # the post is scheduled on the bot's loop from the watcher's thread
        if not dpytest.sent_queue.empty():
            break
        await asyncio.sleep(0.05)
    message = dpytest.get_message()
    assert message.channel.id == channel.id
    assert message.content == "New: Zanzibar ferry strike ends (unknown outlet, undated)"
