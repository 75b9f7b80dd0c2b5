"""A story's coverage: its articles, read back from Chroma, as statements a timeline or a
comparison can quote.

Every statement is a sentence of its article's cleaned text, cut at the offsets the chunker
stored, so a quote of one is verbatim by construction (and checked again where it is shown).
Reading from the collection, not the local catalog, keeps this working against a Chroma
server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from newsdesk.index.claims import content_words
from newsdesk.index.embeddings import Embedder
from newsdesk.index.errors import BadQuestion, NoStory
from newsdesk.index.evidence import INSTRUCTION, relevant, select
from newsdesk.index.retrieve import Retriever
from newsdesk.index.sentences import sentences
from newsdesk.index.speakers import is_quotation, speaker
from newsdesk.index.store import Store
from newsdesk.index.stories import Story, day
from newsdesk.index.when import When, event_date

FIND_HITS = 8  # passages a query's story is chosen from
MIN_WORDS = 6  # shorter "sentences" are captions, credits and menu items
MAX_STATEMENT_CHARS = 600  # a longer one is a paragraph the sentence splitter could not cut


@dataclass(frozen=True)
class Statement:
    """One sentence of one article."""

    doc_id: str
    n: int  # its position in the article (0: the lead)
    text: str
    start: int  # offset in the article's text
    speaker: str | None
    when: When | None  # the date of the event it reports, when it gives one

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(content_words(self.text))


@dataclass
class Report:
    """An article of a story."""

    doc_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    path: str
    text: str
    statements: list[Statement] = field(default_factory=list)

    @property
    def outlet(self) -> str:
        """The outlet; an article of unknown origin is an outlet of its own."""
        if self.source:
            return self.source
        title = self.title if len(self.title) <= 40 else self.title[:39].rstrip() + "…"
        return f"unknown outlet (“{title}”)"

    @property
    def day(self) -> date | None:
        found = day(self.published)
        return date.fromisoformat(found) if found else None

    def cite(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "source": self.source,
            "date": self.published,
            "url": self.url,
            "path": self.path,
        }


def read(store: Store, story: str) -> list[Report]:
    """The articles of `story`, in publication order (undated last), their statements cut."""
    got = store.collection.get(where={"story": story}, include=["documents", "metadatas"])
    pieces: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for document, meta in zip(got["documents"], got["metadatas"], strict=True):
        pieces.setdefault(str(meta["doc_id"]), []).append((meta, document or ""))
    reports = []
    for doc_id, chunks in pieces.items():
        meta = chunks[0][0]
        reports.append(
            Report(
                doc_id,
                str(meta.get("title") or doc_id),
                meta.get("source"),
                meta.get("published"),
                meta.get("url"),
                str(meta.get("path", "")),
                _text(chunks),
            )
        )
    reports.sort(key=lambda r: (r.published is None, r.published or "", r.doc_id))
    for report in reports:
        report.statements = _statements(report)
    return reports


def _text(chunks: list[tuple[dict[str, Any], str]]) -> str:
    """An article's text from its chunks (overlapping slices of it, at stored offsets); what
    no chunk covers (whitespace between them) is a space."""
    end = max(int(meta["end"]) for meta, _ in chunks)
    buffer = [" "] * end
    for meta, document in chunks:
        start = int(meta["start"])
        buffer[start : start + len(document)] = document
    return "".join(buffer)


def _statements(report: Report) -> list[Statement]:
    found: list[Statement] = []
    previous: str | None = None
    for span in sentences(report.text):
        text = report.text[span.start : span.end].strip()
        words = len(text.split())
        usable = (
            words >= MIN_WORDS
            and len(text) <= MAX_STATEMENT_CHARS
            and text != report.title
            and not INSTRUCTION.search(text)  # never quoted, as in answers
        )
        if usable:
            start = report.text.index(text, span.start)
            who = speaker(text, previous) if is_quotation(text) else None
            found.append(
                Statement(report.doc_id, len(found), text, start, who, event_date(text, report.day))
            )
        previous = text
    return found


def find(query: str, stories: list[Story], retriever: Retriever, embedder: Embedder) -> Story:
    """The story `query` names: a story id, else the story of the passage that answers it
    best. NoStory (with the closest stories) when no passage is about it."""
    wanted = query.strip()
    by_id = {s.id: s for s in stories}
    if wanted in by_id:
        return by_id[wanted]
    if not wanted:
        raise BadQuestion("say which story: a story id (see `stories`) or a few words about it")
    of_doc = {doc_id: s for s in stories for doc_id in s.doc_ids}
    query, hits = retriever.search(wanted, FIND_HITS)
    evidence = select(query, hits, embedder)
    ranked: dict[str, int] = {}  # story -> the rank of its best passage
    for rank, hit in enumerate(hits):
        found = of_doc.get(str(hit.meta["doc_id"]))
        if found:
            ranked.setdefault(found.id, rank)
    order = sorted(ranked, key=lambda sid: ranked[sid])
    if not order or not relevant(wanted, evidence, hits):
        raise NoStory(wanted, [by_id[sid].label for sid in order[:3]])
    return by_id[order[0]]
