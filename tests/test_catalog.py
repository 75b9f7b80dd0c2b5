"""The SQLite catalog beside Chroma: which article version is indexed with which chunks, the
build's bookkeeping (generation, pending articles, clusters), on the real sample articles."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from newsdesk.index.articles import Article, load
from newsdesk.index.catalog import Catalog, chunk_id
from newsdesk.index.dedup import signature
from newsdesk.index.errors import DataDirError

from support import SAMPLE

KREMLIN = "000_a6a0d073fde4603f"
CALIBER = "003_82cedb1ca88c2249"


def article(doc_id: str) -> Article:
    """A sample article as the builder records it: its path relative to the articles dir."""
    return replace(load(SAMPLE / f"{doc_id}.txt"), path=f"{doc_id}.txt")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of every paragraph: real spans of the text, as chunks are."""
    spans, start = [], 0
    for block in text.split("\n\n"):
        spans.append((start, start + len(block)))
        start += len(block) + 2
    return spans


def put(catalog: Catalog, a: Article) -> list[tuple[int, int]]:
    spans = paragraphs(a.text)
    catalog.put(a, signature(a.text), spans)
    return spans


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    catalog = Catalog(tmp_path / "data" / "catalog.sqlite3")
    yield catalog
    catalog.close()


def test_chunk_ids_are_the_same_for_the_same_file_version() -> None:
    assert chunk_id("doc", "0123456789abcdef0123", 3) == "doc:0123456789abcdef:3"
    assert chunk_id("doc", "0123456789abcdef0123", 3) != chunk_id("doc", "fedcba9876543210", 3)


def test_an_article_is_recorded_with_its_text_and_chunks(catalog: Catalog) -> None:
    a = article(KREMLIN)
    spans = put(catalog, a)
    assert len(spans) > 2
    assert catalog.file_hashes() == {KREMLIN: (a.file_hash, f"{KREMLIN}.txt")}
    assert catalog.text(KREMLIN) == a.text
    assert catalog.counts() == (1, len(spans))
    assert sorted(catalog.chunk_ids()) == sorted(
        chunk_id(KREMLIN, a.file_hash, s) for s in range(len(spans))
    )
    assert catalog.signatures_of([KREMLIN, "missing"]) == {KREMLIN: signature(a.text)}


def test_a_new_version_of_an_article_replaces_its_old_chunks(catalog: Catalog) -> None:
    old = article(KREMLIN)
    put(catalog, old)
    new = replace(old, file_hash="f" * 64, text=old.text + "\n\nA correction was appended.")
    catalog.put(new, signature(new.text), [(0, 10), (12, 20)])
    assert sorted(catalog.chunk_ids()) == [chunk_id(KREMLIN, new.file_hash, s) for s in (0, 1)]
    assert catalog.counts() == (1, 2)
    assert catalog.text(KREMLIN) == new.text


def test_deleting_an_article_deletes_its_chunks_and_clear_deletes_all(catalog: Catalog) -> None:
    put(catalog, article(KREMLIN))
    caliber = article(CALIBER)
    spans = put(catalog, caliber)
    catalog.delete(KREMLIN)
    assert set(catalog.file_hashes()) == {CALIBER}
    assert catalog.text(KREMLIN) is None
    assert sorted(catalog.chunk_ids()) == sorted(
        chunk_id(CALIBER, caliber.file_hash, s) for s in range(len(spans))
    )
    assert catalog.counts() == (1, len(spans))
    catalog.clear()
    assert catalog.counts() == (0, 0) and catalog.chunk_ids() == []


def test_a_failed_transaction_writes_nothing_and_a_finished_one_persists(
    catalog: Catalog, tmp_path: Path
) -> None:
    with pytest.raises(RuntimeError), catalog.transaction():
        put(catalog, article(KREMLIN))
        catalog.set_meta("dirty", "1")
        raise RuntimeError("killed mid-write")
    assert catalog.counts() == (0, 0) and catalog.get_meta("dirty") is None
    with catalog.transaction():
        put(catalog, article(KREMLIN))
        catalog.set_meta("dirty", "1")
    reopened = Catalog(catalog.path)
    assert reopened.counts()[0] == 1 and reopened.get_meta("dirty") == "1"
    reopened.close()


def test_the_generation_starts_at_zero_and_each_bump_adds_one(catalog: Catalog) -> None:
    assert catalog.generation == 0
    assert catalog.bump_generation() == 1
    assert catalog.bump_generation() == 2
    assert catalog.generation == 2 and catalog.get_meta("generation") == "2"
    catalog.set_meta("model", "a")
    catalog.set_meta("model", "b")
    assert catalog.get_meta("model") == "b"


def test_pending_articles_are_listed_once_until_cleared(catalog: Catalog) -> None:
    catalog.add_pending(["a", "b", "a"])
    catalog.add_pending(["b"])
    assert sorted(catalog.pending()) == ["a", "b"]
    catalog.clear_pending(["a", "never-pending"])
    assert catalog.pending() == ["b"]


def test_cluster_changes_name_only_the_articles_whose_cluster_moves(catalog: Catalog) -> None:
    """An unclustered article is its own cluster; a change lists the article's chunk ids in
    order, so the builder can relabel them in Chroma."""
    caliber = article(CALIBER)
    reprint = replace(caliber, doc_id="0001_reprint", path="0001_reprint.txt")
    for a in (article(KREMLIN), caliber, reprint):
        put(catalog, a)
    caliber_ids = [
        chunk_id(CALIBER, caliber.file_hash, s) for s in range(len(paragraphs(caliber.text)))
    ]
    alone: dict[str, str | None] = {CALIBER: None, "0001_reprint": None}
    assert catalog.cluster_changes(alone) == []
    together: dict[str, str | None] = {CALIBER: "0001_reprint", "0001_reprint": "0001_reprint"}
    assert catalog.cluster_changes(together) == [(CALIBER, CALIBER, caliber_ids)]
    assert catalog.unsettled() == {KREMLIN, CALIBER, "0001_reprint"}, "all new"
    catalog.settle(together, catalog.unsettled())
    assert catalog.unsettled() == set()
    assert catalog.cluster_changes(together) == []
    assert catalog.cluster_changes(alone) == [(CALIBER, "0001_reprint", caliber_ids)]
    assert catalog.cluster_mates([KREMLIN]) == {KREMLIN}
    assert catalog.cluster_mates([CALIBER]) == {CALIBER, "0001_reprint"}
    assert set(catalog.candidates(CALIBER)) == {"0001_reprint"}
    catalog.delete("0001_reprint")
    assert catalog.unsettled() == {CALIBER, "0001_reprint"}, "the cluster it left"
    catalog.settle(alone, catalog.unsettled())
    assert catalog.cluster_changes({CALIBER: None}) == []
    assert catalog.candidates(CALIBER) == {}


def test_a_file_where_the_data_dir_should_be_is_a_data_dir_error(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the data dir should be")
    with pytest.raises(DataDirError, match=r"^cannot use the data dir") as raised:
        Catalog(tmp_path / "data" / "catalog.sqlite3")
    assert raised.value.path == tmp_path / "data"
