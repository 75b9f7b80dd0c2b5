"""What the CLI and the REPL print: answers, sources and the articles being read, as text."""

from __future__ import annotations

from collections.abc import Iterable

from newsdesk.index.answer import Answer, in_quotes
from newsdesk.index.app import Source
from newsdesk.index.compare import Comparison
from newsdesk.index.evidence import Evidence, articles
from newsdesk.index.stories import Story
from newsdesk.index.timeline import Timeline


def render(answer: Answer, verbose: bool = False) -> str:
    """An answer and its numbered sources."""
    lines = [answer.text]
    if verbose and answer.dropped:
        lines += ["", "Dropped by the checks:"]
        lines += [f"  - {d.sentence} ({d.reason})" for d in answer.dropped]
    if answer.citations:
        lines += ["", "Sources:"]
    for c in answer.citations:
        origin = ", ".join(v for v in (c.source, c.date) if v)
        lines.append(f"[{c.n}] {c.title}" + (f" ({origin})" if origin else "") + f" [{c.path}]")
        lines.append(f"    {quoted(c.quote)}")
        if c.also_reported_by:
            lines.append(f"    also reported by: {', '.join(c.also_reported_by)}")
        if c.story_outlets > 1:
            lines.append(
                f"    {c.story_outlets} outlets report this story "
                f"(newsdesk timeline {c.story}, newsdesk compare {c.story})"
            )
    if verbose:
        timings = ", ".join(f"{k} {v:.0f} ms" for k, v in answer.timings_ms.items())
        lines += ["", f"[{answer.backend}; {timings}]"]
    return "\n".join(lines)


def quoted(passage: str) -> str:
    """A passage in quotation marks, unless it already opens with its own (a quote)."""
    return in_quotes(" ".join(passage.split()))


def source_lines(sources: Iterable[Source]) -> list[str]:
    """`newsdesk sources`: id, date, outlet, chunk count, title; one article a line."""
    return [
        f"{s.doc_id}  {s.published or 'undated':<16}  {s.source or 'unknown outlet':<14}  "
        f"{s.chunks:>3} chunks  {s.title}"
        for s in sources
    ]


def reading_line(evidence: list[Evidence]) -> str:
    """The articles the evidence comes from: “title” (outlet, date); …"""
    shown = []
    for title, source, date in articles(evidence):
        origin = ", ".join(v for v in (source, date and date[:10]) if v)
        shown.append(f"“{title}”" + (f" ({origin})" if origin else ""))
    return "; ".join(shown)


def story_lines(stories: Iterable[Story]) -> list[str]:
    """`newsdesk stories`: id, dates, article count, outlets, label; one story a line."""
    lines = []
    for s in stories:
        span = _span(s.first, s.last)
        outlets = ", ".join(s.outlets[:4]) + (", …" if len(s.outlets) > 4 else "")
        undated = f", {s.undated} undated" if s.undated else ""
        lines.append(
            f"{s.id}  {span:<23}  {s.articles:>3} articles{undated}  "
            f"[{outlets or 'unknown outlets'}]  {s.label}"
        )
    return lines


def _span(first: str | None, last: str | None) -> str:
    if not first:
        return "undated"
    return first if first == last else f"{first} – {last}"


def timeline_text(timeline: Timeline) -> str:
    """A timeline: a header, then one line per event with its date, outlets and quote."""
    story = timeline.story
    lines = [f"{story.label} ({story.id}; {_span(story.first, story.last)})"]
    if timeline.single_outlet:
        lines.append(
            f"Only {timeline.outlets[0] if timeline.outlets else 'one outlet'} "
            "reports this story: a timeline of one outlet."
        )
    for line in timeline.lines:
        when = line.date or "undated"
        how = {"event": f"“{line.phrase}”", "published": "published", "undated": "undated"}
        outlets = ", ".join(line.outlets)
        lines.append(f"{when:<10}  ({how[line.dated_by]}; {outlets})")
        speaker = f" — {line.speaker}" if line.speaker else ""
        lines.append(f"    {quoted(line.quote)}{speaker}")
    if timeline.pages > 1:
        lines.append(f"Page {timeline.page} of {timeline.pages} ({timeline.total} events).")
    return "\n".join(lines)


def comparison_text(comparison: Comparison) -> str:
    """Outlets side by side: disagreements first, then each outlet's own reporting."""
    story = comparison.story
    lines = [f"{story.label} ({story.id}): {len(comparison.outlets)} outlets"]
    if comparison.single_outlet:
        lines.append("Only one outlet reports this story: there is nothing to compare it with.")
    if comparison.conflicts:
        lines += ["", "Where they disagree:"]
    for c in comparison.conflicts:
        lines.append(f"  {c.kind}: {c.detail}")
        for side in c.sides:
            lines.append(f"    {side.report.outlet}: {quoted(side.quote)}")
    for view in comparison.outlets:
        lines += ["", f"{view.outlet} ({len(view.reports)} articles)"]
        if view.only_here:
            lines.append("  Only here:")
            lines += [f"    {quoted(q.quote)}" for q in view.only_here]
        if view.quotes:
            lines.append("  Quotes: " + ", ".join(view.quotes))
    return "\n".join(lines)
