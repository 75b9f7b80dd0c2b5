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

from newsdesk.index import dedup
from newsdesk.index.articles import Article
from newsdesk.index.errors import DataDirError
from newsdesk.index.keyword import fingerprint

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
CREATE INDEX IF NOT EXISTS articles_cluster ON articles(cluster);
CREATE TABLE IF NOT EXISTS bands (
    doc_id TEXT NOT NULL REFERENCES articles(doc_id) ON DELETE CASCADE,
    band INTEGER NOT NULL, key BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS bands_key ON bands(band, key);
CREATE INDEX IF NOT EXISTS bands_doc ON bands(doc_id);
CREATE TABLE IF NOT EXISTS unsettled (doc_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS stories (
    doc_id TEXT PRIMARY KEY, file_hash TEXT NOT NULL, story TEXT NOT NULL,
    vector BLOB NOT NULL, names TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS stories_story ON stories(story);
CREATE TABLE IF NOT EXISTS file_stats (
    doc_id TEXT PRIMARY KEY REFERENCES articles(doc_id) ON DELETE CASCADE,
    stat TEXT NOT NULL
);
"""
SQL_PARAMS = 500  # values bound in one IN (...) list


BANDS_VERSION = f"{dedup.NUM_PERM}.{len(dedup.BANDS)}.{dedup.THRESHOLD}"  # of the bands table


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

    def file_stats(self) -> dict[str, str]:
        """doc_id -> the stat (`build.file_stat`) its file had when its hash was last read."""
        return dict(self.db.execute("SELECT doc_id, stat FROM file_stats"))

    def put_file_stats(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """Record (doc_id, stat, file_hash, path) where the catalog holds that very version of
        the file: a stat recorded for another version would hide the change."""
        self.db.executemany(
            "INSERT OR REPLACE INTO file_stats SELECT doc_id, ? FROM articles "
            "WHERE doc_id = ? AND file_hash = ? AND path = ?",
            [(stat, doc_id, hash_, path) for doc_id, stat, hash_, path in rows],
        )

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
            "INSERT INTO bands VALUES (?, ?, ?)",
            [(article.doc_id, band, key) for band, key in dedup.bands(minhash)],
        )
        self.db.execute("INSERT OR IGNORE INTO unsettled VALUES (?)", (article.doc_id,))
        self.db.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?)",
            [
                (chunk_id(article.doc_id, article.file_hash, seq), article.doc_id, seq, start, end)
                for seq, (start, end) in enumerate(spans)
            ],
        )

    def delete(self, doc_id: str) -> None:
        """Forget an article; its cluster is left to be settled again (it may split)."""
        self.db.execute(
            "INSERT OR IGNORE INTO unsettled SELECT doc_id FROM articles WHERE cluster = "
            "(SELECT cluster FROM articles WHERE doc_id = ?)",
            (doc_id,),
        )
        self.db.execute("DELETE FROM articles WHERE doc_id = ?", (doc_id,))

    def clear(self) -> None:
        self.db.execute("DELETE FROM articles")
        self.db.execute("DELETE FROM stories")
        self.db.execute("DELETE FROM unsettled")

    def pending(self) -> list[str]:
        """Articles whose chunks may be in Chroma without the catalog knowing (a killed build)."""
        return [row[0] for row in self.db.execute("SELECT doc_id FROM pending")]

    def add_pending(self, doc_ids: Iterable[str]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(d,) for d in doc_ids])

    def clear_pending(self, doc_ids: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM pending WHERE doc_id = ?", [(d,) for d in doc_ids])

    def chunk_ids(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT id FROM chunks")]

    def cluster_changes(self, clusters: dict[str, str | None]) -> list[tuple[str, str, list[str]]]:
        """(doc_id, old cluster, its chunk ids) of the articles in `clusters` (doc_id -> its
        cluster, None when alone) whose cluster changes."""
        changes = []
        for doc_id, new in clusters.items():
            row = self.db.execute(
                "SELECT COALESCE(cluster, doc_id) FROM articles WHERE doc_id = ?", (doc_id,)
            ).fetchone()
            if row and row[0] != (new or doc_id):
                changes.append((doc_id, row[0], self.chunks_of(doc_id)))
        return changes

    def signatures_of(self, doc_ids: Iterable[str]) -> dict[str, bytes]:
        """doc_id -> MinHash signature of those of `doc_ids` that are indexed."""
        found = {}
        for doc_id in doc_ids:
            row = self.db.execute(
                "SELECT minhash FROM articles WHERE doc_id = ?", (doc_id,)
            ).fetchone()
            if row:
                found[doc_id] = row[0]
        return found

    def candidates(self, doc_id: str) -> dict[str, bytes]:
        """doc_id -> signature of the articles sharing an LSH band with `doc_id`."""
        rows = self.db.execute(
            "SELECT DISTINCT o.doc_id, a.minhash FROM bands b "
            "JOIN bands o ON o.band = b.band AND o.key = b.key AND o.doc_id != b.doc_id "
            "JOIN articles a ON a.doc_id = o.doc_id WHERE b.doc_id = ?",
            (doc_id,),
        )
        return dict(rows)

    def cluster_mates(self, doc_ids: Iterable[str]) -> set[str]:
        """`doc_ids` and every article in a cluster with one of them."""
        found = set(doc_ids)
        for doc_id in list(found):
            found.update(
                row[0]
                for row in self.db.execute(
                    "SELECT doc_id FROM articles WHERE cluster = "
                    "(SELECT cluster FROM articles WHERE doc_id = ?)",
                    (doc_id,),
                )
            )
        return found

    def unsettled(self) -> set[str]:
        """Articles whose cluster may have changed: added or changed ones, and the members
        of a cluster one left. Articles indexed before bands were kept get theirs here."""
        if self.get_meta("bands") != BANDS_VERSION:
            with self.transaction():
                self.db.execute("DELETE FROM bands")
                for doc_id, minhash in self.db.execute(
                    "SELECT doc_id, minhash FROM articles"
                ).fetchall():
                    self.db.executemany(
                        "INSERT INTO bands VALUES (?, ?, ?)",
                        [(doc_id, band, key) for band, key in dedup.bands(minhash)],
                    )
                self.set_meta("bands", BANDS_VERSION)
        return {row[0] for row in self.db.execute("SELECT doc_id FROM unsettled")}

    def settle(self, clusters: dict[str, str | None], unsettled: Iterable[str]) -> None:
        """Record the `clusters` (doc_id -> cluster, None when alone) and that the
        `unsettled` articles are settled."""
        self.db.executemany(
            "UPDATE articles SET cluster = ? WHERE doc_id = ?",
            [(cluster, doc_id) for doc_id, cluster in clusters.items()],
        )
        self.db.executemany("DELETE FROM unsettled WHERE doc_id = ?", [(d,) for d in unsettled])

    def fingerprints(self) -> dict[str, str]:
        """doc_id -> what its chunks' rows in Chroma depend on besides their text (file
        version, path, cluster, story), as `index.keyword` compares it."""
        rows = self.db.execute(
            "SELECT a.doc_id, a.file_hash, a.path, COALESCE(a.cluster, a.doc_id), "
            "COALESCE(s.story, '') FROM articles a LEFT JOIN stories s ON s.doc_id = a.doc_id"
        )
        return {doc_id: fingerprint(h, path, c, story) for doc_id, h, path, c, story in rows}

    # -- stories (see `index.stories`) ---------------------------------------------------------

    def story_rows(self) -> dict[str, tuple[str, str, bytes, str]]:
        """doc_id -> (file_hash, story, vector, names) as the last grouping saw each article."""
        rows = self.db.execute("SELECT doc_id, file_hash, story, vector, names FROM stories")
        return {doc_id: (h, story, vector, n) for doc_id, h, story, vector, n in rows}

    def story_heads(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (file_hash, story) as the last grouping saw each article."""
        rows = self.db.execute("SELECT doc_id, file_hash, story FROM stories")
        return {doc_id: (h, story) for doc_id, h, story in rows}

    def story_members(self, stories: Iterable[str]) -> list[tuple[str, str, bytes, str]]:
        """(doc_id, story, vector, names) of the articles of `stories`, in the order they
        were grouped."""
        wanted = sorted(set(stories))
        rows: list[tuple[int, str, str, bytes, str]] = []
        for first in range(0, len(wanted), SQL_PARAMS):
            part = wanted[first : first + SQL_PARAMS]
            rows += self.db.execute(
                "SELECT rowid, doc_id, story, vector, names FROM stories "
                f"WHERE story IN ({', '.join('?' * len(part))})",
                part,
            )
        return [row[1:] for row in sorted(rows)]

    def article_heads(self) -> dict[str, tuple[str, str | None, str]]:
        """doc_id -> (file_hash, published, cluster, or the doc_id itself) of every article."""
        rows = self.db.execute(
            "SELECT doc_id, file_hash, published, COALESCE(cluster, doc_id) FROM articles"
        )
        return {doc_id: (h, published, cluster) for doc_id, h, published, cluster in rows}

    def grouping_inputs(self, chars: int, doc_ids: Iterable[str]) -> dict[str, str]:
        """doc_id -> the opening `chars` of its text, for `doc_ids`."""
        found = {}
        for doc_id in doc_ids:
            row = self.db.execute(
                "SELECT substr(text, 1, ?) FROM articles WHERE doc_id = ?", (chars, doc_id)
            ).fetchone()
            if row:
                found[doc_id] = row[0]
        return found

    def opening_chunks(self, doc_ids: Iterable[str], chunks: int) -> dict[str, list[str]]:
        """doc_id -> the ids of its first `chunks` chunks."""
        found: dict[str, list[str]] = {}
        for doc_id in doc_ids:
            rows = self.db.execute(
                "SELECT id FROM chunks WHERE doc_id = ? AND seq < ? ORDER BY seq", (doc_id, chunks)
            )
            if ids := [chunk for (chunk,) in rows]:
                found[doc_id] = ids
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
