"""The keyword (BM25) side of hybrid retrieval, kept in step with the Chroma collection.

Saved under the data dir as segments, as search engines keep an inverted index: each segment
is immutable (its chunks' ids, metadata and term counts), a manifest lists the live segments,
the rows of theirs that are dead, and the collection generation they match. A rebuild that
changed k articles writes one small segment with those articles' chunks, as Chroma holds them
now, and marks their old rows dead: its cost grows with k, not with the archive. When dead
rows or segments pile up, all segments are merged into one (from their term counts, without
re-reading Chroma). BM25's statistics (document frequencies, average length) are summed over
the live rows when a question is asked, so scores are those of one index built afresh.

Which articles to re-read is decided by a fingerprint of what can change in a chunk's row
(its file version, path, near-duplicate cluster and story), read from the catalog by the
build and from the chunks' own metadata otherwise. Each article is read in its own language
(`index.language`), and a question in its own. Whoever finds the saved index older than the
collection (the query side after a rebuild in another process) or unreadable rebuilds it from
Chroma; a build killed before it saved leaves `dirty` set, and the next build catches up.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from newsdesk.index import language
from newsdesk.index.store import GET_PAGE, Store

log = logging.getLogger(__name__)

FORMAT = 2  # of the saved index; another is rebuilt from Chroma
K1, B = 1.5, 0.75  # BM25 (Lucene's variant, as bm25s scores it by default)
MAX_SEGMENTS = 8  # more are merged into one
MAX_DEAD_SHARE = 0.25  # more dead rows than this share are merged away
KEEP_UNLISTED_SECONDS = 120  # a segment no manifest lists yet may be another writer's new one
DOCS_PER_GET = 200  # articles asked of Chroma at once when re-reading some

_KNOWN = set(STOPWORDS_EN)
_WORD = re.compile(r"[^\W\d_]{3,}")  # words the spelling correction may suggest


def tokenize(texts: list[str], languages: list[str] | None = None) -> list[list[str]]:
    """Each text's BM25 words, read in its language (English when not given)."""
    languages = languages or [language.DEFAULT] * len(texts)
    return [language.tokenize(t, lang) for t, lang in zip(texts, languages, strict=True)]


def fingerprint(file_hash: str, path: str, cluster: str, story: str) -> str:
    """What a chunk's row depends on besides its text: equal fingerprints, equal rows."""
    return f"{file_hash}|{path}|{cluster}|{story}"


def _fingerprint_of(meta: Mapping[str, Any]) -> str:
    doc_id = str(meta.get("doc_id", ""))
    return fingerprint(
        str(meta.get("file_hash", "")),
        str(meta.get("path", "")),
        str(meta.get("cluster") or doc_id),
        str(meta.get("story") or ""),
    )


