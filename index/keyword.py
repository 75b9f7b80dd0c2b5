"""The keyword (BM25) side of hybrid retrieval, kept in step with the Chroma collection.

Built from the collection itself and saved under the data dir with the collection's
generation. Each article is read in its own language (`index.language`: that language's stop
words and stemmer), and a question in its own. Whoever finds the saved index older than the
collection (the query side after a rebuild in another process, or a build killed before it
refreshed) rebuilds it.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from newsdesk.index import language
from newsdesk.index.store import Store

log = logging.getLogger(__name__)

_KNOWN = set(STOPWORDS_EN)


def tokenize(texts: list[str], languages: list[str] | None = None) -> list[list[str]]:
    """Each text's BM25 words, read in its language (English when not given)."""
    languages = languages or [language.DEFAULT] * len(texts)
    return [language.tokenize(t, lang) for t, lang in zip(texts, languages, strict=True)]


@dataclass
class KeywordIndex:
    generation: int
    ids: list[str]
    metadatas: list[dict[str, Any]]
    bm25: Any  # bm25s.BM25, or None for an empty collection
    words: list[str]  # every distinct lower-case word, for spelling correction
    _known: set[str] = field(init=False, repr=False)
    _by_initial: dict[str, list[str]] = field(init=False, repr=False)
    outlets: dict[str, str] = field(init=False, repr=False)  # casefolded -> as the articles say

    def __post_init__(self) -> None:
        self.outlets = {m["source_key"]: m["source"] for m in self.metadatas if m.get("source")}
        self._known = set(self.words)
        self._by_initial = {}
        for word in self.words:
            self._by_initial.setdefault(word[0], []).append(word)

    @staticmethod
    def directory(store: Store, data_dir: Path) -> Path:
        return data_dir / "keyword" / store.name

    @classmethod
    def refresh(cls, store: Store, data_dir: Path) -> KeywordIndex:
        """Rebuild from the collection and save it (atomically: readers see old or new)."""
        generation = store.generation
        ids, texts, metadatas = [], [], []
        # The build records each article's language with its chunks; chunks written before it
        # did are told from their article's opening text.
        samples: dict[str, str] = {}
        for chunk_id, document, meta in store.all_chunks():
            ids.append(chunk_id)
            title = meta.get("title", "")
            document = document or ""
            texts.append(document if meta.get("seq") == 0 else f"{title}\n{document}")
            metadatas.append(meta)
            doc_id = str(meta.get("doc_id", chunk_id))
            if "language" not in meta and len(samples.get(doc_id, "")) < language.SAMPLE_CHARS:
                samples[doc_id] = samples.get(doc_id, "") + " " + document
        detected = {doc_id: language.of_document(text) for doc_id, text in samples.items()}
        bm25 = None
        if ids:
            bm25 = bm25s.BM25()
            of = [
                m.get("language") or detected[str(m.get("doc_id", i))]
                for i, m in zip(ids, metadatas, strict=True)
            ]
            bm25.index(tokenize(texts, of), show_progress=False)
        words = sorted({w for t in texts for w in re.findall(r"[^\W\d_]{3,}", t.lower())})
        index = cls(generation, ids, metadatas, bm25, words)
        try:
            index._save(cls.directory(store, data_dir))
        except OSError as exc:  # the saved copy is a cache: the index in hand is whole
            log.debug("keyword index not saved (%s); another process may be saving it", exc)
        return index

    @classmethod
    def load(cls, store: Store, data_dir: Path) -> KeywordIndex:
        """The saved index if it matches the collection's generation, else a fresh one."""
        directory = cls.directory(store, data_dir)
        try:
            info = json.loads((directory / "chunks.json").read_text())
            if info["generation"] == store.generation:
                bm25 = bm25s.BM25.load(str(directory / "bm25")) if info["ids"] else None
                return cls(info["generation"], info["ids"], info["metadatas"], bm25, info["words"])
        except (OSError, ValueError, KeyError) as exc:
            log.debug("keyword index unusable (%s); rebuilding", exc)
        return cls.refresh(store, data_dir)

    def _save(self, directory: Path) -> None:
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=directory.parent))
        if self.bm25 is not None:
            self.bm25.save(str(tmp / "bm25"))
        info = {
            "generation": self.generation,
            "ids": self.ids,
            "metadatas": self.metadatas,
            "words": self.words,
        }
        (tmp / "chunks.json").write_text(json.dumps(info))
        # Two processes (a rebuild and a bot reading its new generation) may save at once:
        # each moves the current copy aside under a name of its own, and the loser of the
        # final rename keeps nothing behind.
        old = directory.with_name(f".old-{directory.name}-{tmp.name}")
        try:
            with contextlib.suppress(FileNotFoundError):
                os.replace(directory, old)
            os.replace(tmp, directory)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)

    def correct(self, query: str) -> str:
        """The query with words the articles never use replaced by a close word they do use
        ("secretery" -> "secretary"), so misspelled questions still find their articles.
        English questions only: in another language, a word the articles never use is more
        often a right word than a wrong one (a question in Ukrainian over English articles)."""
        if language.of_question(query) != language.DEFAULT:
            return query

        def fix(match: re.Match[str]) -> str:
            word = match.group()
            lower = word.lower()
            if len(lower) < 4 or lower in _KNOWN or lower in self._known:
                return word
            close = difflib.get_close_matches(
                lower, self._by_initial.get(lower[0], []), n=1, cutoff=0.8
            )
            return close[0] if close else word

        return re.sub(r"[^\W\d_]+", fix, query)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, score) of the best `k` chunks with a positive score; `mask` zeroes rows out."""
        if self.bm25 is None:
            return []
        vocab = self.bm25.vocab_dict
        words = [w for w in language.tokenize(query, language.of_question(query)) if w in vocab]
        if not words:
            return []
        rows, scores = self.bm25.retrieve(
            [words], k=min(k, len(self.ids)), show_progress=False, n_threads=1, weight_mask=mask
        )
        return [
            (row, float(score))
            for row, score in zip(rows[0].tolist(), np.asarray(scores[0]).tolist(), strict=True)
            if score > 0
        ]
