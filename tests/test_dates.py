"""Publication dates as the index stores them."""

from __future__ import annotations

from datetime import UTC, datetime

from newsdesk.index.dates import published_ts


def test_iso_dates_and_times_become_comparable_timestamps() -> None:
    day = published_ts("2026-01-16")
    assert day == int(datetime(2026, 1, 16, tzinfo=UTC).timestamp())
    assert published_ts("2026-01-16T11:37") == day + 11 * 3600 + 37 * 60
    assert published_ts("2026-01-15") < day


def test_an_offset_is_honoured_and_no_offset_means_utc() -> None:
    assert published_ts("2026-01-16T11:37:00+03:00") == published_ts("2026-01-16T08:37")
    assert published_ts("2026-01-16T11:37Z") == published_ts("2026-01-16T11:37:00")
    assert published_ts("2026-01-16T11:37+05:00") == published_ts("2026-01-16T06:37")


def test_what_is_not_a_date_is_zero_never_a_guess() -> None:
    assert published_ts("") == published_ts("January 2026") == published_ts("2026-13-01") == 0
