"""Which language a text is in, and how keyword search reads each language: English exactly as
bm25s always read it, other languages with their own stop words and stemmers, Chinese and
Japanese as character pairs. Real identifier, real stemmers, a real index."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import bm25s
import pytest
import Stemmer

from newsdesk.index import keyword, language
from newsdesk.index.app import Newsdesk
from newsdesk.index.articles import load

from support import SAMPLE

DATA = Path(__file__).parent / "data"
BREST = "teleferique_brest"  # tests/data/teleferique_brest.md: a short article in French


def sample_texts() -> list[str]:
    return [load(path).text for path in sorted(SAMPLE.glob("*.txt"))]


# -- English reads as it always did -----------------------------------------------------------


def test_english_is_tokenized_exactly_as_bm25s_does() -> None:
    texts = sample_texts()
    assert len(texts) == 4
    expected = bm25s.tokenize(
        texts,
        stopwords="en",
        stemmer=Stemmer.Stemmer("english"),
        return_ids=False,
        show_progress=False,
    )
    for text, words in zip(texts, expected, strict=True):
        assert language.tokenize(text, "en") == list(words)
        assert len(words) > 100
    assert keyword.tokenize(texts) == [list(w) for w in expected], "English is the default"


# -- identification ----------------------------------------------------------------------------


def test_the_sample_articles_are_english() -> None:
    for text in sample_texts():
        code, probability = language.identify(text)
        assert code == "en" and probability > 0.9
        assert language.of_document(text) == "en"


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("Who is Ushakov?", "en"),
        ("Why did the Powell–Ushakov call fail?", "en"),
        ("Чому розмова Пауелла з Ушаковим не вдалася?", "uk"),
        ("Pourquoi la conversation entre Powell et Ouchakov n'a-t-elle pas abouti ?", "fr"),
        ("Warum ist das Gespräch zwischen Powell und Uschakow gescheitert?", "de"),
        ("لماذا فشلت المكالمة بين باول وأوشاكوف؟", "ar"),
        ("パウエルとウシャコフの電話会談はなぜ失敗したのですか？", "ja"),
    ],
)
def test_a_question_is_read_in_its_language(question: str, code: str) -> None:
    assert language.of_question(question) == code


def test_a_short_latin_question_the_identifier_is_unsure_of_is_english() -> None:
    """The identifier alone takes "Who is Ushakov?" for another language, unsure; the
    question is still read as English, not as whatever it guessed."""
    guessed, probability = language.identify("Who is Ushakov?")
    assert guessed != "en" and probability < language.SURE
    assert language.of_question("Who is Ushakov?") == "en"


@pytest.mark.parametrize("question", ["🤔", "🔥🔥🔥", "2026", "12 345 6789", "?!", "…"])
def test_a_question_without_letters_is_english(question: str) -> None:
    assert language.identify(question) == ("en", 0.0)
    assert language.of_question(question) == "en"


def test_languages_are_named_for_the_prompt() -> None:
    assert language.name("uk") == "Ukrainian" and language.name("fr") == "French"
    assert language.name("xx") == "the language of the question"


# -- tokenization per language ----------------------------------------------------------------


@pytest.mark.parametrize(
    "forms",
    [
        ("échoué", "échouer", "échoua", "échoués"),
        ("resté", "restés", "rester"),
        ("bloqué", "bloqués", "bloquée"),
        ("évacués", "évacuer", "évacuation"),
    ],
)
def test_french_stemming_joins_the_inflections_of_a_word(forms: tuple[str, ...]) -> None:
    stems = {tuple(language.tokenize(form, "fr")) for form in forms}
    assert len(stems) == 1 and len(next(iter(stems))) == 1
    assert len({form.lower() for form in forms}) == len(forms), "the forms differ as written"


def test_french_stop_words_are_dropped_and_content_words_kept() -> None:
    words = language.tokenize("Les passagers sont restés dans les cabines de la ligne", "fr")
    for stop in ("les", "sont", "dans", "de", "la"):
        assert stop in language.STOPWORDS["fr"]
    assert len(words) == 4  # passagers, restés, cabines, ligne
    assert not set(words) & language.STOPWORDS["fr"]
    assert words == language.tokenize("passagers restés cabines ligne", "fr")


def test_english_rules_do_not_read_french() -> None:
    """What French stemming joins, English stemming keeps apart: the language matters."""
    assert language.tokenize("échoué", "en") != language.tokenize("échouer", "en")


def test_japanese_and_chinese_are_read_as_character_pairs() -> None:
    assert language.tokenize("東京都庁", "ja") == ["東京", "京都", "都庁"]
    assert language.tokenize("北京大学", "zh") == ["北京", "京大", "大学"]
    # kana and kanji runs between punctuation are each paired; latin words stay words
    assert language.tokenize("会談は失敗。Powell", "ja") == [
        "会談",
        "談は",
        "は失",
        "失敗",
        "powell",
    ]


def test_a_language_without_stemmer_is_lower_cased_words() -> None:
    text = "Міська Рада ухвалила РІШЕННЯ про сквер"
    words = ["міська", "рада", "ухвалила", "рішення", "про", "сквер"]
    assert language.tokenize(text, "uk") == words == re.findall(r"\w\w+", text.lower())
    assert "uk" not in language.STEMMERS and "uk" not in language.STOPWORDS


# -- keyword search across languages -------------------------------------------------------------


@pytest.fixture(scope="module")
def brest_desk(
    tmp_path_factory: pytest.TempPathFactory, module_desk: Callable[[Path], Newsdesk]
) -> Newsdesk:
    """The sample articles and one in French, indexed once for the module."""
    folder = tmp_path_factory.mktemp("multilingual") / "articles"
    shutil.copytree(SAMPLE, folder)
    shutil.copy(DATA / f"{BREST}.md", folder)
    return module_desk(folder)


def test_the_french_article_is_read_as_french(brest_desk: Newsdesk) -> None:
    text = brest_desk.catalog.text(BREST)
    assert text is not None
    assert language.of_document(text) == "fr"


def test_a_french_question_finds_its_article_through_the_stems(brest_desk: Newsdesk) -> None:
    """Every word of the question is written otherwise in the article (singular where it
    says plural, another tense); only French stemming makes them meet."""
    question = "Qui a décidé l'évacuation de la cabine bloquée ?"
    assert language.of_question(question) == "fr"
    text = brest_desk.catalog.text(BREST)
    assert text is not None
    written = set(re.findall(r"\w\w+", text.lower()))
    asked = set(re.findall(r"\w\w+", question.lower())) - language.STOPWORDS["fr"]
    assert asked == {"décidé", "évacuation", "cabine", "bloquée"}
    assert not asked & written, "no word of the question is written so in the article"
    assert {"évacués", "cabines", "bloqués"} <= written
    shared = set(language.tokenize(question, "fr")) & set(language.tokenize(text, "fr"))
    assert shared == {"évacu", "cabin", "bloqu"}, "French stems join évacuation and évacués"
    assert "évacu" not in language.tokenize(question, "en") + language.tokenize(text, "en")
    keyword = brest_desk.retriever().keyword_index()
    stems = {term for segment in keyword.segments for term in segment.terms}
    assert "évacu" in stems, "the article was read in French"
    _, hits = brest_desk.retriever().search(question, 5, mode="keyword")
    assert hits, "the stems match"
    assert hits[0].meta["doc_id"] == BREST
    assert hits[0].keyword is not None and hits[0].keyword > 0
    assert {h.meta["doc_id"] for h in hits} == {BREST}, "no English article shares a stem"


def test_an_english_question_still_finds_english_articles(brest_desk: Newsdesk) -> None:
    _, hits = brest_desk.retriever().search("Ushakov Powell phone call", 5, mode="keyword")
    assert hits and hits[0].meta["doc_id"] == "000_a6a0d073fde4603f"
    assert BREST not in {h.meta["doc_id"] for h in hits}


def test_a_french_question_is_not_spelling_corrected(brest_desk: Newsdesk) -> None:
    """Words the articles never use are not "corrected" into English ones."""
    keyword_index = brest_desk.retriever().keyword_index()
    question = "Pourquoi le générateur de secours n'a-t-il pas redémarré après la panne ?"
    assert language.of_question(question) == "fr"
    assert keyword_index.correct(question) == question
