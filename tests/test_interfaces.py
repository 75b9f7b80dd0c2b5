"""newsdesk behind LlamaIndex's interfaces: a BaseRetriever and a query engine that never
read LlamaIndex's global Settings."""

from __future__ import annotations

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

from newsdesk import Newsdesk, Settings
from newsdesk.index.embeddings import MiniLMEmbedding

POWELL = "Why did the Powell–Ushakov call fail?"


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
    assert "_engine" not in desk.__dict__, "a retriever loads no model"
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
