"""Saved web pages: the article text and what the page states about itself, nothing more."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.index.articles import MARKUP_ALLOWANCE, ArticleError, load
from newsdesk.index.pages import Page, extract

HEADLINE = "Kremlin signals a new round of talks with European envoys"
PARAGRAPHS = [
    "Russian officials said on Wednesday that a second round of talks with European envoys "
    "could take place before the end of the month, although no venue has been agreed.",
    "The announcement followed a week of public disagreement between ministers over whether "
    "the consultations should be held in a neutral country or in one of the capitals.",
    "Analysts in Moscow cautioned that the talks were unlikely to produce a quick breakthrough, "
    "noting that both sides had repeated their core demands in recent days.",
]
NAV = (
    "<nav><ul><li><a href='/news'>News</a></li><li><a href='/opinion'>Opinion</a></li>"
    "<li><a href='/donate'>Support our newsroom</a></li></ul></nav>"
)
LINKS = "<nav><a href='/news'>News</a><a href='/opinion'>Opinion</a><a href='/b'>Business</a></nav>"
TIME = '<time datetime="2025-11-12T18:04:00+03:00">Nov. 12, 2025</time>'
FOOTER = "<footer><p>© 2025 The Moscow Times</p><p>About us</p></footer>"


def page(
    head: str = "<title>Talks</title>",
    time: str = "",
    footer: str = "",
    paragraphs: list[str] = PARAGRAPHS,
    h1: str = HEADLINE,
) -> str:
    """A news page shaped like the Moscow Times': a nav, one article, a footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head>{head}</head><body>{NAV}"
        f"<article><h1>{h1}</h1>{time}{body}</article>{footer}</body></html>"
    )


