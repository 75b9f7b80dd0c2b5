"""Where the chunks live: a Chroma collection, embedded or on a Chroma server.

The collection name carries the embedding model's id, so vectors of two models never mix.
Everything the query side needs (chunk text, article metadata, near-duplicate clusters, the
index generation) is in Chroma itself, so a bot on another machine can answer from a Chroma
server that `newsdesk index` fills.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newsdesk.index.config import Settings
from newsdesk.index.embeddings import MINILM_ID
from newsdesk.index.errors import ConfigError, DataDirError, IndexBusy

log = logging.getLogger(__name__)

COLLECTION_PREFIX = "newsdesk"
GET_PAGE = 5000  # rows per collection.get() page

# Chroma's HNSW defaults (ef 100) let a freshly added chunk go unreached now and then in a
# small index: after adding one article to the four samples, dense search missed it in about
# 1 of 20 rebuilds. A wider search costs little at newsdesk's sizes.
HNSW = {"ef_construction": 200, "ef_search": 200, "max_neighbors": 32}


def collection_name(model_id: str = MINILM_ID) -> str:
    return f"{COLLECTION_PREFIX}-" + re.sub(r"[^a-z0-9._-]+", "-", model_id.lower())


def make_client(settings: Settings) -> Any:
    """An embedded PersistentClient under the data dir, or an HttpClient when CHROMA_HOST is set."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        headers = (
            {"Authorization": f"Bearer {settings.chroma_token}"} if settings.chroma_token else None
        )
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                headers=headers,
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError here
            raise ConfigError(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
                f" ({exc})",
                setting="CHROMA_HOST",
            ) from exc
    path = settings.data_dir / "chroma"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirError(f"cannot create the data dir ({exc.strerror})", path=path) from exc
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class Store:
    """The chunk collection of one Chroma client."""

    def __init__(self, client: Any, model: str = MINILM_ID) -> None:
        self.client = client
        self.model = model
        self.name = collection_name(model)
        self._collection: Any = None

    @property
    def collection(self) -> Any:
        if self._collection is None:
            self._collection = self.client.get_or_create_collection(
                self.name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine", **HNSW}},
            )
        return self._collection

    def exists(self) -> bool:
        return self.name in {
            c if isinstance(c, str) else c.name for c in self.client.list_collections()
        }

    def drop(self) -> None:
        if self.exists():
            self.client.delete_collection(self.name)
        self._collection = None

    @property
    def generation(self) -> int:
        """Changes whenever a build (in any process) changes the chunks; derived caches key on
        it. Read afresh each time: a collection object keeps the metadata it was fetched with."""
        if self._collection is None:
            return int((self.collection.metadata or {}).get("generation", 0))
        fresh = self.client.get_collection(self.name, embedding_function=None)
        return int((fresh.metadata or {}).get("generation", 0))

    def set_generation(self, generation: int) -> None:
        self.collection.modify(metadata={"generation": generation, "model": self.model})

    def other_models(self) -> list[str]:
        """The models of the other newsdesk collections of this Chroma that hold chunks."""
        found = []
        for listed in self.client.list_collections():
            name = listed if isinstance(listed, str) else listed.name
            if name == self.name or not name.startswith(f"{COLLECTION_PREFIX}-"):
                continue
            collection = self.client.get_collection(name, embedding_function=None)
            if collection.count():
                found.append(str((collection.metadata or {}).get("model", name)))
        return found

    def count(self) -> int:
        return int(self.collection.count())

    def all_chunks(
        self, include: tuple[str, ...] = ("documents", "metadatas")
    ) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
        """(id, document, metadata) of every chunk, paged."""
        offset = 0
        while True:
            page = self.collection.get(include=list(include), limit=GET_PAGE, offset=offset)
            ids = page["ids"]
            docs = page.get("documents") or [None] * len(ids)
            metas = page.get("metadatas") or [{}] * len(ids)
            yield from zip(ids, docs, metas, strict=True)
            if len(ids) < GET_PAGE:
                return
            offset += GET_PAGE


@contextmanager
def build_lock(data_dir: Path, wait: float = 0.0) -> Iterator[None]:
    """One rebuild at a time per data dir; a second one waits up to `wait` s, then refuses."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(data_dir / "build.lock", "a+")  # noqa: SIM115 - held for the block
    except OSError as exc:
        raise DataDirError(f"cannot write to the data dir ({exc.strerror})", path=data_dir) from exc
    deadline = time.monotonic() + wait
    with handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusy(
                        "another rebuild of this index is running; try again when it has finished",
                        path=data_dir,
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
