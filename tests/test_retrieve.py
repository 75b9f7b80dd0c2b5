"""Hybrid retrieval over the sample articles: dense and BM25 fused by reciprocal rank, each side
alone, misspellings corrected, and the source and date filters."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from newsdesk.index.app import Newsdesk
from newsdesk.index.config import Settings
from newsdesk.index.embeddings import MiniLMEmbedding
from newsdesk.index.errors import BadQuestion, IndexNotBuilt
from newsdesk.index.retrieve import CANDIDATES, RRF_K, Filters, Hit, Retriever
from newsdesk.index.store import Store, make_client

KREMLIN = "000_a6a0d073fde4603f"  # Powell's call to Ushakov
LONDON = "001_680bcb4019dc53cb"  # the Kremlin welcomes European dialogue, London refuses
INSIDER = "002_1436df419da835d7"  # secret US–Russia talks; the NSC denies a back channel
CALIBER = "003_82cedb1ca88c2249"  # Yvette Cooper; the only dated article, with its outlet
POWELL = "Why did the Powell–Ushakov call fail?"
MODES = ["hybrid", "dense", "keyword"]


@pytest.fixture(scope="module")
def retriever(sample: Newsdesk) -> Retriever:
    return Retriever(sample.store, sample.embedder, sample.settings.data_dir)


def docs(hits: list[Hit]) -> list[str]:
    return [h.meta["doc_id"] for h in hits]


def first_chunk_meta(retriever: Retriever, doc_id: str) -> dict[str, object]:
    """The metadata the index keeps for the first chunk of an article."""
    keyword = retriever.keyword_index()
    return next(m for m in keyword.metadatas if m["doc_id"] == doc_id and m["seq"] == 0)


# -- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("since", ["last tuesday", "2026-13-01", "16/01/2026", "2026"])
def test_a_since_that_is_not_a_date_is_a_bad_question_about_since(since: str) -> None:
    with pytest.raises(BadQuestion, match=f"{since!r} is not a date") as raised:
        Filters(since=since)
    assert raised.value.field == "since"


@pytest.mark.parametrize("since", ["2026-01-31", "2026-01-16T11:37", "2026-01-16T11:37:00+00:00"])
def test_an_iso_date_or_date_time_is_a_valid_since(since: str) -> None:
    assert Filters(since=since).since == since


def test_no_filter_is_no_restriction(retriever: Retriever) -> None:
    assert Filters().llama() is None and Filters(since="", source="").llama() is None
    undated = first_chunk_meta(retriever, KREMLIN)
    assert "published_ts" not in undated and "source_key" not in undated
    assert Filters().allows(undated)


def test_the_source_filter_matches_the_outlet_whatever_its_case(retriever: Retriever) -> None:
    caliber, undated = first_chunk_meta(retriever, CALIBER), first_chunk_meta(retriever, KREMLIN)
    assert caliber["source"] == "Caliber.az"
    assert Filters(source="CALIBER.az").allows(caliber)
    assert not Filters(source="caliber").allows(caliber), "the whole name, not a part"
    assert not Filters(source="Caliber.az").allows(undated)


@pytest.mark.parametrize(
    ("since", "allowed"),
    [
        ("2026-01-01", True),
        ("2026-01-16", True),
        ("2026-01-16T11:37", True),  # published at exactly that minute
        ("2026-01-16T11:38", False),
        ("2026-01-17", False),
    ],
)
def test_the_since_filter_keeps_articles_published_on_or_after_it(
    retriever: Retriever, since: str, allowed: bool
) -> None:
    caliber = first_chunk_meta(retriever, CALIBER)
    assert caliber["published"] == "2026-01-16T11:37"
    assert Filters(since=since).allows(caliber) is allowed
    assert not Filters(since=since).allows(first_chunk_meta(retriever, KREMLIN)), "undated"


# -- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "article"),
    [
        (POWELL, KREMLIN),
        ("What did Yvette Cooper say about Putin?", CALIBER),
        ("What did the NSC spokeswoman say about a back channel?", INSIDER),
        ("Did Russian elites call the war a mistake?", INSIDER),
        ("Which European capitals did the Kremlin welcome back to dialogue?", LONDON),
    ],
)
def test_hybrid_search_finds_the_article_a_question_is_about(
    sample: Newsdesk, retriever: Retriever, question: str, article: str
) -> None:
    """The best chunk is from the right article and found by both sides; every hit is a real
    slice of its article."""
    _, hits = retriever.search(question, 4)
    assert len(hits) == 4
    best = hits[0]
    assert best.meta["doc_id"] == article
    assert best.dense is not None and best.keyword is not None
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for h in hits:
        text = sample.catalog.text(h.meta["doc_id"])
        assert text is not None and h.text == text[h.meta["start"] : h.meta["end"]]


def test_the_fused_score_adds_the_reciprocal_ranks_of_both_sides(
    sample: Newsdesk, retriever: Retriever
) -> None:
    _, dense = retriever.search(POWELL, CANDIDATES, mode="dense")
    _, keyword = retriever.search(POWELL, CANDIDATES, mode="keyword")
    _, hybrid = retriever.search(POWELL, CANDIDATES)
    dense_rank = {h.chunk_id: r for r, h in enumerate(dense)}
    keyword_rank = {h.chunk_id: r for r, h in enumerate(keyword)}
    assert 0 < len(keyword) < len(dense) == len(hybrid) == sample.store.count()
    for h in hybrid:
        expected = sum(
            1.0 / (RRF_K + ranks[h.chunk_id] + 1)
            for ranks in (dense_rank, keyword_rank)
            if h.chunk_id in ranks
        )
        assert h.score == pytest.approx(expected, rel=1e-12)
        assert (h.keyword is None) is (h.chunk_id not in keyword_rank)


def test_dense_is_the_cosine_similarity_to_the_question(
    retriever: Retriever, embedder: MiniLMEmbedding
) -> None:
    """For a first chunk (embedded as it is, without the title before it) the reported
    similarity is the one of the two vectors."""
    _, hits = retriever.search(POWELL, CANDIDATES, mode="dense")
    firsts = [h for h in hits if h.meta["seq"] == 0]
    assert len(firsts) == 4
    question = embedder.embed([POWELL])[0]
    for h in firsts:
        assert h.dense == pytest.approx(float(question @ embedder.embed([h.text])[0]), abs=1e-4)


def test_each_mode_uses_its_side_only(retriever: Retriever) -> None:
    """Words no article uses: the keyword side finds nothing, the dense side still ranks."""
    query = "zebra giraffe aquarium"
    _, dense = retriever.search(query, 4, mode="dense")
    _, keyword = retriever.search(query, 4, mode="keyword")
    _, hybrid = retriever.search(query, 4)
    assert keyword == []
    assert len(dense) == 4 and all(h.dense is not None and h.keyword is None for h in dense)
    assert [h.chunk_id for h in hybrid] == [h.chunk_id for h in dense]
    _, keyword = retriever.search(POWELL, 4, mode="keyword")
    assert len(keyword) == 4 and all(h.dense is None and h.keyword for h in keyword)


def test_keyword_only_hits_carry_their_chunk_text(sample: Newsdesk, retriever: Retriever) -> None:
    """Their text is fetched from the collection, since the dense side did not return it."""
    _, hits = retriever.search("Adrienne Watson", 4, mode="keyword")
    assert docs(hits)[0] == INSIDER and "Adrienne Watson" in hits[0].text
    for h in hits:
        text = sample.catalog.text(h.meta["doc_id"])
        assert text is not None and h.text == text[h.meta["start"] : h.meta["end"]]


def test_a_misspelt_question_is_corrected_and_finds_what_the_right_spelling_finds(
    retriever: Retriever,
) -> None:
    query, hits = retriever.search("what did the foreign secretery yvete coopr say?", 4)
    assert query == "what did the foreign secretary yvette cooper say?"
    _, right = retriever.search(query, 4)
    assert [h.chunk_id for h in hits] == [h.chunk_id for h in right]
    assert docs(hits)[0] == CALIBER


@pytest.mark.parametrize("mode", MODES)
def test_a_source_filter_keeps_only_that_outlet(
    sample: Newsdesk, retriever: Retriever, mode: str
) -> None:
    chunks = [m["doc_id"] for _, _, m in sample.store.all_chunks(include=("metadatas",))]
    question = "What did the UK say about talks with Putin?"
    _, everything = retriever.search(question, 10, mode=mode)
    assert set(docs(everything)) - {CALIBER}, "unfiltered, other articles answer too"
    _, hits = retriever.search(question, 10, Filters(source="caliber.AZ"), mode=mode)
    assert docs(hits) == [CALIBER] * chunks.count(CALIBER), "all its chunks, none else"
    with pytest.raises(
        BadQuestion, match=r"^no articles from 'Reuters'; the outlets are Caliber\.az$"
    ) as raised:
        retriever.search(question, 10, Filters(source="Reuters"), mode=mode)
    assert raised.value.field == "source", "an outlet no article comes from is said, not empty"


@pytest.mark.parametrize("mode", MODES)
def test_a_since_filter_keeps_only_articles_published_since(
    retriever: Retriever, mode: str
) -> None:
    _, everything = retriever.search(POWELL, 5, mode=mode)
    assert docs(everything)[0] == KREMLIN
    _, hits = retriever.search(POWELL, 5, Filters(since="2026-01-16T11:37"), mode=mode)
    assert set(docs(hits)) == {CALIBER}
    _, none = retriever.search(POWELL, 5, Filters(since="2026-01-16T11:38"), mode=mode)
    assert none == []


def test_the_retriever_follows_a_rebuild_without_a_restart(
    make_app: Callable[..., Newsdesk], articles: Path
) -> None:
    """The keyword side is kept while the generation stands and reloaded when it moves."""
    app = make_app()
    app.build()
    retriever = Retriever(app.store, app.embedder, app.settings.data_dir)
    question = "Why did the Zanzibar ferry strike end?"
    _, before = retriever.search(question, 3)
    assert "zanzibar" not in docs(before)
    assert retriever.keyword_index() is retriever.keyword_index()
    kept = retriever.keyword_index()
    (articles / "zanzibar.txt").write_text(
        "Zanzibar ferry strike ends\n\nThe Zanzibar ferry strike ended on Monday after the "
        "workers accepted a pay rise of twelve percent."
    )
    app.build()
    _, after = retriever.search(question, 3)
    assert after[0].meta["doc_id"] == "zanzibar"
    assert after[0].dense is not None and after[0].keyword is not None
    assert retriever.keyword_index() is not kept


def test_searching_an_empty_index_raises_index_not_built(
    tmp_path: Path, embedder: MiniLMEmbedding
) -> None:
    data = tmp_path / "data"
    retriever = Retriever(Store(make_client(Settings(data_dir=data))), embedder, data)
    with pytest.raises(IndexNotBuilt):
        retriever.search(POWELL, 4)
