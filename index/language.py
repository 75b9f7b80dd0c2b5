"""Which language a text is in, and how keyword search reads each language.

Identification is py3langid (BSD-3, its model in the wheel): about 100 languages. BM25 then
reads an article with its own language's stop words and Snowball stemmer where there are ones
(English, French, Spanish, German, Russian, … ), lower-cased words alone where there are not
(Ukrainian, Polish, …), and Chinese, Japanese and Korean, written without spaces, as
overlapping character pairs, the usual way to index them without a dictionary.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

import Stemmer
from bm25s import stopwords as bm25s_stopwords

DEFAULT = "en"
SURE = 0.9  # a question is taken as another language than English only when this sure
SAMPLE_CHARS = 2000  # of a document, enough to identify its language

# Snowball's stemmers by ISO 639-1 code (PyStemmer ships these).
STEMMERS = {
    "ar": "arabic", "ca": "catalan", "da": "danish", "de": "german", "el": "greek",
    "en": "english", "es": "spanish", "eu": "basque", "fi": "finnish", "fr": "french",
    "ga": "irish", "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "nl": "dutch", "no": "norwegian",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish",
    "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip
_STOPWORD_LISTS = {
    "da": bm25s_stopwords.STOPWORDS_DANISH, "de": bm25s_stopwords.STOPWORDS_GERMAN,
    "en": bm25s_stopwords.STOPWORDS_EN, "es": bm25s_stopwords.STOPWORDS_SPANISH,
    "fr": bm25s_stopwords.STOPWORDS_FRENCH, "it": bm25s_stopwords.STOPWORDS_ITALIAN,
    "nl": bm25s_stopwords.STOPWORDS_DUTCH, "no": bm25s_stopwords.STOPWORDS_NORWEGIAN,
    "pt": bm25s_stopwords.STOPWORDS_PORTUGUESE, "ru": bm25s_stopwords.STOPWORDS_RUSSIAN,
    "sv": bm25s_stopwords.STOPWORDS_SWEDISH, "tr": bm25s_stopwords.STOPWORDS_TURKISH,
}  # fmt: skip
STOPWORDS = {language: frozenset(words) for language, words in _STOPWORD_LISTS.items()}

# How the answer prompt names a question's language; others are "the question's language".
NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "es": "Spanish", "fi": "Finnish", "fr": "French",
    "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian", "it": "Italian",
    "ja": "Japanese", "ko": "Korean", "nl": "Dutch", "no": "Norwegian", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sv": "Swedish",
    "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip

_WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s's own pattern: English reads as it always did
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_LETTERS = re.compile(r"[^\W\d_]")
_local = threading.local()  # PyStemmer objects are not safe to share between threads


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of `text`'s language; ("en", 0.0) for text with no
    letters (numbers, emoji)."""
    sample = text[:SAMPLE_CHARS]
    if not _LETTERS.search(sample):
        return DEFAULT, 0.0
    language, probability = _identifier().classify(sample)
    return str(language), float(probability)


def of_question(question: str) -> str:
    """A question's language. Short English questions are often taken for something else
    ("Who is Ushakov?" for Kinyarwanda), so a question in Latin letters is English unless the
    identifier is sure; in another script, the script narrows it down enough."""
    language, probability = identify(question)
    letters = _LETTERS.findall(question)
    latin = sum(c.isascii() or "\u00c0" <= c <= "\u024f" for c in letters)
    if probability >= SURE or latin < len(letters) / 2:
        return language
    return DEFAULT


def of_document(text: str) -> str:
    return identify(text)[0]


def name(code: str) -> str:
    return NAMES.get(code, "the language of the question")


def _stemmer(language: str) -> Any:
    stemmers = _local.__dict__.setdefault("stemmers", {})
    if language not in stemmers:
        name = STEMMERS.get(language)
        stemmers[language] = Stemmer.Stemmer(name) if name else None
    return stemmers[language]


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) < 2 else [run[k : k + 2] for k in range(len(run) - 1)]


def tokenize(text: str, language: str) -> list[str]:
    """The words BM25 indexes or searches for, in `language`'s way."""
    words: list[str] = []
    for word in _WORD.findall(text.lower()):
        if _UNSPACED.search(word):
            for part in re.split(f"({_UNSPACED.pattern})", word):
                if _UNSPACED.fullmatch(part):
                    words.extend(_bigrams(part))
                elif len(part) > 1:
                    words.append(part)
        else:
            words.append(word)
    stop = STOPWORDS.get(language)
    if stop:
        words = [w for w in words if w not in stop]
    stemmer = _stemmer(language)
    return list(stemmer.stemWords(words)) if stemmer and words else words
