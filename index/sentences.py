"""Sentence spans of a text, for chunking (the write path) and for choosing evidence and
checking answers (the query path) alike."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? … (plus closing quotes/brackets) before whitespace and a capital,
# digit or opening quote -- unless the word before the dot is a known abbreviation.
_BOUNDARY = re.compile(r"[.!?…][\"'”’»)\]]*(?=\s+[\"'“‘«(\[]?[A-Z0-9А-ЯЁ])")
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "gov",
    "sen",
    "rep",
    "jr",
    "sr",
    "vs",
    "no",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "inc",
    "ltd",
    "co",
    "corp",
    "u.s",
    "u.k",
    "u.n",
    "e.u",
    "a.m",
    "p.m",
    "i.e",
    "e.g",
    "etc",
    "approx",
    "fig",
    "dept",
    "est",
    "mt",
    "ft",
}


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def sentences(text: str) -> list[Span]:
    """Sentence spans of `text`, paragraphs (blank-line separated) never joined."""
    spans: list[Span] = []
    for para in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", text):
        start = para.start()
        for match in _BOUNDARY.finditer(para.group()):
            word = re.search(r"([\w.]+)[.!?…]?$", para.group()[: match.start() + 1])
            if match.group()[0] == "." and word and _is_abbreviation(word.group(1)):
                continue
            if _inside_quote(text[start : para.start() + match.end()]):
                continue  # “One sentence. Another,” he said. is one attributed sentence
            end = para.start() + match.end()
            spans.append(Span(start, end))
            start = end + len(text[end:]) - len(text[end:].lstrip())
        if start < para.end():
            spans.append(Span(start, para.end()))
    return spans


def _inside_quote(text: str) -> bool:
    """Whether a quotation opened in `text` is still open at its end (“...” or "...")."""
    depth = 0
    for ch in text:
        if ch in "“«":
            depth += 1
        elif ch in "”»":
            depth = max(0, depth - 1)
    return depth > 0 or text.count('"') % 2 == 1


def _is_abbreviation(word: str) -> bool:
    word = word.lower().rstrip(".")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())
