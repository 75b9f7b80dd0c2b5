"""Sentence spans: abbreviations, quotations and paragraphs."""

from __future__ import annotations

from newsdesk.index.sentences import sentences


def test_sentences_respect_abbreviations_and_quotes() -> None:
    text = (
        "The U.S. and Mr. Smith met on Jan. 5 in Washington. “It went well,” he said. "
        "Did it? Nobody knows.\n\nA new paragraph"
    )
    got = [text[s.start : s.end] for s in sentences(text)]
    assert got == [
        "The U.S. and Mr. Smith met on Jan. 5 in Washington.",
        "“It went well,” he said.",
        "Did it?",
        "Nobody knows.",
        "A new paragraph",
    ]
