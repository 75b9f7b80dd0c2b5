"""Outlets side by side: planted disagreements are found and quoted verbatim on both sides,
identical copies agree, and what an outlet alone reports is its own."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.index.app import Newsdesk
from newsdesk.index.cli import cli
from newsdesk.index.compare import Comparison, Conflict, disagreement
from newsdesk.index.stories import Story

from support import SAMPLE

CALIBER = "003_82cedb1ca88c2249"
KREMLIN = "001_680bcb4019dc53cb"
STORM = "storm_weatherdesk"
# (copy of, as outlet, the words changed, what to, the kind of disagreement it is)
PLANTED = [
    (STORM, "Scottish Wire", "About 12,000 homes", "About 15,000 homes", "number"),
    (KREMLIN, "Year Post", "in Ukraine in 2012", "in Ukraine in 2014", "date"),
    (CALIBER, "Name Post", "leaders in Paris and Rome", "leaders in Paris and Berlin", "name"),
    (
        CALIBER,
        "Denial Post",
        "diplomacy should remain on Kyiv",
        "diplomacy should not remain on Kyiv",
        "denial",
    ),
]


def copy_as(
    folder: Path, doc_id: str, name: str, outlet: str, old: str = "", new: str = ""
) -> None:
    """A copy of an article under another outlet's name, `old` words replaced by `new`."""
    source = next(folder.glob(f"{doc_id}.*"))
    text = source.read_text(encoding="utf-8")
    if text.startswith("---\n"):
        head, _, body = text[4:].partition("\n---\n")
        lines = [line for line in head.splitlines() if not line.startswith("source:")]
        text = "---\n" + "\n".join([*lines, f"source: {outlet}"]) + "\n---\n" + body
    else:  # the samples: the copy is dated the Caliber.az article's day
        text = f"---\nsource: {outlet}\npublished: 2026-01-16\n---\n{text}"
    if old:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (folder / f"{name}{source.suffix}").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def desk(
    tmp_path_factory: pytest.TempPathFactory,
    add_news: Callable[[Path], Path],
    module_desk: Callable[[Path], Newsdesk],
) -> Newsdesk:
    """The samples and the storm and derby articles, with the `PLANTED` copies and an
    identical copy of the Caliber.az article as "Mirror Post"."""
    folder = tmp_path_factory.mktemp("compare") / "articles"
    shutil.copytree(SAMPLE, folder)
    add_news(folder)
    for k, (doc_id, outlet, old, new, _) in enumerate(PLANTED):
        copy_as(folder, doc_id, f"planted_{k}", outlet, old, new)
    copy_as(folder, CALIBER, "mirror", "Mirror Post")
    return module_desk(folder)


def story_of(desk: Newsdesk, doc_id: str) -> Story:
    return next(s for s in desk.stories() if doc_id in s.doc_ids)


def compared(desk: Newsdesk, doc_id: str) -> Comparison:
    return desk.compare(story_of(desk, doc_id).id)


def between(comparison: Comparison, a: str, b: str) -> list[Conflict]:
    """The conflicts whose two sides are the articles `a` and `b`."""
    return [c for c in comparison.conflicts if {s.report.doc_id for s in c.sides} == {a, b}]


def text_of(desk: Newsdesk, doc_id: str) -> str:
    text = desk.catalog.text(doc_id)
    assert text is not None
    return text


@pytest.mark.parametrize(("k", "planted"), list(enumerate(PLANTED)))
def test_a_planted_disagreement_is_found_with_both_sides_verbatim(
    desk: Newsdesk, k: int, planted: tuple[str, str, str, str, str]
) -> None:
    doc_id, outlet, old, new, kind = planted
    comparison = compared(desk, doc_id)
    (conflict,) = between(comparison, doc_id, f"planted_{k}")
    assert conflict.kind == kind
    by_doc = {s.report.doc_id: s.quote for s in conflict.sides}
    assert old in by_doc[doc_id] and new in by_doc[f"planted_{k}"]
    assert by_doc[doc_id].replace(old, new) == by_doc[f"planted_{k}"], "the two copies' sentences"
    for side in conflict.sides:
        assert side.quote in text_of(desk, side.report.doc_id)
    outlets = {s.report.doc_id: s.report.outlet for s in conflict.sides}
    assert outlets[f"planted_{k}"] == outlet and outlets[doc_id] != outlet


