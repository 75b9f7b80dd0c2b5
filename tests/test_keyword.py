"""The BM25 side of retrieval: built from the Chroma collection, saved under the data dir as
segments, updated by a rebuild from the changed articles alone and always equal to an index
built afresh, reloaded only when the collection's generation moved; and the spelling
correction it offers."""

from __future__ import annotations

import os
import random
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import pytest

from newsdesk.index import keyword as keyword_module
from newsdesk.index.app import Newsdesk
from newsdesk.index.config import Settings
from newsdesk.index.embeddings import MiniLMEmbedding
from newsdesk.index.keyword import KeywordIndex, Manifest
from newsdesk.index.store import Store, make_client

from support import SAMPLE

MakeApp = Callable[..., Newsdesk]
KREMLIN = "000_a6a0d073fde4603f"
CALIBER = "003_82cedb1ca88c2249"
ZANZIBAR = "Zanzibar ferry strike ends\n\nThe Zanzibar ferry strike ended on Monday."


def copy_of(sample: Newsdesk, data: Path) -> Store:
    """The sample's chunks, vectors and generation in an embedded store of the test's own."""
    rows = sample.store.collection.get(include=["embeddings", "documents", "metadatas"])
    store = Store(make_client(Settings(data_dir=data)))
    store.collection.add(
        ids=rows["ids"],
        embeddings=rows["embeddings"],
        documents=rows["documents"],
        metadatas=rows["metadatas"],
    )
    store.set_generation(sample.store.generation)
    return store


def add_zanzibar(store: Store, embedder: MiniLMEmbedding) -> None:
    store.collection.add(
        ids=["zanzibar:0000000000000000:0"],
        embeddings=embedder.embed([ZANZIBAR]),
        documents=[ZANZIBAR],
        metadatas=[{"doc_id": "zanzibar", "seq": 0, "title": "Zanzibar ferry strike ends"}],
    )


def loaded(sample: Newsdesk) -> KeywordIndex:
    return KeywordIndex.load(sample.store, sample.settings.data_dir)


def saved_files(directory: Path) -> set[str]:
    """The kinds of file in a saved index's directory (segments by their prefix)."""
    return {"seg-" if name.startswith("seg-") else name for name in os.listdir(directory)}


def searchable(sample: Newsdesk) -> dict[str, str]:
    """chunk id -> the lower-cased text BM25 indexes: the title is repeated before every chunk
    but the first, which begins with it."""
    return {
        i: ((meta["title"] + "\n" if meta["seq"] else "") + (doc or "")).lower()
        for i, doc, meta in sample.store.all_chunks()
    }


# -- building and loading --------------------------------------------------------------------


