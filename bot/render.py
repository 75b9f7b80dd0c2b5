"""Answers, timelines and comparisons as Discord messages: pure functions, Discord's limits
as named constants. Long results are cut into several embeds and messages, never one over a
limit; a quote is cut only when it alone is over a field's limit, and then it says so."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import discord

from newsdesk.index.answer import Answer, Citation, in_quotes
from newsdesk.index.compare import Comparison, Conflict, OutletView, Quoted
from newsdesk.index.coverage import Report
from newsdesk.index.stories import Story
from newsdesk.index.timeline import PAGE_LINES, Line, Timeline

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
MESSAGE_LIMIT = 2000  # characters in one message's content
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
MAX_FIELDS = 25  # fields in one embed
FOOTER_LIMIT = 2048
EMBEDS_TOTAL_LIMIT = 6000  # characters of every embed of one message together
MAX_EMBEDS = 10  # embeds in one message

# Our own choices.
QUOTE_CHARS = 200  # how much of each source's quote the sources list shows
SOURCES_PER_PAGE = 10
STORIES_PER_PAGE = 10
FOOTER_ROOM = 200  # characters kept free in every message for a page footer
COMPARE_MESSAGES_PER_PAGE = 3  # messages one /compare page posts at most
OUTLETS_SHOWN = 5  # outlets named on one timeline line; the rest are counted
ARTICLES_SHOWN = 5  # articles listed under one outlet of a comparison
ARTICLE_TITLE_CHARS = 100  # an article's title where it is only a link
LABEL_CHARS = 120  # a story's label in the /stories list
URL_LIMIT = 300  # a longer URL is not linked (it would crowd out the quote)
NAME_CHARS = 60  # an outlet's or a speaker's name beside a quote
COLOUR = discord.Colour.dark_blue()


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


# -- answers ---------------------------------------------------------------------------------


def source_line(c: Citation) -> str:
    """`[n] Title — Outlet, date` (linked when the article has a URL), then a short quote."""
    title = _link(_escape(c.title), c.url, bold=True)
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
    if c.story_outlets > 1:
        line += f"\n*{c.story_outlets} outlets report this story: /timeline story:{c.story}*"
    return line


def sources_description(citations: list[Citation]) -> list[str]:
    """The sources list as embed descriptions, each within Discord's limit, at most
    MAX_EMBEDS of them (`group` puts them in messages within the total limit)."""
    return split_message("\n\n".join(source_line(c) for c in citations), EMBED_DESCRIPTION_LIMIT)[
        :MAX_EMBEDS
    ]


def answer_messages(answer: Answer) -> list[str]:
    """The answer text as message contents (the sources go in embeds). Not answered, it is
    the engine's own "not covered" text with the closest articles, as on the terminal."""
    return split_message(plain(answer.text))


def reading_message(read: list[tuple[str, str | None, str | None]]) -> str:
    """What the reply shows while the model writes: the articles the evidence comes from
    (title, outlet, date), which are certain, instead of a draft that the checks may change."""
    lines = []
    for title, source, date in read:
        origin = ", ".join(v for v in (source, (date or "")[:10] or None) if v)
        lines.append(f"• *{_escape(title)}*" + (f" — {_escape(origin)}" if origin else ""))
    text = "Reading:\n" + "\n".join(lines) + "\nChecking the answer against them…"
    return split_message(text, MESSAGE_LIMIT)[0]


# -- embeds in messages ----------------------------------------------------------------------


@dataclass
class Section:
    """One titled part of a long reply; continued in further embeds when it must be."""

    title: str
    description: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)


