"""Stories: the articles that report one event, grouped at build time, kept up to date
incrementally, stored in the catalog and in Chroma."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from click.testing import CliRunner

from newsdesk.index import stories
from newsdesk.index.app import Newsdesk
from newsdesk.index.cli import cli
from newsdesk.index.dates import published_ts
from newsdesk.index.embeddings import MiniLMEmbedding
from newsdesk.index.stories import Item, Story, article_names, collect, group

MakeApp = Callable[..., Newsdesk]
SAMPLES = {
    "000_a6a0d073fde4603f",
    "001_680bcb4019dc53cb",
    "002_1436df419da835d7",
    "003_82cedb1ca88c2249",
}
STORM = {"storm_weatherdesk", "storm_courier"}
CALIBER = "003_82cedb1ca88c2249"  # the only dated sample
BUDGET = """---
title: Chancellor unveils spring budget with a fuel duty freeze
source: Money Week
published: 2026-01-18
---
The Chancellor froze fuel duty and raised the tax-free personal allowance in the spring \
budget on Sunday.

Economists said the measures would cost the Treasury about four billion pounds a year.
"""
TALKS = """---
title: Britain rules out talks with Putin
source: Northern Sports Daily
published: 2026-01-17
---
Britain has ruled out reopening direct talks with Russian President Vladimir Putin, breaking \
ranks with France and Italy, who want Europe to resume diplomatic engagement with Moscow.

