"""Article files -> clean text and the metadata the text really carries.

Citations quote the cleaned text verbatim, so cleaning works on whole lines: a line is kept
as it is (whitespace folded) or dropped whole, never rewritten mid-sentence.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from newsdesk.index.errors import ArticleError

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".html", ".htm")
MAX_ARTICLE_BYTES = 2_000_000
MAX_FURNITURE_CHARS = 300  # boilerplate lines are short: 74 chars at most in articles/

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_TIME = r"(?:,?\s+(?:at\s+)?(?P<time>\d{1,2}:\d{2})(?:\s*(?:GMT|UTC|CET|MSK))?)?"
# A line that is only a date (and maybe a time): "16 January 2026 11:37", "July 27, 2023".
_DATE_LINES = [
    re.compile(rf"(?P<d>\d{{1,2}})\s+(?P<m>{_MONTHS})\.?\s+(?P<y>\d{{4}}){_TIME}", re.I),
    re.compile(rf"(?P<m>{_MONTHS})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}}){_TIME}", re.I),
    re.compile(r"(?P<y>\d{4})-(?P<mm>\d{2})-(?P<d>\d{2})(?:[T ](?P<time>\d{2}:\d{2})(?::\d{2})?)?"),
]
_BYLINE = re.compile(
    r"(?:By|Written by|Author:)\s+(?P<name>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3})"
)
_COPYRIGHT = re.compile(
    r"(?:(?P<a>[\w.-]+(?:\s[\w.-]+)?)\s*©|©\s*(?:\d{4}\s+)?(?P<b>[A-Z][\w.-]+))"
)
_DOMAIN = re.compile(r"[A-Za-z][\w-]*\.(?:az|com|net|org|ru|uk|co\.uk|info|news|io|de|fr|tv)", re.I)

# Lines that are page furniture wherever they stand (matched against the whole line).
_FURNITURE = re.compile(
    r"(?:twitter|x|youtube|instagram|facebook|telegram|whatsapp|tiktok|linkedin|vk|rss|"
    r"apple store|app store|google play|play market|night_theme|search|menu|login|log in|"
    r"sign in|subscribe|print|copy link|share|loading|advertisement|ad|a\+|a-|ru|en|arm|az|"
    r"read more|related|related articles|comments?|tags?|home|back to top)"
    r"|views?:?\s*\d+|\d+\s+views?|follow us on \w+|share[- ].*|.*share it on social media.*"
    r"|.*all rights reserved.*|.*©.*|any use of materials.*|.*hyperlink to .*"
    r"|what are you looking for\s*\??|[^\w\s]*|(?=.{1,40}$)[^A-Za-z]*",
    re.I,
)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*(?:\s*\([^)]{1,12}\))?$")


@dataclass(frozen=True)
class Article:
    doc_id: str
    path: str
    title: str
    text: str  # cleaned: title, blank line, paragraphs separated by blank lines
    source: str | None
    url: str | None
    published: str | None  # ISO 8601, date or date and time
    byline: str | None
    file_hash: str


def discover(articles_dir: Path) -> dict[str, Path]:
    """Every article file under the directory, by doc_id (the file name without extension)."""
    found: dict[str, Path] = {}
    for path in sorted(articles_dir.rglob("*")):
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        doc_id = path.stem
        if doc_id in found:
            log.warning("skipping %s: doc_id %r already used by %s", path, doc_id, found[doc_id])
            continue
        found[doc_id] = path
    return found


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load(path: Path, data: bytes | None = None) -> Article:
    """Read and clean one article. Raises ArticleError when the file cannot be used."""
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ArticleError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if len(data) > MAX_ARTICLE_BYTES:
        raise ArticleError(f"{path}: {len(data):,} bytes is over the {MAX_ARTICLE_BYTES:,} limit")
    raw = _decode(path, data)
    meta, raw = _front_matter(raw)
    if path.suffix.lower() in (".html", ".htm"):
        lines, title, found = _html_lines(raw)
    else:
        lines, title, found = (
            _markdown_lines(raw)
            if path.suffix.lower() == ".md"
            else ([_fold(line) for line in raw.splitlines()], None, {})
        )
    front_title = _str_or_none(meta.get("title"))
    # A title in the front matter means the body's first line is text, not a headline.
    title, paragraphs, detected = _clean_lines(lines, title or front_title)
    detected.update({k: v for k, v in found.items() if v})
    title = front_title or title or ""
    if not paragraphs and not title:
        raise ArticleError(f"{path}: no article text")
    text = "\n\n".join([title, *paragraphs]) if title else "\n\n".join(paragraphs)
    return Article(
        doc_id=path.stem,
        path=str(path),
        title=title or paragraphs[0][:80],
        text=text,
        source=_str_or_none(meta.get("source")) or detected.get("source"),
        url=_str_or_none(meta.get("url")) or detected.get("url"),
        published=_iso(meta.get("published")) or detected.get("published"),
        byline=_str_or_none(meta.get("byline") or meta.get("author")) or detected.get("byline"),
        file_hash=file_hash(data),
    )


def load_all(articles_dir: Path) -> Iterator[Article]:
    """Every usable article; a broken file is skipped with one warning naming it."""
    for path in discover(articles_dir).values():
        try:
            yield load(path)
        except ArticleError as exc:
            log.warning("skipping %s", exc)


# -- decoding and front matter ------------------------------------------------------------


def _decode(path: Path, data: bytes) -> str:
    if not data.strip():
        raise ArticleError(f"{path}: empty file")
    if b"\x00" in data[:8192]:
        raise ArticleError(f"{path}: binary file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older news archives (BBC's among them) are Latin-1/cp1252.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ArticleError(f"{path}: not UTF-8 or Latin-1 text") from exc
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > len(text) // 100:
        raise ArticleError(f"{path}: binary file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _front_matter(raw: str) -> tuple[dict[str, object], str]:
    if not raw.startswith("---\n"):
        return {}, raw
    end = raw.find("\n---", 4)
    if end < 0:
        return {}, raw
    try:
        meta = yaml.safe_load(raw[4:end])
    except yaml.YAMLError:
        log.warning("ignoring malformed front matter")
        return {}, raw
    if not isinstance(meta, dict):
        return {}, raw
    return meta, raw[raw.find("\n", end + 4) + 1 :] if raw.find("\n", end + 4) >= 0 else ""


def _str_or_none(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def _iso(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    text = str(value).strip()
    try:  # ISO 8601 with a time zone: keep UTC, to the minute
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        if len(text) > 10:
            return parsed.isoformat(timespec="minutes")
    except ValueError:
        pass
    return _parse_date(text) or text or None


# -- format-specific line extraction --------------------------------------------------------


def _fold(line: str) -> str:
    return " ".join(line.split())


def _markdown_lines(raw: str) -> tuple[list[str], str | None, dict[str, str]]:
    lines, title = [], None
    for line in raw.splitlines():
        line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)  # images
        line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)  # links keep their text
        line = re.sub(r"(\*\*|__|`)", "", line)
        heading = re.match(r"\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if heading:
            line = heading.group(2)
            if title is None and len(heading.group(1)) == 1:
                title = _fold(line)
                continue
        lines.append(_fold(re.sub(r"^\s*(?:[-*+>]|\d+\.)\s+", "", line)))
    return lines, title, {}


def _html_lines(raw: str) -> tuple[list[str], str | None, dict[str, str]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")

    def meta(*names: str) -> str | None:
        for name in names:
            tag = soup.find("meta", attrs={"property": name}) or soup.find(
                "meta", attrs={"name": name}
            )
            if tag and tag.get("content"):
                return _fold(str(tag["content"]))
        return None

    found = {
        "source": meta("og:site_name"),
        "url": meta("og:url"),
        "published": _iso(meta("article:published_time", "date", "pubdate")),
        "byline": meta("author", "article:author"),
    }
    for tag in soup(
        [
            "script",
            "style",
            "noscript",
            "template",
            "nav",
            "header",
            "footer",
            "aside",
            "form",
            "iframe",
            "svg",
            "button",
            "select",
            "figure",
        ]
    ):
        tag.decompose()
    h1 = soup.find("h1")
    title = _fold(h1.get_text(" ")) if h1 else None
    if not title and soup.title:
        title = _fold(soup.title.get_text(" "))
    root = soup.find("article") or soup.find("main") or soup.body or soup
    if h1 and root is not h1:
        h1.decompose()
    blocks = [
        "p",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "blockquote",
        "pre",
        "div",
        "section",
        "td",
        "br",
    ]
    for tag in root.find_all(blocks):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = [_fold(line) for line in root.get_text("").splitlines()]
    return lines, title, {k: v for k, v in found.items() if v}


# -- the cleaning itself ---------------------------------------------------------------------


def _is_furniture(line: str) -> bool:
    """Page furniture is short: a long line that starts "Share this" or holds a "©" is text."""
    return len(line) <= MAX_FURNITURE_CHARS and bool(_FURNITURE.fullmatch(line))


def _is_prose(line: str) -> bool:
    words = len(line.split())
    return words >= 9 or (words >= 4 and bool(_SENTENCE_END.search(line)))


def _clean_lines(
    lines: list[str], title: str | None
) -> tuple[str | None, list[str], dict[str, str]]:
    """Drop the page furniture around the article; detect what metadata its lines carry."""
    found: dict[str, str] = {}
    for line in lines:  # the outlet shows in copyright and "hyperlink to X" lines
        match = _COPYRIGHT.search(line)
        if match and (name := _outlet(match.group("a") or match.group("b"))):
            found.setdefault("source", name)
    lines = [line for line in lines if line]
    start = 0
    if title is None:  # the first real line: no furniture, not a date, at least three words
        while start < len(lines) and (
            _is_furniture(lines[start])
            or _parse_date(lines[start])
            or lines[start].isupper()
            or len(lines[start].split()) < 3
        ):
            start += 1
        if start < len(lines):
            title, start = lines[start], start + 1
    end = len(lines)
    while end > start and (not _is_prose(lines[end - 1]) or _is_furniture(lines[end - 1])):
        end -= 1
    paragraphs = []
    for i, line in enumerate(lines[start:end]):
        if i < 4 and "published" not in found and (date := _parse_date(line)):
            found["published"] = date
        elif (byline := _BYLINE.fullmatch(line)) and "byline" not in found:
            found["byline"] = byline.group("name")
        elif not _is_furniture(line) and not _parse_date(line):
            paragraphs.append(line)
    for line in lines[end:]:  # a byline and the outlet's name sit in the footer too
        if (byline := _BYLINE.fullmatch(line)) and "byline" not in found:
            found["byline"] = byline.group("name")
        elif "source" not in found and _DOMAIN.fullmatch(line):
            found["source"] = line
    if "source" in found:
        found["source"] = _canonical_outlet(found["source"], lines)
    return title, paragraphs, found


def _outlet(name: str | None) -> str | None:
    name = (name or "").strip(" .")
    return name if name and not name.isdigit() and name.lower() != "copyright" else None


def _canonical_outlet(name: str, lines: list[str]) -> str:
    """The spelling the page itself uses most ("Caliber.az" over "Caliber.Az")."""
    spellings = [
        word.strip(" .,")
        for line in lines
        for word in line.split()
        if word.strip(" .,").lower() == name.lower()
    ]
    return max(set(spellings), key=spellings.count) if spellings else name


def _parse_date(line: str) -> str | None:
    line = line.strip()
    for pattern in _DATE_LINES:
        match = pattern.fullmatch(line)
        if not match:
            continue
        parts = match.groupdict()
        month = parts.get("mm") or parts["m"][:3].title()
        fmt = "%Y-%m-%d" if parts.get("mm") else "%Y-%b-%d"
        try:
            day = datetime.strptime(f"{parts['y']}-{month}-{int(parts['d']):02d}", fmt)
        except ValueError:
            return None
        if parts.get("time"):
            hours, minutes = parts["time"].split(":")
            return day.replace(hour=int(hours), minute=int(minutes)).isoformat(timespec="minutes")
        return day.date().isoformat()
    return None
