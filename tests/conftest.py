"""Shared fixtures: real model, real Chroma, every data dir under tmp_path."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from index.app import Newsdesk
from index.config import Settings
from index.embeddings import MiniLMEmbedding

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "articles"


class CountingEmbedding(MiniLMEmbedding):
    """The real model, counting what it is asked to embed."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.__dict__.setdefault("calls", []).append(list(texts))
        return super().embed(texts)

    @property
    def embedded(self) -> int:
        return sum(len(c) for c in self.__dict__.get("calls", []))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env or writes into the working tree."""
    for name in list(__import__("os").environ):
        if name.startswith(("NEWSDESK_", "CHROMA_", "DISCORD_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedding:
    return MiniLMEmbedding()


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    """A copy of the sample corpus that a test may change."""
    target = tmp_path / "articles"
    shutil.copytree(SAMPLE, target)
    return target


@pytest.fixture
def make_app(tmp_path: Path, articles: Path, embedder: MiniLMEmbedding) -> Iterator:
    apps: list[Newsdesk] = []

    def make(embed: MiniLMEmbedding | None = None, **settings: object) -> Newsdesk:
        values: dict[str, object] = {
            "articles_dir": articles,
            "data_dir": tmp_path / "data",
            "llm": "extractive",
        }
        values.update(settings)
        app = Newsdesk(Settings(**values))  # type: ignore[arg-type]
        app.__dict__["embedder"] = embed or embedder
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()
