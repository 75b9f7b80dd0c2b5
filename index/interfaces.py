"""newsdesk behind LlamaIndex's own interfaces, so its ecosystem (evaluators, agents,
`RetrieverQueryEngine`, tools) can use the hybrid retriever and the checked answers.

Neither class consults LlamaIndex's global `Settings`: the embedder and the model are
newsdesk's, passed in, never `Settings.embed_model` or `Settings.llm`.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from newsdesk.index.answer import Answer, Citation, Engine
from newsdesk.index.retrieve import Filters, Retriever


class NewsdeskRetriever(BaseRetriever):
    """Dense and BM25 fused by reciprocal rank; each node is a chunk with its article's
    metadata (doc_id, title, source, published, url, path, cluster)."""

    def __init__(
        self,
        retriever: Retriever,
        *,
        top_k: int,
        filters: Filters | None = None,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        super().__init__(callback_manager=callback_manager or CallbackManager([]))
        self._retriever = retriever
        self._top_k = top_k
        self._filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        _, hits = self._retriever.search(query_bundle.query_str, self._top_k, self._filters)
        return [
            NodeWithScore(
                node=TextNode(id_=h.chunk_id, text=h.text, metadata=h.meta), score=h.score
            )
            for h in hits
        ]


class NewsdeskQueryEngine(CustomQueryEngine):
    """`query()` answers as `newsdesk ask` does. The `Response` holds the checked answer
    (`.response`), the cited passages (`.source_nodes`, numbered as the answer's [n]) and
    `.metadata`: citations, answered, backend, timings, dropped sentences, fallback."""

    engine: Engine
    filters: Filters | None = None

    def custom_query(self, query_str: str) -> Response:
        return as_response(self.engine.ask(query_str, filters=self.filters))


def as_response(answer: Answer) -> Response:
    """An `Answer` in LlamaIndex's terms."""
    metadata: dict[str, Any] = answer.to_json()
    del metadata["question"], metadata["answer"]
    return Response(
        response=answer.text,
        source_nodes=[_node(c) for c in answer.citations],
        metadata=metadata,
    )


def _node(citation: Citation) -> NodeWithScore:
    """A cited passage: the quote itself, with its number and article in the metadata."""
    metadata = {k: v for k, v in citation.to_json().items() if k != "quote"}
    metadata["url"] = citation.url
    return NodeWithScore(
        node=TextNode(
            id_=f"{citation.doc_id}#{citation.n}", text=citation.quote, metadata=metadata
        ),
        score=None,
    )
