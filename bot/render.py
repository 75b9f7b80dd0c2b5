"""Answers as Discord messages: pure functions, Discord's limits as named constants."""

from __future__ import annotations

import re

from newsdesk.index.answer import Answer, Citation

MESSAGE_LIMIT = 2000  # characters in one message's content
EMBED_DESCRIPTION_LIMIT = 4096  # characters in one embed's description
MAX_EMBEDS = 10  # embeds in one message
QUOTE_CHARS = 200  # how much of each source's quote the list shows
SOURCES_PER_PAGE = 10


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, then sentence, then word
    boundaries; a word is only cut when it alone is longer than `limit`."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        window = text[: limit + 1]
        cut = window.rfind("\n\n")
        if cut <= 0:
            ends = [m.end() for m in re.finditer(r"[.!?…][\"'”’)\]]*\s", window)]
            cut = ends[-1] if ends else 0
        if cut <= 0:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def source_line(c: Citation) -> str:
    """`[n] Title — Outlet, date` (linked when the article has a URL), then a short quote."""
    title = f"[{_escape(c.title)}]({c.url})" if c.url else f"**{_escape(c.title)}**"
    origin = ", ".join(v for v in (c.source, (c.date or "")[:10] or None) if v)
    quote = (
        c.quote
        if len(c.quote) <= QUOTE_CHARS
        else c.quote[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    )
    line = f"`[{c.n}]` {title}" + (f" — {_escape(origin)}" if origin else "")
    line += f"\n> {_escape(quote)}"
    if c.also_reported_by:
        line += f"\n*also reported by {', '.join(c.also_reported_by)}*"
    return line


def sources_description(citations: list[Citation]) -> list[str]:
    """The sources list as embed descriptions, each within Discord's limit, at most
    MAX_EMBEDS of them."""
    return split_message("\n\n".join(source_line(c) for c in citations), EMBED_DESCRIPTION_LIMIT)[
        :MAX_EMBEDS
    ]


def answer_messages(answer: Answer) -> list[str]:
    """The answer text as message contents (the sources go in embeds). Not answered, it is
    the engine's own "not covered" text with the closest articles, as on the terminal."""
    return split_message(_escape_mentions(answer.text))


def reading_message(read: list[tuple[str, str | None, str | None]]) -> str:
    """What the reply shows while the model writes: the articles the evidence comes from
    (title, outlet, date), which are certain, instead of a draft that the checks may change."""
    lines = []
    for title, source, date in read:
        origin = ", ".join(v for v in (source, (date or "")[:10] or None) if v)
        lines.append(f"• *{_escape(title)}*" + (f" — {_escape(origin)}" if origin else ""))
    text = "Reading:\n" + "\n".join(lines) + "\nChecking the answer against them…"
    return split_message(text, MESSAGE_LIMIT)[0]


def _escape(text: str) -> str:
    """Article text is not Discord markdown: show `*`, `_`, `~`, `|`, `` ` `` as they are."""
    return _escape_mentions(re.sub(r"([*_~|`>\[\]])", r"\\\1", text))


def _escape_mentions(text: str) -> str:
    """Defence in depth beside AllowedMentions.none(): @everyone is shown, never pings."""
    return text.replace("@everyone", "@\u200beveryone").replace("@here", "@\u200bhere")
