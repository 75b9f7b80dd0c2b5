"""The public Python API: `newsdesk.Newsdesk`, its injected parts, and LlamaIndex's interfaces."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from llama_index.core import Settings as LlamaSettings
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.response_synthesizers import get_response_synthesizer
from llama_index.core.schema import NodeWithScore

import newsdesk
from newsdesk import IndexNotBuilt, Newsdesk, Settings
from newsdesk.index.embeddings import MiniLMEmbedding

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


@pytest.fixture
def no_global_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """LlamaIndex's global Settings.llm and Settings.embed_model raise if anything reads them."""

    def refuse(_: Any) -> Any:
        raise AssertionError("LlamaIndex's global Settings were consulted")

    monkeypatch.setattr(type(LlamaSettings), "llm", property(refuse))
    monkeypatch.setattr(type(LlamaSettings), "embed_model", property(refuse))


def test_as_retriever_is_a_llamaindex_retriever(
    no_global_models: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    articles: Path,
    embedder: MiniLMEmbedding,
) -> None:
    desk = Newsdesk(Settings(articles_dir=articles, data_dir=tmp_path / "d"), embedder=embedder)
    desk.build()
    retriever = desk.as_retriever(similarity_top_k=3)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve("Peskov on the conversation with Powell")
    assert len(nodes) == 3 and all(isinstance(n, NodeWithScore) for n in nodes)
    assert nodes[0].score is not None and nodes[0].score >= nodes[-1].score  # type: ignore[operator]
    top = nodes[0].node
    assert "Peskov" in top.get_content()
    assert {"doc_id", "title", "path"} <= set(top.metadata)
    assert top.metadata["title"].startswith("Kremlin Acknowledges")
    # Its results feed LlamaIndex's own query engine. (LlamaIndex's synthesizer reads the
    # global Settings.llm itself: a mock one, for this part.)
    monkeypatch.undo()
    monkeypatch.setattr(LlamaSettings, "_llm", MockLLM())
    synthesizer = get_response_synthesizer(response_mode="no_text", llm=MockLLM())
    response = RetrieverQueryEngine(retriever, synthesizer).query(
        "Peskov on the conversation with Powell"
    )
    assert [n.node.node_id for n in response.source_nodes] == [n.node.node_id for n in nodes]
    desk.close()


def test_as_query_engine_returns_a_response_with_the_cited_passages(
    no_global_models: None, tmp_path: Path, articles: Path, embedder: MiniLMEmbedding
) -> None:
    desk = Newsdesk(
        Settings(articles_dir=articles, data_dir=tmp_path / "d", llm="extractive"),
        embedder=embedder,
    )
    desk.build()
    response = desk.as_query_engine().query(POWELL)
    assert isinstance(response, Response)
    answer = desk.ask(POWELL)
    assert response.response == answer.text
    assert response.metadata is not None
    assert response.metadata["answered"] is True and response.metadata["backend"] == "extractive"
    assert [n.node.get_content() for n in response.source_nodes] == [
        c.quote for c in answer.citations
    ]
    assert [n.node.metadata["n"] for n in response.source_nodes] == [c.n for c in answer.citations]
    assert response.metadata["citations"] == [c.to_json() for c in answer.citations]
    desk.close()


def test_the_package_exports_what_the_readme_uses() -> None:
    assert newsdesk.Newsdesk is Newsdesk and "Newsdesk" in dir(newsdesk)
    assert newsdesk.__version__ != "0+unknown"
    with pytest.raises(AttributeError):
        newsdesk.Nope  # noqa: B018
