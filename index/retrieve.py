"""Hybrid retrieval: dense (Chroma through LlamaIndex) and BM25, fused by reciprocal rank.

Dense retrieval finds paraphrases, BM25 finds names and rare words; fusing the two ranks is
robust without calibrating their scores against each other.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters
from llama_index.vector_stores.chroma import ChromaVectorStore

from newsdesk.index.dates import published_ts
from newsdesk.index.embeddings import Embedder
from newsdesk.index.errors import BadQuestion, IndexNotBuilt
from newsdesk.index.keyword import KeywordIndex
from newsdesk.index.store import Store

RRF_K = 60  # the usual reciprocal-rank-fusion constant
CANDIDATES = 20  # per retriever, before fusion
MAX_OUTLETS_SHOWN = 12  # in the error for an outlet no article comes from
DAY = 86400


@dataclass(frozen=True)
class Filters:
    since: str | None = None  # ISO date, inclusive; undated articles are left out when set
    source: str | None = None  # outlet, case-insensitive
    until: str | None = None  # ISO date, inclusive (the whole day)

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value:
                try:
                    datetime.fromisoformat(value)
                except ValueError:
                    raise BadQuestion(
                        f"{name} {value!r} is not a date: use one like 2026-01-31", field=name
                    ) from None

    @property
    def dated(self) -> bool:
        return bool(self.since or self.until)

    def _range(self) -> tuple[int | None, int | None]:
        low = published_ts(self.since) if self.since else None
        high = None
        if self.until:
            end = datetime.fromisoformat(self.until)
            high = published_ts(self.until) + (
                DAY - 1 if end == datetime(end.year, end.month, end.day) else 0
            )
        return low, high

    def llama(self) -> MetadataFilters | None:
        filters = []
        low, high = self._range()
        if low is not None:
            filters.append(
                MetadataFilter(key="published_ts", value=low, operator=FilterOperator.GTE)
            )
        if high is not None:
            filters.append(
                MetadataFilter(key="published_ts", value=high, operator=FilterOperator.LTE)
            )
        if self.source:
            filters.append(MetadataFilter(key="source_key", value=self.source.casefold()))
        return MetadataFilters(filters=filters) if filters else None  # type: ignore[arg-type]

    def allows(self, meta: dict[str, Any]) -> bool:
        low, high = self._range()
        if low is not None and meta.get("published_ts", -1) < low:
            return False
        if high is not None and not 0 < meta.get("published_ts", -1) <= high:
            return False
        return not (self.source and meta.get("source_key") != self.source.casefold())


@dataclass(frozen=True)
class Archive:
    newest: date | None  # the newest dated article's day
    outlets: dict[str, set[str]]  # story -> the outlets (casefolded) that report it


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk. `dense` is its cosine similarity to the question, when known."""

    chunk_id: str
    text: str
    meta: dict[str, Any]
    score: float  # fused
    dense: float | None
    keyword: float | None


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, data_dir: Path) -> None:
        self.store = store
        self.embedder = embedder
        self.data_dir = data_dir
        self._keyword: KeywordIndex | None = None
        self._facts: tuple[KeywordIndex, Archive] | None = None
        self._lock = threading.Lock()
        self._index = VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=store.collection), embed_model=embedder
        )

    def keyword_index(self) -> KeywordIndex:
        """The BM25 index, reloaded when a rebuild (in any process) moved the generation."""
        generation = self.store.generation
        with self._lock:
            if self._keyword is None or self._keyword.generation != generation:
                self._keyword = KeywordIndex.load(self.store, self.data_dir)
            return self._keyword

    def search(
        self, query: str, k: int, filters: Filters | None = None, mode: str = "hybrid"
    ) -> tuple[str, list[Hit]]:
        """The query with misspellings corrected against the articles' own words, and its best
        `k` chunks; `mode` "dense" or "keyword" uses one side only (for benchmarks)."""
        keyword = self.keyword_index()
        query = keyword.correct(query)
        return query, self._retrieve(query, keyword, k, filters or Filters(), mode)

    def _retrieve(
        self, query: str, keyword: KeywordIndex, k: int, filters: Filters, mode: str
    ) -> list[Hit]:
        if not keyword.ids:
            raise IndexNotBuilt()
        if filters.source and filters.source.casefold() not in keyword.outlets:
            known = sorted(keyword.outlets.values(), key=str.casefold)
            shown = ", ".join(known[:MAX_OUTLETS_SHOWN]) + (
                ", …" if len(known) > MAX_OUTLETS_SHOWN else ""
            )
            raise BadQuestion(
                f"no articles from {filters.source!r}; the outlets are {shown or 'not known'}",
                field="source",
            )
        found: dict[str, dict[str, Any]] = {}
        retriever = self._index.as_retriever(similarity_top_k=CANDIDATES, filters=filters.llama())
        dense = retriever.retrieve(query) if mode != "keyword" else []
        for rank, hit in enumerate(dense):
            cosine = 1.0 + math.log(max(hit.score or 1e-9, 1e-9))  # exp(-distance) back to cos
            found[hit.node.node_id] = {
                "text": hit.node.get_content(),
                "meta": dict(hit.node.metadata),
                "rrf": 1.0 / (RRF_K + rank + 1),
                "dense": cosine,
                "keyword": None,
            }
        mask = None
        if filters.dated or filters.source:
            mask = np.array([filters.allows(m) for m in keyword.metadatas], dtype=np.float32)
        rows = keyword.search(query, CANDIDATES, mask) if mode != "dense" else []
        missing = [keyword.ids[row] for row, _ in rows if keyword.ids[row] not in found]
        texts = dict(zip(missing, self._documents(missing), strict=True))
        for rank, (row, score) in enumerate(rows):
            chunk_id = keyword.ids[row]
            entry = found.setdefault(
                chunk_id,
                {
                    "text": texts.get(chunk_id, ""),
                    "meta": keyword.metadatas[row],
                    "rrf": 0.0,
                    "dense": None,
                    "keyword": None,
                },
            )
            entry["rrf"] += self.embedder.keyword_weight / (RRF_K + rank + 1)
            entry["keyword"] = score
        hits = [
            Hit(chunk_id, e["text"], e["meta"], e["rrf"], e["dense"], e["keyword"])
            for chunk_id, e in found.items()
        ]
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]

    def newest(self) -> date | None:
        """The publication day of the archive's newest dated article."""
        return self._archive().newest

    def outlets_of(self, story: str | None) -> int:
        """How many outlets report `story` (0 when unknown)."""
        return len(self._archive().outlets.get(story or "", ()))

    def _archive(self) -> Archive:
        """Facts about the whole archive, computed once per generation of the index (not per
        question) from the keyword index's metadata."""
        keyword = self.keyword_index()
        if self._facts is None or self._facts[0] is not keyword:
            newest, outlets = 0, dict[str, set[str]]()
            for m in keyword.metadatas:
                newest = max(newest, int(m.get("published_ts", 0)))
                if m.get("story") and m.get("source_key"):
                    outlets.setdefault(str(m["story"]), set()).add(str(m["source_key"]))
            day = datetime.fromtimestamp(newest, UTC).date() if newest > 0 else None
            self._facts = (keyword, Archive(day, outlets))
        return self._facts[1]

    def _documents(self, ids: list[str]) -> list[str]:
        if not ids:
            return []
        got = self.store.collection.get(ids=ids, include=["documents"])
        by_id = dict(zip(got["ids"], got["documents"], strict=True))
        return [by_id.get(i) or "" for i in ids]
