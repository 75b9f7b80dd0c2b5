"""Plain-text wire conventions: the one-line readers, and what load() makes of real shapes."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.index import wire
from newsdesk.index.articles import Article, load

PROSE = (
    "Officials in both capitals described the exchange as businesslike and said further "
    "meetings were likely before the end of the month."
)
TASS = (
    "Kremlin expects the next round of consultations soon\n\n"
    "MOSCOW, November 12. /TASS/. The Kremlin expects another round of consultations in the "
    "coming days, its spokesman told reporters on Wednesday.\n\n" + PROSE + "\n"
)


def saved(tmp_path: Path, name: str, text: str, mtime: str | None = None) -> Article:
    """Load `text` from a file whose mtime (UTC) is `mtime`: when the copy was saved."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    if mtime:
        stamp = datetime.fromisoformat(mtime).replace(tzinfo=UTC).timestamp()
        os.utime(path, (stamp, stamp))
    return load(path)


# -- real-world shapes through load() ---------------------------------------------------------


@pytest.mark.parametrize(
    ("mtime", "published"),
    [
        ("2025-11-13T09:00", "2025-11-12"),
        ("2026-01-05T09:00", "2025-11-12"),
        ("2026-11-30T09:00", "2026-11-12"),
    ],
)
def test_a_tass_dateline_without_a_year_is_the_latest_such_day_before_the_mtime(
    tmp_path: Path, mtime: str, published: str
) -> None:
    a = saved(tmp_path, "tass.txt", TASS, mtime)
    assert (a.published, a.source) == (published, "TASS")
    assert a.text.split("\n\n")[1].startswith("MOSCOW, November 12. /TASS/. The Kremlin")


@pytest.mark.parametrize(
    ("front", "published"),
    [("fetched: 2025-11-13T08:00:00Z\n", "2025-11-12"), ("title: Kremlin talks\n", "2026-11-12")],
)
def test_front_matter_fetched_dates_a_markdown_wire_story_whatever_the_mtime(
    tmp_path: Path, front: str, published: str
) -> None:
    a = saved(tmp_path, "tass.md", f"---\n{front}---\n{TASS}", "2027-03-01T09:00")
    assert (a.published, a.source) == (published, "TASS")


def test_an_ft_story_keeps_only_its_prose(tmp_path: Path) -> None:
    lead = (
        "German ministers are discussing a fresh package of air defence systems for Ukraine, "
        "according to three people familiar with the talks."
    )
    a = saved(
        tmp_path,
        "ft.txt",
        "Germany weighs new air defence package for Kyiv\n\n"
        "Max Seddon in Berlin and Henry Foy in Brussels\n\nPublished November 13 2025\n\n"
        f"{lead}\n\n{PROSE}\n\n"
        "Copyright The Financial Times Limited 2025. All rights reserved.\n",
    )
    assert (a.published, a.source, a.byline) == ("2025-11-13", "The Financial Times", "Max Seddon")
    assert a.text == "\n\n".join(["Germany weighs new air defence package for Kyiv", lead, PROSE])


@pytest.mark.parametrize(
    "headline",
    [
        "Уряд погодив новий пакет допомоги",  # 33 characters
        "Уряд погодив новий пакет допомоги для прифронтових громад",
    ],
    ids=["short-headline", "long-headline"],
)
def test_a_ukrainian_story_has_its_date_line_and_source_line(tmp_path: Path, headline: str) -> None:
    lead = "Уряд у середу погодив новий пакет допомоги громадам, повідомили в міністерстві."
    a = saved(
        tmp_path,
        "up.txt",
        f"{headline}\n\n12 листопада 2025, 14:30\n\n{lead}\n\nДжерело: Українська правда\n",
    )
    assert (a.title, a.published, a.source) == (headline, "2025-11-12T14:30", "Українська правда")
    assert a.text == f"{headline}\n\n{lead}"


AGENCY_COPY = {  # how the copy opens, how it ends, and (published, source, byline)
    "reuters": (
        "LONDON, Nov 12 (Reuters) -",
        "Reporting by Andrew MacAskill; Editing by William James",
        ("2025-11-12", "Reuters", "Andrew MacAskill"),
    ),
    "ap": ("WASHINGTON (AP) —", "", (None, "AP", None)),
    "xinhua": ("BEIJING, Nov. 12 (Xinhua) --", "", ("2025-11-12", "Xinhua", None)),
    "al-jazeera": ("", "Source: Al Jazeera and news agencies", (None, "Al Jazeera", None)),
    "al-jazeera-mangled-dash": ("", "Source:-Al Jazeera", (None, "Al Jazeera", None)),
    "dateline-with-year": (
        "NEW YORK, November 12, 2025 (Reuters) -",
        "",
        ("2025-11-12", "Reuters", None),
    ),
}


