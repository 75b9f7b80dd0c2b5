"""`newsdesk bot`: start the Discord bot (added to the `newsdesk` command as a plugin)."""

from __future__ import annotations

import asyncio
import logging

import click

from newsdesk.index.app import Newsdesk
from newsdesk.index.cli import pass_desk, ready_engine

log = logging.getLogger(__name__)


@click.command("bot")
@click.option(
    "--sync-global",
    is_flag=True,
    help="Publish the slash commands to every server (takes up to an hour); "
    "without it they sync only to DISCORD_GUILD_ID, if set.",
)
@pass_desk
def bot_command(desk: Newsdesk, sync_global: bool) -> None:
    """Answer questions in Discord: /ask, mentions and follow-ups in threads."""
    import discord

    from newsdesk.bot.client import NewsdeskBot, require_token

    token = require_token(desk)
    bot = NewsdeskBot(desk=desk, engine=ready_engine(desk), sync_global=sync_global)
    try:
        asyncio.run(_run(bot, token))
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
    from newsdesk.bot.client import NewsdeskBot

    assert isinstance(bot, NewsdeskBot)
    async with bot:
        await bot.start(token)
