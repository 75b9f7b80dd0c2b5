"""The date of the event a sentence reports, and the window of dates a question asks about."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from newsdesk.index.when import When, event_date, strip, window

FRIDAY = date(2017, 3, 24)  # the publication date the sentences are read against
MONDAY = date(2017, 3, 20)
THURSDAY = date(2017, 3, 30)  # "now" for the questions (the anchor)


def event(sentence: str, published: date | None = FRIDAY) -> str | None:
    found = event_date(sentence, published)
    return found.value if found else None


def span(question: str, anchor: date = THURSDAY) -> tuple[str | None, str | None] | None:
    found = window(question, anchor)
    if found is None:
        return None
    return (
        found.since.isoformat() if found.since else None,
        found.until.isoformat() if found.until else None,
    )


# -- event dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The Kremlin confirmed the call on Wednesday.", "2017-03-22"),
        ("The Kremlin confirmed the call on Friday.", "2017-03-24"),  # the day of publication
        ("He met Putin last Monday.", "2017-03-20"),
        ("He met Putin this past Monday.", "2017-03-20"),
        ("Talks resume next Monday.", "2017-03-27"),
        ("Talks will resume on Monday.", "2017-03-27"),  # future tense: the Monday after
        ("The summit is scheduled for Wednesday.", "2017-03-29"),
        ("The minister resigned yesterday.", "2017-03-23"),
        ("The talks collapsed three weeks ago.", "2017-03-03"),
        ("Sanctions were announced last month.", "2017-02"),
        ("The vote will take place next month.", "2017-04"),
        ("The talks collapsed earlier this month.", "2017-03"),
        ("Powell reached out to Ushakov in January.", "2017-01"),
        ("The vote will be held in May.", "2017-05"),
        ("The storm hit on March 22.", "2017-03-22"),
        ("The storm hit on 22 March 2016.", "2016-03-22"),
        ("The bill was passed on 2017-03-01.", "2017-03-01"),
        ("The war began in 2012.", "2012"),
        ("The deal will be signed next year.", "2018"),
        ("Nothing in this sentence says when anything happened.", None),
        ("The meeting on February 30 was cancelled.", None),  # there is no such day
    ],
)
def test_event_dates_read_against_the_publication_date(sentence: str, expected: str | None) -> None:
    assert event(sentence) == expected


def test_an_event_date_keeps_its_words_and_precision() -> None:
    found = event_date("Sanctions were announced last month.", FRIDAY)
    assert found == When(date(2017, 2, 1), "month", "last month")
    assert found.end == date(2017, 2, 28)
    year = event_date("The war began in 2012.", FRIDAY)
    assert year is not None and (year.precision, year.phrase) == ("year", "in 2012")
    assert year.end == date(2012, 12, 31)
    assert When(date(2016, 2, 1), "month").end == date(2016, 2, 29)
    assert When(date(2016, 2, 3), "day").end == date(2016, 2, 3)


def test_weekdays_when_published_on_that_weekday() -> None:
    assert event("The talks were held on Monday.", MONDAY) == "2017-03-20"
    assert event("The talks were held last Monday.", MONDAY) == "2017-03-13"
    assert event("Talks resume next Monday.", MONDAY) == "2017-03-27"


@pytest.mark.parametrize(
    ("sentence", "published", "expected"),
    [
        ("Sales rose in December.", date(2017, 1, 5), "2016-12"),
        ("Sales will rise in December.", date(2017, 1, 5), "2017-12"),
        ("Sales rose in January.", date(2017, 1, 5), "2017-01"),
        ("The deal was signed on December 30.", date(2017, 1, 5), "2016-12-30"),
        ("The deal was signed last month.", date(2017, 1, 5), "2016-12"),
        ("The deal was signed last year.", date(2017, 1, 5), "2016"),
        ("The minister resigned yesterday.", date(2017, 1, 1), "2016-12-31"),
        ("The deal will be signed on January 10.", date(2016, 12, 28), "2017-01-10"),
    ],
)
def test_event_dates_across_a_year_boundary(sentence: str, published: date, expected: str) -> None:
    assert event(sentence, published) == expected


def test_with_several_dates_the_most_precise_wins_then_the_first() -> None:
    background = (
        "Since the war began in 2012, the minister said on Wednesday that talks had failed."
    )
    found = event_date(background, FRIDAY)
    assert found is not None and (found.value, found.phrase) == ("2017-03-22", "Wednesday")
    assert event("In January the leaders met again, the spokesman said on Tuesday.") == (
        "2017-03-21"
    )
    assert event("The talks began on Monday and ended on Wednesday.") == "2017-03-20"


def test_without_a_publication_date_only_dates_with_their_year_count() -> None:
    assert event("The Kremlin confirmed the call on Wednesday.", None) is None
    assert event("Powell reached out to Ushakov in January.", None) is None
    assert event("The minister resigned yesterday.", None) is None
    assert event("The storm hit on March 22.", None) is None
    assert event("The storm hit on 22 March 2016.", None) == "2016-03-22"
    assert event("The referendums were held in September 2022.", None) == "2022-09"
    assert event("The war began in 2012.", None) == "2012"
    background = (
        "Since the war began in 2012, the minister said on Wednesday that talks had failed."
    )
    assert event(background, None) == "2012"


@pytest.mark.parametrize(
    "sentence",
    [
        "He has written 10 novels since leaving office.",  # "10 nov" is not 10 November
        "Police counted 20 marches across the country.",  # "20 march" is not 20 March
        "The conflict has lasted 2 decades.",  # "2 dec" is not 2 December
    ],
)
def test_a_word_that_starts_like_a_month_is_no_date(sentence: str) -> None:
    assert event_date(sentence, FRIDAY) is None


# -- windows ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected", "relative"),
    [
        ("What happened last week about Syria?", ("2017-03-20", "2017-03-26"), True),
        ("What happened this week?", ("2017-03-27", "2017-03-30"), True),
        ("What did Putin say in the past week?", ("2017-03-24", "2017-03-30"), True),
        ("What happened in the last 3 days?", ("2017-03-28", "2017-03-30"), True),
        ("What happened yesterday?", ("2017-03-29", "2017-03-29"), True),
        ("What happened today?", ("2017-03-30", "2017-03-30"), True),
        ("What happened last month?", ("2017-02-01", "2017-02-28"), True),
        ("What happened last year?", ("2016-01-01", "2016-12-31"), True),
        ("What happened in February?", ("2017-02-01", "2017-02-28"), False),
        ("What happened in May?", ("2016-05-01", "2016-05-31"), False),  # the latest May
        ("What happened in March 2016?", ("2016-03-01", "2016-03-31"), False),
        ("What happened in 2016?", ("2016-01-01", "2016-12-31"), False),
        ("What happened on 15 March?", ("2017-03-15", "2017-03-15"), False),
        ("What happened since 1 March?", ("2017-03-01", None), False),
        ("What happened since the start of March?", ("2017-03-01", None), False),
        ("What happened after March 1?", ("2017-03-02", None), False),
        ("What happened before March 10?", (None, "2017-03-09"), False),
        ("What happened until March 10?", (None, "2017-03-10"), False),
        ("What happened between 1 and 10 March?", ("2017-03-01", "2017-03-10"), False),
        ("What happened between 1 March and 10 March?", ("2017-03-01", "2017-03-10"), False),
        ("What happened from February to March?", ("2017-02-01", "2017-03-31"), False),
    ],
)
def test_each_kind_of_window(
    question: str, expected: tuple[str | None, str | None], relative: bool
) -> None:
    assert span(question) == expected
    found = window(question, THURSDAY)
    assert found is not None and found.relative is relative
    assert found.phrase in question and not found.after and not found.latest


def test_relative_windows_count_from_the_anchor() -> None:
    assert span("What happened in February?", date(2017, 1, 15)) == ("2016-02-01", "2016-02-29")
    assert span("What happened yesterday?", date(2017, 1, 1)) == ("2016-12-31", "2016-12-31")
    assert span("What happened last month?", date(2017, 1, 10)) == ("2016-12-01", "2016-12-31")
    assert span("What happened last week?", MONDAY) == ("2017-03-13", "2017-03-19")
    assert span("What happened this week?", MONDAY) == ("2017-03-20", "2017-03-20")
    # an absolute window does not move with the anchor
    assert span("What happened in 2016?", date(2017, 1, 1)) == span("What happened in 2016?")


def test_after_an_event_is_not_after_a_date() -> None:
    summit = window("What happened after the summit?", THURSDAY)
    assert summit is not None
    assert (summit.after, summit.since, summit.until) == ("the summit", None, None)
    assert strip("What happened after the summit?", summit) == "What happened after the summit?"
    march = window("What happened after March 1?", THURSDAY)
    assert march is not None and march.after is None
    assert march.since == date(2017, 3, 2)
    assert window("What happened after Theresa May spoke?", THURSDAY) is None


def test_may_the_month_is_not_theresa_may() -> None:
    assert window("What did Theresa May say?", THURSDAY) is None
    both = window("What did Theresa May say in May?", THURSDAY)
    assert both is not None and (both.since, both.until) == (date(2016, 5, 1), date(2016, 5, 31))
    assert strip("What did Theresa May say in May?", both) == "What did Theresa May say?"
    week = window("What did Theresa May say last week?", THURSDAY)
    assert week is not None and strip("What did Theresa May say last week?", week) == (
        "What did Theresa May say?"
    )


def test_latest_is_a_window_the_archive_fills_in() -> None:
    found = window("What's the latest on Brexit?", THURSDAY)
    assert found is not None and found.latest
    assert (found.since, found.until, found.after) == (None, None, None)


@pytest.mark.parametrize(
    "question",
    [
        "Why did the Powell–Ushakov call fail?",
        "Who is Dmitry Peskov?",
        "What did the Kremlin say about Europe?",
        "What was said by Vladimir Putin?",
    ],
)
def test_a_question_without_time_has_no_window(question: str) -> None:
    assert window(question, THURSDAY) is None


@pytest.mark.parametrize(
    "question",
    [
        "What happened in Marseille?",  # "in Mar…"
        "Who won in separatist areas?",  # "in sep…"
        "How did the markets do in Decatur?",  # "in Dec…"
    ],
)
def test_a_place_that_starts_like_a_month_is_no_window(question: str) -> None:
    assert window(question, THURSDAY) is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did Putin say since 1 March about Ukraine?", ("2017-03-01", None)),
        ("What did Putin say between 1 and 10 March about Syria?", ("2017-03-01", "2017-03-10")),
        ("What did Putin say before 10 March about Syria?", (None, "2017-03-09")),
    ],
)
def test_a_window_in_the_middle_of_the_question(
    question: str, expected: tuple[str | None, str | None]
) -> None:
    assert span(question) == expected


@pytest.mark.parametrize(
    ("question", "rest"),
    [
        ("What did May say last week?", "What did May say?"),
        ("What happened since 1 March?", "What happened?"),
        ("What about Brexit in early February?", "What about Brexit?"),
        ("What did Putin say in the past week?", "What did Putin say?"),
        ("Since 1 March, what did Putin say?", "what did Putin say?"),
        ("What did Putin say in the last week?", "What did Putin say?"),
    ],
)
def test_strip_leaves_the_question_without_its_time_words(question: str, rest: str) -> None:
    found = window(question, THURSDAY)
    assert found is not None
    assert strip(question, found) == rest


def test_a_window_says_what_it_was_counted_from() -> None:
    found = window("What happened last week?", THURSDAY)
    assert found is not None
    archive = replace(found, anchor=THURSDAY, archive_anchor=True)
    assert archive.describe() == (
        "2017-03-20 to 2017-03-26 (“last week”, counted from the archive's newest article, "
        "2017-03-30)"
    )
    assert archive.to_json() == {
        "since": "2017-03-20",
        "until": "2017-03-26",
        "phrase": "last week",
        "anchor": "2017-03-30",
        "anchored_to": "archive",
        "unmet": False,
    }
    today = replace(found, anchor=THURSDAY)
    assert today.to_json()["anchored_to"] == "today"
    assert "counted from today, 2017-03-30" in today.describe()
    absolute = window("What happened since 1 March?", THURSDAY)
    assert absolute is not None
    assert replace(absolute, anchor=THURSDAY).to_json()["anchored_to"] is None
    assert absolute.describe() == "from 2017-03-01 (“since 1 March”)"
