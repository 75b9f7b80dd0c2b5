"""A story's timeline: its events in date order, one line each, every line a verbatim quote.

The lines are the articles' own sentences: each article's lead (what it reports as news) and
the sentences that date an event themselves ("on Wednesday", "in January"). A line is dated
by its event's own date when the text gives one, read against its article's publication
date (`when.event_date`), else by the publication date, and says which; an undated article's
lines sort last, marked undated. The same fact in several outlets is one line naming all of
them. No language model is involved: nothing in a line is written, only quoted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from newsdesk.index.coverage import Report, Statement
from newsdesk.index.embeddings import Embedder
from newsdesk.index.stories import Story

PAGE_LINES = 25
MAX_DATED_PER_ARTICLE = 6  # sentences with their own date, besides the lead
MAX_BACKGROUND_YEARS = 30  # an event date further back is history, not this story
MAX_COMPARED = 400  # candidate sentences compared pairwise (and embedded); more: same words only
SAME_FACT = 0.8  # cosine of two sentences that state one fact
SAME_WORDS = 0.5  # or the share of content words they have in common
_PRECISION = {"day": 0, "month": 1, "year": 2}


@dataclass
class Line:
    date: str | None  # "2017-03-22", "2017-03", "2017"; None for an undated article
    dated_by: str  # "event" (the text's own date), "published" or "undated"
    phrase: str | None  # the words that gave an event date
    quote: str  # verbatim from the first report
    speaker: str | None
    reports: list[Report]  # the articles that state it, the quoted one first
    verified: bool = True  # the quote is in its article's text
    _key: tuple[Any, ...] = field(default=(), repr=False)

    @property
    def outlets(self) -> list[str]:
        return list(dict.fromkeys(r.outlet for r in self.reports))

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "dated_by": self.dated_by,
            "phrase": self.phrase,
            "quote": self.quote,
            "speaker": self.speaker,
            "outlets": self.outlets,
            "sources": [r.cite() for r in self.reports],
            "verified": self.verified,
        }


@dataclass
class Timeline:
    story: Story
    lines: list[Line]  # this page's
    total: int  # lines in the whole timeline
    page: int
    pages: int
    outlets: list[str]

    @property
    def single_outlet(self) -> bool:
        return len(self.outlets) <= 1

    def to_json(self) -> dict[str, Any]:
        return {
            "story": self.story.to_json(),
            "outlets": self.outlets,
            "single_outlet": self.single_outlet,
            "lines": [line.to_json() for line in self.lines],
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
        }


def _events(report: Report) -> list[Statement]:
    """The lead, and the sentences that date their event (those nearest the article's date
    first), of one article."""
    chosen = report.statements[:1]
    published = report.day
    dated = [
        s
        for s in report.statements[1:]
        if s.when
        and (published is None or published.year - s.when.start.year <= MAX_BACKGROUND_YEARS)
    ]
    if published is not None:
        dated.sort(key=lambda s: abs((s.when.start - published).days) if s.when else 0)
    chosen += sorted(dated[:MAX_DATED_PER_ARTICLE], key=lambda s: s.n)
    return chosen


def build(
    story: Story,
    reports: list[Report],
    embedder: Embedder,
    *,
    page: int = 1,
    per_page: int = PAGE_LINES,
) -> Timeline:
    candidates = [(r, s) for r in reports for s in _events(r)]
    # A huge story (thousands of articles) merges only sentences with the same words: every
    # pair compared, or every sentence embedded, would take minutes per page.
    pairwise = len(candidates) <= MAX_COMPARED
    similar = None
    if pairwise and candidates:
        vectors = embedder.embed([s.text for _, s in candidates])
        similar = embedder.calibrate(vectors @ vectors.T, "similarity")
    lines: list[Line] = []
    firsts: list[int] = []  # the candidate each line quotes
    by_words: dict[frozenset[str], Line] = {}
    for k, (report, statement) in enumerate(candidates):
        if similar is not None:
            same = next(
                (
                    line
                    for line, first in zip(lines, firsts, strict=True)
                    if report not in line.reports
                    and _same(candidates[first][1], statement, float(similar[first, k]))
                ),
                None,
            )
        else:
            same = by_words.get(statement.words)
            same = same if same is not None and report not in same.reports else None
        if same is not None:
            same.reports.append(report)
            if same.dated_by != "event" and statement.when:
                _date(same, statement, report)
            continue
        line = Line(None, "undated", None, statement.text, statement.speaker, [report])
        line.verified = report.text[statement.start :].startswith(statement.text)
        _date(line, statement, report)
        lines.append(line)
        firsts.append(k)
        by_words.setdefault(statement.words, line)
    lines.sort(key=lambda line: line._key)
    pages = max(1, math.ceil(len(lines) / per_page))
    page = min(max(1, page), pages)
    outlets = list(dict.fromkeys(r.outlet for r in reports))
    shown = lines[(page - 1) * per_page : page * per_page]
    return Timeline(story, shown, len(lines), page, pages, outlets)


def _same(a: Statement, b: Statement, similarity: float) -> bool:
    shared = len(a.words & b.words) / max(1, len(a.words | b.words))
    return shared >= SAME_WORDS or similarity >= SAME_FACT


def _date(line: Line, statement: Statement, report: Report) -> None:
    """Date `line` by the statement's own event date, else its article's publication day."""
    published = report.day
    if statement.when:
        when = statement.when
        line.date, line.dated_by, line.phrase = when.value, "event", when.phrase
        line._key = (False, when.start, _PRECISION[when.precision], report.published or "")
    elif published:
        line.date, line.dated_by = published.isoformat(), "published"
        line._key = (False, published, 0, report.published or "")
    else:
        line._key = (True, None, 0, report.doc_id)
