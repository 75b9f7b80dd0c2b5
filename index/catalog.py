"""The article catalog: what is indexed, from which file version, with which metadata.

SQLite beside the Chroma store. Chroma holds the chunks and vectors; the catalog records an
article only after its chunks are in Chroma, so after a crash it may lag Chroma, never lead:
the next build redoes the lagging articles, and deterministic chunk ids make that an upsert.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from newsdesk.index.articles import Article
from newsdesk.index.errors import DataDirError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY, path TEXT NOT NULL, file_hash TEXT NOT NULL,
    title TEXT NOT NULL, source TEXT, url TEXT, published TEXT, byline TEXT,
    text TEXT NOT NULL, minhash BLOB NOT NULL, cluster TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES articles(doc_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS pending (doc_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS stories (
    doc_id TEXT PRIMARY KEY, file_hash TEXT NOT NULL, story TEXT NOT NULL,
    vector BLOB NOT NULL, names TEXT NOT NULL
);
"""


def chunk_id(doc_id: str, file_hash: str, seq: int) -> str:
    """Deterministic: the same file version always yields the same chunk ids."""
    return f"{doc_id}:{file_hash[:16]}:{seq}"


def open_db(path: Path, schema: str) -> sqlite3.Connection:
    """A SQLite database of the data dir, in autocommit and WAL mode with foreign keys on,
    its `schema` created; DataDirError when the data dir cannot hold it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(schema)
    except (OSError, sqlite3.Error) as exc:
        raise DataDirError(f"cannot use the data dir ({exc})", path=path.parent) from exc
    return db


class Catalog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_db(path, SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- meta ----------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """Bumped by every build that changed something; derived indexes compare against it."""
        return int(self.get_meta("generation") or 0)

    def bump_generation(self) -> int:
        generation = self.generation + 1
        self.set_meta("generation", str(generation))
        return generation

    # -- articles ------------------------------------------------------------------------------

    def file_hashes(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (file_hash, path) of every indexed article."""
        rows = self.db.execute("SELECT doc_id, file_hash, path FROM articles")
        return {doc_id: (file_hash, path) for doc_id, file_hash, path in rows}

    def put(self, article: Article, minhash: bytes, spans: Iterable[tuple[int, int]]) -> None:
        self.delete(article.doc_id)
        self.db.execute(
            "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (
                article.doc_id,
                article.path,
                article.file_hash,
                article.title,
                article.source,
                article.url,
                article.published,
                article.byline,
                article.text,
                minhash,
            ),
        )
        self.db.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?)",
            [
                (chunk_id(article.doc_id, article.file_hash, seq), article.doc_id, seq, start, end)
                for seq, (start, end) in enumerate(spans)
            ],
        )

    def delete(self, doc_id: str) -> None:
        self.db.execute("DELETE FROM articles WHERE doc_id = ?", (doc_id,))

    def clear(self) -> None:
        self.db.execute("DELETE FROM articles")
        self.db.execute("DELETE FROM stories")

    def pending(self) -> list[str]:
        """Articles whose chunks may be in Chroma without the catalog knowing (a killed build)."""
        return [row[0] for row in self.db.execute("SELECT doc_id FROM pending")]

    def add_pending(self, doc_ids: Iterable[str]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(d,) for d in doc_ids])

    def clear_pending(self, doc_ids: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM pending WHERE doc_id = ?", [(d,) for d in doc_ids])

    def chunk_ids(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT id FROM chunks")]

    def cluster_changes(self, clusters: dict[str, str]) -> list[tuple[str, str, list[str]]]:
        """(doc_id, old cluster, its chunk ids) of every article whose cluster changes."""
        changes = []
        for doc_id, old in self.db.execute(
            "SELECT doc_id, COALESCE(cluster, doc_id) FROM articles"
        ):
            if clusters.get(doc_id, doc_id) != old:
                changes.append((doc_id, old, self.chunks_of(doc_id)))
        return changes

    def signatures(self) -> dict[str, bytes]:
        return dict(self.db.execute("SELECT doc_id, minhash FROM articles"))

    def set_clusters(self, clusters: dict[str, str]) -> None:
        self.db.execute("UPDATE articles SET cluster = NULL")
        self.db.executemany(
            "UPDATE articles SET cluster = ? WHERE doc_id = ?",
            [(cluster, doc_id) for doc_id, cluster in clusters.items()],
        )

    # -- stories (see `index.stories`) ---------------------------------------------------------

    def story_rows(self) -> dict[str, tuple[str, str, bytes, str]]:
        """doc_id -> (file_hash, story, vector, names) as the last grouping saw each article."""
        rows = self.db.execute("SELECT doc_id, file_hash, story, vector, names FROM stories")
        return {doc_id: (h, story, vector, n) for doc_id, h, story, vector, n in rows}

    def grouping_inputs(self, chars: int) -> list[tuple[str, str, str, str | None, str, str]]:
        """(doc_id, file_hash, title, published, opening `chars` of the text, cluster) of every
        article."""
        return list(
            self.db.execute(
                "SELECT doc_id, file_hash, title, published, substr(text, 1, ?), "
                "COALESCE(cluster, doc_id) FROM articles",
                (chars,),
            )
        )

    def opening_chunks(self, doc_ids: Iterable[str], chunks: int) -> dict[str, list[str]]:
        """doc_id -> the ids of its first `chunks` chunks."""
        found: dict[str, list[str]] = {}
        wanted = set(doc_ids)
        for doc_id, chunk in self.db.execute(
            "SELECT doc_id, id FROM chunks WHERE seq < ? ORDER BY doc_id, seq", (chunks,)
        ):
            if doc_id in wanted:
                found.setdefault(doc_id, []).append(chunk)
        return found

    def chunks_of(self, doc_id: str) -> list[str]:
        rows = self.db.execute("SELECT id FROM chunks WHERE doc_id = ? ORDER BY seq", (doc_id,))
        return [row[0] for row in rows]

    def put_stories(
        self, rows: Iterable[tuple[str, str, str, bytes, str]], gone: Iterable[str]
    ) -> None:
        """Save (doc_id, file_hash, story, vector, names) rows; forget the `gone` articles."""
        self.db.executemany("DELETE FROM stories WHERE doc_id = ?", [(d,) for d in gone])
        self.db.executemany("INSERT OR REPLACE INTO stories VALUES (?, ?, ?, ?, ?)", rows)

    def text(self, doc_id: str) -> str | None:
        row = self.db.execute("SELECT text FROM articles WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def counts(self) -> tuple[int, int]:
        articles = self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        chunks = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return articles, chunks
