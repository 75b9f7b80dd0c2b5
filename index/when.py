"""Time in news copy and in questions: the date an event happened, and the window a question
asks about.

Articles say "on Wednesday", "last month", "in January", "March 22": read against the
article's publication date, these give the event's own date, which a timeline sorts by.
Questions say "last week", "since 1 November", "in 2025", "after the summit": read against an
anchor ("now": today, or the archive's newest date when the archive is older), these become a
date window that retrieval applies. English only; nothing here is guessed from prose beyond
the expression itself, and a sentence without one has no event date.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

_MONTH_NAMES = {
    **{name.lower(): n for n, name in enumerate(calendar.month_name) if name},
    **{name.lower(): n for n, name in enumerate(calendar.month_abbr) if name},
    "sept": 9,
}
MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|" + (
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)(?:\.|(?!\w))"
)
_WEEKDAYS = {name.lower(): n for n, name in enumerate(calendar.day_name)}
WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
# "March 22, 2017", "22 March 2017", "March 22", "22nd of March", "2017-03-22"
_DAY_MONTH = (
    rf"(?:(?P<m1>{MONTHS})\s+(?P<d1>\d{{1,2}}){_ORDINAL}(?:,?\s+(?P<y1>{_YEAR}))?"
    rf"|(?P<d2>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<m2>{MONTHS})(?:,?\s+(?P<y2>{_YEAR}))?"
    r"|(?P<y3>(?:19|20)\d{2})-(?P<mm3>\d{2})-(?P<d3>\d{2}))(?!\d)"
)
_MONTH_YEAR = rf"(?P<m4>{MONTHS})(?:\s+(?:of\s+)?(?P<y4>{_YEAR}))?"
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "several": 3, "few": 3, "a few": 3,
}  # fmt: skip


@dataclass(frozen=True)
class When:
    """A date at some precision: "2017-03-22", "2017-03" or "2017"."""

    start: date
    precision: str  # "day", "month" or "year"
    phrase: str = ""  # the words that gave it

    @property
    def value(self) -> str:
        if self.precision == "year":
            return f"{self.start.year}"
        if self.precision == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        return self.start.isoformat()

    @property
    def end(self) -> date:
        """The last day it covers."""
        if self.precision == "year":
            return date(self.start.year, 12, 31)
        if self.precision == "month":
            return _month_end(self.start.year, self.start.month)
        return self.start


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month(name: str) -> int:
    return _MONTH_NAMES[name.lower().rstrip(".")]


def _nearest_year(month: int, day: int, reference: date, past: bool) -> date | None:
    """The date with this month and day nearest `reference` (with `past`: the latest not after
    it); None when there is no such day (30 February)."""
    options = []
    for year in (reference.year - 1, reference.year, reference.year + 1):
        try:
            options.append(date(year, month, day))
        except ValueError:
            continue
    if past:
        options = [d for d in options if d <= reference]
    return min(options, key=lambda d: abs((d - reference).days), default=None)


def _latest_month(month: int, reference: date) -> date:
    """The first day of the latest such month not after `reference`."""
    year = reference.year if month <= reference.month else reference.year - 1
    return date(year, month, 1)


def _day_month(m: re.Match[str], reference: date, past: bool) -> When | None:
    """A date matched by `_DAY_MONTH`, its missing year taken from `reference`."""
    if m.group("y3"):
        try:
            iso = date(int(m.group("y3")), int(m.group("mm3")), int(m.group("d3")))
        except ValueError:
            return None
        return When(iso, "day", m.group())
    month = _month(m.group("m1") or m.group("m2"))
    number = int(m.group("d1") or m.group("d2"))
    year = m.group("y1") or m.group("y2")
    try:
        day: date | None = (
            date(int(year), month, number)
            if year
            else _nearest_year(month, number, reference, past)
        )
    except ValueError:
        return None
    return When(day, "day", m.group()) if day else None


# -- the date of an event an article reports --------------------------------------------------

_FUTURE = re.compile(
    r"\b(?:will|would|shall|is to|are to|is due|are due|due to|scheduled|planned|plans to|"
    r"expected to|set to|is going to|are going to|next|upcoming|coming)\b",
    re.I,
)
_EVENT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("dmy", re.compile(rf"\b{_DAY_MONTH}", re.I)),
    (
        "weekday",
        re.compile(rf"\b(?P<next>next\s+|last\s+|this\s+(?:past\s+)?)?(?P<wd>{WEEKDAY})\b(?!'s)"),
    ),
    ("yesterday", re.compile(r"\byesterday\b|\blast night\b", re.I)),
    ("today", re.compile(r"\b(?:today|tonight|this (?:morning|afternoon|evening))\b", re.I)),
    ("tomorrow", re.compile(r"\btomorrow\b", re.I)),
    (
        "ago",
        re.compile(
            r"\b(?P<n>\d+|a few|an?|one|two|three|four|five|six|seven|"
            r"eight|nine|ten|several|few)\s+(?P<unit>days?|weeks?|months?|years?)\s+ago\b",
            re.I,
        ),
    ),
    (
        "rel_month",
        re.compile(r"\b(?P<which>last|this|next|earlier this|later this)\s+month\b", re.I),
    ),
    ("rel_year", re.compile(r"\b(?P<which>last|this|next|earlier this|later this)\s+year\b", re.I)),
    ("rel_week", re.compile(r"\b(?P<which>last|this|next|earlier this|later this)\s+week\b", re.I)),
    (
        "month_year",
        re.compile(
            rf"\b(?i:in|since|from|during|by|until|of|early|late|mid-?)\s+"
            rf"(?:early\s+|late\s+|mid-?)?{_MONTH_YEAR}\b"
        ),
    ),
    ("year", re.compile(rf"\b(?i:in|during|by|of)\s+(?:early\s+|late\s+|mid-?)?(?P<y5>{_YEAR})\b")),
]
_PRECEDENCE = {"day": 0, "month": 1, "year": 2}


def event_date(sentence: str, published: date | None) -> When | None:
    """The date of the event `sentence` reports, read against the article's `published` date:
    "on Wednesday" is the Wednesday on or before it ("next Wednesday", or a sentence about
    what will happen, the one after), "in January" the latest January not after it, "last
    month" the month before. With several dates, the most precise one wins (the day of the
    event over the year of its background), then the first. Without `published`, only dates
    that carry their year count."""
    found: list[tuple[int, int, When]] = []
    future = bool(_FUTURE.search(sentence))
    for kind, pattern in _EVENT_PATTERNS:
        for m in pattern.finditer(sentence):
            when = _read_event(kind, m, published, future)
            if when is not None:
                found.append((_PRECEDENCE[when.precision], m.start(), when))
    return min(found, key=lambda f: (f[0], f[1]))[2] if found else None


def _read_event(kind: str, m: re.Match[str], published: date | None, future: bool) -> When | None:
    phrase = m.group().strip()
    if kind == "dmy":
        if published is None and not (m.group("y1") or m.group("y2") or m.group("y3")):
            return None
        return _day_month(m, published or date.min, past=not future)
    if kind == "year":
        return When(date(int(m.group("y5")), 1, 1), "year", phrase)
    if kind == "month_year" and m.group("y4"):
        return When(date(int(m.group("y4")), _month(m.group("m4")), 1), "month", phrase)
    if published is None:
        return None
    if kind == "month_year":
        month = _month(m.group("m4"))
        start = (
            date(published.year + (month < published.month), month, 1)
            if future and month != published.month
            else _latest_month(month, published)
        )
        return When(start, "month", phrase)
    if kind == "weekday":
        weekday = _WEEKDAYS[m.group("wd").lower()]
        which = (m.group("next") or "").strip().lower()
        back = (published.weekday() - weekday) % 7
        if which == "next" or (future and which != "last" and back):
            ahead = (weekday - published.weekday()) % 7 or 7
            return When(published + timedelta(days=ahead), "day", phrase)
        if which == "last" and not back:
            back = 7
        return When(published - timedelta(days=back), "day", phrase)
    if kind == "yesterday":
        return When(published - timedelta(days=1), "day", phrase)
    if kind == "today":
        return When(published, "day", phrase)
    if kind == "tomorrow":
        return When(published + timedelta(days=1), "day", phrase)
    if kind == "ago":
        n = _NUMBERS.get(m.group("n").lower()) or int(m.group("n"))
        unit = m.group("unit").lower().rstrip("s")
        if unit == "day":
            return When(published - timedelta(days=n), "day", phrase)
        if unit == "week":
            return When(published - timedelta(weeks=n), "day", phrase)
        if unit == "month":
            year, month = divmod(published.year * 12 + published.month - 1 - n, 12)
            return When(date(year, month + 1, 1), "month", phrase)
        return When(date(published.year - n, 1, 1), "year", phrase)
    which = m.group("which").lower()
    step = {"last": -1, "next": 1}.get(which, 0)
    if kind == "rel_month":
        year, month = divmod(published.year * 12 + published.month - 1 + step, 12)
        return When(date(year, month + 1, 1), "month", phrase)
    if kind == "rel_year":
        return When(date(published.year + step, 1, 1), "year", phrase)
    # a week is not a precision of its own: its month, when the whole week lies in one
    monday = published - timedelta(days=published.weekday()) + timedelta(weeks=step)
    sunday = monday + timedelta(days=6)
    if monday.month == sunday.month:
        return When(date(monday.year, monday.month, 1), "month", phrase)
    return None


# -- the window a question asks about ---------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The dates a question asks about (either end may be open) and the words that said so.

    `after` is set for "after <event>": the window starts at that event's date, which only
    the archive knows (the engine finds it); `latest` for "latest on …"."""

    since: date | None
    until: date | None
    phrase: str
    relative: bool = False  # read against the anchor ("last week"), not absolute ("in 2025")
    after: str | None = None
    latest: bool = False
    anchor: date | None = None  # "now", for a relative window
    archive_anchor: bool = False  # the anchor is the archive's newest date, not today
    unmet: bool = False  # nothing of those dates answered: the answer is from any date

    def describe(self) -> str:
        if self.since and self.until:
            span = (
                self.since.isoformat()
                if self.since == self.until
                else f"{self.since.isoformat()} to {self.until.isoformat()}"
            )
        elif self.since:
            span = f"from {self.since.isoformat()}"
        elif self.until:
            span = f"up to {self.until.isoformat()}"
        else:
            span = "any date"
        if self.after:
            return f"{span} (“{self.phrase}”: from the first report of it)"
        if self.latest:
            return f"{span} (“{self.phrase}”: the last week of its coverage)"
        if self.relative and self.anchor:
            now = (
                f"the archive's newest article, {self.anchor.isoformat()}"
                if self.archive_anchor
                else f"today, {self.anchor.isoformat()}"
            )
            return f"{span} (“{self.phrase}”, counted from {now})"
        return f"{span} (“{self.phrase}”)"

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "phrase": self.phrase,
            "anchor": self.anchor.isoformat() if self.anchor and self.relative else None,
            "anchored_to": ("archive" if self.archive_anchor else "today")
            if self.relative
            else None,
            "unmet": self.unmet,
        }