@pytest.mark.parametrize(("opening", "footer", "expected"), AGENCY_COPY.values(), ids=AGENCY_COPY)
def test_agency_copy_names_its_outlet_and_date(
    tmp_path: Path, opening: str, footer: str, expected: tuple[str | None, ...]
) -> None:
    lead = f"{opening} Talks went on for a third day on Wednesday, officials said.".strip()
    text = f"Diplomats meet again as the week's talks go on\n\n{lead}\n\n{PROSE}\n\n{footer}\n"
    a = saved(tmp_path, "wire.txt", text, "2025-11-13T09:00")
    assert (a.published, a.source, a.byline) == expected
    assert a.text.split("\n\n")[1:] == [lead, PROSE]


# -- never guess: what must give no date and no outlet ----------------------------------------


NOT_METADATA = {
    "no-date": "The committee met again on Wednesday and agreed to publish its findings soon.",
    "date-in-prose": "The accord signed on 12 November 2025 in Geneva was hailed by both sides.",
    "agency-mid-sentence": "A report (Reuters) - later denied - said that talks would go on.",
    "caps-headline": "UN SAYS TALKS WILL RESUME IN GENEVA NEXT WEEK",
    "caps-headline-with-brackets": "RUSSIA-UKRAINE TALKS (LIVE) - DAY 3",
    # The wire writes its place in capitals; "Moscow, ..." opens a sentence like any other.
    "lowercase-place": "Moscow, November 12 (Reuters) - officials there said talks went on.",
}


@pytest.mark.parametrize("second_line", NOT_METADATA.values(), ids=NOT_METADATA)
def test_nothing_is_inferred_from_prose_or_headlines(tmp_path: Path, second_line: str) -> None:
    text = f"Diplomats meet again as the week's talks go on\n\n{second_line}\n\n{PROSE}\n"
    a = saved(tmp_path, "story.txt", text, "2025-11-13T09:00")
    assert (a.published, a.source, a.byline) == (None, None, None)
    assert second_line in a.text


# -- the one-line readers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Wed 12 Nov 2025 18.04 GMT", "2025-11-12T18:04"),
        ("First published on Wed 12 Nov 2025 18.04 GMT", "2025-11-12T18:04"),
        ("Published: 12 November 2025", "2025-11-12"),
        ("Published November 13 2025", "2025-11-13"),
        ("November 12, 2025", "2025-11-12"),
        ("Nov. 12, 2025 at 6:04 pm EST", "2025-11-12T18:04"),
        ("12 November 2025 25:70", "2025-11-12"),  # an impossible time keeps the date
        ("2025-11-12", "2025-11-12"),
        ("2025-11-12T18:04:00", "2025-11-12T18:04"),
        ("12.11.2025", "2025-11-12"),
        ("12 ноября 2025 года", "2025-11-12"),
        ("12 листопада 2025, 14:30", "2025-11-12T14:30"),
        ("12. November 2025", "2025-11-12"),
        ("12 März 2025", "2025-03-12"),
        ("mercredi 12 novembre 2025", "2025-11-12"),
    ],
)
def test_date_line(line: str, iso: str) -> None:
    assert wire.date_line(line) == iso


@pytest.mark.parametrize(
    "line",
    [
        "The talks ended on 12 November 2025 in Geneva.",
        "12 November",
        "12 листопада",
        "Updated 12 November 2025",
        "31 February 2025",
        "12.13.2025",
        "Election 2024 results",
        "May 2025 elections",
        "Top 10 stories of 2025",
    ],
)
def test_not_a_date_line(line: str) -> None:
    assert wire.date_line(line) is None


NOV_13 = datetime(2025, 11, 13, 9)


