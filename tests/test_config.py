from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import BotSettings
from index.config import _VARIABLES, Settings
from index.errors import ConfigError
from tests.conftest import REPO


def example() -> dict[str, str]:
    text = (REPO / ".env.example").read_text()
    return dict(re.findall(r"^([A-Z_]+)=(.*)$", text, re.M))


def test_env_example_documents_every_setting_and_parses() -> None:
    documented = set(example())
    read = {name for name, _, _ in _VARIABLES} | {
        "DISCORD_TOKEN",
        "DISCORD_GUILD_ID",
        "NEWSDESK_BOT_CHANNELS",
        "NEWSDESK_BOT_ADMINS",
        "NEWSDESK_BOT_COOLDOWN",
        "NEWSDESK_BOT_MAX_CONCURRENT",
    }
    assert documented == read
    text = (REPO / ".env.example").read_text()
    for name in documented:  # a comment line right above each variable
        assert re.search(rf"^# .+\n(?:# .*\n)*{name}=", text, re.M), name
    settings = Settings.from_env(example())
    assert settings.articles_dir == Path("articles") and settings.llm == "llama-cpp"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NEWSDESK_LLM": "gpt5"}, "not a backend"),
        ({"NEWSDESK_TOP_K": "0"}, "positive"),
        ({"CHROMA_SSL": "maybe"}, "true or false"),
    ],
)
def test_malformed_settings_are_one_clear_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_bot_settings() -> None:
    with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
        BotSettings.from_env({})
    with pytest.raises(ConfigError, match="not a Discord id"):
        BotSettings.from_env({"DISCORD_TOKEN": "t", "NEWSDESK_BOT_ADMINS": "12,abc"})
    settings = BotSettings.from_env(
        {"DISCORD_TOKEN": "sekrit-token", "NEWSDESK_BOT_CHANNELS": "1, 2", "DISCORD_GUILD_ID": "3"}
    )
    assert settings.channels == {1, 2} and settings.guild_id == 3
    assert "sekrit" not in repr(settings), "the token is never shown"
