"""The composition root: builds the embedder, store and catalog once and hands them out.

The CLI, the REPL and the bot each make one `Newsdesk` at start-up and call it; nothing here
renders anything.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from index.answer import Engine
from index.build import Builder, BuildStats
from index.catalog import Catalog
from index.config import Settings
from index.embeddings import MiniLMEmbedding
from index.errors import BackendUnavailable, ConfigError, IndexNotBuilt
from index.llm import Backend, make_backend
from index.retrieve import Retriever
from index.store import Store, make_client

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """An indexed article, as listed by `newsdesk sources`."""

    doc_id: str
    title: str
    published: str | None
    source: str | None
    url: str | None
    path: str
    chunks: int
    cluster: str

    def to_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "date": self.published,
            "source": self.source,
            "url": self.url,
            "path": self.path,
            "chunks": self.chunks,
            "cluster": self.cluster,
        }


class Newsdesk:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._sources: tuple[int, list[Source]] | None = None
        self._lock = threading.Lock()

    @cached_property
    def embedder(self) -> MiniLMEmbedding:
        return MiniLMEmbedding()

    @cached_property
    def store(self) -> Store:
        return Store(make_client(self.settings))

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.settings.data_dir / "catalog.sqlite3")

    def build(
        self, *, full: bool = False, progress: bool = False, lock_wait: float = 0.0
    ) -> BuildStats:
        """Bring the index in step with the articles dir (see `index.build`)."""
        builder = Builder(
            self.store,
            self.catalog,
            self.embedder,
            self.settings.data_dir,
            batch_chunks=self.settings.build_batch,
        )
        return builder.build(
            self.settings.articles_dir, full=full, progress=progress, lock_wait=lock_wait
        )

    def engine(self, *, progress: bool = False, backend: str | None = None) -> Engine:
        """The query engine; with no index yet, the first call builds it."""
        if not self.is_built():
            log.info("no index yet: building it from %s", self.settings.articles_dir)
            if not self.settings.articles_dir.is_dir():
                raise IndexNotBuilt(
                    f"no index yet and no articles directory at {self.settings.articles_dir}"
                )
            self.build(progress=progress, lock_wait=600)
            if not self.is_built():
                raise IndexNotBuilt(f"no usable articles in {self.settings.articles_dir}")
        retriever = Retriever(self.store, self.embedder, self.settings.data_dir)
        return Engine(
            retriever,
            self.embedder,
            self.backend(backend),
            top_k=self.settings.top_k,
            max_question_chars=self.settings.max_question_chars,
        )

    def backend(self, name: str | None = None) -> Backend | None:
        """The configured generation backend; if it cannot be loaded, extractive (warned)."""
        settings = self.settings.with_(llm=name) if name else self.settings
        try:
            return make_backend(settings)
        except (BackendUnavailable, ConfigError) as exc:
            log.warning("%s; answering with quotes from the articles instead", exc)
            return None

    def is_built(self) -> bool:
        return self.store.exists() and self.store.count() > 0

    def sources(self) -> list[Source]:
        """The indexed articles, newest first, read from the collection (works on a server)."""
        generation = self.store.generation
        with self._lock:
            if self._sources is None or self._sources[0] != generation:
                self._sources = (generation, self._read_sources())
            return self._sources[1]

    def _read_sources(self) -> list[Source]:
        counts: dict[str, int] = {}
        first: dict[str, dict[str, Any]] = {}
        for _, _, meta in self.store.all_chunks(include=("metadatas",)):
            doc_id = meta["doc_id"]
            counts[doc_id] = counts.get(doc_id, 0) + 1
            first.setdefault(doc_id, meta)
        sources = [
            Source(
                doc_id,
                m["title"],
                m.get("published"),
                m.get("source"),
                m.get("url"),
                m["path"],
                counts[doc_id],
                m.get("cluster", doc_id),
            )
            for doc_id, m in first.items()
        ]
        sources.sort(key=lambda s: s.doc_id)
        sources.sort(key=lambda s: s.published or "", reverse=True)
        return sources

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()
