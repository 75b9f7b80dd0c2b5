"""New articles from the web: pages by URL and entries of RSS/Atom feeds, saved into the
articles dir as Markdown with front matter.

The articles dir stays the one source of truth: a fetched page becomes a file like any other
(title, source, url, published, author and fetched in its front matter; the extracted text as its
body), so a rebuild from scratch loses nothing and an operator can read, fix or delete it. A file
is named after its title and a hash of its URL; a URL already in the folder is never fetched
again. Feeds, their conditional-GET validators and the entries already seen are kept in the data
dir (`feeds.sqlite3`).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from newsdesk.index import articles
from newsdesk.index.articles import Article
from newsdesk.index.catalog import open_db
from newsdesk.index.config import Settings
from newsdesk.index.errors import ArticleError, DataDirError, FetchError
from newsdesk.index.fetch import FEED_TYPES, PAGE_TYPES, Fetcher, Response

_SUFFIX = {"text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt"}
MIN_FEED_WORDS = 30  # a feed's own text stands in for an unreachable page only if it is a story
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
Saved = Callable[[Path], None]  # told of each article file as soon as it is written
FETCH_AHEAD = 4  # pages requested at once: 100 new entries wait on 4 round trips, not 100


@dataclass(frozen=True)
class Added:
    """One URL's outcome: `article` when it was saved, `path` of the file holding it."""

    url: str
    path: Path | None = None
    article: Article | None = None
    already: bool = False  # the URL was in the articles dir before
    failure: FetchError | None = None

    @property
    def error(self) -> str | None:
        return str(self.failure) if self.failure else None

    @property
    def retry(self) -> bool:
        """The failure may pass: a feed entry is tried again at the next poll."""
        return bool(self.failure and self.failure.transient)

    def describe(self) -> str:
        if self.failure:
            return f"skipped {self.url}: {self.failure}"
        if self.already:
            return f"already added: {self.url}"
        assert self.article is not None
        facts = ", ".join(
            [self.article.source or "unknown outlet", self.article.published or "undated"]
        )
        return f"added: {self.article.title} ({facts})"


@dataclass
class FeedReport:
    url: str
    added: list[Added] = field(default_factory=list)
    unchanged: bool = False  # 304 Not Modified, or no entry not seen before
    error: str | None = None
    pages_fetched: int = 0

    @property
    def new(self) -> list[Added]:
        return [a for a in self.added if a.article is not None]

    def describe(self) -> str:
        if self.error:
            return f"{self.url}: {self.error}"
        if self.unchanged:
            return f"{self.url}: nothing new"
        failed = sum(1 for a in self.added if a.failure)
        return f"{self.url}: {len(self.new)} new" + (f", {failed} skipped" if failed else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "error": self.error,
            "unchanged": self.unchanged,
            "pages_fetched": self.pages_fetched,
            "added": [
                {"url": a.url, "path": str(a.path) if a.path else None, "error": a.error}
                for a in self.added
            ],
        }


