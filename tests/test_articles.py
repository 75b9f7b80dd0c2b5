from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsdesk.index.articles import Article, ArticleError, discover, load, load_all

from support import SAMPLE

TITLES = {
    "000_a6a0d073fde4603f": "Kremlin Acknowledges Unsuccessful Attempt to Establish Confidential "
    "Communication with U.K. Security Adviser",
    "001_680bcb4019dc53cb": "The Kremlin welcomes European dialogue, while London refuses to "
    "engage with Putin",
    "002_1436df419da835d7": "In secret talks between Moscow and the US, several Russian elites are "
    "said to have described the Ukraine war as a “mistake”. An insider reports.",
    "003_82cedb1ca88c2249": "UK rejects calls to reopen talks with Putin",
}
FURNITURE_003 = [
    "twitter",
    "youtube",
    "night_theme",
    "WHAT ARE YOU LOOKING FOR",
    "Caliber.az ©",
    "Any use of materials",
    "A+",
    "Views: 27",
    "Share it on social media",
    "print",
    "copy link",
    "Ссылка",
    "Follow us",
    "The most important world news",
    "loading",
    "By Sabina Mammadli",
    "16 January 2026 11:37",
]


def sample() -> dict[str, Article]:
    return {a.doc_id: a for a in load_all(SAMPLE)}


def test_titles_are_the_first_real_line() -> None:
    assert {doc_id: a.title for doc_id, a in sample().items()} == TITLES


def test_boilerplate_is_gone_and_every_sentence_of_the_article_stays() -> None:
    article = sample()["003_82cedb1ca88c2249"]
    for junk in FURNITURE_003:
        assert junk not in article.text, junk
    raw = (SAMPLE / "003_82cedb1ca88c2249.txt").read_text()
    body = raw[raw.index("The United Kingdom has") : raw.index("By Sabina")]
    paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
    assert len(paragraphs) == 8
    assert article.text == "\n\n".join([TITLES["003_82cedb1ca88c2249"], *paragraphs])


@pytest.mark.parametrize(
    "doc_id", ["000_a6a0d073fde4603f", "001_680bcb4019dc53cb", "002_1436df419da835d7"]
)
def test_clean_articles_keep_every_line(doc_id: str) -> None:
    lines = [" ".join(line.split()) for line in (SAMPLE / f"{doc_id}.txt").read_text().splitlines()]
    assert sample()[doc_id].text == "\n\n".join(line for line in lines if line)


def test_metadata_is_detected_and_missing_is_none() -> None:
    articles = sample()
    caliber = articles["003_82cedb1ca88c2249"]
    assert (caliber.published, caliber.source, caliber.byline) == (
        "2026-01-16T11:37",
        "Caliber.az",
        "Sabina Mammadli",
    )
    for doc_id in ("000_a6a0d073fde4603f", "001_680bcb4019dc53cb", "002_1436df419da835d7"):
        a = articles[doc_id]
        # 002 quotes a tweet dated July 27, 2023 and names The Moscow Times: neither is
        # its own date or outlet.
        assert (a.published, a.source, a.byline, a.url) == (None, None, None, None), doc_id


def test_front_matter_overrides_detection(tmp_path: Path) -> None:
    path = tmp_path / "fm.md"
    path.write_text(
        "---\ntitle: Given title\nsource: Reuters\nurl: https://example.org/a\n"
        "published: 2025-03-04\n---\n# Detected title\n\nBody sentence one. "
        "It has **bold** and a [link](https://x.y) in it.\n"
    )
    a = load(path)
    assert (a.title, a.source, a.url, a.published) == (
        "Given title",
        "Reuters",
        "https://example.org/a",
        "2025-03-04",
    )
    assert "It has bold and a link in it." in a.text


def test_front_matter_title_keeps_the_first_line_of_a_text_body(tmp_path: Path) -> None:
    path = tmp_path / "fm.txt"
    path.write_text(
        "---\ntitle: Given title\n---\nThe first line is a sentence of the story itself.\n\n"
        "The second paragraph follows it here.\n"
    )
    a = load(path)
    assert a.title == "Given title"
    assert a.text.split("\n\n") == [
        "Given title",
        "The first line is a sentence of the story itself.",
        "The second paragraph follows it here.",
    ]


def test_a_long_line_is_text_even_when_it_starts_like_furniture(tmp_path: Path) -> None:
    # Scraped news often arrives as one line that begins with the page's "Share this" button.
    story = "Share this with Media playback is not supported on this device. " + (
        "Joe Root has been named as England's new Test captain, © aside. " * 10
    )
    path = tmp_path / "one-line.txt"
    path.write_text("England name a new captain\n\n" + story + "\n\nShare this\n")
    a = load(path)
    assert a.text == "England name a new captain\n\n" + story.strip()


def test_html_article(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Page - Site</title><meta property='og:site_name' content='The Post'>"
        "<meta property='article:published_time' content='2025-05-06T07:08:00Z'>"
        "<script>var ignore = 'your instructions';</script><style>p{}</style></head><body>"
        "<nav><a>Home</a><a>World</a></nav><header>Subscribe now</header>"
        "<article><h1>Real headline here</h1><p>First paragraph of the story, with words.</p>"
        "<p>Second paragraph, also prose.</p></article><footer>© 2025 The Post</footer>"
        "</body></html>"
    )
    a = load(path)
    assert a.title == "Real headline here"
    assert a.text == (
        "Real headline here\n\nFirst paragraph of the story, with words.\n\n"
        "Second paragraph, also prose."
    )
    assert (a.source, a.published) == ("The Post", "2025-05-06T07:08+00:00")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02PNG" * 50, "binary"),
        (bytes(range(1, 32)) * 40, "binary"),
    ],
)
def test_unusable_files_raise_a_clear_error(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "broken.txt"
    path.write_bytes(content)
    with pytest.raises(ArticleError, match=re.escape(str(path)) + f".*{reason}"):
        load(path)


def test_latin1_article_is_read(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes(
        "Café owners protest\n\nThe café owners said it was a déjà vu.".encode("cp1252")
    )
    assert load(path).text.endswith("The café owners said it was a déjà vu.")


def test_load_all_skips_broken_files_with_one_warning_each(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "good.txt").write_text("A fine headline\n\nA fine sentence of the article.")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x00binary")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "also.md").write_text("# Nested headline\n\nNested body text here.")
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF")
    assert set(discover(tmp_path)) == {"good", "bad", "also"}
    assert sorted(a.doc_id for a in load_all(tmp_path)) == ["also", "good"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "bad.txt" in warnings[0]
