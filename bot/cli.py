"""`newsdesk bot`: start the Discord bot (added to the `newsdesk` command as a plugin)."""

from __future__ import annotations

import asyncio
import logging
import sys

import click

from index.app import Newsdesk
from index.errors import NewsdeskError

log = logging.getLogger(__name__)


@click.command("bot")
@click.option(
    "--sync-global",
    is_flag=True,
    help="Publish the slash commands to every server (takes up to an hour); "
    "without it they sync only to DISCORD_GUILD_ID, if set.",
)
@click.pass_obj
def bot_command(app: Newsdesk, sync_global: bool) -> None:
    """Answer questions in Discord: /ask, mentions and follow-ups in threads."""
    import discord

    from bot.client import NewsdeskBot
    from bot.config import BotSettings

    try:
        settings = BotSettings.from_env()
        engine = app.engine(progress=sys.stderr.isatty())
    except NewsdeskError as exc:
        raise click.ClickException(str(exc)) from None
    bot = NewsdeskBot(app=app, engine=engine, settings=settings, sync_global=sync_global)
    try:
        asyncio.run(_run(bot, settings.token))
    except discord.LoginFailure:
        raise click.ClickException(
            "Discord rejected DISCORD_TOKEN: copy the token again from the Developer "
            "Portal (Bot > Reset Token) into .env"
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise click.ClickException(
            "enable the Message Content intent for the bot in the Developer Portal "
            "(Bot > Privileged Gateway Intents)"
        ) from None
    except (OSError, discord.GatewayNotFound) as exc:
        raise click.ClickException(f"cannot reach Discord ({exc.__class__.__name__})") from None


async def _run(bot: object, token: str) -> None:
    from bot.client import NewsdeskBot

    assert isinstance(bot, NewsdeskBot)
    async with bot:
        await bot.start(token)