def url_key(url: str) -> str:
    """The same page under trivially different spellings (case of the host, a #fragment)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # not a URL: the fetcher will say so
        return hashlib.sha256(url.strip().encode()).hexdigest()[:12]
    normal = urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )
    return hashlib.sha256(normal.encode()).hexdigest()[:12]


def file_name(title: str, url: str) -> str:
    slug = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", slug).strip("-")[:60].rstrip("-") or "article"
    return f"{slug}-{url_key(url)}.md"


def known_urls(articles_dir: Path) -> set[str]:
    """URL keys of the pages already saved in the folder (by name, then by front matter);
    none when the folder does not exist yet."""
    keys = set()
    for path in articles_dir.rglob("*.md"):
        if match := re.search(r"-([0-9a-f]{12})$", path.stem):
            keys.add(match[1])
        try:
            head = path.read_bytes()[:4096].decode("utf-8", "replace")
        except OSError:
            continue
        keys.update(
            url_key(u)
            for u in re.findall(r"^(?:url|fetched_from): *['\"]?(\S+?)['\"]?$", head, re.M)
        )
    return keys


class Ingest:
    """Fetches pages and feeds into `settings.articles_dir`; indexing is the caller's (one
    build after a batch, so 100 new entries are one incremental rebuild)."""

    def __init__(self, settings: Settings, fetcher: Fetcher | None = None) -> None:
        self.settings = settings
        self.articles_dir = settings.articles_dir
        self.fetcher = fetcher or Fetcher(
            allow_private=settings.allow_private_urls,
            max_bytes=settings.max_article_bytes,
            max_page_bytes=settings.max_article_bytes * articles.MARKUP_ALLOWANCE,
            timeout=settings.fetch_timeout,
        )
        self._feeds: FeedStore | None = None

    @property
    def feeds(self) -> FeedStore:
        if self._feeds is None:
            self._feeds = FeedStore(self.settings.data_dir / "feeds.sqlite3")
        return self._feeds

    def close(self) -> None:
        if self._feeds is not None:
            self._feeds.close()

    # -- pages ---------------------------------------------------------------------------------

    def add(self, urls: Iterable[str], saved: Saved = lambda _: None) -> list[Added]:
        """Fetch, extract and save each page; one bad URL never stops the others. A URL given
        twice, or already in the folder, is reported as already added. `saved` is told of each
        file as soon as it is written."""
        urls, known = list(urls), known_urls(self.articles_dir)
        fresh = [url for url in dict.fromkeys(urls) if url_key(url) not in known]
        outcome: dict[str, Added] = {}
        for url, response in self._fetch_ahead(fresh):
            try:
                if isinstance(response, FetchError):
                    raise response
                outcome[url] = self.save(url, response, known)
            except FetchError as exc:
                outcome[url] = Added(url, failure=exc)
            if (article := outcome[url].article) is not None:
                known.update(url_key(u) for u in (url, article.url) if u)
            if (path := outcome[url].path) is not None:
                saved(path)
        return [outcome.pop(url) if url in outcome else Added(url, already=True) for url in urls]

    def _fetch_ahead(self, links: list[str]) -> Iterator[tuple[str, Response | FetchError]]:
        """Each page of `links`, in their order, with up to FETCH_AHEAD requests in flight (so
        at most that many pages wait in memory to be read)."""

        def get(link: str) -> Response | FetchError:
            try:
                return self.fetcher.get(link, types=PAGE_TYPES)
            except FetchError as exc:
                return exc

        with ThreadPoolExecutor(FETCH_AHEAD, thread_name_prefix="newsdesk-fetch") as pool:
            flying: deque[tuple[str, Future[Response | FetchError]]] = deque()
            for link in links:
                flying.append((link, pool.submit(get, link)))
                if len(flying) > FETCH_AHEAD:
                    done, future = flying.popleft()
                    yield done, future.result()
            while flying:
                done, future = flying.popleft()
                yield done, future.result()

    def save(
        self, url: str, response: Response, known: set[str], fallback: dict[str, Any] | None = None
    ) -> Added:
        """Extract a fetched page and write it as Markdown; `fallback` metadata (a feed entry's)
        fills what the page does not state."""
        fetched = datetime.now(UTC).replace(microsecond=0)
        name = Path("page" + _SUFFIX.get(response.content_type, ".html"))
        try:
            page = articles.parse(
                name,
                response.body,
                reference=fetched.replace(tzinfo=None),
                url=response.url,
                charset=response.charset,
                max_bytes=self.settings.max_article_bytes,
            )
        except ArticleError as exc:  # worded for a file: say it of the page
            raise FetchError(str(exc).removeprefix(f"{name}: "), url=url) from exc
        canonical = page.url or response.url
        if url_key(canonical) in known:
            return Added(url, already=True)
        return self._write(url, canonical, page, fetched, fallback or {})

    def _write(
        self, url: str, canonical: str, page: Article, fetched: datetime, fallback: dict[str, Any]
    ) -> Added:
        meta: dict[str, Any] = {
            "title": page.title,
            "source": page.source or fallback.get("source"),
            "url": canonical,
            "published": page.published or fallback.get("published"),
            "author": page.byline or fallback.get("author"),
            "fetched": fetched.isoformat().replace("+00:00", "Z"),
        }
        if url != canonical:
            meta["fetched_from"] = url
        meta = {k: v for k, v in meta.items() if v}
        body = page.text.partition("\n\n")[2] if page.text.startswith(page.title) else page.text
        head = yaml.dump(meta, Dumper=SAFE_DUMPER, allow_unicode=True, sort_keys=False)
        text = f"---\n{head}---\n{body}\n"
        path = self.articles_dir / file_name(page.title, canonical)
        try:
            self.articles_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")  # not an article suffix: a watcher ignores it
            partial.write_text(text, encoding="utf-8")
            partial.replace(path)
        except OSError as exc:
            raise DataDirError(
                f"cannot write {path} ({exc.strerror or exc})", path=self.articles_dir
            ) from exc
        saved = articles.load(path)
        return Added(url, path=path, article=saved)

    # -- feeds ---------------------------------------------------------------------------------

    def poll(
        self, urls: Iterable[str] | None = None, saved: Saved = lambda _: None
    ) -> list[FeedReport]:
        """Fetch every feed (or `urls`) with conditional GET and save its new entries; `saved`
        is told of each file as soon as it is written."""
        known = known_urls(self.articles_dir)
        return [self._poll_one(feed, known, saved) for feed in (urls or self.feeds.urls())]

    def _poll_one(self, feed_url: str, known: set[str], saved: Saved) -> FeedReport:
        report = FeedReport(feed_url)
        state = self.feeds.state(feed_url)
        try:
            response = self.fetcher.get(
                feed_url,
                types=FEED_TYPES,
                etag=state.get("etag"),
                last_modified=state.get("last_modified"),
            )
        except FetchError as exc:
            report.error = str(exc)
            self.feeds.polled(feed_url, error=report.error)
            return report
        if response.status == 304:
            report.unchanged = True
            self.feeds.polled(
                feed_url,
                etag=response.etag or state.get("etag"),
                last_modified=response.last_modified or state.get("last_modified"),
            )
            return report
        try:
            parsed = _parse_feed(response)
        except FetchError as exc:
            report.error = str(exc)
            self.feeds.polled(feed_url, error=report.error)
            return report
        outlet = _clean(parsed.feed.get("title"))
        todo = [
            (entry, keys, _clean(entry.get("link")))
            for entry in parsed.entries
            if (keys := _entry_keys(entry)) and not self.feeds.seen(keys)
        ]
        # Each page is fetched once, ahead of its entry, in the entries' order; a later entry
        # with the same link shares its outcome (its own text may stand in for a failure).
        keys_of = [url_key(link) if link and _linked(link) else None for *_, link in todo]
        first: dict[str, int] = {}  # link key -> the entry that fetches it
        for i, key in enumerate(keys_of):
            if key and key not in known:
                first.setdefault(key, i)
        wanted = [first.get(key or "") == i for i, key in enumerate(keys_of)]
        report.pages_fetched = sum(wanted)
        pages = self._fetch_ahead([todo[i][2] or "" for i in sorted(first.values())])
        failed: dict[str, FetchError] = {}
        for (entry, keys, link), key, fetched in zip(todo, keys_of, wanted, strict=True):
            page = next(pages)[1] if fetched else failed.get(key or "")
            added = self._entry(entry, link, outlet, known, page)
            if not added.retry:
                self.feeds.mark_seen(feed_url, keys)
            report.added.append(added)
            if added.path is not None:
                saved(added.path)
            if added.article is not None:
                known.update(url_key(u) for u in (link, added.article.url) if u)
            elif key and isinstance(page, FetchError):
                failed[key] = page
        report.unchanged = not report.added
        if any(a.retry for a in report.added):  # keep fetching the feed until they are in
            self.feeds.polled(feed_url, title=outlet)
            return report
        self.feeds.polled(
            feed_url, etag=response.etag, last_modified=response.last_modified, title=outlet
        )
        return report

    def _entry(
        self,
        entry: Any,
        link: str | None,
        outlet: str | None,
        known: set[str],
        page: Response | FetchError | None,
    ) -> Added:
        """Save one new entry from its fetched `page` (None: it was not fetched, as its link
        is missing or already in the folder)."""
        fallback = {
            "source": outlet,
            "published": _entry_date(entry),
            "author": _clean(entry.get("author")),
        }
        if not link or not _linked(link):
            return Added(
                link or "?", failure=FetchError("the entry has no http(s) link", url=link or "?")
            )
        if url_key(link) in known or page is None:
            return Added(link, already=True)
        try:
            if isinstance(page, FetchError):
                raise page
            return self.save(link, page, known, fallback)
        except FetchError as exc:
            if (text := _entry_text(entry, outlet)) is None:
                return Added(link, failure=exc)
        own = Response(link, 200, "text/html", "utf-8", text.encode())
        try:  # the page could not be fetched: the feed's own copy of the story stands in
            return self.save(link, own, known, fallback)
        except FetchError as exc:
            return Added(link, failure=exc)


class FeedStore:
    """The followed feeds, their validators and the entries seen (SQLite in the data dir)."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS feeds (
        url TEXT PRIMARY KEY, title TEXT, etag TEXT, last_modified TEXT,
        added TEXT NOT NULL, polled TEXT, error TEXT
    );
    CREATE TABLE IF NOT EXISTS seen (
        key TEXT PRIMARY KEY, entry TEXT NOT NULL, feed TEXT NOT NULL, at TEXT NOT NULL
    );
    """

    def __init__(self, path: Path) -> None:
        self.db = open_db(path, self.SCHEMA)

    def add(self, url: str) -> bool:
        """False when the feed was followed already."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError("a feed is an http or https URL", url=url)
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO feeds (url, added) VALUES (?, ?)", (url, _now())
        )
        return cursor.rowcount == 1

    def remove(self, url: str) -> bool:
        return self.db.execute("DELETE FROM feeds WHERE url = ?", (url,)).rowcount == 1

    def close(self) -> None:
        self.db.close()

    def urls(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT url FROM feeds ORDER BY added, url")]

    def rows(self) -> list[dict[str, Any]]:
        cursor = self.db.execute(
            "SELECT url, title, added, polled, error FROM feeds ORDER BY added, url"
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor]
        for row in rows:
            row["seen"] = self.db.execute(
                "SELECT count(DISTINCT entry) FROM seen WHERE feed = ?", (row["url"],)
            ).fetchone()[0]
        return rows

    def state(self, url: str) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT etag, last_modified FROM feeds WHERE url = ?", (url,)
        ).fetchone()
        return {"etag": row[0], "last_modified": row[1]} if row else {}

    def polled(self, url: str, *, error: str | None = None, **values: str | None) -> None:
        """Record a poll; `values` are columns (etag, last_modified, title) to update too."""
        columns = "".join(f", {name} = ?" for name in values)
        sql = f"UPDATE feeds SET polled = ?, error = ?{columns} WHERE url = ?"
        self.db.execute(sql, (_now(), error, *values.values(), url))

    def seen(self, keys: Iterable[str]) -> bool:
        keys = list(keys)
        marks = ",".join("?" * len(keys))
        return (
            self.db.execute(f"SELECT 1 FROM seen WHERE key IN ({marks})", keys).fetchone()
            is not None
        )

    def mark_seen(self, feed: str, keys: Iterable[str]) -> None:
        keys = list(keys)  # an entry is seen under its guid and its link: one entry, two keys
        rows = [(key, keys[0], feed, _now()) for key in keys]
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?, ?)", rows)