class _Messages:
    """Embeds laid out in messages: at most MAX_EMBEDS a message and `budget` characters of
    embeds in all (the rest of EMBEDS_TOTAL_LIMIT is left for a footer)."""

    def __init__(self, budget: int = EMBEDS_TOTAL_LIMIT - FOOTER_ROOM) -> None:
        self.budget = budget
        self.messages: list[list[discord.Embed]] = []
        self.used = 0  # characters of the last message's embeds

    def add(self, embed: discord.Embed, room: int = 0) -> discord.Embed:
        """Put `embed` in the last message, or a new one if it (and `room` more characters
        of it to come) would not fit."""
        full = bool(self.messages) and len(self.messages[-1]) == MAX_EMBEDS
        if not self.messages or full or self.used + len(embed) + room > self.budget:
            self.messages.append([])
            self.used = 0
        self.messages[-1].append(embed)
        self.used += len(embed)
        return embed

    def section(self, section: Section) -> None:
        """A titled embed, its fields added while they fit, continued in more embeds (and
        messages) when they do not."""
        title = shorten(_escape(section.title), EMBED_TITLE_LIMIT)
        description = shorten(section.description, EMBED_DESCRIPTION_LIMIT)
        embed = self.add(
            discord.Embed(title=title or None, description=description or None, colour=COLOUR)
        )
        more = shorten(_escape(section.title), EMBED_TITLE_LIMIT - len(" (continued)"))
        for name, value in section.fields:
            name, value = shorten(name, FIELD_NAME_LIMIT), shorten(value, FIELD_VALUE_LIMIT)
            size = len(name) + len(value)
            if len(embed.fields) == MAX_FIELDS or self.used + size > self.budget:
                embed = discord.Embed(title=f"{more} (continued)", colour=COLOUR)
                self.add(embed, room=size)
            embed.add_field(name=name, value=value, inline=False)
            self.used += size


def group(items: Iterable[discord.Embed]) -> list[list[discord.Embed]]:
    """Ready embeds (each within the limits) in as few messages as the limits allow."""
    laid = _Messages()
    for embed in items:
        laid.add(embed)
    return laid.messages


def pack(sections: Iterable[Section]) -> list[list[discord.Embed]]:
    """Sections in embeds in messages, each within every limit, in order."""
    laid = _Messages()
    for section in sections:
        laid.section(section)
    return laid.messages


def _footer(messages: list[list[discord.Embed]], text: str) -> None:
    messages[-1][-1].set_footer(text=shorten(text, FOOTER_ROOM))


# -- stories, timelines, comparisons ---------------------------------------------------------