_DATE = rf"(?:{_DAY_MONTH}|{_MONTH_YEAR}|(?P<y5>{_YEAR}))"
_UNTIL_PUNCT = r"(?=[?,;.]|\s*$)"
# A date as a question writes it, without named groups (`_parse_date` reads it again).
_PLAIN_DATE = (
    rf"(?:\d{{1,2}}{_ORDINAL}\s+(?:of\s+)?{MONTHS}(?:,?\s+{_YEAR})?"
    rf"|{MONTHS}\s+\d{{1,2}}{_ORDINAL}(?:,?\s+{_YEAR})?|{MONTHS}(?:\s+{_YEAR})?|{_YEAR}"
    r"|(?:19|20)\d{2}-\d{2}-\d{2})"
)
_FIRST_DAY = rf"\d{{1,2}}{_ORDINAL}"  # "between 1 and 10 March"
_HOW_MANY = r"\d+|two|three|four|five|six|seven|ten|few|several"


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.I)


_WINDOWS: list[tuple[str, re.Pattern[str]]] = [
    (
        "between",
        _pattern(
            rf"\b(?:between|from)\s+(?P<a>{_FIRST_DAY}|{_PLAIN_DATE})\s+(?:and|to|until|till)\s+"
            rf"(?P<b>{_PLAIN_DATE})(?!\w)"
        ),
    ),
    (
        "since",
        _pattern(
            r"\b(?P<op>since|after|from)\s+(?:the\s+(?:start|beginning)\s+of\s+)?"
            rf"(?P<a>{_PLAIN_DATE})(?!\w)"
        ),
    ),
    (
        "until",
        _pattern(
            r"\b(?P<op>before|until|till|up to|through)\s+(?:the\s+end\s+of\s+)?"
            rf"(?P<a>{_PLAIN_DATE})(?!\w)"
        ),
    ),
    (
        "after_event",
        _pattern(
            r"\b(?:after|since|following)\s+"
            r"(?P<a>(?:the|a|an|his|her|their|its)\s+[^?,;]{3,90}?)"
            rf"{_UNTIL_PUNCT}"
        ),
    ),
    ("yesterday", _pattern(r"\byesterday\b")),
    ("today", _pattern(r"\btoday\b")),
    (
        "past",
        _pattern(
            r"\b(?:(?:in\s+)?the\s+(?:past|last)|past|last)\s+"
            rf"(?:(?P<n>{_HOW_MANY})\s+)?(?P<unit>days?|weeks?|months?)\b"
        ),
    ),
    ("this_week", _pattern(r"\bthis\s+week\b")),
    ("last_week", _pattern(r"\blast\s+week\b")),
    ("this_month", _pattern(r"\bthis\s+month\b")),
    ("last_month", _pattern(r"\blast\s+month\b")),
    ("this_year", _pattern(r"\bthis\s+year\b")),
    ("last_year", _pattern(r"\blast\s+year\b")),
    ("on", _pattern(rf"\b(?:on|in|during|of)\s+(?:early\s+|late\s+)?(?P<a>{_DATE})(?!\s*\d)")),
    (
        "latest",
        _pattern(
            r"\b(?:the\s+)?(?:latest|most recent|newest|what'?s new|recent news)"
            r"(?:\s+(?:news\s+)?(?:on|about|in|from|with))?\b"
        ),
    ),
]