def _parse_feed(response: Response) -> Any:
    import feedparser

    # A stream, never a string: feedparser fetches a string that looks like a URL.
    parsed = feedparser.parse(
        io.BytesIO(response.body), response_headers={"content-location": response.url}
    )
    if parsed.bozo and not parsed.entries:
        reason = (
            str(parsed.get("bozo_exception", "")).splitlines()[0][:120]
            if parsed.get("bozo_exception")
            else ""
        )
        raise FetchError(f"not an RSS or Atom feed ({reason or 'unreadable'})", url=response.url)
    return parsed


def _linked(link: str) -> bool:
    try:
        return urlsplit(link).scheme in ("http", "https")
    except ValueError:  # "http://[::1/x": the fetcher words it
        return True


def _entry_keys(entry: Any) -> list[str]:
    """An entry is the same entry under its guid or under its link."""
    return [
        f"{kind}:{value}"
        for kind, value in (("id", _clean(entry.get("id"))), ("url", _clean(entry.get("link"))))
        if value
    ]


def _entry_date(entry: Any) -> str | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if not stamp:
        return None
    year, month, day, hour, minute, second = stamp[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).isoformat(
        timespec="minutes"
    )


def _entry_text(entry: Any, outlet: str | None) -> str | None:
    """The entry's own HTML (content, else summary) when it is a story, not a teaser."""
    html = next(
        (c.get("value") for c in entry.get("content") or [] if c.get("value")), None
    ) or entry.get("summary")
    if not html or len(re.sub(r"<[^>]+>", " ", html).split()) < MIN_FEED_WORDS:
        return None
    title = _escape(_clean(entry.get("title")) or "")
    site = f"<meta property='og:site_name' content='{_escape(outlet or '')}'>" if outlet else ""
    head = f"<head><title>{title}</title>{site}</head>"
    return f"<html>{head}<body><article><h1>{title}</h1>{html}</article></body></html>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clean(value: Any) -> str | None:
    return " ".join(str(value).split()) or None if value else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
