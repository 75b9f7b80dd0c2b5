"""Questions about time are answered from the articles of the dates they ask about, and say
which dates those were."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.index.answer import Answer
from newsdesk.index.app import Newsdesk
from newsdesk.index.cli import cli
from newsdesk.index.dates import published_ts
from newsdesk.index.errors import BadQuestion
from newsdesk.index.retrieve import Filters

MakeApp = Callable[..., Newsdesk]
LAST_WEEK = "What happened with the Portmere ferry strike last week?"
# The archive's newest article is dated Thursday 2025-10-30, more than a week before any day
# these tests run: "last week" is counted from it, Monday 20 to Sunday 26 October.
FERRY = {
    "f1": ("Portmere ferry crews vote to strike over pay", "Portmere Gazette", "2025-09-03", (
        "Ferry crews in Portmere voted to strike over pay on Tuesday, the first walkout on the "
        "island route in a decade.",
        "The union said its members had rejected a pay offer of three percent as too low.",
    )),
    "f2": ("Portmere ferry strike enters its second week", "Island Radio", "2025-10-08", (
        "The Portmere ferry strike entered its second week on Wednesday with no talks scheduled "
        "between the union and the operator.",
        "Islanders have been relying on a single chartered boat to bring in food and medicine.",
    )),
    "f3": ("Portmere ferry strike ends after pay deal", "Portmere Gazette", "2025-10-21", (
        "The Portmere ferry strike ended on Tuesday after crews accepted a pay rise of six "
        "percent.",
        "“The strike is over and the boats will sail again on Thursday,” said Mary Okafor, the "
        "leader of the crews' union.",
    )),
    "f4": ("Portmere ferries return to normal timetable", "Island Radio", "2025-10-24", (
        "Ferries between Portmere and the mainland returned to their normal timetable on Friday "
        "after the strike ended.",
        "Passengers queued at the harbour from early morning for the first sailing.",
    )),
    "f5": ("Portmere ferry operator orders two new boats", "Portmere Gazette", "2025-10-30", (
        "The Portmere ferry operator ordered two new boats on Thursday to replace its ageing "
        "fleet after the strike.",
        "The new ferries are due to enter service in 2027.",
    )),
    "c1": ("Portmere council approves new library", "Portmere Gazette", "2025-10-22", (
        "Portmere council approved plans for a new public library on Wednesday, to be built "
        "beside the town hall.",
        "Construction is expected to take eighteen months.",
    )),
    "u1": ("Portmere ferry strike explained", "Harbour Notes", None, (
        "The Portmere ferry strike is a dispute over pay between the ferry crews and the "
        "operator of the island route.",
        "The crews say their wages have not kept up with prices for years.",
    )),
}  # fmt: skip
DATES = {doc_id: day for doc_id, (_, _, day, _) in FERRY.items()}


def write(folder: Path, doc_id: str, title: str, source: str, day: str | None, *text: str) -> None:
    published = f"published: {day}\n" if day else ""
    (folder / f"{doc_id}.md").write_text(
        f"---\ntitle: {title}\nsource: {source}\n{published}---\n" + "\n\n".join(text) + "\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def desk(
    tmp_path_factory: pytest.TempPathFactory, module_desk: Callable[[Path], Newsdesk]
) -> Newsdesk:
    folder = tmp_path_factory.mktemp("ferry") / "articles"
    folder.mkdir()
    for doc_id, (title, source, day, text) in FERRY.items():
        write(folder, doc_id, title, source, day, *text)
    return module_desk(folder)


def cited(answer: Answer) -> list[str]:
    return [c.doc_id for c in answer.citations]


def run(desk: Newsdesk, *args: str) -> tuple[int, str, str]:
    common = ["--articles", str(desk.settings.articles_dir)]
    common += ["--data-dir", str(desk.settings.data_dir)]
    result = CliRunner().invoke(cli, [*common, *args], env={"NEWSDESK_LLM": "extractive"})
    return result.exit_code, result.stdout, result.stderr


def test_last_week_cites_only_the_articles_of_last_week(desk: Newsdesk) -> None:
    answer = desk.ask(LAST_WEEK)
    assert answer.answered and answer.backend == "extractive"
    assert "f3" in cited(answer)
    for c in answer.citations:
        assert c.date is not None and "2025-10-20" <= c.date[:10] <= "2025-10-26", c.doc_id
    assert answer.window is not None
    assert answer.window.to_json() == {
        "since": "2025-10-20",
        "until": "2025-10-26",
        "phrase": "last week",
        "anchor": "2025-10-30",
        "anchored_to": "archive",
        "unmet": False,
    }
    assert answer.to_json()["window"] == answer.window.to_json()
    everything = desk.ask("What happened with the Portmere ferry strike?")
    assert set(cited(everything)) - {"f3", "f4", "c1"}, "without the window, other dates"
    assert everything.window is None and "Dates asked about" not in everything.text


def test_the_answer_states_the_dates_it_cites(desk: Newsdesk) -> None:
    answer = desk.ask(LAST_WEEK)
    cites = ", ".join(f"[{c.n}] {DATES[c.doc_id]}" for c in answer.citations)
    assert answer.text.endswith(
        "(Dates asked about: 2025-10-20 to 2025-10-26 (“last week”, counted from the archive's "
        f"newest article, 2025-10-30). Cited: {cites}.)"
    )


def test_after_an_event_and_the_latest_are_dated_from_the_coverage(desk: Newsdesk) -> None:
    after = desk.ask("What happened after the Portmere ferry strike ended?")
    assert after.window is not None
    assert (after.window.since, after.window.until) == (date(2025, 10, 21), None)
    assert after.citations and all(c.date and c.date >= "2025-10-21" for c in after.citations)
    latest = desk.ask("What's the latest on the Portmere ferries?")
    assert latest.window is not None and latest.window.latest
    assert (latest.window.since, latest.window.until) == (date(2025, 10, 24), date(2025, 10, 30))
    assert "f5" in cited(latest)
    assert all(c.date and "2025-10-24" <= c.date <= "2025-10-30" for c in latest.citations)


def test_explicit_since_and_until_override_the_words(desk: Newsdesk) -> None:
    answer = desk.ask(LAST_WEEK, filters=Filters(since="2025-09-01", until="2025-09-30"))
    assert answer.window is None and "Dates asked about" not in answer.text
    assert answer.answered and set(cited(answer)) == {"f1"}
    code, out, err = run(
        desk, "ask", LAST_WEEK, "--since", "2025-09-01", "--until", "2025-09-30", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["window"] is None
    assert data["citations"] and {c["doc_id"] for c in data["citations"]} == {"f1"}


def test_until_leaves_out_later_and_undated_articles(desk: Newsdesk) -> None:
    question = "What is the Portmere ferry strike about?"
    assert "u1" in cited(desk.ask(question)), "the undated explainer answers it best"
    answer = desk.ask(question, filters=Filters(until="2025-10-08"))
    assert answer.answered and cited(answer)
    assert all(c.date and c.date[:10] <= "2025-10-08" for c in answer.citations)
    assert "u1" not in cited(answer)
    until = Filters(until="2025-10-08")
    assert until.allows({"published_ts": published_ts("2025-10-08T23:59")}), "the whole day"
    assert not until.allows({"published_ts": published_ts("2025-10-09")})
    assert not until.allows({}), "an undated article has no date before any other"


@pytest.mark.parametrize("field", ["since", "until"])
def test_a_date_that_is_not_one_is_a_bad_question_naming_its_field(
    desk: Newsdesk, field: str
) -> None:
    with pytest.raises(BadQuestion) as caught:
        Filters(**{field: "next Tuesday"})
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field} 'next Tuesday' is not a date")
    code, _, err = run(desk, "ask", LAST_WEEK, f"--{field}", "next Tuesday")
    assert code == 1 and f"--{field}: {field} 'next Tuesday' is not a date" in err


def test_json_citations_name_the_speaker_of_a_quote(desk: Newsdesk) -> None:
    code, out, err = run(desk, "ask", "What did Mary Okafor say about the ferries?", "--json")
    assert code == 0, err
    citations = json.loads(out)["citations"]
    okafor = [c for c in citations if c["doc_id"] == "f3" and "said Mary Okafor" in c["quote"]]
    assert okafor and okafor[0]["speaker"] == "Mary Okafor"
    unattributed = desk.ask("What did the Portmere council approve?")
    assert unattributed.answered and cited(unattributed)[0] == "c1"
    assert "speaker" not in unattributed.to_json()["citations"][0]


def test_a_recent_archive_counts_from_today(make_app: MakeApp, tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    folder = tmp_path / "recent"
    folder.mkdir()
    days = {"old": monday - timedelta(days=10), "last": monday - timedelta(days=3), "now": today}
    for doc_id, day in days.items():
        title, source, _, text = FERRY["f3" if doc_id == "last" else "f2"]
        write(folder, doc_id, f"{title} ({doc_id})", source, day.isoformat(), *text)
    app = make_app(articles_dir=folder, data_dir=tmp_path / "recent-data")
    app.build()
    answer = app.ask(LAST_WEEK)
    assert answer.window is not None
    assert answer.window.to_json() == {
        "since": (monday - timedelta(days=7)).isoformat(),
        "until": (monday - timedelta(days=1)).isoformat(),
        "phrase": "last week",
        "anchor": today.isoformat(),
        "anchored_to": "today",
        "unmet": False,
    }
    assert cited(answer) and set(cited(answer)) == {"last"}
    assert f"counted from today, {today.isoformat()}" in answer.text
