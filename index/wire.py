"""What plain-text news copy says about itself: its dateline, byline, date and source lines.

Wire copy opens with a dateline that names the place and often the date and the agency:
"MOSCOW, November 12. /TASS/. …", "LONDON (Reuters) - …", "BEIJING, Nov. 12 (Xinhua) -- …".
Stories saved from a site keep a date line ("Published 12 November 2025 18:04", "12 листопада
2025"), a byline ("By Max Seddon") and an outlet line ("© 2025 The Moscow Times", "Source: Al
Jazeera and news agencies"). Every reader here looks at one line and returns None when the line
is not what it looks for: nothing is inferred from prose.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_TIME = (
    r"(?:,?\s+(?:at\s+)?(?P<time>\d{1,2}[:.]\d{2})(?:\s*(?P<half>am|pm|a\.m\.|p\.m\.))?"
    r"(?:\s*[A-Z]{2,4})?)?"
)
_WEEKDAY = r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?\s+)?"
_STAMP = r"(?:(?:Published|First published|Posted|Date|Dated)(?:\s+on)?:?\s+)?"
# A line that is only a date (maybe a time): "16 January 2026 11:37", "Wed 12 Nov 2025 18.04 GMT".
_DATE_LINES = [
    re.compile(
        rf"{_STAMP}{_WEEKDAY}(?P<d>\d{{1,2}})\s+(?P<m>{MONTHS})\.?,?\s+(?P<y>\d{{4}}){_TIME}", re.I
    ),
    re.compile(
        rf"{_STAMP}{_WEEKDAY}(?P<m>{MONTHS})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}}){_TIME}", re.I
    ),
    re.compile(
        rf"{_STAMP}(?P<y>\d{{4}})-(?P<mm>\d{{2}})-(?P<d>\d{{2}})"
        r"(?:[T ](?P<time>\d{2}:\d{2})(?::\d{2})?)?"
    ),
    re.compile(rf"{_STAMP}(?P<d>\d{{1,2}})\.(?P<mm>\d{{1,2}})\.(?P<y>\d{{4}}){_TIME}"),
]
# Date lines in other languages ("12 листопада 2025, 14:30") go to dateparser, which is slow:
# only short lines holding a year and a word are tried.
_FOREIGN_DATE = re.compile(r"(?=.*\b(?:19|20)\d{2}\b)(?=.*[^\W\d_]{3})[^\n]{6,40}")
# (a dot after a number is a German day, "12. November 2025", not the end of a sentence)
_NOT_A_FOREIGN_DATE = re.compile(
    r"(?<!\d)[.!?;:]\s|https?:|©|\(c\)|updated|обновлено|оновлено", re.I
)

_PLACE = r"(?P<place>[^\W\d_a-z][^\n,(/]{0,38}?)"  # MOSCOW, NEW YORK, دمشق، سوريا
_DAY = rf"(?:(?P<dd>\d{{1,2}})\s+(?P<dm>{MONTHS})|(?P<md>{MONTHS})\.?\s+(?P<mdd>\d{{1,2}}))"
# "MOSCOW, November 12. /TASS/.", "LONDON, Nov 12 (Reuters) -", "KABUL, Afghanistan (AP) --":
# a place in capitals, maybe its region, maybe a day, then the agency between slashes or in
# brackets followed by a dash.
_DATELINE = re.compile(
    rf"{_PLACE}(?:,\s*[A-Z][A-Za-z.' -]{{1,30}}?)?(?:[,.]\s*{_DAY}(?:,?\s+(?P<y>\d{{4}}))?)?\.?\s*"
    r"(?:/(?P<slash>[A-Z][\w-]{1,20})/\.?|\((?P<paren>[A-Z][\w .&'-]{1,30})\)\s*[-–—]{1,2})",
)
_NAME = r"[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3}"
# "By Max Seddon", "Max Seddon in Berlin and Henry Foy in Brussels" (the FT's), and the
# "Reporting by Andrew MacAskill; Editing by William James" that ends a Reuters story.
_IN_PLACE = r"[A-Z][\w -]{1,30}"
_BYLINES = [
    re.compile(rf"(?:By|Written by|Authors?:)\s+(?P<name>{_NAME})(?:,\s.{{0,40}})?"),
    re.compile(rf"(?P<name>{_NAME}) in {_IN_PLACE}(?: and {_NAME} in {_IN_PLACE})*"),
    re.compile(rf"(?:Additional )?[Rr]eporting by (?P<name>{_NAME})(?:[;,] .*| and .*)?"),
]
_LEGAL_FORM = re.compile(r"\s+(?:Limited|Ltd\.?|Inc\.?|LLC|plc|PLC|GmbH|S\.A\.|AG)$")
# "© 2025 The Moscow Times", "Copyright © 2025 Meduza", "Caliber.az © 2026": a name after the
# mark and the year, else before the mark.
_COPYRIGHT = re.compile(
    r"(?:(?:Copyright\s*)?(?:©|\(c\))|Copyright)\s*(?:\d{4}\s*,?\s*)?"
    r"(?P<b>(?:The\s+)?[^\W\d_][\w.&'«»\"-]*(?:\s+[^\W\d_][\w.&'«»\"-]*){0,3})"
    r"|(?P<a>[\w.-]+(?:\s[\w.-]+)?)\s*©"
)
_SOURCE = re.compile(
    r"(?:^|\s)(?:Source|Sources|Джерело|Источник)\s*:\s*-?\s*"
    r"(?P<name>[^\W\d_][\w.&' -]{1,40}?)(?:\s+and (?:news )?agencies)?\s*\.?$",
)
# The print credit closing a story: "(China Daily European Weekly 01/27/2017 page26)".
_EDITION = re.compile(
    r"\((?P<name>[A-Z][\w&'-]*(?:\s[A-Z][\w&'-]*){0,5}?)\s"
    r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})\s+page\s?\d+\)\s*$"
)
_EDITION_NAME = re.compile(
    r"(?:\s(?:European|Asia|Asian|Africa|African|USA|US|Global|International|Weekly|Weekend|"
    r"Sunday|Edition|Print))+$"
)
# A site's short link to the story: "Permalink http://dw.com/p/2S5Uo".
_PERMALINK = re.compile(r"\bPermalink:?\s+https?://(?:www\.)?(?P<host>[\w.-]+\.[a-z]{2,})/", re.I)
_DOMAIN = re.compile(r"[A-Za-z][\w-]*\.(?:az|com|net|org|ru|uk|co\.uk|info|news|io|de|fr|tv)", re.I)
_NOT_AN_OUTLET = {
    "copyright",
    "all",
    "all rights reserved",
    "rights reserved",
    "getty images",
    "reuters photo",
}


def date_line(line: str) -> str | None:
    """The ISO date (and time) of a line that is only a date; None for any other line."""
    line = line.strip()
    for pattern in _DATE_LINES:
        if match := pattern.fullmatch(line):
            parts = match.groupdict()
            month = int(parts["mm"]) if parts.get("mm") else _month(parts["m"])
            return _iso(
                int(parts["y"]), month, int(parts["d"]), parts.get("time"), parts.get("half")
            )
    if _FOREIGN_DATE.fullmatch(line) and not _NOT_A_FOREIGN_DATE.search(line):
        return _foreign_date(line)
    return None


def dateline(line: str, reference: datetime | None) -> tuple[str | None, str | None]:
    """(agency, ISO date) of a wire dateline at the start of the line, else (None, None).

    A dateline's day without a year ("November 12") is dated to the latest such day not after
    `reference` (when the copy was saved or fetched); with no reference it stays undated.
    """
    match = _DATELINE.match(line)
    if not match or match["place"].upper() != match["place"]:
        return None, None
    rest = line[match.end() :].strip()
    if rest and rest.upper() == rest:  # a headline in capitals: "TALKS (LIVE) - DAY 3"
        return None, None
    agency = match["slash"] or match["paren"]
    month, day = match["dm"] or match["md"], match["dd"] or match["mdd"]
    if not month:
        return agency, None
    if match["y"]:
        return agency, _iso(int(match["y"]), _month(month), int(day))
    if reference is None:
        return agency, None
    for year in (reference.year, reference.year - 1):
        date = _iso(year, _month(month), int(day))
        if date and date <= (reference + timedelta(days=1)).date().isoformat():
            return agency, date
    return agency, None


def byline(line: str) -> str | None:
    """The (first) author a byline line names; None for any other line."""
    for pattern in _BYLINES:
        if match := pattern.fullmatch(line):
            return match["name"]
    return None


def outlet_line(line: str) -> str | None:
    """The outlet a copyright, "Source:", print-edition, permalink or bare domain line names."""
    if match := _SOURCE.search(line):
        return _outlet(match["name"])
    if match := _EDITION.search(line):
        return _outlet(_EDITION_NAME.sub("", match["name"]))
    if match := _PERMALINK.search(line):
        return match["host"]
    if match := _COPYRIGHT.search(line):
        return _outlet(match["a"] or match["b"])
    return line if _DOMAIN.fullmatch(line) else None


def edition_date(line: str, reference: datetime | None = None) -> str | None:
    """The date of a print credit ("… 01/27/2017 page26)"), read month first as in the US
    editions that print it. When the day could be the month too ("02/10/2017"), `reference`
    (when the copy was saved) decides: month first unless that is after it and day first is
    not (a story is not saved before it is printed); with no reference, None."""
    match = _EDITION.search(line)
    if not match:
        return None
    year, first, second = int(match["y"]), int(match["m"]), int(match["d"])
    if second > 12 or first == second:
        return _iso(year, first, second)
    if reference is None:
        return None
    latest = (reference + timedelta(days=1)).date().isoformat()
    readings = [d for d in (_iso(year, first, second), _iso(year, second, first)) if d]
    return next((d for d in readings if d <= latest), None)


def _outlet(name: str | None) -> str | None:
    name = (name or "").split(". ")[0]  # "Reuters. All rights reserved"
    name = _LEGAL_FORM.sub("", name.strip(' .,-«»"'))
    if not name or name.isdigit() or name.lower() in _NOT_AN_OUTLET:
        return None
    return name


def _month(name: str) -> int:
    return datetime.strptime(name[:3].title(), "%b").month


def _iso(
    year: int, month: int, day: int, time: str | None = None, half: str | None = None
) -> str | None:
    try:
        moment = datetime(year, month, day)
    except ValueError:
        return None
    if not time:
        return moment.date().isoformat()
    hours, minutes = (int(part) for part in re.split(r"[:.]", time))
    if half and half[0].lower() in "ap" and hours <= 12:  # 12 am is midnight, 12 pm noon
        hours = hours % 12 + (12 if half[0].lower() == "p" else 0)
    if hours > 23 or minutes > 59:
        return moment.date().isoformat()
    return moment.replace(hour=hours, minute=minutes).isoformat(timespec="minutes")


def _foreign_date(line: str) -> str | None:
    import dateparser  # slow to import and to call: only for lines that look like dates

    settings = {"STRICT_PARSING": True, "REQUIRE_PARTS": ["day", "month", "year"]}
    parsed = dateparser.parse(line, settings=settings)
    if parsed is None:
        return None
    has_time = re.search(r"\d{1,2}[:.]\d{2}", line) is not None
    date = parsed.replace(tzinfo=None)
    return date.isoformat(timespec="minutes") if has_time else date.date().isoformat()
