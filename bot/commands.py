"""What people do with the bot: mention it, follow up in its threads, or use a slash command.
Every way of asking goes through `NewsdeskBot.ask` (and `/timeline`, `/compare` through the
same flow); this module only says where the reply goes."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from newsdesk.bot.client import NO_MENTIONS, NewsdeskBot, respond
from newsdesk.bot.guard import channel_allowed, may_reindex
from newsdesk.bot.render import SOURCES_PER_PAGE, stories_embed
from newsdesk.index.errors import NewsdeskError
from newsdesk.index.messages import (
    CONVERSATION_FORGOTTEN,
    LOOKING,
    REBUILD_RUNNING,
    for_chat,
)

log = logging.getLogger(__name__)

THREAD_NAME_LIMIT = 100
BUSY_NOTE_SECONDS = 10  # how long a "busy" note under a mention stays


class MessageReply:
    """A mention answered in a new thread started from it (or in the channel where threads
    cannot be), or a follow-up answered in the bot's own thread."""

    def __init__(self, message: discord.Message, question: str, *, in_own_thread: bool) -> None:
        self.message = message
        self.question = question
        self.target: Any = message.channel
        self.in_own_thread = in_own_thread
        self.thread_id: int | None = message.channel.id if in_own_thread else None
        self._placeholder: discord.Message | None = None

    async def refuse(self, text: str) -> None:
        await self.message.reply(text, delete_after=BUSY_NOTE_SECONDS, allowed_mentions=NO_MENTIONS)

    async def start(self) -> None:
        if not self.in_own_thread:
            try:
                self.target = await self.message.create_thread(
                    name=self.question[:THREAD_NAME_LIMIT]
                )
                self.thread_id = self.target.id
            except (discord.HTTPException, ValueError, AttributeError) as exc:
                log.info("answering in the channel: cannot start a thread (%s)", exc)
        self._placeholder = await self.target.send(LOOKING, allowed_mentions=NO_MENTIONS)

    async def edit(self, **message: Any) -> None:
        if self._placeholder is None:  # the placeholder could not be sent: say it anew
            self._placeholder = await self.target.send(**message)
        else:
            await self._placeholder.edit(**message)

    async def send(self, **message: Any) -> None:
        await self.target.send(**message)