def test_load_uses_the_saved_index_while_the_generation_matches(
    sample: Newsdesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build saved the index; loading it reads no chunk from the collection."""

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the collection was read")

    monkeypatch.setattr(sample.store, "all_chunks", no_reading)
    keyword = loaded(sample)
    assert keyword.generation == sample.store.generation == 1
    assert sorted(keyword.ids) == sorted(sample.store.collection.get(include=[])["ids"])


def test_every_chunk_is_indexed_with_its_article_metadata(sample: Newsdesk) -> None:
    keyword = loaded(sample)
    stored = sample.store.collection.get(ids=keyword.ids, include=["metadatas"])
    by_id = dict(zip(stored["ids"], stored["metadatas"], strict=True))
    assert len(keyword.ids) == len(keyword.metadatas) == sample.store.count()
    for chunk_id, meta in zip(keyword.ids, keyword.metadatas, strict=True):
        assert meta == by_id[chunk_id]
        assert chunk_id.startswith(f"{meta['doc_id']}:")
    assert {m["doc_id"] for m in keyword.metadatas} == {p.stem for p in SAMPLE.glob("*.txt")}


def test_the_vocabulary_is_every_distinct_word_of_three_letters_or_more(
    sample: Newsdesk,
) -> None:
    words = loaded(sample).words
    assert words == sorted(set(words))
    assert all(re.fullmatch(r"[^\W\d_]{3,}", w) and w == w.lower() for w in words)
    assert {"unsuccessful", "ushakov", "peskov", "secretary"} <= set(words)
    assert not {"of", "us", "2026"} & set(words)


def test_a_moved_generation_makes_load_rebuild_from_the_collection(
    sample: Newsdesk, tmp_path: Path, embedder: MiniLMEmbedding
) -> None:
    """Chunks added without moving the generation stay unseen; once it moves, load rebuilds
    and saves the index under the new generation."""
    data = tmp_path / "data"
    store = copy_of(sample, data)
    assert KeywordIndex.load(store, data).search("Zanzibar ferry", 5) == []
    add_zanzibar(store, embedder)
    assert KeywordIndex.load(store, data).search("Zanzibar ferry", 5) == []
    store.set_generation(2)
    keyword = KeywordIndex.load(store, data)
    assert keyword.generation == 2
    assert [keyword.ids[row] for row, _ in keyword.search("Zanzibar ferry", 5)] == [
        "zanzibar:0000000000000000:0"
    ]
    saved = Manifest.read(KeywordIndex.directory(store, data))
    assert saved is not None and saved.generation == 2
    assert "zanzibar:0000000000000000:0" in KeywordIndex.load(store, data).ids


def test_keyword_index_follows_every_rebuild(
    make_app: MakeApp, articles: Path, tmp_path: Path, chroma: dict[str, object]
) -> None:
    app = make_app(**chroma)
    app.build()
    data = tmp_path / "data"
    assert KeywordIndex.load(app.store, data).search("Zanzibar ferry", 5) == []
    (articles / "zanzibar.txt").write_text("Zanzibar ferry strike ends\n\nThe strike is over.")
    app.build()
    keyword = KeywordIndex.load(app.store, data)
    assert keyword.generation == app.store.generation
    hits = keyword.search("Zanzibar ferry", 5)
    assert [keyword.metadatas[row]["doc_id"] for row, _ in hits] == ["zanzibar"]
    (articles / "zanzibar.txt").unlink()
    app.build()
    assert KeywordIndex.load(app.store, data).search("Zanzibar ferry", 5) == []


@pytest.mark.parametrize("damage", ["truncated manifest", "a segment missing", "no directory"])
def test_a_damaged_saved_index_is_rebuilt(sample: Newsdesk, tmp_path: Path, damage: str) -> None:
    data = tmp_path / "data"
    store = copy_of(sample, data)
    directory = KeywordIndex.directory(store, data)
    intact = KeywordIndex.load(store, data).search("Watson", 5)
    assert intact
    manifest = Manifest.read(directory)
    assert manifest is not None and len(manifest.segments) == 1
    if damage == "truncated manifest":
        Manifest.path(directory).write_text('{"format": 2, "generation": 1, "segm')
    elif damage == "a segment missing":
        shutil.rmtree(directory / manifest.segments[0])
    else:
        shutil.rmtree(directory)
    keyword = KeywordIndex.load(store, data)
    assert keyword.search("Watson", 5) == intact
    rebuilt = Manifest.read(directory)
    assert rebuilt is not None and rebuilt.generation == 1
    assert all((directory / name / "postings.npz").is_file() for name in rebuilt.segments)


def test_saving_replaces_the_index_and_leaves_no_temporary_directories(
    sample: Newsdesk, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    store = copy_of(sample, data)
    for _ in range(3):
        KeywordIndex.refresh(store, data)
    assert os.listdir(data / "keyword") == [store.name]
    assert saved_files(KeywordIndex.directory(store, data)) <= {"manifest.json", "seg-"}


def test_saves_at_the_same_time_never_fail_and_leave_one_whole_index(
    sample: Newsdesk, tmp_path: Path
) -> None:
    """A rebuild and a bot that sees its new generation may save at once (processes in real
    life; threads here, which collide on the same names the same way)."""
    data = tmp_path / "data"
    store = copy_of(sample, data)
    errors: list[BaseException] = []

    def save_often() -> None:
        try:
            for _ in range(15):
                KeywordIndex.refresh(store, data)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save_often) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert os.listdir(data / "keyword") == [store.name], "no temporary or old copy left"
    assert saved_files(KeywordIndex.directory(store, data)) == {"manifest.json", "seg-"}
    assert sorted(KeywordIndex.load(store, data).ids) == sorted(loaded(sample).ids)


def test_an_empty_collection_gives_an_index_that_finds_and_corrects_nothing(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    store = Store(make_client(Settings(data_dir=data)))
    for keyword in (KeywordIndex.refresh(store, data), KeywordIndex.load(store, data)):
        assert (keyword.ids, keyword.segments, keyword.words) == ([], [], [])
        assert keyword.search("Powell", 5) == []
        assert keyword.correct("secretery") == "secretery"


# -- searching -------------------------------------------------------------------------------


def test_a_word_only_in_a_title_finds_every_chunk_of_that_article(sample: Newsdesk) -> None:
    keyword = loaded(sample)
    kremlin = {
        i for i, m in zip(keyword.ids, keyword.metadatas, strict=True) if m["doc_id"] == KREMLIN
    }
    assert (SAMPLE / f"{KREMLIN}.txt").read_text().lower().count("unsuccessful") == 1
    assert len(kremlin) > 1, "more than the chunk that begins with the title"
    assert {keyword.ids[row] for row, _ in keyword.search("unsuccessful", 20)} == kremlin


def test_hits_are_the_chunks_with_the_word_best_first(sample: Newsdesk) -> None:
    keyword = loaded(sample)
    hits = keyword.search("Watson", 20)
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    with_word = {i for i, text in searchable(sample).items() if "watson" in text}
    assert with_word
    assert {keyword.ids[row] for row, _ in hits} == with_word


def test_k_caps_the_hits_and_may_exceed_the_index(sample: Newsdesk) -> None:
    keyword = loaded(sample)
    everything = keyword.search("Putin", 1000)
    with_word = {i for i, text in searchable(sample).items() if "putin" in text}
    assert {keyword.ids[row] for row, _ in everything} == with_word
    assert keyword.search("Putin", 2) == everything[:2]


def test_unknown_words_and_stopwords_find_nothing(sample: Newsdesk) -> None:
    keyword = loaded(sample)
    assert keyword.search("Zanzibar giraffe", 5) == []
    assert keyword.search("the and of it", 5) == []


def test_a_mask_leaves_out_the_rows_it_zeroes(sample: Newsdesk) -> None:
    keyword = loaded(sample)
    caliber = [m["doc_id"] == CALIBER for m in keyword.metadatas]
    unmasked = {keyword.metadatas[row]["doc_id"] for row, _ in keyword.search("Putin", 20)}
    assert CALIBER in unmasked and len(unmasked) > 1
    masked = keyword.search("Putin", 20, np.array(caliber, dtype=np.float32))
    assert masked and {keyword.metadatas[row]["doc_id"] for row, _ in masked} == {CALIBER}


# -- spelling correction ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "corrected"),
    [
        ("what did the foreign secretery say?", "what did the foreign secretary say?"),
        ("why did the ushakof call fail?", "why did the ushakov call fail?"),
        ("what did peskof say in janury 2026?", "what did peskov say in january 2026?"),
    ],
)
def test_a_word_the_articles_never_use_becomes_the_close_one_they_do(
    sample: Newsdesk, asked: str, corrected: str
) -> None:
    assert loaded(sample).correct(asked) == corrected


def test_known_short_stop_and_unmatched_words_are_kept(sample: Newsdesk) -> None:
    keyword = loaded(sample)
    assert "then" not in keyword.words and "the" in keyword.words  # close, but a stopword
    assert keyword.correct("Kremlin: teh then Blinken?") == "Kremlin: teh then Blinken?"


# -- updated with what changed, equal to an index built afresh ---------------------------------

QUERIES = ["Putin", "Watson ferry", "Kremlin confirmed the call", "Zanzibar strike", "Ushakov"]


def same_as_afresh(app: Newsdesk, tmp_path: Path) -> KeywordIndex:
    """The index the build left (loaded as a reader loads it) against one built afresh from
    the same collection: the same rows with the same metadata, the same hits and scores."""
    kept = KeywordIndex.load(app.store, app.settings.data_dir)
    assert kept.generation == app.store.generation
    fresh = KeywordIndex.refresh(app.store, tmp_path / f"afresh-{kept.generation}")
    assert sorted(kept.ids) == sorted(fresh.ids) == sorted(app.catalog.chunk_ids())
    assert dict(zip(kept.ids, kept.metadatas, strict=True)) == dict(
        zip(fresh.ids, fresh.metadatas, strict=True)
    )
    for query in QUERIES:
        got = {kept.ids[row]: score for row, score in kept.search(query, 50)}
        want = {fresh.ids[row]: score for row, score in fresh.search(query, 50)}
        assert got.keys() == want.keys(), query
        assert all(got[i] == pytest.approx(want[i], rel=1e-6) for i in want), query
    assert set(kept.words) >= set(fresh.words)  # a dead row's words stay until a merge
    return kept


def test_a_rebuild_rereads_only_the_articles_that_changed(
    make_app: MakeApp, articles: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = make_app()
    app.build()
    before = app.catalog.fingerprints()
    (articles / "zanzibar.txt").write_text(ZANZIBAR + "\n")
    edited = articles / f"{KREMLIN}.txt"
    edited.write_text(edited.read_text() + "\nThe Kremlin later declined to comment further.\n")

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole collection was read")

    asked: list[str] = []
    get = app.store.collection.get

    def recording_get(*args: Any, **kwargs: Any) -> Any:
        where = kwargs.get("where") or {}
        asked.extend(where.get("doc_id", {}).get("$in", []))
        return get(*args, **kwargs)

    monkeypatch.setattr(app.store, "all_chunks", no_reading)
    monkeypatch.setattr(app.store.collection, "get", recording_get)
    app.build()
    monkeypatch.undo()
    after = app.catalog.fingerprints()
    changed = {d for d, fp in after.items() if before.get(d) != fp}
    assert {KREMLIN, "zanzibar"} <= changed < set(after), "a story may move, not everything"
    assert sorted(asked) == sorted(changed), "exactly the changed articles were re-read"
    keyword = same_as_afresh(app, tmp_path)
    manifest = Manifest.read(KeywordIndex.directory(app.store, app.settings.data_dir))
    assert manifest is not None and len(manifest.segments) == 2, "one small segment added"
    hits = keyword.search("Zanzibar ferry", 5)
    assert [keyword.metadatas[row]["doc_id"] for row, _ in hits] == ["zanzibar"]


def test_any_sequence_of_edits_keeps_the_index_equal_to_one_built_afresh(
    make_app: MakeApp, articles: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Random additions, edits, near-duplicates (a cluster change) and removals; segments
    merge every few rebuilds (the limit lowered to see it happen)."""
    monkeypatch.setattr(keyword_module, "MAX_SEGMENTS", 3)
    app = make_app()
    app.build()
    rng = random.Random(7)
    merged = 0
    for step in range(7):
        files = sorted(articles.glob("*.txt"))
        action = ["add", "edit", "copy", "remove", "add", "edit", "remove"][step]
        if action == "add":
            (articles / f"extra_{step}.txt").write_text(
                f"Ferry strike day {step}\n\nWorkers on the Zanzibar ferry struck for {step} "
                f"days over pay, the union said, and Watson called it {step} times unfair.\n"
            )
        elif action == "edit":
            path = rng.choice(files)
            path.write_text(path.read_text() + f"\nUpdate {step}: Putin's aide said nothing.\n")
        elif action == "copy":  # a near-duplicate joins an article's cluster
            shutil.copy(articles / f"{CALIBER}.txt", articles / "caliber_reprint.txt")
        else:
            rng.choice(files).unlink()
        app.build()
        same_as_afresh(app, tmp_path)
        manifest = Manifest.read(KeywordIndex.directory(app.store, app.settings.data_dir))
        assert manifest is not None and len(manifest.segments) <= 3
        merged += len(manifest.segments) == 1
    clusters = {m["cluster"] for m in KeywordIndex.load(app.store, app.settings.data_dir).metadatas}
    assert CALIBER in clusters or "caliber_reprint" in clusters
    assert merged, "segments were merged at least once"


def test_a_full_rebuild_starts_the_saved_index_anew(make_app: MakeApp, articles: Path) -> None:
    """A full rebuild may keep chunk ids whose text changes (a new extractor): nothing of the
    old saved index is kept."""
    app = make_app()
    app.build()
    (articles / "zanzibar.txt").write_text(ZANZIBAR + "\n")
    app.build()
    directory = KeywordIndex.directory(app.store, app.settings.data_dir)
    before = Manifest.read(directory)
    assert before is not None and len(before.segments) == 2
    app.build(full=True)
    after = Manifest.read(directory)
    assert after is not None and len(after.segments) == 1
    assert not set(after.segments) & set(before.segments)
    assert after.generation == app.store.generation


def test_scores_are_those_of_bm25s_over_the_same_words(sample: Newsdesk) -> None:
    """The scores are computed from the segments' counts, as bm25s computes them (Lucene's
    BM25, k1 1.5, b 0.75) over the same words."""
    keyword = loaded(sample)
    stored = sample.store.collection.get(ids=keyword.ids, include=["documents", "metadatas"])
    pairs = zip(stored["documents"], stored["metadatas"], strict=True)
    rows = dict(zip(stored["ids"], pairs, strict=True))
    texts = [
        doc if meta["seq"] == 0 else f"{meta['title']}\n{doc}"
        for doc, meta in (rows[i] for i in keyword.ids)
    ]
    reference = bm25s.BM25()
    reference.index(keyword_module.tokenize(texts), show_progress=False)
    for query in QUERIES:
        words = [w for w in keyword_module.tokenize([query])[0] if w in reference.vocab_dict]
        if not words:
            continue
        found, scores = reference.retrieve([words], k=10, show_progress=False, n_threads=1)
        expected = {int(r): float(s) for r, s in zip(found[0], scores[0], strict=True) if s > 0}
        got = dict(keyword.search(query, 10))
        assert got.keys() == expected.keys(), query
        assert all(got[r] == pytest.approx(expected[r], rel=1e-4) for r in expected), query
