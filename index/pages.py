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

MIN_PROSE_CHARS = 80  # an article has a paragraph this long; a menu's lines are shorter
_HEADINGS = (
    "//article//h1",
    "//h1",
    "//*[@itemprop='headline'][not(self::meta)]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-title ')]",
)
_TITLE_SEPARATORS = re.compile(r"\s+(?:[-|–—:•·»«]|::)\s+")
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

    tree = lxml.html.fromstring(html) if html.strip() else None
    if tree is None:
        return Page(None, [], None, url, None, None, None)
    meta = _bare(html, url, precise=True)
    paragraphs = _paragraphs(meta)
    if not paragraphs:  # the precise pass found no article; an older layout may still hold
        generous = _bare(html, url, precise=False)  # one, but a menu stays no article
        found = _paragraphs(generous)
        if any(len(line) >= MIN_PROSE_CHARS for line in found):
            meta, paragraphs = generous, found
    meta_title = _fold(meta.get("title") or "") or None
    page_title = _fold(tree.findtext(".//title") or "")
    declared = tree.xpath("//meta[@property='og:title' or @name='twitter:title']/@content")
    titles = tuple(t for t in (page_title, *map(_fold, declared)) if t)
    title = _headline(tree, titles) or meta_title  # what readers see, not the SEO title
    if paragraphs and paragraphs[0] in (title, meta_title):
        paragraphs = paragraphs[1:]
    canonical = _canonical(tree) or meta.get("url") or url
    return Page(
        title=title,
        paragraphs=paragraphs,
        source=_outlet(meta, title, page_title, tree, canonical),
        url=canonical,
        published=_timestamp(tree, meta.get("date")),
        byline=_fold(meta.get("author") or "") or None,
        language=meta.get("language"),
    )


def _bare(html: str, url: str | None, *, precise: bool) -> dict[str, Any]:
    """trafilatura's main text and metadata: precise (without it, short pages keep their
    menus; no fallback extractors, which take a bare menu for the article), else generous."""
    from trafilatura import bare_extraction

    found = bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=precise,
        favor_recall=not precise,
        fast=precise,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    return found.as_dict() if found is not None else {}  # type: ignore[union-attr]


def _paragraphs(meta: dict[str, Any]) -> list[str]:
    return [line for line in map(_fold, (meta.get("text") or "").splitlines()) if line]


def _fold(text: str) -> str:
    return " ".join(text.split())


def _headline(tree: Any, titles: tuple[str, ...]) -> str | None:
    """The page's <h1> (in its <article>, if it has one), else its element marked as the
    headline (schema.org's itemprop, hAtom's entry-title), when it reads as a headline. Of
    several, the one the page's titles (<title>, og:title) repeat or hold.

    A heading may hold a kicker, a byline or the site's name beside the headline in elements
    of their own ("<span>Headline</span><br><span>Editor Jane Doe</span>"): when the titles
    repeat one part and not the whole, the longest such part is the headline."""
    for xpath in _HEADINGS:
        if headings := tree.xpath(xpath):
            break
    candidates = [(heading, _heading_text(heading)) for heading in headings]
    if len(candidates) > 1:
        candidates = [(h, text) for h, text in candidates if _overlaps(text, titles)]
    if len(candidates) != 1:
        return None
    [(heading, text)] = candidates
    if not _within(text, titles):
        parts = [p for p in map(_fold, _parts(heading)) if 2 * len(p) >= len(text)]
        text = max((p for p in parts if _within(p, titles)), key=len, default=text)
    return text if len(text) >= 12 and len(text) <= 300 else None


def _heading_text(heading: Any) -> str:
    for br in heading.iter("br"):  # a line break parts words as a space does
        br.tail = " " + (br.tail or "")
    return _fold(heading.text_content())


def _parts(heading: Any) -> list[str]:
    """The heading's own text and each child element's, each child's tail apart."""
    parts = [heading.text or ""]
    for child in heading:
        parts += [child.text_content() if child.tag != "br" else "", child.tail or ""]
    return parts


def _within(text: str, titles: tuple[str, ...]) -> bool:
    return bool(text) and any(text in title for title in titles)


def _overlaps(text: str, titles: tuple[str, ...]) -> bool:
    return len(text) >= 12 and any(text in title or title in text for title in titles)


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
    the site's Twitter handle (trafilatura's sitename when nothing else gave one), and at last
    the host name."""
    site = _fold(meta.get("sitename") or "")
    handles = {
        str(value).strip().lstrip("@")
        for value in tree.xpath("//meta[@name='twitter:site' or @property='twitter:site']/@content")
    }
    declared = {_fold(v) for v in tree.xpath("//meta[@property='og:site_name']/@content")}
    handle = site if site in handles - declared else None
    if site and not handle and site not in (title, page_title) and len(site) <= 60:
        return site
    if title and page_title.startswith(title):
        suffix = _TITLE_SEPARATORS.match(page_title[len(title) :])
        rest = page_title[len(title) :][suffix.end() :] if suffix else ""
        rest = _TITLE_SEPARATORS.split(rest)[-1]  # "Title » Local » News » Outlet"
        if 0 < len(rest) <= 40:
            return rest
    for text in tree.xpath("//footer//text() | //body//text()[contains(., '©')]"):
        if "©" in text and (name := wire.outlet_line(_fold(text))):
            return name
    if handle:
        return handle
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
