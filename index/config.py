"""One typed settings object, filled from the environment (and `.env`, loaded by the edges).

Every variable read here is documented in `.env.example`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from newsdesk.index.errors import ConfigError

BACKENDS = ("llama-cpp", "ollama", "openai", "extractive")
EMBEDDINGS = ("minilm", "e5")


@dataclass(frozen=True)
class Settings:
    articles_dir: Path = Path("articles")
    data_dir: Path = Path(".newsdesk")
    embeddings: str = "minilm"  # the embedding model: minilm (English) or e5 (multilingual)
    llm: str = "llama-cpp"
    llm_model: Path | None = None  # a GGUF file; None: the default model, joined in data_dir
    llm_threads: int = 2
    llm_context: int = 4096
    llm_timeout: float = 60.0
    ollama_url: str = "http://127.0.0.1:11434"
    ollama_model: str = "qwen2.5:1.5b-instruct"
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = "gpt-4o-mini"
    openai_api_key: str | None = field(default=None, repr=False)
    top_k: int = 6
    build_batch: int = 256  # chunks embedded and written together by `newsdesk index`
    max_question_chars: int = 1000
    max_article_bytes: int = 2_000_000  # an article file or a fetched page or feed
    allow_private_urls: bool = False  # let `newsdesk add`/feeds reach private addresses
    fetch_timeout: float = 20.0  # seconds to connect, and between two reads of a response
    feed_interval: float = 900.0  # seconds between two polls of the feeds by `newsdesk watch`
    watch: bool = False  # `newsdesk bot` also watches the articles dir and polls the feeds
    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_ssl: bool = False
    chroma_token: str | None = field(default=None, repr=False)
    # The Discord bot's (read here so that one object validates every setting; the core
    # itself never uses them).
    discord_token: str | None = field(default=None, repr=False)
    discord_guild_id: int | None = None  # sync slash commands to this server only
    bot_channels: frozenset[int] = frozenset()  # empty: every channel the bot can see
    bot_admins: frozenset[int] = frozenset()  # empty: any server administrator may /reindex
    bot_cooldown: float = 10.0  # seconds between one user's questions
    bot_max_concurrent: int = 2  # answers in progress per server
    bot_news_channel: int | None = None  # where the watching bot posts newly indexed articles

    def __post_init__(self) -> None:
        """Paths may be given as strings (`Newsdesk.from_env(data_dir="x")`), as in the
        environment."""
        for name in ("articles_dir", "data_dir", "llm_model"):
            if isinstance(value := getattr(self, name), str):
                object.__setattr__(self, name, Path(value))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from `env` (default: os.environ); `overrides` that are not None win."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        values: dict[str, Any] = {}
        for name, key, parse in _VARIABLES:
            raw = get(name)
            if raw is not None:
                try:
                    values[key] = parse(raw)
                except ValueError as exc:
                    raise ConfigError(f"{name}={raw!r} is not valid: {exc}", setting=name) from None
        if "openai_api_key" not in values and (api_key := get("OPENAI_API_KEY")):
            values["openai_api_key"] = api_key
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        if settings.embeddings not in EMBEDDINGS:
            raise ConfigError(
                f"NEWSDESK_EMBEDDINGS={settings.embeddings!r} is not a model; use one of "
                f"{', '.join(EMBEDDINGS)}",
                setting="NEWSDESK_EMBEDDINGS",
            )
        if settings.llm not in BACKENDS:
            raise ConfigError(
                f"NEWSDESK_LLM={settings.llm!r} is not a backend; use one of {', '.join(BACKENDS)}",
                setting="NEWSDESK_LLM",
            )
        return settings

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError("must be a positive number")
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _discord_id(raw: str) -> int:
    if not raw.isdigit():
        raise ValueError(f"{raw!r} is not a Discord id (a number)")
    return int(raw)


def _discord_ids(raw: str) -> frozenset[int]:
    return frozenset(_discord_id(part.strip()) for part in raw.split(",") if part.strip())


def _bool(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("use true or false")


_VARIABLES: list[tuple[str, str, Any]] = [
    ("NEWSDESK_ARTICLES_DIR", "articles_dir", Path),
    ("NEWSDESK_DATA_DIR", "data_dir", Path),
    ("NEWSDESK_EMBEDDINGS", "embeddings", str.lower),
    ("NEWSDESK_LLM", "llm", str.lower),
    ("NEWSDESK_LLM_MODEL", "llm_model", Path),
    ("NEWSDESK_LLM_THREADS", "llm_threads", _positive_int),
    ("NEWSDESK_LLM_CONTEXT", "llm_context", _positive_int),
    ("NEWSDESK_LLM_TIMEOUT", "llm_timeout", _positive_float),
    ("NEWSDESK_OLLAMA_URL", "ollama_url", str),
    ("NEWSDESK_OLLAMA_MODEL", "ollama_model", str),
    ("NEWSDESK_OPENAI_BASE_URL", "openai_base_url", str),
    ("NEWSDESK_OPENAI_MODEL", "openai_model", str),
    ("NEWSDESK_OPENAI_API_KEY", "openai_api_key", str),
    ("NEWSDESK_TOP_K", "top_k", _positive_int),
    ("NEWSDESK_BUILD_BATCH", "build_batch", _positive_int),
    ("NEWSDESK_MAX_QUESTION_CHARS", "max_question_chars", _positive_int),
    ("NEWSDESK_MAX_ARTICLE_BYTES", "max_article_bytes", _positive_int),
    ("NEWSDESK_ALLOW_PRIVATE_URLS", "allow_private_urls", _bool),
    ("NEWSDESK_FETCH_TIMEOUT", "fetch_timeout", _positive_float),
    ("NEWSDESK_FEED_INTERVAL", "feed_interval", _positive_float),
    ("NEWSDESK_WATCH", "watch", _bool),
    ("CHROMA_HOST", "chroma_host", str),
    ("CHROMA_PORT", "chroma_port", _positive_int),
    ("CHROMA_SSL", "chroma_ssl", _bool),
    ("CHROMA_AUTH_TOKEN", "chroma_token", str),
    ("DISCORD_TOKEN", "discord_token", str),
    ("DISCORD_GUILD_ID", "discord_guild_id", _discord_id),
    ("NEWSDESK_BOT_CHANNELS", "bot_channels", _discord_ids),
    ("NEWSDESK_BOT_ADMINS", "bot_admins", _discord_ids),
    ("NEWSDESK_BOT_COOLDOWN", "bot_cooldown", _non_negative_float),
    ("NEWSDESK_BOT_MAX_CONCURRENT", "bot_max_concurrent", _positive_int),
    ("NEWSDESK_BOT_NEWS_CHANNEL", "bot_news_channel", _discord_id),
]
