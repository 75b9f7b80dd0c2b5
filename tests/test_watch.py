"""The watcher in its own thread over a real Newsdesk: files copied, deleted, half-written;
feeds polled from the loopback web."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from watchdog.observers.api import BaseObserver

from newsdesk.index.app import Newsdesk
from newsdesk.index.watch import Rebuilt, Watcher, describe

from webserver import Route, Web, page, rss

TOWNS = ["Aldmoor", "Brackwell", "Corran", "Dunmere", "Eskby", "Farrowgate", "Glenholt"]
EVENTS = [
    ("opens a new library", "The library holds forty thousand books and a reading garden."),
    ("repairs the river bridge", "Engineers replaced the rusted beams over six weeks."),
    ("elects a new mayor", "The new mayor promised cheaper buses and longer opening hours."),
    ("plants a thousand trees", "Volunteers planted oaks and limes along the ring road."),
    ("closes the old market", "Traders will move to a covered hall near the station."),
    ("hosts the regional chess final", "Forty players from nine schools took part."),
    ("builds a new swimming pool", "The pool will open next summer with a training lane."),
]


def article(n: int) -> str:
    """A short Markdown story, different from every other n."""
    town = TOWNS[n % len(TOWNS)]
    what, detail = EVENTS[(n // len(TOWNS)) % len(EVENTS)]
    return (
        f"# {town} {what} (report {n})\n\n"
        f"{town} {what}, the town council announced on day {n} of the season. {detail}\n\n"
        f"Residents of {town} were asked for their views at meeting number {n + 100}.\n"
    )


def until(condition: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(0.05)
    return result


@pytest.fixture
def desk(make_app: Any, tmp_path: Path) -> Newsdesk:
    """Two articles, indexed; the loopback web allowed."""
    folder = tmp_path / "watched"
    folder.mkdir()
    for n in range(2):
        (folder / f"seed-{n}.md").write_text(article(n), encoding="utf-8")
    desk: Newsdesk = make_app(articles_dir=folder, allow_private_urls=True, fetch_timeout=0.5)
    assert desk.build().added == 2
    return desk


def observing() -> bool:
    return any(isinstance(t, BaseObserver) and t.is_alive() for t in threading.enumerate())


@contextmanager
def watching(desk: Newsdesk, **options: Any) -> Iterator[list[Rebuilt]]:
    """The watcher running in a thread (debounce 0.3 s, at most 5 s); its rounds, as they come."""
    rounds: list[Rebuilt] = []
    watcher = Watcher(desk, debounce=0.3, max_delay=5, on_round=rounds.append, **options)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    until(observing, 10)  # watchdog has its watches once its observer thread runs
    try:
        yield rounds
    finally:
        watcher.stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive() and not observing()


def test_fifty_files_copied_at_once_are_one_rebuild(desk: Newsdesk, tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    for n in range(10, 60):
        (staging / f"story-{n}.md").write_text(article(n), encoding="utf-8")
    with watching(desk) as rounds:
        for path in sorted(staging.iterdir()):
            shutil.copy(path, desk.settings.articles_dir / path.name)
        until(lambda: rounds, 60)
        time.sleep(1.0)  # over three debounces: a second round would have started
    [done] = rounds
    assert done.reason == "files changed" and done.stats is not None
    assert (done.stats.added, done.stats.updated, done.stats.removed) == (50, 0, 0)
    assert len(desk.sources()) == 52
    assert describe(done)[-1].startswith("files changed: 50 added, 0 updated, 0 removed (")


def test_a_deleted_file_is_one_round_with_one_removed(desk: Newsdesk) -> None:
    with watching(desk) as rounds:
        (desk.settings.articles_dir / "seed-0.md").unlink()
        until(lambda: rounds, 30)
        time.sleep(1.0)
    [done] = rounds
    assert done.stats is not None and (done.stats.added, done.stats.removed) == (0, 1)
    assert [s.doc_id for s in desk.sources()] == ["seed-1"]


def test_half_written_and_editor_files_alone_start_no_round(desk: Newsdesk) -> None:
    folder = desk.settings.articles_dir
    with watching(desk) as rounds:
        (folder / "draft.part").write_text(article(7), encoding="utf-8")
        (folder / ".seed-1.md.swp").write_bytes(b"b0VIM 9.0\x00" * 40)
        (folder / "seed-1.md~").write_text(article(1), encoding="utf-8")
        time.sleep(1.5)  # five debounces
        assert rounds == []
        (folder / "draft.part").rename(folder / "draft.md")  # how `newsdesk add` saves
        until(lambda: rounds, 30)
        time.sleep(0.6)
    [done] = rounds
    assert done.stats is not None and (done.stats.added, done.stats.skipped) == (1, 0)
    assert {s.doc_id for s in desk.sources()} == {"seed-0", "seed-1", "draft"}


def test_a_folder_that_never_goes_quiet_is_indexed_within_max_delay(desk: Newsdesk) -> None:
    folder = desk.settings.articles_dir
    rounds: list[Rebuilt] = []
    watcher = Watcher(desk, debounce=1.0, max_delay=1.2, on_round=rounds.append)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    until(observing, 10)
    try:
        for n in range(20, 35):  # one file every 0.2 s for 3 s: never quiet for 1 s
            (folder / f"busy-{n}.md").write_text(article(n), encoding="utf-8")
            time.sleep(0.2)
        until(lambda: sum(r.stats.added for r in rounds if r.stats) == 15, 60)
    finally:
        watcher.stop.set()
        thread.join(timeout=30)
    assert rounds[0].stats is not None and 0 < rounds[0].stats.added < 15, "while writing"


def test_feeds_are_polled_at_the_start_and_every_interval(desk: Newsdesk, web: Web) -> None:
    title = "Dunmere ferry returns after winter"
    paragraphs = [
        "The ferry between Dunmere and the islands sailed again on Monday after the winter.",
        "Islanders said the first crossing was full of post, bread and schoolchildren.",
    ]
    web.routes["/ferry"] = Route(page(title, paragraphs))
    web.routes["/feed"] = Route(
        rss([("g-ferry", web.url("/ferry"), title)]),
        content_type="application/rss+xml",
        etag='"v1"',
    )
    desk.ingest.feeds.add(web.url("/feed"))
    with watching(desk, feed_interval=0.5) as rounds:
        until(lambda: rounds, 30)
        until(lambda: web.hits["/feed"] >= 3, 10)  # polled again every 0.5 s: 304s
    [done] = rounds  # nothing new after the first poll, so no other round
    assert done.reason == "feeds polled" and [len(r.new) for r in done.feeds] == [1]
    assert done.stats is not None and done.stats.added == 1
    assert title in {s.title for s in desk.sources()}
    assert web.hits["/ferry"] == 1


def test_a_feed_entry_with_a_malformed_link_does_not_stop_the_watcher(
    desk: Newsdesk, web: Web
) -> None:
    """`run` promises that a failed round is logged, never fatal: the watcher of `newsdesk
    watch` and of the bot is one thread, and nothing restarts it."""
    title = "Eskby harbour gets a new crane"
    paragraphs = [
        "A new crane was lifted onto the quay at Eskby harbour on Thursday morning.",
        "The harbour master said it would unload twice as many ships each week.",
    ]
    web.routes["/crane"] = Route(page(title, paragraphs))
    items = [("g-bad", "http://127.0.0.1:99999/story", "Bad"), ("g-crane", web.url("/crane"), "C")]
    web.routes["/feed"] = Route(rss(items), content_type="application/rss+xml")
    desk.ingest.feeds.add(web.url("/feed"))
    watcher = Watcher(desk, debounce=0.3, max_delay=5)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        until(lambda: web.hits["/feed"] >= 1, 10)
        time.sleep(1.0)
        assert thread.is_alive(), "the watcher thread died"
        until(lambda: title in {s.title for s in desk.sources()}, 30)
    finally:
        watcher.stop.set()
        thread.join(timeout=30)