Foreign Secretary Yvette Cooper said there was no evidence that Putin wanted peace and that \
pressure on the Kremlin should increase.
"""


def story_of(desk: Newsdesk, doc_id: str) -> Story:
    return next(s for s in desk.stories() if doc_id in s.doc_ids)


def chroma_stories(desk: Newsdesk) -> dict[str, set[str]]:
    """doc_id -> the `story` values of its chunks in Chroma."""
    found: dict[str, set[str]] = {}
    for _, _, meta in desk.store.all_chunks(include=("metadatas",)):
        found.setdefault(meta["doc_id"], set()).add(meta.get("story"))
    return found


def test_the_samples_are_one_story_and_the_others_do_not_join_it(news: Newsdesk) -> None:
    found = news.stories()
    assert [set(s.doc_ids) for s in found] == [SAMPLES, STORM, {"derby_sports"}]
    samples, storm, derby = found
    assert samples.label == "UK rejects calls to reopen talks with Putin"
    assert (samples.first, samples.last, samples.outlets) == (
        "2026-01-16",
        "2026-01-16",
        ("Caliber.az",),
    )
    assert storm.label == "Storm Ingrid brings heavy snow and gales to Scotland"
    assert (storm.first, storm.last, storm.undated) == ("2026-01-15", "2026-01-16", 0)
    assert storm.outlets == ("Weather Desk", "Highland Courier")
    assert storm.doc_ids == ("storm_weatherdesk", "storm_courier"), "in publication order"
    assert (derby.articles, derby.outlets) == (1, ("Northern Sports Daily",))
    assert len({s.id for s in found}) == 3


def test_undated_articles_sort_last_and_count_as_undated(news: Newsdesk) -> None:
    samples = story_of(news, CALIBER)
    assert samples.doc_ids[0] == CALIBER
    assert set(samples.doc_ids[1:]) == SAMPLES - {CALIBER}
    assert samples.undated == 3 and samples.articles == 4


def test_collect_orders_dated_articles_first_whatever_the_input_order() -> None:
    rows: list[dict[str, Any]] = [
        {"doc_id": doc_id, "title": doc_id.upper(), "source": source, "published": published}
        for doc_id, source, published in [
            ("b", None, None),
            ("c", "Two", "2026-02-03T10:00+01:00"),
            ("a", "One", "2026-02-01"),
        ]
    ]
    for row in rows:
        row["published_ts"] = published_ts(row["published"]) if row["published"] else 0
        row["story"] = "s1"
    (story,) = collect(rows)
    assert story.doc_ids == ("a", "c", "b")
    assert (story.label, story.first, story.last, story.undated) == (
        "A",
        "2026-02-01",
        "2026-02-03",
        1,
    )
    assert story.outlets == ("One", "Two")
    (alone,) = collect([{"doc_id": "x", "title": "X", "source": None, "published": None}])
    assert (alone.first, alone.last, alone.undated, alone.articles) == (None, None, 1, 1)
    assert alone.id.startswith("s") and alone.id == stories.story_id(["x"])


def test_each_chunk_carries_its_story_in_chroma(news: Newsdesk) -> None:
    saved = {doc_id: row[1] for doc_id, row in news.catalog.story_rows().items()}
    in_chroma = chroma_stories(news)
    assert set(in_chroma) == set(saved) == SAMPLES | STORM | {"derby_sports"}
    for doc_id, values in in_chroma.items():
        assert values == {saved[doc_id]}, doc_id
    assert set(saved.values()) == {s.id for s in news.stories()}


def test_a_story_id_round_trips(news: Newsdesk) -> None:
    for story in news.stories():
        assert news.story(story.id) == story


def test_words_find_the_story_they_are_about(news: Newsdesk) -> None:
    """A story with many articles must not win by its number of passages alone."""
    assert news.story("Storm Ingrid snow in the Highlands") == story_of(news, "storm_courier")
    assert news.story("Powell and Ushakov's phone call") == story_of(news, CALIBER)
    assert news.story("City beat United in the Manchester derby") == story_of(news, "derby_sports")


def test_stories_json_on_the_command_line(news: Newsdesk) -> None:
    common = [
        "--articles",
        str(news.settings.articles_dir),
        "--data-dir",
        str(news.settings.data_dir),
    ]
    result = CliRunner().invoke(cli, [*common, "stories", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [set(s) for s in listed] == [
        {"id", "label", "first", "last", "outlets", "articles", "undated", "doc_ids"}
    ] * 3
    assert listed == [s.to_json() for s in news.stories()]
    assert listed[0]["articles"] == 4 and listed[0]["undated"] == 3
    assert listed[1]["outlets"] == ["Weather Desk", "Highland Courier"]
    text = CliRunner().invoke(cli, [*common, "stories"], catch_exceptions=False)
    assert text.exit_code == 0
    for story in news.stories():
        assert story.id in text.stdout and story.label in text.stdout


def test_adding_an_article_regroups_only_it(make_app: MakeApp, news_articles: Path) -> None:
    app = make_app()
    app.build()
    before = app.catalog.story_rows()
    ids = {s.id for s in app.stories()}
    (news_articles / "budget.md").write_text(BUDGET, encoding="utf-8")
    app.build()
    after = app.catalog.story_rows()
    assert set(after) == set(before) | {"budget"}
    assert {d: after[d] for d in before} == before, "no other article was regrouped"
    budget = after["budget"][1]
    assert budget not in ids
    assert {s.id for s in app.stories()} == ids | {budget}
    assert chroma_stories(app)["budget"] == {budget}
    assert after["budget"][0] == app.catalog.file_hashes()["budget"][0]

    assert stories.refresh(app.catalog, app.store, app.embedder) == 0, "nothing changed since"
    app.catalog.put_stories([], ["budget"])  # as if the article were new to grouping
    assert stories.refresh(app.catalog, app.store, app.embedder) == 1
    assert app.catalog.story_rows() == after


def test_a_deleted_article_leaves_its_story(make_app: MakeApp, news_articles: Path) -> None:
    app = make_app()
    app.build()
    samples, storm = story_of(app, CALIBER), story_of(app, "storm_courier")
    (news_articles / "002_1436df419da835d7.txt").unlink()
    app.build()
    assert "002_1436df419da835d7" not in app.catalog.story_rows()
    assert "002_1436df419da835d7" not in chroma_stories(app)
    assert all("002_1436df419da835d7" not in s.doc_ids for s in app.stories())
    now = story_of(app, CALIBER)
    assert now.id == samples.id, "the story keeps its id: its first article is still there"
    assert set(now.doc_ids) == SAMPLES - {"002_1436df419da835d7"} and now.undated == 2
    assert story_of(app, "storm_courier") == storm


def test_an_edited_article_is_regrouped(make_app: MakeApp, news_articles: Path) -> None:
    app = make_app()
    app.build()
    samples, derby = story_of(app, CALIBER), story_of(app, "derby_sports")
    assert samples.id != derby.id
    (news_articles / "derby_sports.md").write_text(TALKS, encoding="utf-8")
    app.build()
    row = app.catalog.story_rows()["derby_sports"]
    assert row[0] == app.catalog.file_hashes()["derby_sports"][0], "grouped as edited"
    assert row[1] == samples.id
    assert "derby_sports" in story_of(app, CALIBER).doc_ids
    assert derby.id not in {s.id for s in app.stories()}
    assert chroma_stories(app)["derby_sports"] == {samples.id}
    assert story_of(app, "storm_courier").doc_ids == ("storm_weatherdesk", "storm_courier")


# -- grouping itself, on real vectors ----------------------------------------------------------


def item(
    embedder: MiniLMEmbedding, doc_id: str, text: str, day: str, cluster: str | None = None
) -> Item:
    vector = np.asarray(embedder.embed([text])[0], dtype=np.float32)
    return Item(doc_id, vector, article_names(text), published_ts(day), cluster)


def test_group_joins_like_articles_within_the_window(embedder: MiniLMEmbedding) -> None:
    storm = "Storm Ingrid brought heavy snow and gales to the Scottish Highlands, cutting power."
    later = "Thousands of Highland homes were still without power after Storm Ingrid's snow."
    derby = "Manchester City beat Manchester United 3-1 in the derby at the Etihad Stadium."
    items = [
        item(embedder, "a", storm, "2026-01-15", cluster="a"),
        item(embedder, "b", later, "2026-01-16"),
        item(embedder, "c", derby, "2026-01-17"),
        item(embedder, "d", later, "2026-03-01"),  # the same words, weeks later
        item(embedder, "e", derby, "2026-01-18", cluster="a"),  # dedup: a copy of `a`
    ]
    assigned = group(items)
    assert assigned["a"] == assigned["b"] == assigned["e"]
    assert assigned["c"] != assigned["a"] and assigned["d"] != assigned["a"]
    assert assigned["a"] == stories.story_id(["a"]), "named after its first article"

    existing = {assigned["a"]: [items[0], items[1]], assigned["c"]: [items[2]]}
    new = item(embedder, "f", later, "2026-01-17")
    again = group([new], existing)
    assert again == {
        "a": assigned["a"],
        "b": assigned["a"],
        "c": assigned["c"],
        "f": assigned["a"],
    }, "existing stories keep their ids; the new article joins the like one"


def random_archive(rng: np.random.Generator, n: int) -> list[Item]:
    """`n` articles over 90 days (a tenth undated), each near one of a few topics (so many
    join stories), every sixth a near-duplicate of an earlier one."""
    topics = rng.normal(size=(6, 8))
    items = []
    for k in range(n):
        vector = topics[k % 6] + rng.normal(scale=0.6, size=8)
        vector /= np.linalg.norm(vector)
        ts = None if rng.random() < 0.1 else int(1.7e9 + rng.integers(0, 90) * stories.DAY)
        cluster = f"d{rng.integers(0, k)}" if k and k % 6 == 0 else f"d{k}"
        items.append(Item(f"d{k}", vector.astype(np.float32), frozenset(), ts, cluster))
    return items


def test_grouping_against_the_reachable_stories_alone_changes_nothing() -> None:
    """What `refresh` relies on to read a few stories, not all: for new articles grouped
    against existing stories, the stories `reachable` leaves out would not have changed the
    result. Checked over random archives, with dated and undated newcomers."""
    rng = np.random.default_rng(7)
    pruned_some = 0
    for trial in range(40):
        archive = random_archive(rng, 120)
        old, new = archive[:110], archive[110:]
        if trial % 2:  # dated newcomers only: reachable leaves stories out
            new = [i for i in new if i.ts is not None]
        assigned = group(old, threshold=0.8)
        existing: dict[str, list[Item]] = {}
        for i in old:
            existing.setdefault(assigned[i.doc_id], []).append(i)
        keep = {
            s
            for s in stories.reachable(
                new,
                {i.doc_id: assigned[i.doc_id] for i in old},
                {i.doc_id: i.ts for i in old},
                {i.doc_id: i.cluster for i in old},
            )
        }
        everything = group(new, existing, threshold=0.8)
        pruned = group(new, {s: m for s, m in existing.items() if s in keep}, threshold=0.8)
        assert {d: everything[d] for d in pruned} == pruned, trial
        assert {i.doc_id for i in new} <= set(pruned)
        pruned_some += len(keep) < len(existing)
        if any(i.ts is None for i in new):
            assert keep == set(existing), "an undated newcomer is compared with every story"
    assert pruned_some >= 10, "the check must also cover stories actually left out"


def test_an_answer_says_how_many_outlets_report_its_story(news: Newsdesk) -> None:
    from newsdesk.index.terminal import render

    answer = news.engine(backend="extractive").ask("How many homes lost power in Storm Ingrid?")
    assert answer.answered and answer.citations
    storm = next(s for s in news.stories() if "storm_courier" in s.doc_ids)
    cited = answer.citations[0]
    assert cited.story == storm.id and cited.story_outlets == len(storm.outlets) == 2
    assert f"2 outlets report this story (newsdesk timeline {storm.id}" in render(answer)
