"""A story's timeline: its events in date order, each line a verbatim quote of an article."""

from __future__ import annotations

import json
import math
from datetime import date

import pytest
from click.testing import CliRunner

from newsdesk.index import coverage, timeline
from newsdesk.index.app import Newsdesk
from newsdesk.index.cli import cli
from newsdesk.index.errors import NoStory
from newsdesk.index.stories import Story
from newsdesk.index.timeline import Line, Timeline

CALIBER = "003_82cedb1ca88c2249"
AMBER = "The Met Office issued an amber warning for snow across the Highlands on Wednesday."


def story_of(desk: Newsdesk, doc_id: str) -> Story:
    return next(s for s in desk.stories() if doc_id in s.doc_ids)


def whole(desk: Newsdesk, doc_id: str, per_page: int = 1000, page: int = 1) -> Timeline:
    story = story_of(desk, doc_id)
    reports = coverage.read(desk.store, story.id)
    return timeline.build(story, reports, desk.embedder, page=page, per_page=per_page)


def line_of(lines: list[Line], start: str) -> Line:
    (found,) = [line for line in lines if line.quote.startswith(start)]
    return found


def start_of(value: str) -> date:
    """The first day of "2017", "2017-03" or "2017-03-22"."""
    return date.fromisoformat((value + "-01-01")[:10] if len(value) < 10 else value)


def test_every_line_quotes_its_article_verbatim(news: Newsdesk) -> None:
    for doc_id in (CALIBER, "storm_courier", "derby_sports"):
        lines = whole(news, doc_id).lines
        assert lines
        for line in lines:
            text = news.catalog.text(line.reports[0].doc_id)
            assert text is not None and line.quote in text, line.quote
            assert line.verified


def test_lines_are_in_date_order_with_undated_last(news: Newsdesk) -> None:
    lines = whole(news, CALIBER).lines
    dated = [line for line in lines if line.date]
    undated = [line for line in lines if not line.date]
    assert dated and undated
    assert lines == dated + undated, "undated lines come last"
    starts = [start_of(line.date) for line in dated if line.date]
    assert starts == sorted(starts)
    assert all(line.dated_by == "undated" and line.phrase is None for line in undated)
    assert {line.reports[0].doc_id for line in undated} <= {
        "000_a6a0d073fde4603f",
        "001_680bcb4019dc53cb",
        "002_1436df419da835d7",
    }, "only articles without a date have undated lines"


def test_a_line_says_what_dated_it(news: Newsdesk) -> None:
    lines = whole(news, CALIBER).lines
    own = line_of(lines, "Speaking to POLITICO on January 15")
    assert (own.date, own.dated_by, own.phrase) == ("2026-01-15", "event", "January 15")
    lead = line_of(lines, "The United Kingdom has publicly broken ranks")
    assert (lead.date, lead.dated_by, lead.phrase) == ("2026-01-16", "published", None)
    undated = line_of(lines, "In early this year, Yury Ushakov")  # "on Wednesday" of no date
    assert (undated.date, undated.dated_by) == (None, "undated")
    background = line_of(lines, "Since the start of the Russian military operation")
    assert (background.date, background.dated_by, background.phrase) == ("2012", "event", "in 2012")
    storm = whole(news, "storm_courier").lines
    courier = line_of(storm, "Thousands of homes in the Highlands were still without")
    assert (courier.date, courier.dated_by, courier.phrase) == ("2026-01-16", "event", "Friday")


def test_the_same_fact_in_two_outlets_is_one_line_naming_both(news: Newsdesk) -> None:
    storm = whole(news, "storm_courier")
    amber = [line for line in storm.lines if line.quote == AMBER]
    assert len(amber) == 1
    (line,) = amber
    assert line.outlets == ["Weather Desk", "Highland Courier"]
    assert [r.doc_id for r in line.reports] == ["storm_weatherdesk", "storm_courier"]
    assert (line.date, line.dated_by) == ("2026-01-14", "event")
    assert [s["doc_id"] for s in line.to_json()["sources"]] == [
        "storm_weatherdesk",
        "storm_courier",
    ]
    assert storm.outlets == ["Weather Desk", "Highland Courier"] and not storm.single_outlet
    only_one = [line for line in storm.lines if line is not amber[0]]
    assert all(len(line.reports) == 1 for line in only_one), "different facts stay apart"


def test_a_story_of_one_article_says_it_has_a_single_outlet(news: Newsdesk) -> None:
    derby = whole(news, "derby_sports")
    assert derby.single_outlet and derby.outlets == ["Northern Sports Daily"]
    assert derby.to_json()["single_outlet"] is True
    assert all(line.outlets == ["Northern Sports Daily"] for line in derby.lines)
    lead = derby.lines[0]
    assert lead.quote.startswith("Manchester City beat Manchester United 3-1")
    assert (lead.date, lead.phrase) == ("2026-01-17", "Saturday")
    assert not whole(news, CALIBER).single_outlet


def test_pages(news: Newsdesk) -> None:
    full = whole(news, CALIBER)
    total = full.total
    assert total == len(full.lines) > 4 and (full.page, full.pages) == (1, 1)
    per_page = 4
    pages = math.ceil(total / per_page)
    seen: list[str] = []
    for page in range(1, pages + 1):
        part = whole(news, CALIBER, per_page=per_page, page=page)
        assert (part.total, part.page, part.pages) == (total, page, pages)
        assert len(part.lines) == (per_page if page < pages else total - per_page * (pages - 1))
        seen += [line.quote for line in part.lines]
    assert seen == [line.quote for line in full.lines]
    beyond = whole(news, CALIBER, per_page=per_page, page=pages + 5)
    assert (
        beyond.page == pages and [x.quote for x in beyond.lines] == seen[per_page * (pages - 1) :]
    )
    assert whole(news, CALIBER, per_page=per_page, page=0).page == 1


def test_an_unrelated_query_is_no_story_and_names_the_closest(news: Newsdesk) -> None:
    with pytest.raises(NoStory) as caught:
        news.timeline("the cricket world cup final")
    labels = {s.label for s in news.stories()}
    assert caught.value.query == "the cricket world cup final"
    assert caught.value.closest and set(caught.value.closest) <= labels
    assert "the cricket world cup final" in str(caught.value)
    with pytest.raises(NoStory):
        news.compare("the cricket world cup final")


def test_timeline_on_the_command_line(news: Newsdesk) -> None:
    common = ["--articles", str(news.settings.articles_dir)]
    common += ["--data-dir", str(news.settings.data_dir)]
    story = story_of(news, "storm_courier")
    result = CliRunner().invoke(cli, [*common, "timeline", story.id, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"story", "outlets", "single_outlet", "lines", "total", "page", "pages"}
    assert data["story"] == story.to_json() and data["total"] == len(data["lines"])
    amber = next(line for line in data["lines"] if line["quote"] == AMBER)
    assert amber["outlets"] == ["Weather Desk", "Highland Courier"] and amber["verified"]
    text = CliRunner().invoke(cli, [*common, "timeline", story.id, "--page", "3"])
    assert text.exit_code == 0 and "Highland Courier" in text.stdout
    missing = CliRunner().invoke(cli, [*common, "timeline", "the cricket world cup final"])
    assert missing.exit_code == 1
    assert "no story found for 'the cricket world cup final'" in missing.stderr
