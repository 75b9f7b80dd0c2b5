from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsdesk.index.config import _VARIABLES, Settings
from newsdesk.index.errors import ConfigError

from support import REPO


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


def test_paths_given_as_strings_are_paths() -> None:
    """`Newsdesk.from_env(data_dir="x")` is how a notebook writes it: the data dir is then
    joined with file names, which a str cannot be."""
    settings = Settings.from_env({}, articles_dir="news", data_dir="state", llm_model="m.gguf")
    assert (settings.articles_dir, settings.data_dir) == (Path("news"), Path("state"))
    assert settings.llm_model == Path("m.gguf") and settings.data_dir / "x" == Path("state/x")
    assert Settings(data_dir="d").with_(articles_dir="a").articles_dir == Path("a")  # type: ignore[arg-type]


def test_bot_settings_are_validated_with_the_others() -> None:
    with pytest.raises(ConfigError, match="not a Discord id") as raised:
        Settings.from_env({"DISCORD_TOKEN": "t", "NEWSDESK_BOT_ADMINS": "12,abc"})
    assert raised.value.setting == "NEWSDESK_BOT_ADMINS"
    with pytest.raises(ConfigError, match="0 or more"):
        Settings.from_env({"NEWSDESK_BOT_COOLDOWN": "-1"})
    settings = Settings.from_env(
        {"DISCORD_TOKEN": "sekrit-token", "NEWSDESK_BOT_CHANNELS": "1, 2", "DISCORD_GUILD_ID": "3"}
    )
    assert settings.bot_channels == {1, 2} and settings.discord_guild_id == 3
    assert settings.bot_admins == frozenset() and settings.bot_cooldown == 10.0
    assert "sekrit" not in repr(settings), "the token is never shown"