@dataclass
class Segment:
    """Rows (chunks) and their term counts, column by column (a term's postings together)."""

    name: str
    ids: list[str]
    doc_ids: list[str]
    fingerprints: dict[str, str]  # doc_id -> fingerprint, as the segment was written
    metadatas: list[dict[str, Any]]
    words: list[str]  # distinct words of its texts, for spelling correction
    terms: list[str]
    lengths: np.ndarray  # words per row
    indptr: np.ndarray  # a term's postings: indices/counts[indptr[t] : indptr[t + 1]]
    indices: np.ndarray  # rows
    counts: np.ndarray  # occurrences of the term in the row
    _columns: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._columns = {term: k for k, term in enumerate(self.terms)}

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        column = self._columns.get(term)
        if column is None:
            return _EMPTY_INT, _EMPTY_FLOAT
        span = slice(self.indptr[column], self.indptr[column + 1])
        return self.indices[span], self.counts[span]

    @classmethod
    def make(cls, rows: Iterable[tuple[str, str, dict[str, Any]]]) -> Segment:
        """A segment of (chunk id, document, metadata) rows, read in each row's language."""
        ids: list[str] = []
        doc_ids: list[str] = []
        metadatas: list[dict[str, Any]] = []
        lengths: list[int] = []
        fingerprints: dict[str, str] = {}
        words: set[str] = set()
        columns: dict[str, int] = {}
        row_of: list[np.ndarray] = []
        column_of: list[np.ndarray] = []
        count_of: list[np.ndarray] = []
        for chunk_id, document, meta in rows:
            title = meta.get("title", "")
            text = document if meta.get("seq") == 0 else f"{title}\n{document}"
            tokens = language.tokenize(text, str(meta.get("language") or language.DEFAULT))
            counted = Counter(tokens)
            row = len(ids)
            ids.append(chunk_id)
            doc_ids.append(str(meta.get("doc_id", chunk_id)))
            metadatas.append(meta)
            fingerprints[doc_ids[-1]] = _fingerprint_of(meta)
            lengths.append(len(tokens))
            words.update(_WORD.findall(text.lower()))
            row_of.append(np.full(len(counted), row, dtype=np.int32))
            column_of.append(
                np.fromiter((columns.setdefault(t, len(columns)) for t in counted), np.int32)
            )
            count_of.append(np.fromiter(counted.values(), np.float32))
        return cls._from_triples(
            ids, doc_ids, fingerprints, metadatas, sorted(words), list(columns), lengths,
            _concat(row_of, np.int32), _concat(column_of, np.int32), _concat(count_of, np.float32),
        )  # fmt: skip

    @classmethod
    def _from_triples(
        cls,
        ids: list[str],
        doc_ids: list[str],
        fingerprints: dict[str, str],
        metadatas: list[dict[str, Any]],
        words: list[str],
        terms: list[str],
        lengths: list[int] | np.ndarray,
        rows: np.ndarray,
        columns: np.ndarray,
        counts: np.ndarray,
    ) -> Segment:
        order = np.lexsort((rows, columns))
        indptr = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(columns, minlength=len(terms)), out=indptr[1:])
        return cls(
            f"seg-{uuid.uuid4().hex[:12]}",
            ids,
            doc_ids,
            fingerprints,
            metadatas,
            words,
            terms,
            np.asarray(lengths, dtype=np.float32),
            indptr,
            rows[order],
            counts[order],
        )

    @classmethod
    def merge(cls, parts: list[tuple[Segment, np.ndarray]]) -> Segment:
        """One segment of the live rows (`alive` masks) of `parts`, from their term counts."""
        ids: list[str] = []
        doc_ids: list[str] = []
        metadatas: list[dict[str, Any]] = []
        fingerprints: dict[str, str] = {}
        lengths, rows, columns, counts = [], [], [], []
        terms: dict[str, int] = {}
        for segment, alive in parts:
            renumber = np.full(len(segment.ids), -1, dtype=np.int64)
            kept = np.flatnonzero(alive)
            renumber[kept] = np.arange(len(ids), len(ids) + len(kept))
            for k in kept.tolist():
                ids.append(segment.ids[k])
                doc_ids.append(segment.doc_ids[k])
                metadatas.append(segment.metadatas[k])
                fingerprints[segment.doc_ids[k]] = segment.fingerprints[segment.doc_ids[k]]
            lengths.append(segment.lengths[kept])
            term_ids = np.fromiter(
                (terms.setdefault(t, len(terms)) for t in segment.terms), np.int32
            )
            per_posting = np.repeat(term_ids, np.diff(segment.indptr))
            live = renumber[segment.indices] >= 0
            rows.append(renumber[segment.indices][live].astype(np.int32))
            columns.append(per_posting[live])
            counts.append(segment.counts[live])
        words = sorted({w for segment, _ in parts for w in segment.words})
        return cls._from_triples(
            ids, doc_ids, fingerprints, metadatas, words, list(terms),
            _concat(lengths, np.float32), _concat(rows, np.int32), _concat(columns, np.int32),
            _concat(counts, np.float32),
        )  # fmt: skip

    # -- on disk: a directory per segment, never changed once written ---------------------------

    def save(self, parent: Path) -> None:
        tmp = parent / f".tmp-{self.name}"
        tmp.mkdir(parents=True)
        rows = {"ids": self.ids, "doc_ids": self.doc_ids, "fingerprints": self.fingerprints}
        (tmp / "rows.json").write_text(json.dumps(rows))
        (tmp / "meta.json").write_text(
            json.dumps({"metadatas": self.metadatas, "words": self.words, "terms": self.terms})
        )
        with open(tmp / "postings.npz", "wb") as handle:
            np.savez(
                handle,
                lengths=self.lengths,
                indptr=self.indptr,
                indices=self.indices,
                counts=self.counts,
            )
        os.replace(tmp, parent / self.name)

    @staticmethod
    def rows(directory: Path) -> tuple[list[str], list[str], dict[str, str]]:
        """(ids, doc_ids, fingerprints) of a saved segment, without its counts or metadata."""
        rows = json.loads((directory / "rows.json").read_text())
        return rows["ids"], rows["doc_ids"], rows["fingerprints"]

    @classmethod
    def load(cls, directory: Path) -> Segment:
        ids, doc_ids, fingerprints = cls.rows(directory)
        meta = json.loads((directory / "meta.json").read_text())
        with np.load(directory / "postings.npz") as arrays:
            return cls(
                directory.name,
                ids,
                doc_ids,
                fingerprints,
                meta["metadatas"],
                meta["words"],
                meta["terms"],
                arrays["lengths"],
                arrays["indptr"],
                arrays["indices"],
                arrays["counts"],
            )