def _parse_date(text: str, anchor: date) -> When | None:
    """One date in `text`: a day, a month or a year; a missing year is the latest such date
    not after `anchor`."""
    text = text.strip()
    if m := re.fullmatch(_DAY_MONTH, text, re.I):
        return _day_month(m, anchor, past=True)
    if m := re.fullmatch(rf"(?:early\s+|late\s+)?{_MONTH_YEAR}", text, re.I):
        month = _month(m.group("m4"))
        if m.group("y4"):
            return When(date(int(m.group("y4")), month, 1), "month", text)
        return When(_latest_month(month, anchor), "month", text)
    if re.fullmatch(_YEAR, text):
        return When(date(int(text), 1, 1), "year", text)
    return None


def window(question: str, anchor: date) -> Window | None:
    """The date window `question` asks about, read against `anchor`; None when it names no
    time. "after the summit" (not a date) gives a window with `after="the summit"`."""
    for kind, pattern in _WINDOWS:
        for m in pattern.finditer(question):
            found = _read_window(kind, m, anchor)
            if found is not None:
                return found
    return None


def _read_window(kind: str, m: re.Match[str], anchor: date) -> Window | None:
    phrase = m.group().strip()
    if kind == "between":
        end = _parse_date(m.group("b"), anchor)
        if end is None:
            return None
        first = m.group("a").strip()
        if re.fullmatch(_FIRST_DAY, first):  # "between 1 and 10 March": the month of the end
            try:
                start = end.start.replace(day=int(re.sub(r"\D", "", first)))
            except ValueError:
                return None
        else:
            parsed = _parse_date(first, end.end)
            if parsed is None:
                return None
            start = parsed.start
        return Window(start, end.end, phrase)
    if kind == "since":
        when = _parse_date(m.group("a"), anchor)
        if when is None:
            return None
        after = m.group("op").lower() == "after"
        return Window(when.end + timedelta(days=1) if after else when.start, None, phrase)
    if kind == "until":
        when = _parse_date(m.group("a"), anchor)
        if when is None:
            return None
        last = when.start - timedelta(days=1) if m.group("op").lower() == "before" else when.end
        return Window(None, last, phrase)
    if kind == "after_event":
        return Window(None, None, phrase, after=m.group("a").strip())
    if kind == "on":
        when = _parse_date(m.group("a"), anchor)
        return Window(when.start, when.end, phrase) if when else None
    if kind == "latest":
        return Window(None, None, phrase, latest=True)
    monday = anchor - timedelta(days=anchor.weekday())
    spans = {
        "yesterday": (anchor - timedelta(days=1), anchor - timedelta(days=1)),
        "today": (anchor, anchor),
        "this_week": (monday, anchor),
        "last_week": (monday - timedelta(weeks=1), monday - timedelta(days=1)),
        "this_month": (anchor.replace(day=1), anchor),
        "this_year": (date(anchor.year, 1, 1), anchor),
        "last_year": (date(anchor.year - 1, 1, 1), date(anchor.year - 1, 12, 31)),
    }
    if kind == "last_month":
        last = anchor.replace(day=1) - timedelta(days=1)
        spans[kind] = (last.replace(day=1), last)
    if kind == "past":
        unit = m.group("unit").lower().rstrip("s")
        if not m.group("n") and phrase.lower().startswith("last") and unit != "day":
            return None  # "last week" is the calendar week before (below)
        n = _NUMBERS.get((m.group("n") or "one").lower()) or int(m.group("n"))
        days = {"day": 1, "week": 7, "month": 30}[unit] * n
        if unit == "day" and (m.group("n") or "").lower() in ("few", "several"):
            days = 7  # "the past few days": the past week
        spans[kind] = (anchor - timedelta(days=days - 1), anchor)
    since, until = spans[kind]
    return Window(since, until, phrase, relative=True)


def strip(question: str, found: Window) -> str:
    """The question without the words of its window, for retrieval ("what did May say last
    week?" searches "what did May say")."""
    if not found.phrase or found.after:
        return question
    rest = question.replace(found.phrase, " ")
    rest = re.sub(r"(?:\b(?:on|in|at|the|during|what's|whats)\s*)+(?=[?.!]?\s*$)", "", rest)
    rest = re.sub(r"\s+([?.!,])", r"\1", " ".join(rest.split())).strip(" ,;")
    return rest if re.search(r"\w", rest) else question
