from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import Popen

import pytest

from newsdesk.index import build
from newsdesk.index.app import Newsdesk
from newsdesk.index.errors import IndexBusy
from newsdesk.index.keyword import KeywordIndex
from newsdesk.index.store import build_lock, collection_name

from support import CountingEmbedding, cli_process

MakeApp = Callable[..., Newsdesk]
CHANGED = "000_a6a0d073fde4603f"


def chunk_set(app: Newsdesk) -> dict[str, str]:
    """id -> sha256 of the document, for every chunk in Chroma."""
    return {
        i: hashlib.sha256((doc or "").encode()).hexdigest()
        for i, doc, _ in app.store.all_chunks(include=("documents",))
    }


def docs_in_chroma(app: Newsdesk) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, _, meta in app.store.all_chunks(include=("metadatas",)):
        counts[meta["doc_id"]] = counts.get(meta["doc_id"], 0) + 1
    return counts


def test_every_rebuild_case_with_exact_counts(
    make_app: MakeApp, articles: Path, chroma: dict[str, object]
) -> None:
    counting = CountingEmbedding()
    app = make_app(embed=counting, **chroma)
    first = app.build()
    assert (first.added, first.updated, first.removed, first.unchanged) == (4, 0, 0, 0)
    per_doc = docs_in_chroma(app)
    assert first.chunks == sum(per_doc.values()) == app.store.count() == counting.embedded
    assert len(per_doc) == 4

    counting.calls.clear()
    before = chunk_set(app)
    again = app.build()
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 4)
    assert counting.embedded == 0, "nothing unchanged is re-embedded"
    assert chunk_set(app) == before, "an unchanged rebuild leaves every chunk as it was"

    path = articles / f"{CHANGED}.txt"
    path.write_text(path.read_text() + "\n\nA correction was appended to this story later.\n")
    changed = app.build()
    assert (changed.added, changed.updated, changed.removed, changed.unchanged) == (0, 1, 0, 3)
    assert counting.embedded == docs_in_chroma(app)[CHANGED], "only the changed article"
    docs = [d for _, d, m in app.store.all_chunks() if m["doc_id"] == CHANGED]
    assert any("A correction was appended" in d for d in docs)
    hashes = {m["file_hash"] for _, _, m in app.store.all_chunks() if m["doc_id"] == CHANGED}
    assert len(hashes) == 1, "the old version's chunks are gone"

    (articles / "sub").mkdir()
    (articles / "sub" / "new_story.md").write_text(
        "# Zanzibar ferry strike ends\n\nThe ferry strike in Zanzibar ended on Monday.\n"
    )
    added = app.build()
    assert (added.added, added.updated, added.removed, added.unchanged) == (1, 0, 0, 4)

    (articles / "002_1436df419da835d7.txt").unlink()
    removed = app.build()
    assert (removed.added, removed.updated, removed.removed, removed.unchanged) == (0, 0, 1, 4)
    assert "002_1436df419da835d7" not in docs_in_chroma(app)
    assert "002_1436df419da835d7" not in {s.doc_id for s in app.sources()}
    assert removed.chunks == app.store.count() == sum(docs_in_chroma(app).values())


