"""The discord.py bot: one flow for mentions, thread follow-ups, `/ask`, `/timeline` and
`/compare` (one cooldown, one cap per server, one error policy).

Model and index work never runs on the event loop: answers, timelines and comparisons go to a
single worker thread (one job at a time suits a 2-core machine), rebuilds to another, so the
gateway heartbeat keeps going during a 10-second answer. While the model writes, the reply
shows the articles being read, never the model's unchecked draft; the final message holds only
checked sentences.
Thread conversations are kept in the data dir (SQLite), so a restart forgets no follow-up.
The commands themselves live in a Cog (`newsdesk.bot.commands`), added in `setup_hook`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from newsdesk.bot.guard import Concurrency, Cooldown
from newsdesk.bot.render import (
    COLOUR,
    answer_messages,
    comparison_messages,
    group,
    plain,
    reading_message,
    sources_description,
    timeline_messages,
)
from newsdesk.index.answer import Answer, Engine, clean_question
from newsdesk.index.app import Newsdesk
from newsdesk.index.config import Settings
from newsdesk.index.conversation import Conversations, Turn
from newsdesk.index.errors import BadQuestion, ConfigError, NewsdeskError
from newsdesk.index.evidence import Evidence, articles
from newsdesk.index.messages import BUSY_SERVER, BUSY_USER, OOPS, for_chat
from newsdesk.index.retrieve import Filters
from newsdesk.index.watch import Rebuilt, Watcher, describe

log = logging.getLogger(__name__)
T = TypeVar("T")

FEEDBACK_TIMEOUT = 3600.0  # seconds the 👍/👎 buttons stay active
NO_MENTIONS = discord.AllowedMentions.none()
NO_STORY_GIVEN = "Say which story: a story id (see /stories) or a few words about it."
Embeds = list[list[discord.Embed]]  # messages of embeds


class Reply(Protocol):
    """Where one answer goes: a message in a thread, or a slash command's response."""

    thread_id: int | None  # the conversation's thread, once known

    async def refuse(self, text: str) -> None:
        """A short note that no answer is coming (bad question, busy)."""

    async def start(self) -> None:
        """Show that an answer is on its way; from here on `edit` and `send` work."""

    async def edit(self, **message: Any) -> None:
        """Replace the reply's first message."""

    async def send(self, **message: Any) -> None:
        """Add a message after it."""