def stories_embed(stories: Sequence[Story], page: int) -> discord.Embed:
    """`/stories`: one line per story of the page (id, dates, articles, outlets, label)."""
    pages = max(1, -(-len(stories) // STORIES_PER_PAGE))
    page = min(max(1, page), pages)
    lines = []
    for s in stories[(page - 1) * STORIES_PER_PAGE : page * STORIES_PER_PAGE]:
        label = shorten(_escape(s.label), LABEL_CHARS)
        undated = f" ({s.undated} undated)" if s.undated and s.first else ""
        outlets = ", ".join(s.outlets[:OUTLETS_SHOWN]) + (
            ", …" if len(s.outlets) > OUTLETS_SHOWN else ""
        )
        about = f"{_span(s)} · {_count(s.articles, 'article')}{undated}"
        about += f" · {shorten(outlets, LABEL_CHARS)}" if outlets else ""
        lines.append(f"`{s.id}` **{label}**\n{_escape(about)}")
    embed = discord.Embed(
        title=_count(len(stories), "story", "stories"),
        description=shorten("\n".join(lines), EMBED_DESCRIPTION_LIMIT) or "No story yet.",
        colour=COLOUR,
    )
    hint = "; /timeline or /compare with story:<id>"
    more = f"; next: /stories page:{page + 1}" if page < pages else ""
    embed.set_footer(text=f"page {page} of {pages}{more}{hint}")
    return embed


def timeline_messages(timeline: Timeline) -> list[list[discord.Embed]]:
    """One page of a timeline: the story, then one field per event (its date and how it is
    dated, the quote and who said it, the outlets that report it); the last message says
    which page this is and how to ask for the next."""
    story, lines = timeline.story, timeline.lines
    first = (timeline.page - 1) * PAGE_LINES + 1  # the core's page size
    about = [_about(story, len(timeline.outlets))]
    if timeline.single_outlet:
        about.append(
            f"Only {_escape(_outlet_name(timeline.outlets))} reports this story: "
            "a timeline of one outlet."
        )
    if lines:
        about.append(
            f"Events {first}–{first + len(lines) - 1} of {timeline.total}, in date order, "
            "each quoted from the articles."
        )
    else:
        about.append("No event could be quoted from its articles.")
    section = Section(story.label, "\n".join(about))
    section.fields = [(_when(line), _line(line)) for line in lines]
    messages = pack([section])
    footer = f"page {timeline.page} of {timeline.pages}"
    if timeline.page < timeline.pages:
        footer += f"; next: /timeline story:{story.id} page:{timeline.page + 1}"
    _footer(messages, footer)
    return messages


def comparison_messages(comparison: Comparison, page: int = 1) -> list[list[discord.Embed]]:
    """One page of a comparison: disagreements first (both quotes, with their outlets), then
    each outlet: its articles, what only it reports, whom it quotes. A page is at most
    COMPARE_MESSAGES_PER_PAGE messages; the last says how to ask for the next."""
    story = comparison.story
    about = [_about(story, len(comparison.outlets))]
    outlets = [view.outlet for view in comparison.outlets]
    if comparison.single_outlet:
        about.append(
            f"Only {_escape(_outlet_name(outlets))} reports this story: "
            "there is nothing to compare it with."
        )
    elif comparison.conflicts:
        found = _count(len(comparison.conflicts), "disagreement")
        about.append(f"{found} between the outlets, shown first.")
    else:
        about.append("No disagreement found between the outlets.")
    sections = [Section(story.label, "\n".join(about))]
    if comparison.conflicts:
        sections.append(
            Section(
                "Where they disagree",
                fields=[f for n, c in enumerate(comparison.conflicts, 1) for f in _conflict(n, c)],
            )
        )
    sections += [_outlet(view) for view in comparison.outlets]
    messages = pack(sections)
    pages = [
        messages[k : k + COMPARE_MESSAGES_PER_PAGE]
        for k in range(0, len(messages), COMPARE_MESSAGES_PER_PAGE)
    ]
    page = min(max(1, page), len(pages))
    shown = pages[page - 1]
    footer = f"page {page} of {len(pages)}"
    if page < len(pages):
        footer += f"; next: /compare story:{story.id} page:{page + 1}"
    _footer(shown, footer)
    return shown


def _about(story: Story, outlets: int) -> str:
    undated = f" ({story.undated} undated)" if story.undated and story.first else ""
    count = f"{_count(story.articles, 'article')}{undated} from {_count(outlets, 'outlet')}"
    return f"Story `{story.id}` · {_span(story)} · {count}"


def _span(story: Story) -> str:
    if not story.first:
        return "undated"
    return story.first if story.last in (None, story.first) else f"{story.first} – {story.last}"


def _when(line: Line) -> str:
    if line.dated_by == "event":
        phrase = f" (“{line.phrase}”)" if line.phrase else ""
        return _escape(f"{line.date} · event date{phrase}")
    if line.dated_by == "published":
        return _escape(f"{line.date} · published")
    return "undated (its article gives no date)"


def _line(line: Line) -> str:
    first, outlets = line.reports[0], line.outlets  # the quoted article's outlet first
    named = [shorten(_escape(o), NAME_CHARS) for o in outlets[:OUTLETS_SHOWN]]
    named[0] = _link(named[0], first.url)  # the article the quote is from
    rest = len(outlets) - OUTLETS_SHOWN
    tail = "reported by " + ", ".join(named) + (f" and {rest} more outlets" if rest > 0 else "")
    if not line.verified:
        tail += " *(not found word for word in the article)*"
    return quote_block(line.quote, first.url, speaker=line.speaker, tail=tail)


def _conflict(n: int, conflict: Conflict) -> Iterator[tuple[str, str]]:
    for side in conflict.sides:
        name = f"#{n} {conflict.kind}: {conflict.detail} · {side.report.outlet}"
        yield _escape(name), _quoted(side)


def _outlet(view: OutletView) -> Section:
    listed = [_article(r) for r in view.reports[:ARTICLES_SHOWN]]
    rest = len(view.reports) - ARTICLES_SHOWN
    description = _count(len(view.reports), "article") + ": " + " · ".join(listed)
    if rest > 0:
        description += f" and {rest} more"
    several = len(view.reports) > 1  # then each quote names its article
    fields = [("Only here", _quoted(q, several)) for q in view.only_here]
    if view.quotes:
        fields.append(("Quotes", _escape(", ".join(view.quotes))))
    return Section(view.outlet, description, fields)


def _quoted(q: Quoted, article: bool = True) -> str:
    return quote_block(q.quote, q.report.url, tail=_article(q.report) if article else "")


def _article(report: Report) -> str:
    title = _link(shorten(_escape(report.title), ARTICLE_TITLE_CHARS), report.url, italic=True)
    return title + (f", {report.published[:10]}" if report.published else "")


def quote_block(
    quote: str,
    url: str | None,
    *,
    speaker: str | None = None,
    tail: str = "",
    limit: int = FIELD_VALUE_LIMIT,
) -> str:
    """`> “quote” — speaker`, then `tail`, in `limit` characters. The quote is verbatim
    (whitespace folded); one too long for `limit` is cut at a word, ends in “…” without a
    closing quotation mark, and says it was cut, linking the article when it can."""
    text = " ".join(quote.split())
    who = shorten(_escape(speaker), NAME_CHARS) if speaker else ""
    after = (f" — {who}" if who else "") + (f"\n{tail}" if tail else "")
    whole = "> " + _escape(in_quotes(text)) + after
    if len(whole) <= limit:
        return whole
    opener = "“" if in_quotes(text) != text else ""
    article = _link("read the article", url) if _linkable(url) else "see the article"
    note = f" *(quote cut: {article})*"
    room = limit - len(after) - len(note) - len("> …") - len(opener)
    return "> " + opener + _escape(_start(text, room)) + "…" + note + after


def _start(text: str, room: int) -> str:
    """The longest start of `text`, ending at a word, whose escaped form fits in `room`."""
    end = min(len(text), room)
    while end > 0:
        piece = text[:end]
        if end < len(text) and " " in piece:
            piece = piece.rsplit(" ", 1)[0]
        piece = piece.rstrip(" ,;:")
        if len(_escape(piece)) <= room:
            return piece
        end = len(piece) - 1
    return ""


def shorten(text: str, limit: int) -> str:
    """`text`, or its start cut at a word with "…" when it is over `limit` (for titles,
    names and labels: never for a quote, which `quote_block` cuts and marks)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip("\\") + "…"


def _count(n: int, noun: str, nouns: str | None = None) -> str:
    return f"{n:,} " + (noun if n == 1 else nouns or noun + "s")


def _outlet_name(outlets: Sequence[str]) -> str:
    return outlets[0] if outlets else "one outlet"


def _link(text: str, url: str | None, *, bold: bool = False, italic: bool = False) -> str:
    """`[text](url)` for a web address short enough to show, else the text, emphasised."""
    if url and _linkable(url):
        safe = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
        return f"[{text}]({safe})"
    return f"**{text}**" if bold else f"*{text}*" if italic else text


def _linkable(url: str | None) -> bool:
    return bool(url and url.startswith(("http://", "https://")) and len(url) <= URL_LIMIT)


def _escape(text: str) -> str:
    """Article text is not Discord markdown: show `*`, `_`, `~`, `|`, `` ` `` as they are."""
    return plain(re.sub(r"([*_~|`>\[\]])", r"\\\1", text))


def plain(text: str) -> str:
    """Defence in depth beside AllowedMentions.none(): @everyone and <@id> are shown, never
    ping nor look like a member of the server."""
    text = text.replace("@everyone", "@\u200beveryone").replace("@here", "@\u200bhere")
    return re.sub(r"<(@[!&]?|#)(\d+)>", "<\u200b\\1\\2>", text)
