"""The public Python API: `newsdesk.Newsdesk`, the README's session, its injected parts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import newsdesk
from newsdesk import IndexNotBuilt, Newsdesk, Settings

from fakes import FakeBackend
from support import REPO, CountingEmbedding

POWELL = "Why did the Powell–Ushakov call fail?"


def readme_session() -> list[str]:
    """The Python session the README shows, as the lines typed after `>>> `."""
    block = re.search(r"```pycon\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert block, "the README shows a Python session"
    return [line[4:] for line in block.group(1).splitlines() if line.startswith(">>> ")]


def test_the_readme_python_session_runs(articles: Path, tmp_path: Path) -> None:
    lines = readme_session()
    assert len(lines) == 4
    (tmp_path / ".env").write_text(
        f"NEWSDESK_ARTICLES_DIR={articles}\nNEWSDESK_DATA_DIR={tmp_path / 'data'}\n"
        "NEWSDESK_LLM=extractive\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", "\n".join(lines)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "did not go well" in done.stdout or "did not progress" in done.stdout
    assert (tmp_path / "data" / "catalog.sqlite3").exists(), ".env was read"


def test_nothing_is_built_unless_asked(tmp_path: Path, articles: Path, embedder: Any) -> None:
    desk = Newsdesk(Settings(articles_dir=articles, data_dir=tmp_path / "d"), embedder=embedder)
    with pytest.raises(IndexNotBuilt) as raised:
        desk.engine()
    assert raised.value.articles_dir == articles
    assert not desk.is_built(), "engine() did not build behind the caller's back"
    with pytest.raises(IndexNotBuilt):
        desk.ask(POWELL)
    assert desk.build().added == 4
    assert desk.ask(POWELL).answered
    desk.close()


def test_injected_parts_are_the_ones_used(tmp_path: Path, articles: Path) -> None:
    counting = CountingEmbedding()
    fake = FakeBackend().enqueue(
        "Powell was keen to outline the stance of the Europeans but showed limited interest "
        "in hearing Moscow's perspective [1]."
    )
    desk = Newsdesk(
        Settings(articles_dir=articles, data_dir=tmp_path / "d"), embedder=counting, backend=fake
    )
    desk.build()
    assert counting.embedded > 0, "the injected embedder embedded the articles"
    answer = desk.ask(POWELL)
    assert answer.backend == "fake" and len(fake.history) == 1
    assert answer.text.startswith("Powell was keen") and answer.citations
    desk.close()


def test_the_package_exports_what_the_readme_uses() -> None:
    assert newsdesk.Newsdesk is Newsdesk and "Newsdesk" in dir(newsdesk)
    assert newsdesk.__version__ != "0+unknown"
    with pytest.raises(AttributeError):
        newsdesk.Nope  # noqa: B018
