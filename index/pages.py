"""Web pages -> the article they carry: main text and metadata, by trafilatura and htmldate.

trafilatura finds the main text (dropping menus, teasers and comments), the title, the author
and the site name; its dates come from htmldate without the extensive search, which would guess
a date from any number on the page. What the libraries leave out and a news page still says is
read here: the exact publication time with its UTC offset, the outlet in a "Title - Outlet"
<title> or a "© 2025 Outlet" footer, and the page's canonical address.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from newsdesk.index import wire

_TITLE_SEPARATORS = re.compile(r"\s+(?:[-|–—:•·]|::)\s+")
_PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "datePublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
)


@dataclass(frozen=True)
class Page:
    title: str | None
    paragraphs: list[str]
    source: str | None
    url: str | None
    published: str | None  # ISO 8601: a date, or a date and time with the page's UTC offset
    byline: str | None
    language: str | None


def extract(html: str, url: str | None = None) -> Page:
    """The article of an HTML page (`url` is where it was fetched from, if it was)."""
    import lxml.html
    from trafilatura import bare_extraction

    tree = lxml.html.fromstring(html) if html.strip() else None
    if tree is None:
        return Page(None, [], None, url, None, None, None)
    dates = {"extensive_search": False, "original_date": True}
    found = bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,  # without it, short pages keep their menus
        fast=True,  # no fallback extractors: they take a bare menu for the article
        date_extraction_params=dates,
    )
    meta: dict[str, Any] = found.as_dict() if found is not None else {}  # type: ignore[union-attr]
    meta_title = _fold(meta.get("title") or "") or None
    title = _headline(tree) or meta_title  # what readers see over the story, not the SEO title
    paragraphs = [line for line in map(_fold, (meta.get("text") or "").splitlines()) if line]
    if paragraphs and paragraphs[0] in (title, meta_title):
        paragraphs = paragraphs[1:]
    canonical = _canonical(tree) or meta.get("url") or url
    page_title = _fold(tree.findtext(".//title") or "")
    return Page(
        title=title,
        paragraphs=paragraphs,
        source=_outlet(meta, meta_title, page_title, tree, canonical),
        url=canonical,
        published=_timestamp(tree, meta.get("date")),
        byline=_fold(meta.get("author") or "") or None,
        language=meta.get("language"),
    )


def _fold(text: str) -> str:
    return " ".join(text.split())


def _headline(tree: Any) -> str | None:
    """The page's one <h1> (in its <article>, if it has one), when it is a headline."""
    headings = tree.xpath("//article//h1") or tree.xpath("//h1")
    if len(headings) != 1:
        return None
    text = _fold(headings[0].text_content())
    return text if len(text) >= 12 and len(text) <= 300 else None


def _canonical(tree: Any) -> str | None:
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        for value in tree.xpath(xpath):
            if urlparse(value).scheme in ("http", "https"):
                return str(value).strip()
    return None


def _outlet(
    meta: dict[str, Any], title: str | None, page_title: str, tree: Any, url: str | None
) -> str | None:
    """The publisher's name: og:site_name or the publisher in JSON-LD (trafilatura's sitename,
    unless it only repeated the title), the name after the title in <title>, a copyright line,
    and at last the host name."""
    site = _fold(meta.get("sitename") or "")
    if site and site not in (title, page_title) and len(site) <= 60:
        return site
    if title and page_title.startswith(title):
        suffix = _TITLE_SEPARATORS.match(page_title[len(title) :])
        rest = page_title[len(title) :][suffix.end() :] if suffix else ""
        if 0 < len(rest) <= 40:
            return rest
    for text in tree.xpath("//footer//text() | //body//text()[contains(., '©')]"):
        if "©" in text and (name := wire.outlet_line(_fold(text))):
            return name
    host = urlparse(url or "").hostname or ""
    return host.removeprefix("www.") or None


def _timestamp(tree: Any, date: str | None) -> str | None:
    """The publication time the page's metadata states (article:published_time, JSON-LD
    datePublished…), with its UTC offset, so the outlet's calendar date stays the date; else
    htmldate's date, to the minute when a <time> of the article gives the time that day."""
    stated = [
        value
        for name in _PUBLISHED_META
        for value in tree.xpath(
            f'//meta[@property="{name}" or @name="{name}" or @itemprop="{name}"]/@content'
        )
    ]
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        stated.extend(_json_ld_dates(script))
    for value in stated:
        if moment := _moment(value):  # midnight is how many sites write "that day"
            return (
                moment.isoformat(timespec="minutes")
                if moment.hour or moment.minute
                else (moment.date().isoformat())
            )
    if not date:
        return None
    for value in tree.xpath("//article//time/@datetime | //time[@pubdate]/@datetime"):
        moment = _moment(value)
        if moment and moment.date().isoformat() == date and (moment.hour or moment.minute):
            return moment.isoformat(timespec="minutes")
    return date


def _moment(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _json_ld_dates(script: str) -> list[str]:
    try:
        data = json.loads(script)
    except ValueError:
        return []
    stack, dates = [data], []
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if isinstance(item.get("datePublished"), str):
                dates.append(item["datePublished"])
            stack.extend(v for v in item.values() if isinstance(v, dict | list))
    return dates