def saved(tmp_path: Path, name: str, text: str, mtime: str = "2025-11-13T09:00") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    stamp = datetime.fromisoformat(mtime).replace(tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def test_a_moscow_times_page_has_its_outlet_date_and_only_its_prose(tmp_path: Path) -> None:
    head = f"<title>{HEADLINE} - The Moscow Times</title>"
    a = load(saved(tmp_path, "mt.html", page(head, TIME, FOOTER)))
    assert (a.title, a.source) == (HEADLINE, "The Moscow Times")
    assert a.published == "2025-11-12T18:04+03:00"
    assert a.text == "\n\n".join([HEADLINE, *PARAGRAPHS])
    for furniture in ("News", "Opinion", "Support our newsroom", "©", "About us"):
        assert furniture not in a.text


@pytest.mark.parametrize("separator", [" - ", " | ", " — "])
def test_the_outlet_is_the_name_after_the_title(separator: str) -> None:
    found = extract(page(f"<title>{HEADLINE}{separator}The Moscow Times</title>"))
    assert (found.title, found.source) == (HEADLINE, "The Moscow Times")


def test_og_site_name_wins_over_the_title_suffix_and_the_footer() -> None:
    head = (
        f"<title>{HEADLINE} - The Moscow Times</title>"
        "<meta property='og:site_name' content='Meduza'>"
    )
    assert extract(page(head, footer=FOOTER)).source == "Meduza"


@pytest.mark.parametrize(
    ("footer", "outlet"),
    [
        ("© 2025 The Moscow Times", "The Moscow Times"),
        ("© 2025 The Moscow Times. All rights reserved.", "The Moscow Times"),
        ("Copyright © 2025 The Moscow Times", "The Moscow Times"),
        ("© 2025 Getty Images", None),  # a photo credit names no publisher
    ],
)
def test_a_footer_copyright_names_the_outlet(footer: str, outlet: str | None) -> None:
    assert extract(page(footer=f"<footer><p>{footer}</p></footer>")).source == outlet


def test_without_any_name_the_outlet_is_the_host() -> None:
    found = extract(page(), url="https://www.example.org/news/kremlin-talks")
    assert (found.source, found.url) == (
        "example.org",
        "https://www.example.org/news/kremlin-talks",
    )


def test_a_twitter_handle_names_the_outlet_only_when_nothing_better_does() -> None:
    handle = "<meta name='twitter:site' content='@MoscowTimesApp'>"
    suffixed = extract(page(f"<title>{HEADLINE} - The Moscow Times</title>{handle}"))
    assert suffixed.source == "The Moscow Times"
    bare = extract(page(f"<title>Talks</title>{handle}"), url="https://www.themoscowtimes.com/a")
    assert bare.source == "MoscowTimesApp"
    declared = "<meta property='og:site_name' content='MoscowTimesApp'>"
    assert extract(page(f"<title>{HEADLINE} - X</title>{handle}{declared}")).source == (
        "MoscowTimesApp"
    )


def test_a_headline_without_h1_is_the_element_marked_as_one() -> None:
    html = page(h1="").replace("<h1></h1>", f"<span class='headline entry-title'>{HEADLINE}</span>")
    assert "<h1" not in html
    assert extract(html.replace("<title>Talks</title>", "<title>News from Us</title>")).title == (
        HEADLINE
    )


@pytest.mark.parametrize(
    ("h1", "title"),
    [
        (f"<span>{HEADLINE}</span><br/><span>Editor Jane Doe</span>", HEADLINE),
        # A headline set on two lines, whose page title has it whole, stays whole.
        ("Kremlin signals a new round<br>of talks with European envoys", HEADLINE),
    ],
)
def test_a_byline_under_a_br_in_the_h1_is_not_the_headline(h1: str, title: str) -> None:
    head = f"<title>{HEADLINE} (photo: Reuters)</title>"
    assert extract(page(head, h1=h1)).title == title


def test_an_older_layout_the_precise_pass_misses_is_still_read() -> None:
    """An AP page of 2016: prose in <p class='ap-story-p'> among tables, no <article>, no
    <h1>; the precise pass finds nothing and the generous one the story."""
    lead = (
        "KABUL, Afghanistan (AP) -- The father of the gunman posted videos on social media for "
        "years, commenting on Afghan politics."
    )
    paragraphs = "".join(f"<p class='ap-story-p'>{p}</p>" for p in [lead, *PARAGRAPHS])
    html = (
        "<html><head><title>News from The Associated Press</title></head><body><table><tr>"
        f"<td>{LINKS}</td><td><span class='headline entry-title'>{HEADLINE}</span>"
        f"<div class='ap-story'>{paragraphs}</div></td></tr></table></body></html>"
    )
    found = extract(html)
    assert found.title == HEADLINE
    assert found.paragraphs[:2] == [lead, PARAGRAPHS[0]]


@pytest.mark.parametrize(
    ("stated", "published"),
    [
        ("2025-11-12T18:04:00+03:00", "2025-11-12T18:04+03:00"),
        # 04:30 UTC on the 13th, but the outlet's own calendar says the 12th.
        ("2025-11-12T23:30:00-05:00", "2025-11-12T23:30-05:00"),
        ("2025-11-12T09:15:00Z", "2025-11-12T09:15+00:00"),
        ("2025-11-12T00:00:00+03:00", "2025-11-12"),  # midnight: no time was stated
    ],
)
def test_json_ld_date_published_keeps_its_utc_offset(stated: str, published: str) -> None:
    ld = f'{{"@type": "NewsArticle", "datePublished": "{stated}", "headline": "Talks"}}'
    head = f'<title>Talks</title><script type="application/ld+json">{ld}</script>'
    assert extract(page(head)).published == published


@pytest.mark.parametrize(
    ("head", "url"),
    [
        ('<link rel="canonical" href="https://example.org/a">', "https://example.org/a"),
        ('<meta property="og:url" content="https://example.org/b">', "https://example.org/b"),
        ('<link rel="canonical" href="javascript:void(0)">', "https://fetched.example/x"),
    ],
)
def test_the_canonical_address_becomes_the_url(head: str, url: str) -> None:
    assert extract(page(head), url="https://fetched.example/x").url == url


def test_a_date_in_the_url_is_the_outlets_own_statement() -> None:
    found = extract(page(), url="https://www.example.org/2025/11/12/kremlin-talks")
    assert found.published == "2025-11-12"


def test_a_date_only_in_prose_is_no_publication_date() -> None:
    recalled = (
        "The last such meeting took place last year on 3 March 2019 in Geneva, they recalled."
    )
    found = extract(page(paragraphs=[*PARAGRAPHS, recalled]), url="https://example.org/news/a")
    assert found.published is None
    assert found.paragraphs[-1] == recalled


def test_a_wire_dateline_in_the_first_paragraph_dates_a_page_without_metadata(
    tmp_path: Path,
) -> None:
    lead = (
        "MOSCOW, November 12. /TASS/. The Kremlin expects another round of consultations in the "
        "coming days, its spokesman told reporters on Wednesday."
    )
    a = load(saved(tmp_path, "tass.html", page(paragraphs=[lead, *PARAGRAPHS[1:]])))
    assert (a.published, a.source) == ("2025-11-12", "TASS")


@pytest.mark.parametrize("html", ["", "   \n\t  "])
def test_an_empty_page_has_nothing(html: str) -> None:
    assert extract(html, url="https://example.org/a") == Page(
        None, [], None, "https://example.org/a", None, None, None
    )


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("   \n  ", "empty file"),
        ("<html><body>   </body></html>", "no article text"),
        (f"<html><head><title>Menu</title></head><body>{NAV}</body></html>", "no article text"),
        (f"<html><head><title>Menu</title></head><body>{LINKS}</body></html>", "no article text"),
    ],
    ids=["whitespace", "empty-body", "only-a-nav-list", "only-nav-links"],
)
def test_a_page_without_an_article_is_refused(tmp_path: Path, html: str, reason: str) -> None:
    path = saved(tmp_path, "blank.html", html)
    with pytest.raises(ArticleError, match=re.escape(str(path)) + f": {reason}"):
        load(path)


def test_a_page_is_measured_without_its_scripts_and_styles(tmp_path: Path) -> None:
    """A real news page is mostly code (CNN's: 2.5 MB, 0.3 MB without it): the article limit
    counts the rest; the whole page may be MARKUP_ALLOWANCE times the limit."""
    script = "<script>var tracking = '" + "x" * 30_000 + "';</script>"
    html = page(head=f"<title>Talks</title>{script * 3}<style>p{{}}</style>")
    limit = len(html) // 2
    a = load(saved(tmp_path, "heavy.html", html), max_bytes=limit)
    assert a.title == HEADLINE
    wordy = page(paragraphs=PARAGRAPHS * 400)
    with pytest.raises(ArticleError, match="characters without scripts and styles is over"):
        load(saved(tmp_path, "wordy.html", wordy), max_bytes=len(wordy) // 2)
    huge = saved(tmp_path, "huge.html", html)
    small = len(html) // (MARKUP_ALLOWANCE + 1)
    with pytest.raises(ArticleError, match=f"is over the {small * MARKUP_ALLOWANCE:,} limit"):
        load(huge, max_bytes=small)
    text = saved(tmp_path, "heavy.txt", html)  # the allowance is for markup only
    with pytest.raises(ArticleError, match=f"is over the {limit:,} limit"):
        load(text, max_bytes=limit)
