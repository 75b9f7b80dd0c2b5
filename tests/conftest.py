"""Shared fixtures: real model, real Chroma, every data dir under tmp_path."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from newsdesk.index.app import Newsdesk
from newsdesk.index.config import Settings
from newsdesk.index.embeddings import Embedder, MiniLMEmbedding

from support import SAMPLE
from webserver import Web


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env or writes into the working tree."""
    for name in list(__import__("os").environ):
        if name.startswith(("NEWSDESK_", "CHROMA_", "DISCORD_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real Chroma server (`chroma run` from the chromadb package) on loopback, for the
    whole session; stopped at the end."""
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    chroma = Path(sys.executable).with_name("chroma")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Chroma server did not start") from None
            time.sleep(0.2)
    yield "127.0.0.1", port
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(params=["embedded", "server"])
def chroma(request: pytest.FixtureRequest) -> dict[str, object]:
    """Settings for the embedded store or the Chroma server: the same tests run on both."""
    if request.param == "embedded":
        return {}
    host, port = request.getfixturevalue("chroma_server")
    import chromadb

    client = chromadb.HttpClient(host=host, port=port)
    for collection in client.list_collections():  # each test starts from an empty server
        client.delete_collection(collection.name)
    return {"chroma_host": host, "chroma_port": port}


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedding:
    return MiniLMEmbedding()


@pytest.fixture(scope="module")
def sample(
    tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding
) -> Iterator[Newsdesk]:
    """The sample articles indexed once per test module, answering extractively, for tests
    that only read the index (a test that changes one works on a copy or uses `make_app`)."""
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith(("NEWSDESK_", "CHROMA_", "DISCORD_")):
                env.delenv(name)
        settings = Settings(
            articles_dir=SAMPLE, data_dir=tmp_path_factory.mktemp("sample"), llm="extractive"
        )
        desk = Newsdesk(settings, embedder=embedder)
        desk.build()
    yield desk
    desk.close()


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
        app = Newsdesk(Settings(**values), embedder=embed or embedder)  # type: ignore[arg-type]
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


@pytest.fixture
def app(make_app: Any) -> Newsdesk:
    """The sample articles, indexed, answering extractively."""
    app: Newsdesk = make_app()
    app.build()
    return app


@pytest.fixture(scope="module")
def _web_server() -> Iterator[Web]:
    server = Web().start()
    yield server
    server.stop()  # waits up to half a second: once per module, not per test


@pytest.fixture
def web(_web_server: Web) -> Web:
    """A small web of pages and feeds on 127.0.0.1 (see `webserver.py`): one server per
    module, with no routes and no hits counted at the start of each test."""
    _web_server.routes.clear()
    _web_server.hits.clear()
    return _web_server


# -- other stories beside the samples (tests of stories, timelines and comparisons) ----------

_NEWS = {
    "storm_weatherdesk.md": """---
title: Storm Ingrid brings heavy snow and gales to Scotland
source: Weather Desk
published: 2026-01-15
---
Storm Ingrid brought heavy snow and gusts of up to 90 mph to northern Scotland on Thursday, \
closing roads and cutting power to thousands of homes.

The Met Office issued an amber warning for snow across the Highlands on Wednesday.

About 12,000 homes were without power on Thursday evening, according to the network operator \
SSEN.

“This is the worst storm we have seen this winter,” said Fiona Grant, a forecaster at the Met \
Office.

Ferry services to the Western Isles were cancelled and several schools in Aberdeenshire closed \
for the day.
""",
    "storm_courier.md": """---
title: Thousands still without power after Storm Ingrid
source: Highland Courier
published: 2026-01-16
---
Thousands of homes in the Highlands were still without electricity on Friday after Storm \
Ingrid brought heavy snow and strong winds to the north of Scotland.

The Met Office issued an amber warning for snow across the Highlands on Wednesday.

Engineers worked through the night to restore supplies, the network operator SSEN said.

Trains between Inverness and Perth were suspended until the line could be cleared of fallen \
trees.
""",
    "derby_sports.md": """---
title: City beat United 3-1 in the Manchester derby
source: Northern Sports Daily
published: 2026-01-17
---
Manchester City beat Manchester United 3-1 at the Etihad Stadium on Saturday, with Erling \
Haaland scoring twice in the second half.

“We controlled the game from the first minute,” said City manager Pep Guardiola.

The win lifts City to second place in the Premier League table, four points behind the \
leaders Arsenal.

United have now lost three of their last five league matches and their supporters booed the \
team off the pitch.
""",
}


@pytest.fixture(scope="session")
def add_news() -> Callable[[Path], Path]:
    """Writes three handwritten articles of two other stories into a folder: a storm in
    Scotland reported by two outlets on consecutive days (sharing one sentence word for word),
    and a football match reported by one."""

    def add(folder: Path) -> Path:
        for name, text in _NEWS.items():
            (folder / name).write_text(text, encoding="utf-8")
        return folder

    return add


@pytest.fixture(scope="module")
def module_desk(
    tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding
) -> Iterator[Callable[..., Newsdesk]]:
    """Indexes a folder of articles once for a test module (answering extractively); the
    desks are closed when the module is done. For tests that only read the index; another
    embedding model and settings may be given."""
    desks: list[Newsdesk] = []

    def make(articles_dir: Path, embed: Embedder | None = None, **overrides: object) -> Newsdesk:
        with pytest.MonkeyPatch.context() as env:
            for name in list(os.environ):
                if name.startswith(("NEWSDESK_", "CHROMA_", "DISCORD_")):
                    env.delenv(name)
            values: dict[str, object] = {
                "articles_dir": articles_dir,
                "data_dir": tmp_path_factory.mktemp("desk"),
                "llm": "extractive",
            }
            settings = Settings(**(values | overrides))  # type: ignore[arg-type]
            desk = Newsdesk(settings, embedder=embed or embedder)
            desks.append(desk)
            desk.build()
        return desk

    yield make
    for desk in desks:
        desk.close()


@pytest.fixture(scope="module")
def news(
    tmp_path_factory: pytest.TempPathFactory,
    add_news: Callable[[Path], Path],
    module_desk: Callable[[Path], Newsdesk],
) -> Newsdesk:
    """The sample articles and the three of `add_news`, indexed once per module."""
    folder = tmp_path_factory.mktemp("news") / "articles"
    shutil.copytree(SAMPLE, folder)
    return module_desk(add_news(folder))


@pytest.fixture
def news_articles(articles: Path, add_news: Callable[[Path], Path]) -> Path:
    """`articles` (a copy of the samples that a test may change) with the three of
    `add_news`; `make_app` indexes it."""
    return add_news(articles)