def test_an_unchanged_file_is_known_by_its_stat_and_a_rewrite_is_not(
    make_app: MakeApp, articles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As git's index: a file whose size, times and inode are those recorded when its indexed
    version was read is not read again; rewriting it (even to the same size, with its mtime
    set back) changes its ctime, and it is read. A file changed within RACY_SECONDS of being
    read gets no record, so it is read again next time."""
    reads: list[Path] = []
    read_bytes = Path.read_bytes

    def counted(path: Path) -> bytes:
        reads.append(path)
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", counted)
    app = make_app()
    monkeypatch.setattr(build, "RACY_SECONDS", 3600)  # every file is "just changed"
    app.build()
    reads.clear()
    assert app.build().unchanged == 4 and len(reads) == 4, "no record: every file is read"
    monkeypatch.setattr(build, "RACY_SECONDS", 0)
    app.build()  # reads them once more, and records their stats
    reads.clear()
    assert app.build().unchanged == 4 and reads == [], "same stats: nothing is read"

    path = articles / f"{CHANGED}.txt"
    text, before = path.read_text(), path.stat()
    path.write_text(text.replace("Kremlin", "KREMLIN", 1))  # the same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same mtime
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    rebuilt = app.build()
    assert (rebuilt.updated, rebuilt.unchanged) == (1, 3) and reads == [path]
    assert "KREMLIN" in (app.catalog.text(CHANGED) or "")


def test_broken_files_are_skipped_and_the_build_goes_on(
    make_app: MakeApp,
    articles: Path,
    caplog: pytest.LogCaptureFixture,
    chroma: dict[str, object],
) -> None:
    (articles / "image.txt").write_bytes(b"\x89PNG\x00\x00\x00" * 100)
    (articles / "empty.md").write_text("")
    (articles / "dir.html").mkdir()  # a directory with an article's name is not an article
    stats = make_app(**chroma).build()
    assert (stats.added, stats.skipped) == (4, 2)
    warnings = sorted(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert len(warnings) == 2
    assert "empty.md" in warnings[0] and "image.txt" in warnings[1]


def test_files_arriving_during_a_build_are_indexed_once_and_only_from_the_folder(
    make_app: MakeApp,
    articles: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    app.build()

    def arriving() -> Iterator[Path]:
        """Files written while the build reads the folder, as a feed's pages are."""
        for n in range(3):
            path = articles / f"late_{n}.md"
            path.write_text(f"# Late story {n}\n\nThe ferry to island {n} sailed late.\n")
            yield path
        yield articles / "late_0.md"  # told twice
        yield articles / f"{CHANGED}.txt"  # listed already, unchanged
        outside = tmp_path / "elsewhere.md"
        outside.write_text("# Not in the folder\n\nThis file is outside the articles dir.\n")
        yield outside

    stats = app.build(arriving=arriving())
    assert (stats.added, stats.updated, stats.unchanged) == (3, 0, 4)
    assert sorted(stats.added_ids) == ["late_0", "late_1", "late_2"]
    assert set(docs_in_chroma(app)) == {*(p.stem for p in articles.glob("*.*"))}
    assert [r.getMessage() for r in caplog.records if "elsewhere.md" in r.getMessage()]
    again = app.build()
    assert (again.added, again.updated, again.unchanged) == (0, 0, 7)


def test_index_while_builds_what_a_fetch_saved_even_when_the_fetch_fails(
    make_app: MakeApp, articles: Path
) -> None:
    app = make_app()
    assert app.index_while(lambda saved: "nothing saved") == ("nothing saved", None)
    result, stats = app.index_while(lambda saved: "nothing saved", build=True)
    assert result == "nothing saved" and stats is not None and stats.added == 4

    def failing(saved: Callable[[Path], None]) -> None:
        path = articles / "late.md"
        path.write_text("# Late ferry\n\nThe island ferry sailed two hours late.\n")
        saved(path)
        raise RuntimeError("the feed broke")

    with pytest.raises(RuntimeError, match="the feed broke"):
        app.index_while(failing)
    assert "late" in {s.doc_id for s in app.sources()}


def test_an_unexpected_failure_mid_build_keeps_what_was_written_and_the_next_completes(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error no article file explains (memory, a bug) stops the build: the batches written
    before it stay indexed, the failing article is not, and the next build does the rest."""
    load, failing_id = build.load, "002_1436df419da835d7"

    def failing(path: Path, *args: object, **kwargs: object) -> object:
        if path.stem == failing_id:
            raise MemoryError("out of memory while reading")
        return load(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build, "load", failing)
    monkeypatch.setattr(build, "FIRST_BATCH_CHUNKS", 1)  # a batch per article
    app = make_app()
    with pytest.raises(MemoryError, match="out of memory"):
        app.build()
    assert set(docs_in_chroma(app)) == {"000_a6a0d073fde4603f", "001_680bcb4019dc53cb"}
    monkeypatch.setattr(build, "load", load)
    stats = app.build()
    assert (stats.added, stats.unchanged) == (2, 2)
    assert stats.chunks == app.store.count() == sum(docs_in_chroma(app).values())


def test_a_changed_embedding_model_rebuilds_everything(
    make_app: MakeApp,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    chroma: dict[str, object],
) -> None:
    app = make_app(**chroma)
    app.build()
    app.catalog.set_meta("model", "old-model-v0")
    old = app.store.client.get_or_create_collection(
        collection_name("old-model-v0"), embedding_function=None
    )
    old.add(ids=["x"], embeddings=[[0.0] * 384], documents=["stale"])
    counting = CountingEmbedding()
    app2 = make_app(embed=counting, **chroma)
    stats = app2.build()
    assert counting.embedded == stats.chunks == app2.store.count()
    assert any(
        "embedding model changed from old-model-v0" in r.getMessage() for r in caplog.records
    )
    names = {c.name for c in app2.store.client.list_collections()}
    assert collection_name("old-model-v0") not in names
    assert collection_name() in names


def test_full_rebuild_reembeds_and_yields_the_same_chunks(
    make_app: MakeApp, chroma: dict[str, object]
) -> None:
    counting = CountingEmbedding()
    app = make_app(embed=counting, **chroma)
    app.build()
    before = chunk_set(app)
    counting.calls.clear()
    stats = app.build(full=True)
    assert counting.embedded == len(before) == stats.chunks
    assert chunk_set(app) == before


def test_a_second_build_is_refused_while_one_runs(make_app: MakeApp, tmp_path: Path) -> None:
    app = make_app()
    with build_lock(tmp_path / "data"), pytest.raises(IndexBusy, match="another"):
        app.build()


def _write_corpus(directory: Path, n: int) -> None:
    rng = random.Random(7)
    words = [
        "minister",
        "talks",
        "ceasefire",
        "sanctions",
        "parliament",
        "election",
        "budget",
        "court",
        "ruling",
        "protest",
        "harbour",
        "ferry",
        "strike",
        "drought",
        "harvest",
        "energy",
        "prices",
        "summit",
        "envoy",
        "treaty",
        "border",
        "refugees",
        "inflation",
        "bank",
        "rates",
        "trade",
        "tariffs",
        "vaccine",
        "hospital",
    ]
    directory.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        sentences = [
            " ".join(rng.choice(words) for _ in range(14)).capitalize() + "." for _ in range(45)
        ]
        paragraphs = ["\n".join([f"Story {k} about {rng.choice(words)} and {rng.choice(words)}"])]
        paragraphs += [" ".join(sentences[i : i + 5]) for i in range(0, 45, 5)]
        (directory / f"story{k:03d}.txt").write_text("\n\n".join(paragraphs))


def _index_process(articles: Path, data: Path, chroma: dict[str, object]) -> Popen[str]:
    env = {"NEWSDESK_BUILD_BATCH": "32"}  # several batches, so kills land between them
    if chroma:
        env |= {
            "CHROMA_HOST": str(chroma["chroma_host"]),
            "CHROMA_PORT": str(chroma["chroma_port"]),
        }
    return cli_process(
        articles, data, "index", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _indexed_articles(data: Path) -> int:
    try:
        with sqlite3.connect(data / "catalog.sqlite3", timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("trial", range(3))
def test_a_killed_build_leaves_an_answering_index_and_the_next_completes_it(
    tmp_path: Path, make_app: MakeApp, trial: int, chroma: dict[str, object]
) -> None:
    corpus, data = tmp_path / "big", tmp_path / "data"
    _write_corpus(corpus, 24)
    # The reference is a clean build in the embedded store: ids and texts must match exactly.
    reference = make_app(articles_dir=corpus, data_dir=tmp_path / "reference")
    reference.build()

    first = _index_process(corpus, data, chroma)
    deadline = time.monotonic() + 120
    wanted = 1 + trial * 6  # kill after 1, 7 and 13 articles were recorded
    while _indexed_articles(data) < wanted and first.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(random.Random(trial).uniform(0, 0.3))  # somewhere inside the next batch
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert first.returncode == -signal.SIGKILL, "the build finished before it was killed"

    app = make_app(articles_dir=corpus, data_dir=data, **chroma)
    assert app.store.count() > 0
    hits = app.store.collection.query(
        query_embeddings=app.embedder.embed(["ferry strike"]), n_results=3
    )
    assert hits["ids"][0], "the killed index still answers"

    second = _index_process(corpus, data, chroma)
    assert second.wait(timeout=300) == 0, second.stderr.read() if second.stderr else ""
    assert chunk_set(app) == chunk_set(reference), "same chunks as a clean build, no duplicates"
    keyword = KeywordIndex.load(app.store, data)
    assert sorted(keyword.ids) == sorted(chunk_set(reference))


def test_a_crash_between_chroma_and_catalog_then_an_edit_leaves_no_stale_chunks(
    make_app: MakeApp, articles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()

    class Crash(BaseException):
        pass

    def crash(*args: object) -> None:
        raise Crash  # as if killed after Chroma took the chunks, before the catalog did

    monkeypatch.setattr(app.catalog, "put", crash)
    with pytest.raises(Crash):
        app.build()
    assert app.store.count() > 0 and app.catalog.counts() == (0, 0)
    monkeypatch.undo()

    path = articles / f"{CHANGED}.txt"
    path.write_text(path.read_text() + "\n\nA later edit of the story.\n")
    app.build()
    reference = make_app(data_dir=tmp_path / "reference")
    reference.build()
    assert chunk_set(app) == chunk_set(reference)


def test_a_changed_chunker_rechunks_everything(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    app.build()
    before = chunk_set(app)
    app.catalog.set_meta("chunker", "0")
    counting = CountingEmbedding()
    stats = make_app(embed=counting).build()
    assert counting.embedded == stats.chunks == len(before)
    assert chunk_set(app) == before, "same chunker code, same chunks, no leftovers"
    assert any("chunking changed (version 0 to" in r.getMessage() for r in caplog.records)
    assert app.catalog.get_meta("chunker") != "0"