class Tree(app_commands.CommandTree):
    """The one error policy of the slash commands: a check that refused has answered
    already; anything else is logged for the operator and the user reads one sentence."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CheckFailure):
            return
        command = interaction.command.name if interaction.command else "?"
        log.error("/%s failed", command, exc_info=error)
        await respond(interaction, OOPS)


def _log_failure(future: Any) -> None:
    if exc := future.exception():
        log.warning("could not post the news: %s", exc)


def require_token(desk: Newsdesk) -> str:
    token = desk.settings.discord_token
    if not token:
        raise ConfigError(
            "DISCORD_TOKEN is not set: put your bot's token in .env "
            "(see .env.example and the README's Discord section)",
            setting="DISCORD_TOKEN",
        )
    return token


class NewsdeskBot(commands.Bot):
    def __init__(self, *, desk: Newsdesk, engine: Engine, sync_global: bool = False) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # to read the question in a mention
        super().__init__(
            command_prefix=(),  # slash commands and mentions only: no prefix commands
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            tree_cls=Tree,
        )
        self.desk = desk
        self.engine = engine
        self.sync_global = sync_global
        self.cooldown = Cooldown(self.settings.bot_cooldown)
        self.concurrency = Concurrency(self.settings.bot_max_concurrent)
        self.answers = ThreadPoolExecutor(1, thread_name_prefix="newsdesk-answer")
        self.reindexing = asyncio.Lock()
        self.conversations = Conversations(self.settings.data_dir / "conversations.sqlite3")
        self.feedback_path: Path = self.settings.data_dir / "feedback.jsonl"
        self.watcher: Watcher | None = None

    @property
    def settings(self) -> Settings:
        return self.desk.settings

    async def setup_hook(self) -> None:
        """Add the commands; sync them to the development server if one is set, globally
        only when asked (`newsdesk bot --sync-global`), never on every start."""
        from newsdesk.bot.commands import NewsdeskCog

        await self.add_cog(NewsdeskCog(self))
        if self.settings.watch:
            self.start_watching()
        if self.settings.discord_guild_id:
            guild = discord.Object(self.settings.discord_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        elif self.sync_global:
            await self.tree.sync()

    def start_watching(self) -> None:
        """Watch the articles dir and poll the feeds in a thread (NEWSDESK_WATCH=true); every
        answer after a rebuild reads the new index, as after /reindex."""
        self.watcher = Watcher(self.desk, on_round=self._watched)
        self.watching = threading.Thread(
            target=self.watcher.run, name="newsdesk-watch", daemon=True
        )
        self.watching.start()

    def _watched(self, done: Rebuilt) -> None:
        """From the watcher's thread: announce the new articles in the news channel."""
        log.info("watch: %s", "; ".join(describe(done)))
        if done.stats and done.stats.added_ids and self.settings.bot_news_channel:
            future = asyncio.run_coroutine_threadsafe(
                self.announce(done.stats.added_ids), self.loop
            )
            future.add_done_callback(_log_failure)

    async def announce(self, doc_ids: list[str]) -> None:
        """One line per new article in NEWSDESK_BOT_NEWS_CHANNEL: no pings, no link previews."""
        channel = self.get_channel(self.settings.bot_news_channel or 0)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning(
                "NEWSDESK_BOT_NEWS_CHANNEL %s is not a channel I can see",
                self.settings.bot_news_channel,
            )
            return
        sources = {s.doc_id: s for s in await asyncio.to_thread(self.desk.sources)}
        lines = [
            f"New: {s.title} ({s.source or 'unknown outlet'}, {(s.published or 'undated')[:10]})"
            + (f" <{s.url}>" if s.url else "")
            for doc_id in doc_ids
            if (s := sources.get(doc_id))
        ]
        for start in range(0, len(lines), 10):
            await channel.send(
                "\n".join(lines[start : start + 10]),
                allowed_mentions=NO_MENTIONS,
                suppress_embeds=True,
            )

    async def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop.set()
        await super().close()
        self.answers.shutdown(wait=False, cancel_futures=True)
        self.conversations.close()

    # -- the ask flow ---------------------------------------------------------------------

    async def ask(
        self,
        reply: Reply,
        question: str,
        *,
        user_id: int,
        guild_id: int | None,
        since: str | None = None,
        source: str | None = None,
        until: str | None = None,
    ) -> None:
        """Check the question, admit the user, answer in `reply`, remember the thread's turn."""
        try:
            question = clean_question(question, self.engine.max_question_chars)
            filters = Filters(since, source, until)
        except BadQuestion as exc:
            await reply.refuse(for_chat(exc))
            return

        async def answering() -> None:
            key = self.thread_key(reply.thread_id) if reply.thread_id else None
            history = self.conversations.turns(key) if key else []

            async def reading(text: str) -> None:
                await reply.edit(content=text, allowed_mentions=NO_MENTIONS)

            answer = await self.answer(
                question, history=history, filters=filters, on_reading=reading
            )
            if key:
                self.conversations.add(key, answer.turn())
            await self.send_answer(answer, reply)

        await self.serve(reply, answering, user_id=user_id, guild_id=guild_id, what=question)

    async def timeline(
        self, reply: Reply, story: str, *, page: int, user_id: int, guild_id: int | None
    ) -> None:
        """/timeline: one page of the story's events, in the ask flow."""
        await self.show_story(
            reply,
            story,
            lambda query: timeline_messages(self.desk.timeline(query, page=page)),
            user_id=user_id,
            guild_id=guild_id,
        )

    async def compare(
        self, reply: Reply, story: str, *, page: int, user_id: int, guild_id: int | None
    ) -> None:
        """/compare: one page of the story's outlets side by side, in the ask flow."""
        await self.show_story(
            reply,
            story,
            lambda query: comparison_messages(self.desk.compare(query), page),
            user_id=user_id,
            guild_id=guild_id,
        )

    async def show_story(
        self,
        reply: Reply,
        story: str,
        view: Callable[[str], Embeds],
        *,
        user_id: int,
        guild_id: int | None,
    ) -> None:
        """Check the story's words, admit the user, find the story and show `view` of it:
        the first message replaces the reply, the rest follow it."""
        try:
            query = clean_question(story, self.engine.max_question_chars)
        except BadQuestion as exc:
            await reply.refuse(for_chat(exc) if story.strip() else NO_STORY_GIVEN)
            return

        async def show() -> None:
            messages = await self.off_loop(lambda: view(query))
            for k, embeds in enumerate(messages):
                await (reply.edit if k == 0 else reply.send)(
                    embeds=embeds, allowed_mentions=NO_MENTIONS
                )

        await self.serve(reply, show, user_id=user_id, guild_id=guild_id, what=query)

    async def serve(
        self,
        reply: Reply,
        work: Callable[[], Awaitable[None]],
        *,
        user_id: int,
        guild_id: int | None,
        what: str,
    ) -> None:
        """The one flow of every answer: admit the user (cooldown, the server's cap), show
        that the reply is coming, do the work. Whatever fails, the user reads one sentence and
        the operator's log has the rest."""
        refusal = self.admitted(user_id, guild_id)
        if refusal:
            await reply.refuse(refusal)
            return
        try:
            await reply.start()
            await work()
        except NewsdeskError as exc:
            log.warning("answering %r: %s", what, exc)
            await reply.edit(content=plain(for_chat(exc)), allowed_mentions=NO_MENTIONS)
        except Exception:
            log.exception("answering %r failed", what)
            await reply.edit(content=OOPS, allowed_mentions=NO_MENTIONS)
        finally:
            self.concurrency.release(guild_id or 0)

    async def off_loop(self, work: Callable[[], T]) -> T:
        """Index work on the answers' worker thread, one job at a time, as answers are."""
        return await asyncio.get_running_loop().run_in_executor(self.answers, work)

    async def answer(
        self, question: str, *, history: list[Turn], filters: Filters, on_reading: Any = None
    ) -> Answer:
        """Run the core off the event loop; `on_reading(text)` is awaited once with what is
        certain while the model writes: the articles the evidence comes from."""
        loop = asyncio.get_running_loop()
        found: asyncio.Future[list[Evidence]] = loop.create_future()

        def arrived(evidence: list[Evidence]) -> None:
            if not found.done():
                found.set_result(evidence)

        def reading(evidence: list[Evidence]) -> None:
            loop.call_soon_threadsafe(arrived, evidence)

        task: asyncio.Future[Answer] = loop.run_in_executor(
            self.answers,
            lambda: self.engine.ask(
                question, history=history, filters=filters, on_evidence=reading
            ),
        )
        if on_reading is not None:
            pending: list[asyncio.Future[Any]] = [task, found]
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if found.done() and not task.done():
                await on_reading(reading_message(articles(found.result())))
        return await task

    @staticmethod
    def thread_key(thread_id: int) -> str:
        return f"discord-thread:{thread_id}"

    def admitted(self, user_id: int, guild_id: int | None) -> str | None:
        """None if the user may ask now, else the short reason why not."""
        wait = self.cooldown.retry_after(user_id)
        if wait:
            return BUSY_USER.format(seconds=wait)
        if not self.concurrency.acquire(guild_id or 0):
            return BUSY_SERVER
        return None

    async def send_answer(self, answer: Answer, reply: Reply) -> None:
        """Answer text (split within limits), then the sources as embeds (more messages if
        they must be), then feedback under the last message."""
        embeds = [
            discord.Embed(description=d, colour=COLOUR)
            for d in sources_description(answer.citations)
        ]
        if embeds:
            embeds[0].title = "Sources"
        messages: list[dict[str, Any]] = [
            {"content": content, "allowed_mentions": NO_MENTIONS}
            for content in answer_messages(answer) or [""]
        ]
        groups = group(embeds) or [[]]
        messages[-1]["embeds"] = groups[0]
        messages += [{"embeds": more, "allowed_mentions": NO_MENTIONS} for more in groups[1:]]
        messages[-1]["view"] = FeedbackView(self, answer)
        for k, message in enumerate(messages):
            await (reply.edit if k == 0 else reply.send)(**message)

    def record_feedback(self, answer: Answer, vote: str, user_id: int) -> None:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "user": user_id,
            "vote": vote,
            **answer.to_json(),
        }
        self.feedback_path.parent.mkdir(parents=True, exist_ok=True)
        with self.feedback_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


async def respond(interaction: discord.Interaction, text: str, *, ephemeral: bool = True) -> None:
    """Reply to an interaction whether or not it was already deferred or answered."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(
            text, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )


class FeedbackView(discord.ui.View):
    """👍/👎 under an answer, appended with the answer to feedback.jsonl for the operator."""

    def __init__(self, bot: NewsdeskBot, answer: Answer) -> None:
        super().__init__(timeout=FEEDBACK_TIMEOUT)
        self.bot = bot
        self.answer = answer

    async def _vote(self, interaction: discord.Interaction, vote: str) -> None:
        self.bot.record_feedback(self.answer, vote, interaction.user.id)
        await respond(interaction, "Thanks for the feedback.")

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary)
    async def up(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await self._vote(interaction, "up")

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary)
    async def down(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await self._vote(interaction, "down")
