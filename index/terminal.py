"""What the CLI and the REPL print: answers, sources and the articles being read, as text."""

from __future__ import annotations

from collections.abc import Iterable

from newsdesk.index.answer import Answer, in_quotes
from newsdesk.index.app import Source
from newsdesk.index.evidence import Evidence, articles


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
