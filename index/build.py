"""The incremental rebuild: articles dir -> chunks in Chroma, re-embedding only what changed.

Idempotent and crash-safe by construction:
- chunk ids derive from (doc_id, file hash, position), so writing an article twice is an
  upsert of the same rows, never a duplicate;
- an article's new chunks are written before its old ones are deleted, and the catalog
  records it only after both, so a build killed at any point leaves an answering index and
  the next build redoes exactly the articles it had not finished;
- articles being written are listed in `pending` first, so chunks of an article whose file
  disappears before the next build are still found and deleted.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from itertools import chain
from pathlib import Path
from stat import S_ISREG
from typing import Any

from tqdm import tqdm

from newsdesk.index import dedup, keyword, language, stories
from newsdesk.index.articles import (
    EXTRACTOR_VERSION,
    MAX_ARTICLE_BYTES,
    SUFFIXES,
    Article,
    ArticleError,
    discover,
    file_hash,
    load,
)
from newsdesk.index.catalog import Catalog, chunk_id
from newsdesk.index.chunking import CHUNKER_VERSION, chunk
from newsdesk.index.dates import published_ts
from newsdesk.index.embeddings import Embedder
from newsdesk.index.errors import DataDirError
from newsdesk.index.store import Store, build_lock, collection_name

log = logging.getLogger(__name__)

MAX_HEADER_TOKENS = 48  # a longer title is not repeated in front of every chunk
RACY_SECONDS = 2  # a file changed this recently is read, whatever its stat says

FIRST_BATCH_CHUNKS = 32  # the first batches are small, so that embedding starts early


def file_stat(status: os.stat_result) -> str:
    """What identifies a version of a file without reading it: size, modification and change
    times, inode. Rewriting a file changes its ctime, whatever its mtime is set back to."""
    return f"{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}:{status.st_ino}"


def settled(status: os.stat_result) -> bool:
    """A file not changed in the last RACY_SECONDS: a change made while it is read, or within
    the clock's granularity, would leave its stat as it was, so only a settled file's stat may
    stand for its content."""
    latest = max(status.st_mtime_ns, status.st_ctime_ns)
    return latest < time.time_ns() - RACY_SECONDS * 1_000_000_000


@dataclass
class BuildStats:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    chunks: int = 0  # chunks in the index after the build
    embedded: int = 0  # chunks embedded by this build
    seconds: float = 0.0
    skipped_files: list[str] = field(default_factory=list)
    added_ids: list[str] = field(default_factory=list)  # doc_ids of the articles added

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass
class _Prepared:
    article: Article
    spans: list[tuple[int, int]]
    minhash: bytes
    is_new: bool
    header: str  # repeated in front of every chunk but the first, for the embedding
    language: str  # ISO 639-1, how keyword search reads it


def chunk_metadata(article: Article, seq: int, span: tuple[int, int], lang: str) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "doc_id": article.doc_id,
        "language": lang,
        "file_hash": article.file_hash,
        "seq": seq,
        "start": span[0],
        "end": span[1],
        "title": article.title,
        "path": article.path,
        "cluster": article.doc_id,
    }
    if article.source:
        meta["source"] = article.source
        meta["source_key"] = article.source.casefold()
    if article.published:
        meta["published"] = article.published
        meta["published_ts"] = published_ts(article.published)
    if article.url:
        meta["url"] = article.url
    if article.byline:
        meta["byline"] = article.byline
    return meta


# What a file's chunks depend on besides its bytes: a change re-reads every article.
PIPELINE_VERSION = f"{CHUNKER_VERSION}.{EXTRACTOR_VERSION}"


class Builder:
    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        embedder: Embedder,
        data_dir: Path,
        batch_chunks: int = 256,
        max_article_bytes: int = MAX_ARTICLE_BYTES,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.embedder = embedder
        self.data_dir = data_dir
        # Chunks embedded and written together: a larger pool pads less (texts are
        # length-sorted inside it); a smaller one loses less work to a crash.
        self.batch_chunks = batch_chunks
        self.max_article_bytes = max_article_bytes
        self._pending: set[str] = set()  # articles a killed build may have left in Chroma
        self._stats: list[tuple[str, str, str, str]] = []  # (doc_id, stat, hash, path) read

    def build(
        self,
        articles_dir: Path,
        *,
        full: bool = False,
        progress: bool = False,
        lock_wait: float = 0.0,
        arriving: Iterable[Path] = (),
    ) -> BuildStats:
        """Bring the index in step with `articles_dir`; returns what changed. `arriving`
        yields files written into it while the build runs (pages being fetched): each is
        indexed as it comes, and the build ends when it ends."""
        started = time.perf_counter()
        with build_lock(self.data_dir, wait=lock_wait):
            try:
                stats = self._build(articles_dir, arriving, full=full, progress=progress)
            except (OSError, sqlite3.Error) as exc:  # a full or read-only disk, typically
                raise DataDirError(
                    f"the index could not be written ({exc}); what was indexed before is "
                    "intact: fix the cause and rebuild",
                    path=self.data_dir,
                ) from exc
        stats.seconds = time.perf_counter() - started
        return stats

    def _build(
        self, articles_dir: Path, arriving: Iterable[Path], *, full: bool, progress: bool
    ) -> BuildStats:
        stats = BuildStats()
        catalog, collection = self.catalog, self.store.collection
        model = self.embedder.model_name
        previous_model = catalog.get_meta("model")
        if previous_model not in (None, model):
            log.warning(
                "the embedding model changed from %s to %s: re-embedding every article",
                previous_model,
                model,
            )
            full = True
        previous_pipeline = catalog.get_meta("chunker")
        indexed = catalog.counts()[0] > 0
        if indexed and previous_pipeline != PIPELINE_VERSION and not full:
            log.warning(
                "extraction or chunking changed (version %s to %s): re-reading every article",
                previous_pipeline,
                PIPELINE_VERSION,
            )
            full = True
        if full:  # the saved keyword index too: chunk ids may stay while their text changes
            keyword.KeywordIndex.forget(self.store, self.data_dir)
            catalog.clear()
            catalog.set_meta("dirty", "1")
        catalog.set_meta("model", model)
        catalog.set_meta("chunker", PIPELINE_VERSION)

        files = discover(articles_dir)
        root = os.path.join(str(articles_dir), "")
        known = catalog.file_hashes()
        seen = catalog.file_stats()
        self._stats = []
        self._pending = set(catalog.pending())
        for doc_id in self._pending - set(files):  # written, never recorded
            collection.delete(where={"doc_id": doc_id})
            catalog.clear_pending([doc_id])
        for doc_id in sorted(set(known) - set(files)):
            collection.delete(where={"doc_id": doc_id})
            with catalog.transaction():
                catalog.delete(doc_id)
                catalog.set_meta("dirty", "1")
            stats.removed += 1

        # Read and chunked here, between the batches: reading ahead in a thread made builds
        # slower, the model keeping both cores busy (README, Ingestion). Arriving files were
        # fetched while the batch before them was embedded.
        for batch in self._batches(files, arriving, root, known, seen, stats, progress=progress):
            self._write(batch, stats)
        with catalog.transaction():  # after the writes: a stat only for the version indexed
            catalog.put_file_stats(self._stats)

        if full:  # chunks no article of this build owns (from a killed or older build)
            owned = set(catalog.chunk_ids())
            orphans = [i for i, _, _ in self.store.all_chunks(include=()) if i not in owned]
            for first in range(0, len(orphans), 5000):
                collection.delete(ids=orphans[first : first + 5000])
        if catalog.get_meta("dirty") or catalog.get_meta("stories") != stories.VERSION:
            self._publish()
        if previous_model not in (None, model):
            old = collection_name(previous_model)
            if old in {getattr(c, "name", c) for c in self.store.client.list_collections()}:
                self.store.client.delete_collection(old)
        stats.chunks = catalog.counts()[1]
        return stats

    def _batches(
        self,
        files: dict[str, Path],
        arriving: Iterable[Path],
        root: str,
        known: dict[str, tuple[str, str]],
        seen: dict[str, str],
        stats: BuildStats,
        *,
        progress: bool,
    ) -> Iterator[list[_Prepared]]:
        """The changed articles of `files`, then the `arriving` ones, loaded and chunked, in
        batches: small at first, so that the model starts early, then of about `batch_chunks`
        chunks. An arriving file is added to `files`."""
        listed = tqdm(
            list(files.values()), desc="indexing", unit="article", disable=not progress, leave=False
        )
        batch: list[_Prepared] = []
        chunks, size = 0, min(FIRST_BATCH_CHUNKS, self.batch_chunks)
        for path in chain(listed, self._arrivals(arriving, files, root)):
            relative = str(path)[len(root) :].replace(os.sep, "/")  # all are under root
            doc_id = path.stem
            prepared = self._prepare(path, relative, known.get(doc_id), stats, seen.get(doc_id))
            if prepared is None:
                continue
            batch.append(prepared)
            chunks += len(prepared.spans)
            if chunks >= size:
                yield batch
                batch, chunks, size = [], 0, min(2 * size, self.batch_chunks)
        listed.close()
        if batch:
            yield batch

    @staticmethod
    def _arrivals(arriving: Iterable[Path], files: dict[str, Path], root: str) -> Iterator[Path]:
        """The arriving article files not listed yet, each once; one outside the articles dir
        is not indexed."""
        for path in arriving:
            if path.stem in files:
                continue
            if not str(path).startswith(root) or path.suffix.lower() not in SUFFIXES:
                log.warning("not indexing %s: not an article file of %s", path, root)
                continue
            files[path.stem] = path
            yield path

    def _prepare(
        self,
        path: Path,
        relative: str,
        known: tuple[str, str] | None,
        stats: BuildStats,
        seen: str | None = None,
    ) -> _Prepared | None:
        """Load and chunk one article, or None when it is unchanged or unusable. `seen` is the
        stat its file had when its indexed version was read: the same stat is the same file
        (as git's index trusts it), and the file is not read again."""
        try:
            status = path.stat()
            if not S_ISREG(status.st_mode):  # became something else since it was listed
                return None
            stat = file_stat(status)
            if known and known[1] == relative and seen == stat:
                stats.unchanged += 1
                return None
            data = path.read_bytes()
            digest = file_hash(data)
            if settled(status):
                self._stats.append((path.stem, stat, digest, relative))
            if known == (digest, relative):
                stats.unchanged += 1
                return None
            article = replace(load(path, data, max_bytes=self.max_article_bytes), path=relative)
        except (ArticleError, OSError) as exc:
            log.warning("skipping %s", exc if isinstance(exc, ArticleError) else f"{path}: {exc}")
            stats.skipped += 1
            stats.skipped_files.append(str(path))
            return None
        header_tokens = self.embedder.count_tokens([article.title])[0]
        header = article.title if header_tokens <= MAX_HEADER_TOKENS else ""
        spans = [
            (s.start, s.end)
            for s in chunk(
                article.text,
                self.embedder.count_tokens,
                header_tokens=header_tokens if header else 0,
            )
        ]
        return _Prepared(
            article,
            spans,
            dedup.signature(article.text),
            known is None,
            header,
            language.of_document(article.text),
        )

    def _write(self, batch: list[_Prepared], stats: BuildStats) -> None:
        ids, texts, documents, metadatas = [], [], [], []
        for p in batch:
            a = p.article
            for seq, span in enumerate(p.spans):
                body = a.text[span[0] : span[1]]
                ids.append(chunk_id(a.doc_id, a.file_hash, seq))
                documents.append(body)
                texts.append(f"{p.header}\n\n{body}" if seq and p.header else body)
                metadatas.append(chunk_metadata(a, seq, span, p.language))
        self.catalog.add_pending([p.article.doc_id for p in batch])
        vectors = self.embedder.embed(texts)
        self.store.collection.upsert(
            ids=ids, embeddings=vectors, documents=documents, metadatas=metadatas
        )
        for p in batch:
            if p.is_new and p.article.doc_id not in self._pending:
                continue  # no older version can be in Chroma
            self.store.collection.delete(
                where={
                    "$and": [
                        {"doc_id": p.article.doc_id},
                        {"file_hash": {"$ne": p.article.file_hash}},
                    ]
                }
            )
        with self.catalog.transaction():
            for p in batch:
                self.catalog.put(p.article, p.minhash, p.spans)
            self.catalog.clear_pending([p.article.doc_id for p in batch])
            self.catalog.set_meta("dirty", "1")
        stats.embedded += len(ids)
        for p in batch:
            if p.is_new:
                stats.added += 1
                stats.added_ids.append(p.article.doc_id)
            else:
                stats.updated += 1

    def _publish(self) -> None:
        """After a change: clusters, stories, the keyword index and the generation, then clear
        `dirty`. Each step brings its part in step with the articles recorded, so a build
        killed part-way leaves `dirty` set and the next one finishes the work."""
        unsettled = self.catalog.unsettled()
        clusters = dedup.recluster(self.catalog, unsettled)
        for doc_id, old, ids in self.catalog.cluster_changes(clusters):
            new = clusters[doc_id] or doc_id
            log.debug("%s: cluster %s -> %s", doc_id, old, new)
            self.store.collection.update(ids=ids, metadatas=[{"cluster": new}] * len(ids))
        with self.catalog.transaction():
            self.catalog.settle(clusters, unsettled)
        stories.refresh(self.catalog, self.store, self.embedder)
        # The keyword index is saved for the next generation before Chroma announces it, so
        # a reader that sees the new generation finds its keyword index ready.
        generation = self.catalog.generation + 1
        keyword.KeywordIndex.update(
            self.store, self.data_dir, self.catalog.fingerprints(), generation
        )
        with self.catalog.transaction():
            self.catalog.bump_generation()
        self.store.set_generation(generation)
        self.catalog.set_meta("dirty", "")