_EMPTY_INT = np.zeros(0, dtype=np.int32)
_EMPTY_FLOAT = np.zeros(0, dtype=np.float32)


def _concat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype=dtype)


@dataclass
class Manifest:
    generation: int
    segments: list[str]
    dead: dict[str, list[int]]  # segment -> its dead rows

    @staticmethod
    def path(directory: Path) -> Path:
        return directory / "manifest.json"

    @classmethod
    def read(cls, directory: Path) -> Manifest | None:
        try:
            raw = json.loads(cls.path(directory).read_text())
            if raw.get("format") != FORMAT:
                return None
            return cls(int(raw["generation"]), list(raw["segments"]), dict(raw["dead"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, directory: Path) -> None:
        """Atomically: a reader sees the old manifest or this one, never half of either."""
        body = {
            "format": FORMAT,
            "generation": self.generation,
            "segments": self.segments,
            "dead": self.dead,
        }
        tmp = directory / f".tmp-manifest-{uuid.uuid4().hex[:8]}"
        tmp.write_text(json.dumps(body))
        os.replace(tmp, self.path(directory))


class KeywordIndex:
    """The live rows of a manifest's segments, searchable with BM25."""

    def __init__(
        self, generation: int, segments: list[Segment], dead: Mapping[str, Iterable[int]]
    ) -> None:
        self.generation = generation
        self.segments = segments
        self.alive: list[np.ndarray] = []  # per segment: is each row live
        self.rows: list[np.ndarray] = []  # per segment: each row's place among the live rows
        self.ids: list[str] = []
        self.metadatas: list[dict[str, Any]] = []
        for segment in segments:
            alive = np.ones(len(segment.ids), dtype=bool)
            alive[list(dead.get(segment.name, ()))] = False
            rows = np.full(len(segment.ids), -1, dtype=np.int64)
            kept = np.flatnonzero(alive)
            rows[kept] = np.arange(len(self.ids), len(self.ids) + len(kept))
            self.alive.append(alive)
            self.rows.append(rows)
            self.ids.extend(segment.ids[k] for k in kept.tolist())
            self.metadatas.extend(segment.metadatas[k] for k in kept.tolist())
        lengths = [s.lengths[a] for s, a in zip(segments, self.alive, strict=True)]
        self.lengths = _concat(lengths, np.float32)
        self.average_length = float(self.lengths.mean()) if len(self.lengths) else 0.0
        self.words = sorted({w for s in segments for w in s.words})
        self.outlets = {m["source_key"]: m["source"] for m in self.metadatas if m.get("source")}
        self._known = set(self.words)
        self._by_initial: dict[str, list[str]] = {}
        for word in self.words:
            self._by_initial.setdefault(word[0], []).append(word)

    # -- kept in step with Chroma -----------------------------------------------------------------

    @staticmethod
    def directory(store: Store, data_dir: Path) -> Path:
        return data_dir / "keyword" / store.name

    @classmethod
    def forget(cls, store: Store, data_dir: Path) -> None:
        """Drop the saved index: the next update rebuilds it from the collection."""
        with contextlib.suppress(FileNotFoundError):
            Manifest.path(cls.directory(store, data_dir)).unlink()

    @classmethod
    def refresh(cls, store: Store, data_dir: Path, generation: int | None = None) -> KeywordIndex:
        """Rebuild from the whole collection and save it as one segment."""
        generation = store.generation if generation is None else generation
        segment = Segment.make(_text_rows(store.all_chunks()))
        segments = [segment] if segment.ids else []
        manifest = Manifest(generation, [s.name for s in segments], {})
        _save(cls.directory(store, data_dir), manifest, segments)
        return cls(generation, segments, {})

    @classmethod
    def update(
        cls, store: Store, data_dir: Path, wanted: Mapping[str, str], generation: int
    ) -> None:
        """Bring the saved index in step with the collection, whose articles and their
        fingerprints are `wanted` (the catalog's), re-reading from Chroma only the articles
        whose fingerprint changed, and save it for `generation`. Reads only the segments'
        lists of rows, unless they are due to be merged."""
        directory = cls.directory(store, data_dir)
        manifest = Manifest.read(directory)
        try:
            rows = {n: Segment.rows(directory / n) for n in manifest.segments} if manifest else {}
        except (OSError, ValueError, KeyError) as exc:
            log.debug("keyword index unreadable (%s); rebuilding it", exc)
            manifest = None
        if manifest is None:
            cls.refresh(store, data_dir, generation)
            return
        dead = {n: set(r) for n, r in manifest.dead.items()}
        held: dict[str, str] = {}  # doc_id -> fingerprint of its live rows
        for name, (_, doc_ids, fingerprints) in rows.items():
            gone = dead.get(name, set())
            held.update((d, fingerprints[d]) for k, d in enumerate(doc_ids) if k not in gone)
        stale = {d for d, fp in wanted.items() if held.get(d) != fp}
        drop = stale | (set(held) - set(wanted))
        for name, (_, doc_ids, _) in rows.items():
            dropped = [k for k, d in enumerate(doc_ids) if d in drop]
            if dropped:
                dead.setdefault(name, set()).update(dropped)
        added = Segment.make(_text_rows(_chunks_of(store, sorted(stale))))
        names = [*manifest.segments, added.name] if added.ids else manifest.segments
        manifest = Manifest(generation, names, {n: sorted(r) for n, r in dead.items() if r})
        total = sum(len(ids) for ids, _, _ in rows.values()) + len(added.ids)
        dead_rows = sum(len(r) for r in manifest.dead.values())
        if len(names) <= MAX_SEGMENTS and dead_rows <= MAX_DEAD_SHARE * total:
            _save(directory, manifest, [added] if added.ids else [])
            return
        segments = [Segment.load(directory / n) for n in rows]
        segments += [added] if added.ids else []
        alive = cls(generation, segments, manifest.dead).alive
        merged = Segment.merge(list(zip(segments, alive, strict=True)))
        kept = [merged] if merged.ids else []
        _save(directory, Manifest(generation, [s.name for s in kept], {}), kept)

    @classmethod
    def load(cls, store: Store, data_dir: Path) -> KeywordIndex:
        """The saved index if it matches the collection's generation, else a fresh one."""
        directory = cls.directory(store, data_dir)
        generation = store.generation
        for _ in range(2):  # a writer may retire a segment between manifest and segments
            manifest = Manifest.read(directory)
            if manifest is None or manifest.generation != generation:
                break
            try:
                segments = [Segment.load(directory / name) for name in manifest.segments]
                return cls(manifest.generation, segments, manifest.dead)
            except (OSError, ValueError, KeyError) as exc:
                log.debug("keyword index unreadable (%s)", exc)
        return cls.refresh(store, data_dir, generation)

    # -- asking -----------------------------------------------------------------------------------

    def correct(self, query: str) -> str:
        """The query with words the articles never use replaced by a close word they do use
        ("secretery" -> "secretary"), so misspelled questions still find their articles.
        English questions only: in another language, a word the articles never use is more
        often a right word than a wrong one (a question in Ukrainian over English articles)."""
        if language.of_question(query) != language.DEFAULT:
            return query

        def fix(match: re.Match[str]) -> str:
            word = match.group()
            lower = word.lower()
            if len(lower) < 4 or lower in _KNOWN or lower in self._known:
                return word
            close = difflib.get_close_matches(
                lower, self._by_initial.get(lower[0], []), n=1, cutoff=0.8
            )
            return close[0] if close else word

        return re.sub(r"[^\W\d_]+", fix, query)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, score) of the best `k` chunks with a positive score; `mask` zeroes rows out."""
        if not self.ids:
            return []
        scores = np.zeros(len(self.ids), dtype=np.float64)
        for term in language.tokenize(query, language.of_question(query)):
            found = []
            for segment, rows in zip(self.segments, self.rows, strict=True):
                local, counts = segment.postings(term)
                where = rows[local]
                live = where >= 0
                found.append((where[live], counts[live]))
            frequency = sum(len(w) for w, _ in found)
            if not frequency:
                continue
            idf = np.log(1 + (len(self.ids) - frequency + 0.5) / (frequency + 0.5))
            for where, counts in found:
                norm = K1 * (1 - B + B * self.lengths[where] / self.average_length)
                scores[where] += idf * counts / (counts + norm)
        if mask is not None:
            scores *= mask
        best = np.argsort(-scores, kind="stable")[: min(k, len(scores))]
        return [(int(row), float(scores[row])) for row in best if scores[row] > 0]


def _text_rows(
    chunks: Iterable[tuple[str, str | None, dict[str, Any]]],
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Chroma's rows with a language: chunks written before the build recorded it are told
    it from their article's opening text (what the first of its chunks says)."""
    told: dict[str, str] = {}
    for chunk_id, document, meta in chunks:
        if not meta.get("language"):
            doc_id = str(meta.get("doc_id", chunk_id))
            if doc_id not in told:
                told[doc_id] = language.of_document(document or "")
            meta = {**meta, "language": told[doc_id]}
        yield chunk_id, document or "", meta


def _chunks_of(
    store: Store, doc_ids: list[str]
) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
    """Every chunk of these articles, as Chroma holds them now, a page of articles at a time."""
    for first in range(0, len(doc_ids), DOCS_PER_GET):
        wanted = doc_ids[first : first + DOCS_PER_GET]
        offset = 0
        while True:
            page = store.collection.get(
                where={"doc_id": {"$in": wanted}},
                include=["documents", "metadatas"],
                limit=GET_PAGE,
                offset=offset,
            )
            yield from zip(page["ids"], page["documents"], page["metadatas"], strict=True)
            if len(page["ids"]) < GET_PAGE:
                break
            offset += GET_PAGE


def _save(directory: Path, manifest: Manifest, new: list[Segment]) -> None:
    """Write the `new` segments, then the manifest that lists them, unless a newer one (a
    build's) is there already; then clear away what no manifest lists. The saved index is a
    cache of the collection: when it cannot be written, the next reader rebuilds it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        saved = Manifest.read(directory)
        if saved is not None and saved.generation > manifest.generation:
            return
        for segment in new:
            segment.save(directory)
        manifest.write(directory)
        _collect(directory, set(manifest.segments))
    except OSError as exc:
        log.debug("keyword index not saved (%s); another process may be saving it", exc)


def _collect(directory: Path, listed: set[str]) -> None:
    """Delete what the manifest does not list: retired segments, and what a killed writer or
    an older format left, unless new enough to be another writer's work in progress."""
    now = time.time()
    for path in directory.iterdir():
        if path.name in listed or path.name == "manifest.json":
            continue
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > KEEP_UNLISTED_SECONDS:
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
