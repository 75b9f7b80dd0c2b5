"""Shared fixtures: real model, real Chroma, every data dir under tmp_path."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsdesk.index.app import Newsdesk
from newsdesk.index.config import Settings
from newsdesk.index.embeddings import MiniLMEmbedding

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