class InteractionReply:
    """`/ask`: refusals only the asker sees, then the deferred response and follow-ups. In
    one of the bot's threads, the thread's conversation counts."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        channel, me = interaction.channel, interaction.client.user
        own = isinstance(channel, discord.Thread) and me is not None and channel.owner_id == me.id
        self.thread_id: int | None = channel.id if own and channel else None

    async def refuse(self, text: str) -> None:
        await respond(self.interaction, text)

    async def start(self) -> None:
        await self.interaction.response.defer(thinking=True)  # answers take seconds on a CPU

    async def edit(self, **message: Any) -> None:
        await self.interaction.edit_original_response(**message)

    async def send(self, **message: Any) -> None:
        await self.interaction.followup.send(**message)


def _in_thread_of(channel: Any) -> int | None:
    return channel.parent_id if isinstance(channel, discord.Thread) else None


class NewsdeskCog(commands.Cog):
    def __init__(self, bot: NewsdeskBot) -> None:
        self.bot = bot

    # -- mentions and threads -------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if message.author.bot or me is None:
            return
        channel = message.channel
        in_own_thread = isinstance(channel, discord.Thread) and channel.owner_id == me.id
        if not in_own_thread and me not in message.mentions:
            return  # the bot reads only what mentions it or sits in its threads
        if not channel_allowed(channel.id, _in_thread_of(channel), self.bot.settings.bot_channels):
            return
        question = re.sub(rf"<@!?{me.id}>", "", message.content).strip()
        await self.bot.ask(
            MessageReply(message, question, in_own_thread=in_own_thread),
            question,
            user_id=message.author.id,
            guild_id=message.guild.id if message.guild else None,
        )

    # -- slash commands -------------------------------------------------------------------

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Slash commands answer only in the channels the operators chose (a refusal here is
        a `CheckFailure`, which the bot's error policy leaves alone)."""
        channel = interaction.channel
        allowed = self.bot.settings.bot_channels
        if channel is None or channel_allowed(channel.id, _in_thread_of(channel), allowed):
            return True
        await respond(interaction, "I only answer in the channels the operators chose.")
        return False

    @app_commands.command(name="ask", description="Ask the news archive a question.")
    @app_commands.describe(
        question="What you want to know",
        since="Only articles from this date on (2026-01-31)",
        source="Only articles from this outlet",
        until="Only articles up to this date, that day included (2026-02-28)",
    )
    async def ask(
        self,
        interaction: discord.Interaction,
        question: str,
        since: str | None = None,
        source: str | None = None,
        until: str | None = None,
    ) -> None:
        await self.bot.ask(
            InteractionReply(interaction),
            question,
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            since=since,
            source=source,
            until=until,
        )

    @app_commands.command(name="timeline", description="A story's events in date order, quoted.")
    @app_commands.describe(
        story="A story id (see /stories) or a few words about the story",
        page="Page of the timeline (25 events a page)",
    )
    async def timeline(
        self,
        interaction: discord.Interaction,
        story: str,
        page: app_commands.Range[int, 1] = 1,
    ) -> None:
        await self.bot.timeline(
            InteractionReply(interaction),
            story,
            page=page,
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
        )

    @app_commands.command(
        name="compare", description="A story's outlets side by side: where they disagree."
    )
    @app_commands.describe(
        story="A story id (see /stories) or a few words about the story",
        page="Page of the comparison, for stories with many outlets",
    )
    async def compare(
        self,
        interaction: discord.Interaction,
        story: str,
        page: app_commands.Range[int, 1] = 1,
    ) -> None:
        await self.bot.compare(
            InteractionReply(interaction),
            story,
            page=page,
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
        )

    @app_commands.command(name="stories", description="List the stories the articles report.")
    @app_commands.describe(page="Page of the list (10 stories a page)")
    async def stories(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1] = 1
    ) -> None:
        stories = await asyncio.to_thread(self.bot.desk.stories)
        await interaction.response.send_message(
            embed=stories_embed(stories, page), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="sources", description="List the indexed articles.")
    @app_commands.describe(
        query="Only articles whose title or outlet contains this",
        page="Page of the list (10 articles a page)",
    )
    async def sources(
        self,
        interaction: discord.Interaction,
        query: str | None = None,
        page: app_commands.Range[int, 1] = 1,
    ) -> None:
        sources = await asyncio.to_thread(self.bot.desk.sources)
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
    async def status(self, interaction: discord.Interaction) -> None:
        sources = await asyncio.to_thread(self.bot.desk.sources)
        chunks = sum(s.chunks for s in sources)
        newest = max((s.published for s in sources if s.published), default=None)
        backend = self.bot.engine.backend
        model = backend.model if backend else "none (quotes the articles)"
        await respond(
            interaction,
            f"{len(sources)} articles, {chunks} chunks; newest article "
            f"{newest or 'undated'}; backend {self.bot.engine.backend_name}, model {model}.",
        )

    @app_commands.command(name="reindex", description="Rebuild the index from the articles.")
    @app_commands.default_permissions(administrator=True)
    async def reindex(self, interaction: discord.Interaction) -> None:
        permissions = getattr(interaction.user, "guild_permissions", None)
        is_admin = bool(permissions and permissions.administrator)
        if not may_reindex(interaction.user.id, is_admin, self.bot.settings.bot_admins):
            await respond(interaction, "Only the bot's administrators can rebuild the index.")
            return
        if self.bot.reindexing.locked():
            await respond(interaction, REBUILD_RUNNING)
            return
        async with self.bot.reindexing:
            await interaction.response.defer(ephemeral=True, thinking=True)
            try:
                stats = await asyncio.to_thread(self.bot.desk.build, lock_wait=0)
            except NewsdeskError as exc:
                log.warning("/reindex: %s", exc)
                await respond(interaction, f"Rebuild refused: {for_chat(exc)}")
                return
            await respond(
                interaction,
                f"Rebuilt in {stats.seconds:.1f} s: {stats.added} added, "
                f"{stats.updated} updated, {stats.removed} removed, {stats.unchanged} "
                f"unchanged ({stats.chunks} chunks).",
            )

    @app_commands.command(name="add", description="Fetch a news page and index it.")
    @app_commands.describe(url="The page's address (http or https)")
    @app_commands.default_permissions(administrator=True)
    async def add(self, interaction: discord.Interaction, url: str) -> None:
        permissions = getattr(interaction.user, "guild_permissions", None)
        is_admin = bool(permissions and permissions.administrator)
        if not may_reindex(interaction.user.id, is_admin, self.bot.settings.bot_admins):
            await respond(interaction, "Only the bot's administrators can add articles.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            async with self.bot.reindexing:
                (added,) = await asyncio.to_thread(self.bot.desk.add, [url.strip()])
        except NewsdeskError as exc:
            log.warning("/add %s: %s", url, exc)
            await respond(interaction, f"Not added: {for_chat(exc)}")
            return
        if added.failure:
            log.info("/add: %s", added.describe())
            await respond(interaction, for_chat(added.failure))
        else:
            await respond(interaction, added.describe())

    @app_commands.command(name="new", description="Forget this thread's conversation so far.")
    async def new(self, interaction: discord.Interaction) -> None:
        if not isinstance(interaction.channel, discord.Thread):
            await respond(
                interaction, "Conversations live in threads: mention me to start a new one."
            )
            return
        self.bot.conversations.reset(self.bot.thread_key(interaction.channel.id))
        await respond(interaction, CONVERSATION_FORGOTTEN)