@pytest.mark.parametrize(
    ("line", "reference", "expected"),
    [
        ("MOSCOW, November 12. /TASS/. Russia said", NOV_13, ("TASS", "2025-11-12")),
        ("MOSCOW, November 12. /TASS/. Russia said", None, ("TASS", None)),
        ("LONDON, Nov 12 (Reuters) - Britain said", NOV_13, ("Reuters", "2025-11-12")),
        ("KYIV, 12 November (Reuters) - Ukraine said", NOV_13, ("Reuters", "2025-11-12")),
        ("BEIJING, Nov. 12 (Xinhua) -- China said", NOV_13, ("Xinhua", "2025-11-12")),
        ("WASHINGTON (AP) — The Senate said", NOV_13, ("AP", None)),
        # AP's datelines name the state or country after the city.
        ("KABUL, Afghanistan (AP) -- The father of", NOV_13, ("AP", None)),
        ("ORLANDO, Fla. (AP) — The gunman's", NOV_13, ("AP", None)),
        ("NEW YORK, New York, November 3 (Reuters) - x", NOV_13, ("Reuters", "2025-11-03")),
        ("Kabul, Afghanistan (AP) -- x", NOV_13, (None, None)),
        ("NEW YORK, November 12, 2025 (Reuters) - x", None, ("Reuters", "2025-11-12")),
        ("ROME, December 30 (Reuters) - x", datetime(2026, 1, 5), ("Reuters", "2025-12-30")),
        # Saved at 22:00 UTC, already the 13th in Moscow: a day ahead of the clock is allowed.
        ("MOSCOW, November 13. /TASS/. x", datetime(2025, 11, 12, 22), ("TASS", "2025-11-13")),
        ("MOSCOW, November 14. /TASS/. x", datetime(2025, 11, 12, 22), ("TASS", "2024-11-14")),
        ("LONDON, Feb 31 (Reuters) - x", NOV_13, ("Reuters", None)),
        ("Moscow, November 12 (Reuters) - x", NOV_13, (None, None)),  # the wire's place is in caps
        ("The minister told (Reuters) - reporters", NOV_13, (None, None)),
        ("RUSSIA-UKRAINE TALKS (LIVE) - DAY 3", NOV_13, (None, None)),
        ("PARIS, Nov 12 - no agency named", NOV_13, (None, None)),
    ],
)
def test_dateline(line: str, reference: datetime | None, expected: tuple[str | None, ...]) -> None:
    assert wire.dateline(line, reference) == expected


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("By Max Seddon", "Max Seddon"),
        ("By Max Seddon, Moscow correspondent", "Max Seddon"),
        ("Max Seddon in Berlin and Henry Foy in Brussels", "Max Seddon"),
        ("Reporting by Andrew MacAskill; Editing by William James", "Andrew MacAskill"),
        ("Additional reporting by Jane Doe", "Jane Doe"),
        ("Author: Jane Doe", "Jane Doe"),
        ("by the sea we walked", None),
        ("The president said in Moscow that talks went on.", None),
    ],
)
def test_byline(line: str, name: str | None) -> None:
    assert wire.byline(line) == name


@pytest.mark.parametrize(
    ("line", "outlet"),
    [
        ("© 2025 The Moscow Times", "The Moscow Times"),
        ("© The Moscow Times, 2025", "The Moscow Times"),
        ("Copyright The Financial Times Limited 2025. All rights reserved.", "The Financial Times"),
        ("Copyright (c) 2025 Kyiv Independent LLC", "Kyiv Independent"),
        ("Copyright 2025 Reuters Ltd.", "Reuters"),
        ("Copyright © 2025 Meduza GmbH", "Meduza"),
        ("© 2025 Reuters. All rights reserved.", "Reuters"),
        ("Caliber.az ©", "Caliber.az"),
        ("caliber.az", "caliber.az"),
        ("Source: Al Jazeera and news agencies", "Al Jazeera"),
        ("Source:-Al Jazeera", "Al Jazeera"),
        ("Джерело: Українська правда", "Українська правда"),
        ("© 2025.", None),
        ("All rights reserved © 2025", None),
        ("© 2025 Getty Images", None),
        ("The source said nothing more.", None),
    ],
)
def test_outlet_line(line: str, outlet: str | None) -> None:
    assert wire.outlet_line(line) == outlet


@pytest.mark.parametrize(
    ("line", "reference", "date"),
    [
        ("(China Daily European Weekly 01/27/2017 page26)", None, "2017-01-27"),
        # 02/10: February 10 or October 2. Month first, as the credit is printed…
        ("(China Daily European Weekly 02/10/2017 page1)", datetime(2017, 2, 11), "2017-02-10"),
        ("(China Daily 12/09/2016 page 1)", datetime(2016, 12, 10), "2016-12-09"),
        # …unless the copy was saved before that day: then it can only be day first.
        ("(China Daily 05/02/2017 page 1)", datetime(2017, 2, 6), "2017-02-05"),
        ("(China Daily 05/02/2017 page 1)", datetime(2017, 1, 6), None),  # neither can be
        ("(China Daily 02/10/2017 page 1)", None, None),  # nothing to decide by
        ("(China Daily 03/03/2017 page 1)", None, "2017-03-03"),  # either way the same day
        ("(China Daily 02/30/2017 page 1)", None, None),
        ("The edition of 02/10/2017 sold out.", datetime(2017, 2, 11), None),
    ],
)
def test_edition_date(line: str, reference: datetime | None, date: str | None) -> None:
    assert wire.edition_date(line, reference) == date
