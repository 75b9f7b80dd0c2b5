"""Pages and feeds from a real loopback web into the articles dir, and from there into the index."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
import yaml
from click.testing import CliRunner

from newsdesk.index.app import Newsdesk
from newsdesk.index.build import FIRST_BATCH_CHUNKS
from newsdesk.index.cli import cli
from newsdesk.index.config import Settings
from newsdesk.index.ingest import FETCH_AHEAD, FeedReport, Ingest, url_key

from support import cli_process
from webserver import Route, Web, page, rss

HARBOUR = (
    "Harbour bridge to be rebuilt",
    [
        "The council voted on Tuesday to rebuild the old harbour bridge after years of delay.",
        "Work is expected to start in the spring and last two years, the city engineer said.",
    ],
)
FLOODS = (
    "Floods close the northern railway",
    [
        "Heavy rain flooded the tracks north of the capital, and trains were stopped overnight.",
        "The rail operator said buses would replace trains until the water had gone down.",
    ],
)
ORCHESTRA = (
    "Youth orchestra wins the national prize",
    [
        "A youth orchestra from the coast won the national music prize on Saturday evening.",
        "The conductor said the players had rehearsed every weekend for a whole year.",
    ],
)
FEED = "application/rss+xml"


def story(title_and_paragraphs: tuple[str, list[str]]) -> Route:
    title, paragraphs = title_and_paragraphs
    return Route(page(title, paragraphs))


def front_matter(path: Path) -> tuple[dict[str, Any], str]:
    _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(head), body


def settings(tmp_path: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "articles_dir": tmp_path / "web",
        "data_dir": tmp_path / "data",
        "allow_private_urls": True,  # the test web is on loopback
        "fetch_timeout": 0.5,
        "llm": "extractive",
    }
    return Settings(**(values | changes))


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[Ingest]:
    one = Ingest(settings(tmp_path))
    yield one
    one.close()


def saved(ingest: Ingest) -> list[Path]:
    return sorted(ingest.articles_dir.glob("*.md"))


# -- pages ---------------------------------------------------------------------------------


def test_a_page_is_saved_as_markdown_with_front_matter(web: Web, ingest: Ingest) -> None:
    web.routes["/world/harbour"] = story(HARBOUR)
    before = datetime.now(UTC).replace(microsecond=0)
    [added] = ingest.add([web.url("/world/harbour")])
    assert added.failure is None and not added.already and added.path is not None
    assert added.path.parent == ingest.articles_dir and added.path.suffix == ".md"
    assert added.path.stem.endswith(url_key(web.url("/world/harbour")))
    meta, body = front_matter(added.path)
    assert {k: meta[k] for k in ("title", "source", "url", "published")} == {
        "title": "Harbour bridge to be rebuilt",
        "source": "The Loopback Times",
        "url": web.url("/world/harbour"),
        "published": "2025-11-12T18:04+03:00",
    }
    fetched = datetime.fromisoformat(meta["fetched"].replace("Z", "+00:00"))
    assert before <= fetched <= datetime.now(UTC)
    assert HARBOUR[1][0] in body and HARBOUR[1][1] in body
    for furniture in ("Home", "World", "Log in", "All rights reserved", "©", "<"):
        assert furniture not in body, furniture
    assert added.describe() == (
        "added: Harbour bridge to be rebuilt (The Loopback Times, 2025-11-12T18:04+03:00)"
    )


def test_the_same_url_twice_is_fetched_once(web: Web, tmp_path: Path, ingest: Ingest) -> None:
    web.routes["/harbour"] = story(HARBOUR)
    url = web.url("/harbour")
    first, second = ingest.add([url, url])
    assert first.article is not None and second.already and second.article is None
    again = Ingest(settings(tmp_path))  # another process: only the folder remembers
    spellings = [url, url.replace("http://", "HTTP://") + "#comments"]
    assert all(a.already for a in again.add(spellings))
    again.close()
    assert web.hits["/harbour"] == 1 and len(saved(ingest)) == 1


def test_a_redirecting_url_and_its_target_are_one_article(
    web: Web, tmp_path: Path, ingest: Ingest
) -> None:
    web.routes["/short/h"] = Route(status=301, headers={"Location": "/news/harbour"})
    web.routes["/news/harbour"] = story(HARBOUR)
    via, direct = ingest.add([web.url("/short/h"), web.url("/news/harbour")])
    assert via.article is not None and via.article.url == web.url("/news/harbour")
    # Both were requested at once (pages are fetched ahead), so the target arrived twice; it
    # is saved once, and a later add of either fetches nothing.
    assert direct.already and web.hits["/news/harbour"] == 2
    [path] = saved(ingest)
    meta, _ = front_matter(path)
    assert (meta["url"], meta["fetched_from"]) == (web.url("/news/harbour"), web.url("/short/h"))
    again = Ingest(settings(tmp_path))
    assert all(a.already for a in again.add([web.url("/short/h"), web.url("/news/harbour")]))
    assert web.hits["/short/h"] == 1 and web.hits["/news/harbour"] == 2
    again.close()


def test_one_bad_url_does_not_stop_the_others(web: Web, ingest: Ingest) -> None:
    web.routes["/harbour"] = story(HARBOUR)
    web.routes["/floods"] = story(FLOODS)
    web.routes["/down"] = Route(b"oops", status=503)
    web.routes["/report.pdf"] = Route(b"%PDF-1.7", content_type="application/pdf")
    urls = [
        web.url("/harbour"),
        web.url("/missing"),
        "ftp://127.0.0.1/floods",
        web.url("/down"),
        web.url("/report.pdf"),
        "http://169.254.169.254/latest/meta-data/",
        web.url("/floods"),
    ]
    results = ingest.add(urls)
    assert [r.url for r in results] == urls
    assert [r.article.title for r in results if r.article] == [HARBOUR[0], FLOODS[0]]
    errors = [r.error for r in results if r.failure]
    assert len(errors) == 5 and all(e and "\n" not in e for e in errors)
    assert errors[0] == "the server answered 404 Not Found"
    assert [r.retry for r in results if r.failure] == [False, False, True, False, False]
    assert len(saved(ingest)) == 2


STORIES = [HARBOUR, FLOODS, ORCHESTRA] * 2


def slow_stories(web: Web) -> list[str]:
    """Six pages, each taking a while to arrive (0.05 s before each KiB)."""
    urls = []
    for n, (title, paragraphs) in enumerate(STORIES):
        web.routes[f"/slow/{n}"] = Route(page(f"{title} ({n})", paragraphs), delay=0.05)
        urls.append(web.url(f"/slow/{n}"))
    return urls


def test_pages_are_fetched_a_few_at_a_time_and_reported_in_order(web: Web, ingest: Ingest) -> None:
    urls = slow_stories(web)
    results = ingest.add([*urls, urls[0]])
    assert [r.url for r in results] == [*urls, urls[0]]
    titles = [r.article.title for r in results if r.article]
    assert titles == [f"{title} ({n})" for n, (title, _) in enumerate(STORIES)]
    assert results[-1].already and all(web.hits[f"/slow/{n}"] == 1 for n in range(6))
    assert 2 <= web.most_at_once <= FETCH_AHEAD


def test_a_feeds_pages_are_fetched_ahead_once_each_in_the_entries_order(
    web: Web, ingest: Ingest
) -> None:
    urls = slow_stories(web)
    items = [(f"g-{n}", url, "x") for n, url in enumerate(urls)]
    items.insert(2, ("g-again", urls[0], "the first page under another guid"))
    web.routes["/feed"] = Route(rss(items), content_type=FEED)
    [report] = poll(ingest, web.url("/feed"))
    assert [a.url for a in report.added] == [link for _, link, _ in items]
    assert report.added[2].already and report.pages_fetched == 6
    titles = [a.article.title for a in report.new]  # type: ignore[union-attr]
    assert titles == [f"{title} ({n})" for n, (title, _) in enumerate(STORIES)]
    assert all(web.hits[f"/slow/{n}"] == 1 for n in range(6))
    assert 2 <= web.most_at_once <= FETCH_AHEAD


def test_entries_sharing_a_failing_link_fetch_it_once(web: Web, ingest: Ingest) -> None:
    items = entry_with_text("g-1", web.url("/gone"), "Fishermen rescued", 30)
    items += entry_with_text("g-2", web.url("/gone"), "Fishermen rescued, again", 40)
    web.routes["/feed"] = Route(channel(items), content_type=FEED)
    [report] = poll(ingest, web.url("/feed"))
    first, second = report.added
    assert first.article is not None and first.article.title == "Fishermen rescued"
    assert second.already and web.hits["/gone"] == 1 and report.pages_fetched == 1


def test_a_malformed_url_among_good_ones_is_skipped_not_fatal(web: Web, ingest: Ingest) -> None:
    web.routes["/harbour"] = story(HARBOUR)
    results = ingest.add(["http://127.0.0.1:99999/x", "http://[::1/x", web.url("/harbour")])
    assert [r.failure is not None for r in results] == [True, True, False]
    assert results[2].article is not None


def run_cli(tmp_path: Path, *args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = cli_process(
        tmp_path / "web",
        tmp_path / "data",
        *args,
        env={"NEWSDESK_LLM": "extractive", **env},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def test_cli_add_reports_each_url_and_sources_lists_the_page(web: Web, tmp_path: Path) -> None:
    web.routes["/harbour"] = story(HARBOUR)
    allowed = {"NEWSDESK_ALLOW_PRIVATE_URLS": "true"}
    code, out, err = run_cli(tmp_path, "add", web.url("/harbour"), web.url("/missing"), env=allowed)
    assert code == 1
    assert out == (
        "added: Harbour bridge to be rebuilt (The Loopback Times, 2025-11-12T18:04+03:00)\n"
    )
    assert err == f"skipped {web.url('/missing')}: the server answered 404 Not Found\n"

    code, out, err = run_cli(tmp_path, "sources", env=allowed)
    assert code == 0, err
    [line] = out.splitlines()
    assert "2025-11-12T18:04+03:00" in line and "The Loopback Times" in line
    assert line.endswith("Harbour bridge to be rebuilt")

    web.routes["/floods"] = story(FLOODS)
    code, out, err = run_cli(tmp_path, "add", web.url("/floods"), env={})
    assert (code, out) == (1, "") and web.hits["/floods"] == 0
    assert err.strip().endswith("(NEWSDESK_ALLOW_PRIVATE_URLS=true allows it)")
    assert len(err.splitlines()) == 1 and "Traceback" not in err


# -- feeds ---------------------------------------------------------------------------------


def entry_with_text(guid: str, link: str, title: str, words: int) -> str:
    sentence = "Rescuers pulled three fishermen from the cold sea near the northern cape "
    text = " ".join((sentence * (words // 12 + 1)).split()[:words])
    return (
        f"<item><guid>{guid}</guid><link>{link}</link><title>{title}</title>"
        "<pubDate>Sun, 16 Nov 2025 21:30:00 GMT</pubDate>"
        f"<description>{escape(f'<p>{text}.</p>')}</description></item>"
    )


def poll(ingest: Ingest, feed: str) -> list[FeedReport]:
    """Follow `feed` (if not yet) and poll every followed feed, as `newsdesk feeds poll` does."""
    ingest.feeds.add(feed)
    return ingest.poll()


def channel(items: str, title: str = "Coast News") -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{title}</title><link>http://example.invalid/</link>{items}</channel></rss>"
    ).encode()


def test_poll_saves_and_indexes_new_entries_then_304_fetches_nothing(
    web: Web, tmp_path: Path, make_app: Any
) -> None:
    desk: Newsdesk = make_app(**vars(settings(tmp_path)))
    web.routes["/harbour"] = story(HARBOUR)
    web.routes["/floods"] = story(FLOODS)
    items = [("g-harbour", web.url("/harbour"), "Harbour"), ("g-floods", web.url("/floods"), "F")]
    web.routes["/feed"] = Route(rss(items), content_type=FEED, etag='"v1"')
    assert desk.ingest.feeds.add(web.url("/feed"))

    [report] = desk.poll_feeds()
    assert report.error is None and not report.unchanged and report.pages_fetched == 2
    assert [a.article.title for a in report.new] == [HARBOUR[0], FLOODS[0]]  # type: ignore[union-attr]
    indexed = {s.title: s for s in desk.sources()}
    assert set(indexed) == {HARBOUR[0], FLOODS[0]}
    assert indexed[FLOODS[0]].url == web.url("/floods")
    assert indexed[FLOODS[0]].source == "The Loopback Times"
    assert indexed[FLOODS[0]].published == "2025-11-12T18:04+03:00"

    [again] = desk.poll_feeds()
    assert again.unchanged and again.added == [] and again.pages_fetched == 0
    assert web.hits["/feed"] == 2 and web.hits["/harbour"] == web.hits["/floods"] == 1
    assert again.describe() == f"{web.url('/feed')}: nothing new"
    [row] = desk.ingest.feeds.rows()
    assert (row["title"], row["error"]) == ("Loopback Times: World", None)


def test_a_feeds_first_pages_are_embedded_while_its_last_is_still_being_fetched(
    web: Web, tmp_path: Path, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last page is answered only once the model has started on the ones before it: a
    poll that fetched every page before indexing any would wait for it until the fetch timed
    out, and fail that entry."""
    desk: Newsdesk = make_app(**vars(settings(tmp_path, fetch_timeout=5.0)))
    embedding = threading.Event()
    embed = type(desk.embedder).embed

    def noted(self: Any, texts: Any) -> Any:
        embedding.set()
        return embed(self, texts)

    monkeypatch.setattr(type(desk.embedder), "embed", noted)
    towns = [f"Town{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(FIRST_BATCH_CHUNKS + 2)]
    items = []
    for i, town in enumerate(towns):
        paragraphs = [
            f"The council of {town} voted on road number {i} after a long debate.",
            f"Residents of {town} said the works would start in month {i % 12 + 1}.",
        ]
        web.routes[f"/town/{i}"] = Route(page(f"{town} votes on road {i}", paragraphs))
        items.append((f"g-{i}", web.url(f"/town/{i}"), town))
    web.routes[f"/town/{len(towns) - 1}"].gate = embedding
    web.routes["/feed"] = Route(rss(items), content_type=FEED)
    desk.ingest.feeds.add(web.url("/feed"))

    [report] = desk.poll_feeds()
    assert [a.error for a in report.added if a.error] == []
    assert len(report.new) == len(towns)
    assert {s.title for s in desk.sources()} == {a.article.title for a in report.new}  # type: ignore[union-attr]
    assert desk.catalog.counts()[0] == len(towns)


def test_an_entry_seen_by_guid_is_not_fetched_again_under_a_new_link(
    web: Web, ingest: Ingest
) -> None:
    web.routes["/harbour"] = story(HARBOUR)
    web.routes["/feed"] = Route(
        rss([("g-1", web.url("/harbour"), "H")]), content_type=FEED, etag='"v1"'
    )
    [first] = poll(ingest, web.url("/feed"))
    assert len(first.new) == 1
    for path in saved(ingest):
        path.unlink()  # the operator deleted it: only the feed store still knows the entry
    web.routes["/floods"] = story(FLOODS)
    web.routes["/harbour-v2"] = story(HARBOUR)
    web.routes["/feed"] = Route(
        rss([("g-1", web.url("/harbour-v2"), "H"), ("g-2", web.url("/floods"), "F")]),
        content_type=FEED,
        etag='"v2"',
    )
    [second] = poll(ingest, web.url("/feed"))
    assert [a.url for a in second.added] == [web.url("/floods")] and second.pages_fetched == 1
    assert web.hits["/harbour-v2"] == 0 and web.hits["/harbour"] == 1


def test_the_same_link_under_a_new_guid_is_not_fetched_again(web: Web, ingest: Ingest) -> None:
    web.routes["/harbour"] = story(HARBOUR)
    web.routes["/feed"] = Route(rss([("g-1", web.url("/harbour"), "H")]), content_type=FEED)
    assert len(poll(ingest, web.url("/feed"))[0].new) == 1
    for path in saved(ingest):
        path.unlink()
    web.routes["/feed"] = Route(rss([("g-1-renamed", web.url("/harbour"), "H")]), content_type=FEED)
    [second] = poll(ingest, web.url("/feed"))
    assert second.unchanged and second.pages_fetched == 0 and web.hits["/harbour"] == 1


def test_each_bad_feed_fails_on_its_own_report(web: Web, tmp_path: Path) -> None:
    ingest = Ingest(settings(tmp_path, max_article_bytes=40_000))
    web.routes["/harbour"] = story(HARBOUR)
    web.routes["/floods"] = story(FLOODS)
    web.routes["/good"] = Route(
        rss([("g-h", web.url("/harbour"), "H"), ("g-f", web.url("/floods"), "F")]),
        content_type=FEED,
    )
    web.routes["/not-xml"] = Route(b"Service moved. Please update your reader.", content_type=FEED)
    huge = rss([(f"g{n}", web.url(f"/p{n}"), "x" * 200) for n in range(200)])
    web.routes["/huge"] = Route(huge, content_type=FEED)
    # The first byte after 0.8 s: longer than the 0.5 s a read may wait.
    slow = rss([("g-s", web.url("/floods"), "S")])
    web.routes["/slow"] = Route(slow, content_type=FEED, delay=0.8)
    feeds = {
        "not-xml": web.url("/not-xml"),
        "huge": web.url("/huge"),
        "slow": web.url("/slow"),
        "metadata": "http://169.254.169.254/latest/feed.xml",
        "good": web.url("/good"),
    }
    for url in feeds.values():
        ingest.feeds.add(url)
    reports: dict[str, FeedReport] = {r.url: r for r in ingest.poll()}
    assert set(reports) == set(feeds.values())
    good = reports[feeds["good"]]
    assert good.error is None and [a.article.title for a in good.new] == [HARBOUR[0], FLOODS[0]]  # type: ignore[union-attr]
    errors = {name: reports[url].error for name, url in feeds.items() if name != "good"}
    assert errors["not-xml"] and errors["not-xml"].startswith("not an RSS or Atom feed")
    assert errors["huge"] and "over the 40,000" in errors["huge"]
    assert errors["slow"] == "could not fetch (timed out)"
    assert errors["metadata"] and "link-local" in errors["metadata"]
    for name, error in errors.items():
        assert "\n" not in (error or "") and reports[feeds[name]].added == [], name
    stored = {row["url"]: row["error"] for row in ingest.feeds.rows()}
    assert stored[feeds["good"]] is None and stored[feeds["slow"]] == errors["slow"]
    ingest.close()


def test_a_feed_at_a_private_address_is_refused_without_the_setting(
    web: Web, tmp_path: Path
) -> None:
    web.routes["/feed"] = Route(rss([("g", web.url("/harbour"), "H")]), content_type=FEED)
    strict = Ingest(settings(tmp_path, allow_private_urls=False))
    strict.feeds.add(web.url("/feed"))
    [report] = strict.poll()
    assert report.error == "127.0.0.1 a private or reserved address" and report.added == []
    assert web.hits["/feed"] == 0
    strict.close()


def test_a_page_that_fails_with_500_is_retried_and_a_404_is_not(web: Web, ingest: Ingest) -> None:
    web.routes["/flaky"] = Route(b"oops", status=500)
    items = [("g-flaky", web.url("/flaky"), "F"), ("g-gone", web.url("/gone"), "G")]
    web.routes["/feed"] = Route(rss(items), content_type=FEED)  # no validators: sent in full
    [first] = poll(ingest, web.url("/feed"))
    assert [(a.url, a.retry) for a in first.added] == [
        (web.url("/flaky"), True),
        (web.url("/gone"), False),
    ]
    assert first.describe() == f"{web.url('/feed')}: 0 new, 2 skipped"
    web.routes["/flaky"] = story(FLOODS)
    web.routes["/gone"] = story(HARBOUR)
    [second] = poll(ingest, web.url("/feed"))
    assert [a.article.title for a in second.new] == [FLOODS[0]]  # type: ignore[union-attr]
    assert web.hits["/flaky"] == 2 and web.hits["/gone"] == 1
    [third] = poll(ingest, web.url("/feed"))
    assert third.unchanged and web.hits["/flaky"] == 2


def test_a_transient_failure_is_retried_even_when_the_feed_answers_304(
    web: Web, ingest: Ingest
) -> None:
    """Most feeds send an ETag. Storing it while an entry waits for its retry makes the next
    poll a 304, and the entry is not tried again until the feed itself changes."""
    web.routes["/flaky"] = Route(b"oops", status=502)
    web.routes["/feed"] = Route(
        rss([("g-flaky", web.url("/flaky"), "F")]), content_type=FEED, etag='"v1"'
    )
    [first] = poll(ingest, web.url("/feed"))
    assert first.added[0].retry
    web.routes["/flaky"] = story(FLOODS)
    [second] = poll(ingest, web.url("/feed"))
    assert [a.article.title for a in second.new] == [FLOODS[0]]  # type: ignore[union-attr]


def test_the_feed_text_stands_in_for_a_page_that_fails(web: Web, ingest: Ingest) -> None:
    items = entry_with_text("g-story", web.url("/gone-story"), "Fishermen rescued", 30)
    items += entry_with_text("g-teaser", web.url("/gone-teaser"), "Read on", 29)
    web.routes["/feed"] = Route(channel(items), content_type=FEED)
    [report] = poll(ingest, web.url("/feed"))
    story_, teaser = report.added
    assert story_.article is not None and story_.path is not None
    meta, body = front_matter(story_.path)
    assert (meta["title"], meta["url"]) == ("Fishermen rescued", web.url("/gone-story"))
    assert meta["published"] == "2025-11-16T21:30+00:00"
    assert body.startswith("Rescuers pulled three fishermen from the cold sea")
    assert teaser.article is None and teaser.error == "the server answered 404 Not Found"
    assert web.hits["/gone-story"] == web.hits["/gone-teaser"] == 1


def test_the_feed_text_names_the_feed_as_its_outlet(web: Web, ingest: Ingest) -> None:
    """A copy made from the feed says nothing of an outlet but what the feed says; the host
    name guessed from the URL ("127.0.0.1:PORT") must not win over the feed's title."""
    items = entry_with_text("g-story", web.url("/gone-story"), "Fishermen rescued", 40)
    web.routes["/feed"] = Route(channel(items, title="Coast News"), content_type=FEED)
    [report] = poll(ingest, web.url("/feed"))
    assert report.new[0].path is not None
    assert front_matter(report.new[0].path)[0]["source"] == "Coast News"


def test_a_feed_entry_with_a_malformed_link_does_not_break_the_poll(
    web: Web, ingest: Ingest
) -> None:
    web.routes["/harbour"] = story(HARBOUR)
    items = [("g-bad", "http://127.0.0.1:99999/story", "Bad"), ("g-ok", web.url("/harbour"), "H")]
    web.routes["/feed"] = Route(rss(items), content_type=FEED)
    [report] = poll(ingest, web.url("/feed"))
    assert report.added[0].failure is not None and report.added[1].article is not None


def test_feeds_add_list_remove_from_the_command_line(web: Web, tmp_path: Path) -> None:
    common = ["--articles", str(tmp_path / "web"), "--data-dir", str(tmp_path / "data")]

    def feeds(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli, [*common, "feeds", *args])
        return result.exit_code, result.stdout, result.stderr

    url = web.url("/feed")
    assert feeds("list") == (0, "No feeds followed: add one with `newsdesk feeds add URL`.\n", "")
    assert feeds("add", url) == (0, f"following {url}\n", "")
    assert feeds("add", url) == (0, f"already following {url}\n", "")
    code, _, err = feeds("add", "ftp://127.0.0.1/feed")
    assert code == 1 and err == "Error: ftp://127.0.0.1/feed: a feed is an http or https URL\n"

    web.routes["/harbour"] = story(HARBOUR)
    web.routes["/feed"] = Route(rss([("g-1", web.url("/harbour"), "H")]), content_type=FEED)
    poller = Ingest(settings(tmp_path))
    poller.poll()
    poller.close()
    code, out, _ = feeds("list", "--json")
    [row] = json.loads(out)
    assert (row["url"], row["title"], row["error"]) == (url, "Loopback Times: World", None)
    code, out, _ = feeds("list")
    assert out.startswith(f"{url}  Loopback Times: World  ") and ", polled 20" in out

    assert feeds("remove", url) == (0, f"no longer following {url}\n", "")
    assert feeds("remove", url) == (1, "", f"Error: not following {url}\n")
    assert feeds("list")[1].startswith("No feeds followed")


def test_feeds_list_counts_entries_not_their_keys(web: Web, tmp_path: Path) -> None:
    """One entry is remembered under two keys (its guid and its link); `feeds list` says how
    many entries a feed brought, so one entry is one."""
    web.routes["/harbour"] = story(HARBOUR)
    web.routes["/feed"] = Route(rss([("g-1", web.url("/harbour"), "H")]), content_type=FEED)
    poller = Ingest(settings(tmp_path))
    poller.feeds.add(web.url("/feed"))
    assert len(poller.poll()[0].new) == 1
    poller.close()
    common = ["--articles", str(tmp_path / "web"), "--data-dir", str(tmp_path / "data")]
    out = CliRunner().invoke(cli, [*common, "feeds", "list"]).stdout
    assert "  1 entr" in out, out
