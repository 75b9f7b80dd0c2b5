"""The bot's own settings (the core's come from `index.config`). Documented in .env.example."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from index.errors import ConfigError


@dataclass(frozen=True)
class BotSettings:
    token: str = field(repr=False)
    guild_id: int | None = None  # sync slash commands to this server only (development)
    channels: frozenset[int] = frozenset()  # empty: every channel the bot can see
    admins: frozenset[int] = frozenset()  # empty: any server administrator may /reindex
    cooldown: float = 10.0  # seconds between one user's questions
    max_concurrent: int = 2  # answers in progress per server

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BotSettings:
        env = os.environ if env is None else env
        token = (env.get("DISCORD_TOKEN") or "").strip()
        if not token:
            raise ConfigError(
                "DISCORD_TOKEN is not set: put your bot's token in .env "
                "(see .env.example and the README's Discord section)"
            )
        try:
            return cls(
                token=token,
                guild_id=_id(env.get("DISCORD_GUILD_ID")),
                channels=_ids(env.get("NEWSDESK_BOT_CHANNELS")),
                admins=_ids(env.get("NEWSDESK_BOT_ADMINS")),
                cooldown=float(env.get("NEWSDESK_BOT_COOLDOWN") or 10.0),
                max_concurrent=int(env.get("NEWSDESK_BOT_MAX_CONCURRENT") or 2),
            )
        except ValueError as exc:
            raise ConfigError(f"bot settings: {exc}") from None


def _id(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError(f"{raw!r} is not a Discord id (a number)")
    return int(raw)


def _ids(raw: str | None) -> frozenset[int]:
    return frozenset(i for part in (raw or "").split(",") if (i := _id(part)) is not None)
