"""The composition root: builds the embedder, store and catalog once and hands them out.

`Newsdesk` is also the public Python API (exported as `newsdesk.Newsdesk`). The CLI, the REPL
and the bot each make one at start-up and call it; nothing here renders anything.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from pathlib import Path
from queue import Queue
from typing import TYPE_CHECKING, Any, TypeVar

from dotenv import load_dotenv

from newsdesk.index.answer import Answer, Engine
from newsdesk.index.catalog import Catalog
from newsdesk.index.config import Settings
from newsdesk.index.conversation import Turn
from newsdesk.index.dates import published_ts
from newsdesk.index.embeddings import EMBEDDERS, Embedder, make_embedder
from newsdesk.index.errors import BackendUnavailable, ConfigError, IndexNotBuilt
from newsdesk.index.interfaces import NewsdeskQueryEngine, NewsdeskRetriever
from newsdesk.index.llm import Backend, make_backend
from newsdesk.index.retrieve import Filters, Retriever
from newsdesk.index.store import Store, make_client
from newsdesk.index.stories import Story, collect

if TYPE_CHECKING:
    from newsdesk.index.build import BuildStats
    from newsdesk.index.compare import Comparison
    from newsdesk.index.ingest import Added, FeedReport, Ingest, Saved
    from newsdesk.index.timeline import Timeline

log = logging.getLogger(__name__)
R = TypeVar("R")


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
    story: str | None = None

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
            "story": self.story,
        }


class Newsdesk:
    """A news archive you can ask: the articles dir, its index, and the engine that answers.

    Every part can be injected (a test's embedder, a backend, a store on another client);
    what is not injected is made from `settings` when first used. Nothing is built unless
    asked: `engine()` on an empty index raises `IndexNotBuilt`, `build()` fills it.

        >>> desk = Newsdesk.from_env()
        >>> desk.build()
        >>> print(desk.ask("Why did the Powell-Ushakov call fail?").text)
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        backend: Backend | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._embedder = embedder
        self._backend = backend
        self._store = store
        self._sources: tuple[int, list[Source]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, env_file: str | Path | None = ".env", **overrides: Any) -> Newsdesk:
        """Settings from `env_file` (if it exists) and the environment, as the CLI reads them;
        the environment wins over the file, `overrides` (articles_dir=..., llm=...) over both."""
        if env_file is not None:
            load_dotenv(env_file, override=False)
        return cls(Settings.from_env(**overrides))

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or make_embedder(self.settings.embeddings)

    @cached_property
    def store(self) -> Store:
        return self._store or Store(make_client(self.settings), self.embedder.model_name)

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.settings.data_dir / "catalog.sqlite3")

    def build(
        self,
        *,
        full: bool = False,
        progress: bool = False,
        lock_wait: float = 0.0,
        arriving: Iterable[Path] = (),
    ) -> BuildStats:
        """Bring the index in step with the articles dir (see `index.build`); `arriving` are
        files written into it while the build runs, indexed as they come."""
        from newsdesk.index.build import Builder  # the write path: loaded when writing

        builder = Builder(
            self.store,
            self.catalog,
            self.embedder,
            self.settings.data_dir,
            batch_chunks=self.settings.build_batch,
            max_article_bytes=self.settings.max_article_bytes,
        )
        return builder.build(
            self.settings.articles_dir,
            full=full,
            progress=progress,
            lock_wait=lock_wait,
            arriving=arriving,
        )

    @cached_property
    def ingest(self) -> Ingest:
        """Pages and feeds fetched into the articles dir (see `index.ingest`)."""
        from newsdesk.index.ingest import Ingest

        return Ingest(self.settings)

    def add(self, urls: Iterable[str]) -> list[Added]:
        """Fetch each page into the articles dir and index what was new; one result per URL
        (`Added.describe()` words it). A URL already in the folder is not fetched again."""
        urls = list(urls)
        return self.index_while(lambda saved: self.ingest.add(urls, saved))[0]

    def poll_feeds(self) -> list[FeedReport]:
        """Fetch the new entries of every followed feed and index them."""
        return self.index_while(lambda saved: self.ingest.poll(saved=saved))[0]

    def index_while(
        self, fetch: Callable[[Saved], R], *, build: bool = False
    ) -> tuple[R, BuildStats | None]:
        """Run `fetch` (which writes article files and tells `saved` of each) in a thread
        and index each file as it is written, so that pages are fetched and extracted while
        the ones before them are embedded. Returns what `fetch` returned and the build's
        stats: None when nothing was saved and `build` (build anyway) is false."""
        arriving: Queue[Path | None] = Queue()
        outcome: list[Any] = []

        def run() -> None:
            try:
                outcome.append(fetch(arriving.put))
            except BaseException as exc:  # raised in the caller's thread, below
                outcome.append(exc)
            finally:
                arriving.put(None)

        fetching = threading.Thread(target=run, name="newsdesk-fetch", daemon=True)
        fetching.start()
        stats = None
        try:
            first = arriving.get()
            if first is not None:
                coming = chain([first], iter(arriving.get, None))
                stats = self.build(lock_wait=300, arriving=coming)
            elif build:  # the fetch is over and saved nothing
                stats = self.build(lock_wait=300)
        finally:
            fetching.join()
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0], stats

    def engine(self, backend: str | None = None) -> Engine:
        """A query engine over the index, answering with `backend` (default: the injected or
        configured one). Raises `IndexNotBuilt` when there is nothing to answer from."""
        chosen = self.backend(backend) if backend or self._backend is None else self._backend
        return Engine(
            self.retriever(),
            self.embedder,
            chosen,
            top_k=self.settings.top_k,
            max_question_chars=self.settings.max_question_chars,
        )

    def retriever(self) -> Retriever:
        """The hybrid retriever alone (no model is loaded). Raises `IndexNotBuilt`."""
        if not self.is_built():
            self._other_model()
            raise IndexNotBuilt(self.settings.articles_dir)
        return Retriever(self.store, self.embedder, self.settings.data_dir)

    def _other_model(self) -> None:
        """Raise a `ConfigError` if the archive is indexed, but with another model than the
        configured one: asking it would mix one model's question with another's vectors."""
        for model in self.store.other_models():
            setting = next((n for n, cls in EMBEDDERS.items() if cls().model_name == model), None)
            use = f"set NEWSDESK_EMBEDDINGS={setting}, or " if setting else ""
            raise ConfigError(
                f"the index was built with the embedding model {model}, not "
                f"{self.embedder.model_name}: {use}run `newsdesk index` to re-embed it",
                setting="NEWSDESK_EMBEDDINGS",
            )

    @cached_property
    def _engine(self) -> Engine:
        return self.engine()

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
    ) -> Answer:
        """Answer `question` from the articles: checked sentences, numbered citations."""
        return self._engine.ask(question, history=history, filters=filters)

    def as_retriever(
        self, *, similarity_top_k: int | None = None, filters: Filters | None = None
    ) -> NewsdeskRetriever:
        """The hybrid retriever as a LlamaIndex `BaseRetriever` (`NodeWithScore` results)."""
        return NewsdeskRetriever(
            self.retriever(), top_k=similarity_top_k or self.settings.top_k, filters=filters
        )

    def as_query_engine(self, *, filters: Filters | None = None) -> NewsdeskQueryEngine:
        """The engine as a LlamaIndex query engine: `query()` returns a `Response` whose
        `source_nodes` are the cited passages."""
        return NewsdeskQueryEngine(engine=self._engine, filters=filters)

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
                m.get("story"),
            )
            for doc_id, m in first.items()
        ]
        sources.sort(key=lambda s: s.doc_id)
        sources.sort(key=lambda s: s.published or "", reverse=True)
        return sources

    def stories(self) -> list[Story]:
        """The stories of the archive, biggest and most recent first (works on a server)."""
        return collect(
            {
                "doc_id": s.doc_id,
                "title": s.title,
                "source": s.source,
                "published": s.published,
                "published_ts": published_ts(s.published) if s.published else 0,
                "story": s.story,
            }
            for s in self.sources()
        )

    def story(self, query: str) -> Story:
        """The story `query` is about: a story id, or words about it. Raises `NoStory` (with
        the closest) when no article is about it."""
        from newsdesk.index.coverage import find

        return find(query, self.stories(), self.retriever(), self.embedder)

    def timeline(self, query: str, *, page: int = 1) -> Timeline:
        """The events of the story `query` names, in date order, each a verbatim quote."""
        from newsdesk.index import coverage, timeline

        story = self.story(query)
        return timeline.build(story, coverage.read(self.store, story.id), self.embedder, page=page)

    def compare(self, query: str) -> Comparison:
        """The outlets of the story `query` names side by side: what each alone reports, whom
        each quotes, and where they disagree."""
        from newsdesk.index import compare, coverage

        story = self.story(query)
        return compare.build(story, coverage.read(self.store, story.id))

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()
        if "ingest" in self.__dict__:
            self.ingest.close()