def test_what_differs_is_named(desk: Newsdesk) -> None:
    details = {
        c.kind: c.detail
        for doc_id, k in ((STORM, 0), (KREMLIN, 1))
        for c in between(compared(desk, doc_id), doc_id, f"planted_{k}")
    }
    assert set(details) == {"number", "date"}
    assert set(details["number"].split(" / ")) == {"12000", "15000"}
    assert set(details["date"].split(" / ")) == {"2012", "2014"}


def test_identical_copies_do_not_disagree(desk: Newsdesk) -> None:
    comparison = compared(desk, CALIBER)
    assert between(comparison, CALIBER, "mirror") == []
    assert between(comparison, "mirror", "planted_2"), "the mirror differs from the name copy"
    assert (
        disagreement(
            "About 12,000 homes were without power on Thursday evening.",
            "About 12,000 homes were without power on Thursday evening.",
        )
        is None
    )


def test_only_here_is_verbatim_and_the_outlets_own(desk: Newsdesk) -> None:
    for doc_id in (CALIBER, STORM):
        comparison = compared(desk, doc_id)
        assert not comparison.single_outlet
        found = 0
        for view in comparison.outlets:
            for quoted in view.only_here:
                found += 1
                assert quoted.report.outlet == view.outlet
                assert quoted.report in view.reports
                assert quoted.quote in text_of(desk, quoted.report.doc_id)
        assert found, "some outlet reports something alone"
    storm = compared(desk, STORM)
    courier = next(v for v in storm.outlets if v.outlet == "Highland Courier")
    assert [q.quote for q in courier.only_here] == [
        "Engineers worked through the night to restore supplies, the network operator SSEN said.",
        "Trains between Inverness and Perth were suspended until the line could be cleared of "
        "fallen trees.",
    ]
    wire = next(v for v in storm.outlets if v.outlet == "Scottish Wire")
    assert wire.only_here == [], "a copy reports nothing alone"


def test_the_speakers_each_outlet_quotes_are_listed(desk: Newsdesk) -> None:
    comparison = compared(desk, CALIBER)
    views = {v.outlet: v for v in comparison.outlets}
    assert "Cooper" in views["Caliber.az"].quotes
    cooper = views["Caliber.az"].quotes["Cooper"]
    assert cooper.quote in text_of(desk, CALIBER) and "Cooper said" in cooper.quote
    kremlin = next(v for v in comparison.outlets if v.reports[0].doc_id.startswith("000"))
    assert "Dmitry Peskov" in kremlin.quotes
    storm = {v.outlet: v for v in compared(desk, STORM).outlets}
    assert list(storm["Weather Desk"].quotes) == ["Fiona Grant"]


def test_a_story_of_one_outlet(desk: Newsdesk) -> None:
    derby = compared(desk, "derby_sports")
    assert derby.single_outlet and [v.outlet for v in derby.outlets] == ["Northern Sports Daily"]
    assert derby.conflicts == [] and derby.outlets[0].only_here == []
    assert derby.to_json()["single_outlet"] is True


def test_compare_on_the_command_line(desk: Newsdesk) -> None:
    common = ["--articles", str(desk.settings.articles_dir)]
    common += ["--data-dir", str(desk.settings.data_dir)]
    story = story_of(desk, STORM)
    result = CliRunner().invoke(cli, [*common, "compare", story.id, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"story", "single_outlet", "outlets", "conflicts"}
    (conflict,) = data["conflicts"]
    assert conflict["kind"] == "number"
    assert {s["source"] for s in conflict["sides"]} == {"Weather Desk", "Scottish Wire"}
    assert all(s["quote"].startswith("About 1") for s in conflict["sides"])
    assert {o["outlet"] for o in data["outlets"]} == {
        "Weather Desk",
        "Scottish Wire",
        "Highland Courier",
    }
    text = CliRunner().invoke(cli, [*common, "compare", story.id])
    assert text.exit_code == 0 and "12,000" in text.stdout and "15,000" in text.stdout
