"""Outlets side by side: what each reports that the others don't, whom each quotes, and where
they disagree.

Sentences of different outlets are aligned by the content words they share. A sentence another
outlet carries word for word agrees with it and is compared with nothing else. An aligned pair
that differs in a number, a date or a name, or where one denies what the other states, is a
disagreement: both sentences are quoted, verbatim. A sentence no other outlet has anything
like is what its outlet alone reports. Everything is lexical and quick; no model is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from newsdesk.index.claims import names, numbers, polarity_conflict
from newsdesk.index.coverage import Report, Statement
from newsdesk.index.stories import Story
from newsdesk.index.when import MONTHS, WEEKDAY

ALIGNED = 0.5  # share of content words two sentences have in common to say the same thing
ALIGNED_MIN_WORDS = 5  # ... and at least this many
UNIQUE_BELOW = 0.25  # a sentence sharing less than this with every other outlet's is its own
MAX_UNIQUE = 5  # per outlet
MAX_QUOTED = 8  # speakers per outlet
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_DAY_WORDS = re.compile(rf"\b(?:{MONTHS}|{WEEKDAY}|yesterday|today|tomorrow)\b")


@dataclass(frozen=True)
class Quoted:
    quote: str
    report: Report

    def to_json(self) -> dict[str, Any]:
        return {"quote": self.quote, **self.report.cite()}


@dataclass
class Conflict:
    kind: str  # "number", "date", "name" or "denial"
    detail: str  # what differs: "2012 / 2022"
    sides: list[Quoted]  # one statement per outlet

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "detail": self.detail,
            "sides": [s.to_json() for s in self.sides],
        }


@dataclass
class OutletView:
    outlet: str
    reports: list[Report]
    only_here: list[Quoted] = field(default_factory=list)
    quotes: dict[str, Quoted] = field(default_factory=dict)  # speaker -> one of their quotes

    def to_json(self) -> dict[str, Any]:
        return {
            "outlet": self.outlet,
            "articles": [r.cite() for r in self.reports],
            "only_here": [q.to_json() for q in self.only_here],
            "quotes": [{"speaker": who, **q.to_json()} for who, q in self.quotes.items()],
        }


@dataclass
class Comparison:
    story: Story
    outlets: list[OutletView]
    conflicts: list[Conflict]

    @property
    def single_outlet(self) -> bool:
        return len(self.outlets) <= 1

    def to_json(self) -> dict[str, Any]:
        return {
            "story": self.story.to_json(),
            "single_outlet": self.single_outlet,
            "outlets": [o.to_json() for o in self.outlets],
            "conflicts": [c.to_json() for c in self.conflicts],
        }


def overlap(a: Statement, b: Statement) -> float:
    return len(a.words & b.words) / max(1, len(a.words | b.words))


def build(story: Story, reports: list[Report]) -> Comparison:
    views: dict[str, OutletView] = {}
    for report in reports:
        views.setdefault(report.outlet, OutletView(report.outlet, [])).reports.append(report)
    index: dict[str, list[tuple[str, Report, Statement]]] = {}  # word -> where it occurs
    for report in reports:
        for s in report.statements:
            for word in s.words:
                index.setdefault(word, []).append((report.outlet, report, s))
    carried: dict[str, set[str]] = {}  # outlet -> its sentences, word for word
    for report in reports:
        carried.setdefault(report.outlet, set()).update(s.text for s in report.statements)
    conflicts: list[Conflict] = []
    seen: set[tuple[str, str]] = set()
    for view in views.values():
        for report in view.reports:
            for s in report.statements:
                best = 0.0
                for outlet, other_report, other in _neighbours(s, index):
                    if outlet == view.outlet:
                        continue
                    share = overlap(s, other)
                    best = max(best, share)
                    if s.text in carried[outlet] or other.text in carried[view.outlet]:
                        continue  # one outlet carries the other's sentence word for word
                    pair = tuple(
                        sorted((f"{report.doc_id}:{s.n}", f"{other_report.doc_id}:{other.n}"))
                    )
                    if share >= ALIGNED and pair not in seen:
                        seen.add(pair)  # type: ignore[arg-type]
                        found = disagreement(s.text, other.text)
                        if found:
                            kind, detail = found
                            sides = [Quoted(s.text, report), Quoted(other.text, other_report)]
                            conflicts.append(Conflict(kind, detail, sides))
                if best < UNIQUE_BELOW and len(view.only_here) < MAX_UNIQUE and len(views) > 1:
                    view.only_here.append(Quoted(s.text, report))
                if s.speaker and s.speaker not in view.quotes and len(view.quotes) < MAX_QUOTED:
                    view.quotes[s.speaker] = Quoted(s.text, report)
    return Comparison(story, list(views.values()), conflicts)


def _neighbours(
    s: Statement, index: dict[str, list[tuple[str, Report, Statement]]]
) -> list[tuple[str, Report, Statement]]:
    """Sentences sharing at least `ALIGNED_MIN_WORDS` content words with `s`."""
    counts: dict[int, int] = {}
    where: dict[int, tuple[str, Report, Statement]] = {}
    for word in s.words:
        for entry in index.get(word, ()):
            key = id(entry[2])
            counts[key] = counts.get(key, 0) + 1
            where[key] = entry
    return [where[k] for k, n in counts.items() if n >= ALIGNED_MIN_WORDS]


def disagreement(a: str, b: str) -> tuple[str, str] | None:
    """How two sentences that say the same thing differ, if they contradict: (kind, detail)."""
    years_a, years_b = set(_YEAR.findall(a)), set(_YEAR.findall(b))
    if years_a and years_b and years_a != years_b:
        return "date", f"{', '.join(sorted(years_a))} / {', '.join(sorted(years_b))}"
    days_a = {w.lower() for w in _DAY_WORDS.findall(a)}
    days_b = {w.lower() for w in _DAY_WORDS.findall(b)}
    if days_a and days_b and not days_a & days_b:
        return "date", f"{', '.join(sorted(days_a))} / {', '.join(sorted(days_b))}"
    nums_a, nums_b = numbers(_YEAR.sub(" ", a)), numbers(_YEAR.sub(" ", b))
    if nums_a and nums_b and nums_a != nums_b and nums_a - nums_b and nums_b - nums_a:
        shown = [
            ", ".join(f"{n:g}" for n in sorted(side - other))
            for side, other in ((nums_a, nums_b), (nums_b, nums_a))
        ]
        return "number", " / ".join(shown)
    names_a, names_b = names(" " + a), names(" " + b)
    only_a, only_b = names_a - names_b, names_b - names_a
    if only_a and only_b and len(only_a) <= 2 and len(only_b) <= 2:
        return "name", f"{', '.join(sorted(only_a))} / {', '.join(sorted(only_b))}"
    if polarity_conflict(a, b) or polarity_conflict(b, a):
        return "denial", "one says the opposite"
    return None
