"""The discord.py wiring: parse the interaction or message, call the core, render the result.

Model and index work never runs on the event loop: answers go to a single worker thread (one
generation at a time suits a 2-core machine), rebuilds to another, so the gateway heartbeat
keeps going during a 10-second answer. While the model writes, the reply shows the articles
being read, never the model's unchecked draft; the final message holds only checked sentences.
Thread conversations are kept in the data dir (SQLite), so a restart forgets no follow-up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import BotSettings
from bot.guard import Concurrency, Cooldown, channel_allowed, may_reindex
from bot.render import (
    MAX_EMBEDS,
    SOURCES_PER_PAGE,
    answer_messages,
    reading_message,
    sources_description,
)
from index.answer import Answer, Engine, clean_question
from index.app import Newsdesk
from index.conversation import Conversations, Turn
from index.errors import BadQuestion, NewsdeskError
from index.evidence import Evidence, articles
from index.retrieve import Filters

log = logging.getLogger(__name__)

THREAD_NAME_LIMIT = 100
FEEDBACK_TIMEOUT = 3600.0  # seconds the 👍/👎 buttons stay active
NO_MENTIONS = discord.AllowedMentions.none()
OOPS = "Something went wrong while answering; the operators have the details."


class NewsdeskBot(commands.Bot):
    def __init__(
        self, *, app: Newsdesk, engine: Engine, settings: BotSettings, sync_global: bool = False
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # to read the question in a mention
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            help_command=None,
        )
        self.app = app
        self.engine = engine
        self.settings = settings
        self.sync_global = sync_global
        self.cooldown = Cooldown(settings.cooldown)
        self.concurrency = Concurrency(settings.max_concurrent)
        self.answers = ThreadPoolExecutor(1, thread_name_prefix="newsdesk-answer")
        self.reindexing = asyncio.Lock()
        self.conversations = Conversations(app.settings.data_dir / "conversations.sqlite3")
        self.feedback_path: Path = app.settings.data_dir / "feedback.jsonl"
        self.tree.add_command(ask_command)
        self.tree.add_command(sources_command)
        self.tree.add_command(status_command)
        self.tree.add_command(reindex_command)
        self.tree.add_command(new_command)
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        """Sync slash commands to the development server if one is set; globally only when
        asked (`newsdesk bot --sync-global`), never on every start."""
        if self.settings.guild_id:
            guild = discord.Object(self.settings.guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        elif self.sync_global:
            await self.tree.sync()

    async def close(self) -> None:
        await super().close()
        self.answers.shutdown(wait=False, cancel_futures=True)
        self.conversations.close()

    # -- answering -------------------------------------------------------------------------

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
            return f"Busy, try again in {wait:.0f} s."
        if not self.concurrency.acquire(guild_id or 0):
            return "Busy answering other questions, try again in a few seconds."
        return None

    # -- messages: mentions and threads ---------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user is None:
            return
        channel = message.channel
        in_own_thread = isinstance(channel, discord.Thread) and channel.owner_id == self.user.id
        if not in_own_thread and self.user not in message.mentions:
            return  # the bot reads only what mentions it or sits in its threads
        parent = channel.parent_id if isinstance(channel, discord.Thread) else None
        if not channel_allowed(channel.id, parent, self.settings.channels):
            return
        question = re.sub(rf"<@!?{self.user.id}>", "", message.content).strip()
        try:
            question = clean_question(question, self.engine.max_question_chars)
        except BadQuestion as exc:
            await message.reply(f"{exc}.", allowed_mentions=NO_MENTIONS)
            return
        refusal = self.admitted(message.author.id, message.guild.id if message.guild else None)
        if refusal:
            await message.reply(refusal, delete_after=10, allowed_mentions=NO_MENTIONS)
            return
        try:
            target: discord.abc.Messageable = channel
            if not in_own_thread:
                target = await self._thread_for(message, question)
            key = self.thread_key(target.id) if isinstance(target, discord.Thread) else None
            history = self.conversations.turns(key) if key else []
            answer = await self._reply(target, question, history, Filters())
            if key and answer is not None:
                self.conversations.add(key, answer.turn())
        finally:
            self.concurrency.release(message.guild.id if message.guild else 0)

    async def _thread_for(self, message: discord.Message, question: str) -> Any:
        """A new thread from the question's message, or the channel where threads can't be."""
        try:
            return await message.create_thread(name=question[:THREAD_NAME_LIMIT])
        except (discord.HTTPException, ValueError, AttributeError) as exc:
            log.info("answering in the channel: cannot start a thread (%s)", exc)
            return message.channel

    async def _reply(
        self, target: Any, question: str, history: list[Turn], filters: Filters
    ) -> Answer | None:
        placeholder = await target.send(
            "Looking through the articles…", allowed_mentions=NO_MENTIONS
        )

        async def reading(text: str) -> None:
            await placeholder.edit(content=text)

        try:
            answer = await self.answer(
                question, history=history, filters=filters, on_reading=reading
            )
        except NewsdeskError as exc:
            await placeholder.edit(content=f"Sorry: {exc}.")
            return None
        except Exception:
            log.exception("answering %r failed", question)
            await placeholder.edit(content=OOPS)
            return None
        await self.send_answer(answer, first=placeholder.edit, more=target.send)
        return answer

    async def send_answer(self, answer: Answer, *, first: Any, more: Any) -> None:
        """Answer text (split within limits), then the sources as embeds, then feedback."""
        contents = answer_messages(answer)
        embeds = (
            [
                discord.Embed(description=d, colour=discord.Colour.dark_blue())
                for d in sources_description(answer.citations)
            ]
            if answer.citations
            else []
        )
        if embeds:
            embeds[0].title = "Sources"
        view = FeedbackView(self, answer)
        for k, content in enumerate(contents):
            last = k == len(contents) - 1
            kwargs: dict[str, Any] = {"content": content, "allowed_mentions": NO_MENTIONS}
            if last:
                kwargs.update(embeds=embeds[:MAX_EMBEDS], view=view)
            await (first if k == 0 else more)(**kwargs)

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

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        log.error("slash command failed", exc_info=error)
        await respond(interaction, OOPS)


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


# -- slash commands ---------------------------------------------------------------------------


def _bot(interaction: discord.Interaction) -> NewsdeskBot:
    client = interaction.client
    assert isinstance(client, NewsdeskBot)
    return client


async def _allowed(interaction: discord.Interaction) -> bool:
    bot = _bot(interaction)
    channel = interaction.channel
    parent = channel.parent_id if isinstance(channel, discord.Thread) else None
    if channel is None or channel_allowed(channel.id, parent, bot.settings.channels):
        return True
    await respond(interaction, "I only answer in the channels the operators chose.")
    return False


@app_commands.command(name="ask", description="Ask the news archive a question.")
@app_commands.describe(
    question="What you want to know",
    since="Only articles from this date on (2026-01-31)",
    source="Only articles from this outlet",
)
async def ask_command(
    interaction: discord.Interaction,
    question: str,
    since: str | None = None,
    source: str | None = None,
) -> None:
    bot = _bot(interaction)
    if not await _allowed(interaction):
        return
    try:
        question = clean_question(question, bot.engine.max_question_chars)
        filters = Filters(since, source)
    except BadQuestion as exc:
        await respond(interaction, f"{exc}.")
        return
    guild = interaction.guild_id or 0
    refusal = bot.admitted(interaction.user.id, guild)
    if refusal:
        await respond(interaction, refusal)
        return
    try:
        await interaction.response.defer(thinking=True)  # answers take seconds on a CPU

        async def reading(text: str) -> None:
            await interaction.edit_original_response(content=text)

        try:
            answer = await bot.answer(question, history=[], filters=filters, on_reading=reading)
        except NewsdeskError as exc:
            await interaction.followup.send(f"Sorry: {exc}.", allowed_mentions=NO_MENTIONS)
            return
        await bot.send_answer(
            answer, first=interaction.edit_original_response, more=interaction.followup.send
        )
    finally:
        bot.concurrency.release(guild)


@app_commands.command(name="sources", description="List the indexed articles.")
@app_commands.describe(
    query="Only articles whose title or outlet contains this",
    page="Page of the list (10 articles a page)",
)
async def sources_command(
    interaction: discord.Interaction, query: str | None = None, page: app_commands.Range[int, 1] = 1
) -> None:
    bot = _bot(interaction)
    sources = await asyncio.to_thread(bot.app.sources)
    if query:
        needle = query.casefold()
        sources = [
            s
            for s in sources
            if needle in s.title.casefold()
            or needle in (s.source or "").casefold()
            or needle in s.doc_id.casefold()
        ]
    pages = max(1, -(-len(sources) // SOURCES_PER_PAGE))
    page = min(page, pages)
    shown = sources[(page - 1) * SOURCES_PER_PAGE : page * SOURCES_PER_PAGE]
    lines = [
        f"`{s.doc_id}` **{discord.utils.escape_markdown(s.title)}** — "
        f"{s.source or 'unknown outlet'}, {(s.published or 'undated')[:10]}"
        for s in shown
    ]
    embed = discord.Embed(
        title=f"{len(sources)} articles" + (f" matching “{query}”" if query else ""),
        description="\n".join(lines) or "None.",
    )
    embed.set_footer(text=f"page {page} of {pages}")
    await interaction.response.send_message(
        embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS
    )


@app_commands.command(name="status", description="What the bot knows and how it answers.")
async def status_command(interaction: discord.Interaction) -> None:
    bot = _bot(interaction)
    sources = await asyncio.to_thread(bot.app.sources)
    chunks = sum(s.chunks for s in sources)
    newest = max((s.published for s in sources if s.published), default=None)
    backend = bot.engine.backend
    model = backend.model if backend else "none (quotes the articles)"
    await respond(
        interaction,
        f"{len(sources)} articles, {chunks} chunks; newest article "
        f"{newest or 'undated'}; backend {bot.engine.backend_name}, model {model}.",
    )


@app_commands.command(name="reindex", description="Rebuild the index from the articles.")
@app_commands.default_permissions(administrator=True)
async def reindex_command(interaction: discord.Interaction) -> None:
    bot = _bot(interaction)
    permissions = getattr(interaction.user, "guild_permissions", None)
    is_admin = bool(permissions and permissions.administrator)
    if not may_reindex(interaction.user.id, is_admin, bot.settings.admins):
        await respond(interaction, "Only the bot's administrators can rebuild the index.")
        return
    if bot.reindexing.locked():
        await respond(interaction, "A rebuild is already running; try again when it's done.")
        return
    async with bot.reindexing:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            stats = await asyncio.to_thread(bot.app.build, lock_wait=0)
        except NewsdeskError as exc:
            await respond(interaction, f"Rebuild refused: {exc}.")
            return
        await respond(
            interaction,
            f"Rebuilt in {stats.seconds:.1f} s: {stats.added} added, "
            f"{stats.updated} updated, {stats.removed} removed, {stats.unchanged} "
            f"unchanged ({stats.chunks} chunks).",
        )


@app_commands.command(name="new", description="Forget this thread's conversation so far.")
async def new_command(interaction: discord.Interaction) -> None:
    bot = _bot(interaction)
    if not isinstance(interaction.channel, discord.Thread):
        await respond(interaction, "Conversations live in threads: mention me to start a new one.")
        return
    bot.conversations.reset(bot.thread_key(interaction.channel.id))
    await respond(interaction, "Conversation forgotten: the next question starts afresh.")
