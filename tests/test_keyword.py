"""The BM25 side of retrieval: built from the Chroma collection, saved under the data dir,
reloaded only when the collection's generation moved; and the spelling correction it offers."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from newsdesk.index.app import Newsdesk
from newsdesk.index.config import Settings
from newsdesk.index.embeddings import MiniLMEmbedding
from newsdesk.index.keyword import KeywordIndex
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
    saved = json.loads((KeywordIndex.directory(store, data) / "chunks.json").read_text())
    assert saved["generation"] == 2 and "zanzibar:0000000000000000:0" in saved["ids"]


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


@pytest.mark.parametrize("damage", ["truncated chunks.json", "no bm25 files", "no directory"])
def test_a_damaged_saved_index_is_rebuilt(sample: Newsdesk, tmp_path: Path, damage: str) -> None:
    data = tmp_path / "data"
    store = copy_of(sample, data)
    directory = KeywordIndex.directory(store, data)
    intact = KeywordIndex.load(store, data).search("Watson", 5)
    assert intact
    if damage == "truncated chunks.json":
        (directory / "chunks.json").write_text('{"generation": 1, "ids": [')
    elif damage == "no bm25 files":
        shutil.rmtree(directory / "bm25")
    else:
        shutil.rmtree(directory)
    keyword = KeywordIndex.load(store, data)
    assert keyword.search("Watson", 5) == intact
    assert json.loads((directory / "chunks.json").read_text())["generation"] == 1
    assert (directory / "bm25").is_dir()


def test_saving_replaces_the_index_and_leaves_no_temporary_directories(
    sample: Newsdesk, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    store = copy_of(sample, data)
    for _ in range(3):
        KeywordIndex.refresh(store, data)
    assert os.listdir(data / "keyword") == [store.name]


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
    assert KeywordIndex.load(store, data).ids == loaded(sample).ids


def test_an_empty_collection_gives_an_index_that_finds_and_corrects_nothing(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    store = Store(make_client(Settings(data_dir=data)))
    for keyword in (KeywordIndex.refresh(store, data), KeywordIndex.load(store, data)):
        assert (keyword.ids, keyword.bm25, keyword.words) == ([], None, [])
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
