"""Keeping the index in step by itself: the articles dir watched, the feeds polled.

watchdog reports every file created, changed, moved or deleted under the articles dir. A rebuild
waits until the folder has been quiet for `debounce` seconds (500 files copied at once are one
rebuild, not 500), but never longer than `max_delay` after the first change, so a folder that
never goes quiet is still indexed. Feeds are polled every `NEWSDESK_FEED_INTERVAL`; what a poll
saves is indexed by the same rebuild. Used by `newsdesk watch` and by the bot when
`NEWSDESK_WATCH=true`, each in its own thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from newsdesk.index.articles import SUFFIXES
from newsdesk.index.errors import NewsdeskError

if TYPE_CHECKING:
    from newsdesk.index.app import Newsdesk
    from newsdesk.index.build import BuildStats
    from newsdesk.index.ingest import FeedReport

log = logging.getLogger(__name__)


@dataclass
class Rebuilt:
    """What one round of the watcher did: the feeds it polled, the rebuild it ran."""

    stats: BuildStats | None = None
    feeds: list[FeedReport] = field(default_factory=list)
    reason: str = ""  # "files changed", "feeds polled"


class _Changes:
    """The debounce: when the folder last changed, and when the first unindexed change came."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self.first: float | None = None
        self.last: float | None = None

    def note(self, path: str) -> None:
        name = Path(path).name
        if name.startswith(".") or Path(path).suffix.lower() not in SUFFIXES:
            return  # editor swap files, our own `.part` files, anything not an article
        with self._lock:
            now = self.clock()
            self.first = self.first if self.first is not None else now
            self.last = now

    def take(self) -> bool:
        """Whether a change was noted since the last call; forgets it."""
        with self._lock:
            noted = self.first is not None
            self.first = self.last = None
            return noted

    def due(self, debounce: float, max_delay: float) -> bool:
        with self._lock:
            if self.first is None or self.last is None:
                return False
            now = self.clock()
            return now - self.last >= debounce or now - self.first >= max_delay


class Watcher:
    def __init__(
        self,
        desk: Newsdesk,
        *,
        on_round: Callable[[Rebuilt], None] = lambda _: None,
        debounce: float = 2.0,
        max_delay: float = 30.0,
        feed_interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.desk = desk
        self.on_round = on_round
        self.debounce = debounce
        self.max_delay = max_delay
        self.feed_interval = feed_interval or desk.settings.feed_interval
        self.clock = clock
        self.changes = _Changes(clock)
        self.stop = threading.Event()

    def run(self) -> None:
        """Watch and poll until `stop` is set; one failed round is logged, never fatal."""
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        changes = self.changes

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type in ("created", "modified", "deleted", "moved"):
                    changes.note(str(event.src_path))
                    if dest := getattr(event, "dest_path", ""):
                        changes.note(str(dest))

        articles = self.desk.settings.articles_dir
        articles.mkdir(parents=True, exist_ok=True)
        observer = Observer()
        observer.schedule(Handler(), str(articles), recursive=True)
        observer.start()
        next_poll = self.clock()  # the feeds are polled once at the start
        try:
            while not self.stop.wait(0.25):
                if self.desk.ingest.feeds.urls() and self.clock() >= next_poll:
                    next_poll = self.clock() + self.feed_interval
                    self._round(poll=True)
                elif self.changes.due(self.debounce, self.max_delay):  # cleared by the round
                    self._round(poll=False)
        finally:
            observer.stop()
            observer.join(timeout=5)

    def _round(self, *, poll: bool) -> None:
        done = Rebuilt(reason="feeds polled" if poll else "files changed")
        try:
            changed = self.changes.take()  # the rebuild sees every change made so far
            if poll:  # what the poll saves is indexed while the rest is fetched
                done.feeds, done.stats = self.desk.index_while(
                    lambda saved: self.desk.ingest.poll(saved=saved), build=changed
                )
            else:
                done.stats = self.desk.build(lock_wait=300)
        except NewsdeskError as exc:
            log.warning("watch: %s", exc)
            return
        except Exception:  # a bug must not stop the watching for good: log it, go on
            log.exception("watch: the round failed")
            return
        stats = done.stats
        indexed = stats is not None and bool(stats.added or stats.updated or stats.removed)
        if indexed or any(r.new or r.error or r.new != r.added for r in done.feeds):
            self.on_round(done)  # (a feed's problems are reported with nothing indexed too)


def describe(done: Rebuilt) -> list[str]:
    """One line per feed problem and one for the rebuild, for a terminal or a log."""
    lines = [f"feed {r.url}: {r.error}" for r in done.feeds if r.error]
    lines += [a.describe() for r in done.feeds for a in r.added if a.error]
    if done.stats is not None:
        s = done.stats
        lines.append(
            f"{done.reason}: {s.added} added, {s.updated} updated, {s.removed} removed "
            f"({s.chunks} chunks, {s.seconds:.1f} s)"
        )
    return lines
