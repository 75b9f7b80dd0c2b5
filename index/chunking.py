"""Sentence-aware chunks that are exact slices of an article's cleaned text.

Every chunk is `text[start:end]` of its article, so a quote taken from a chunk is a quote
from the article. MiniLM reads at most 256 wordpieces and silently drops the rest; chunks are
measured with the indexing model's own tokenizer, title header included, and kept within 256
tokens for either model (e5 reads 512, but a citation's passage should stay short).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from newsdesk.index.sentences import Span, sentences

# Bump when chunk boundaries change for the same text: indexes built before are re-chunked.
CHUNKER_VERSION = "2"
TARGET_TOKENS = 200
OVERLAP_TOKENS = 40
SPECIAL_TOKENS = 2
MAX_TOKENS = 256  # per embedded chunk, special tokens and title header included


def chunk(
    text: str,
    count_tokens: Callable[[Sequence[str]], list[int]],
    *,
    header_tokens: int = 0,
    target: int = TARGET_TOKENS,
    overlap: int = OVERLAP_TOKENS,
) -> list[Span]:
    """Pack whole sentences into chunks of about `target` tokens, never over the model's limit.

    `header_tokens` is what the title line adds to every embedded chunk. Consecutive chunks
    share up to `overlap` tokens of whole sentences. A sentence too long for one chunk is cut
    at word boundaries.
    """
    limit = MAX_TOKENS - SPECIAL_TOKENS - header_tokens
    if limit < 32:
        raise ValueError(f"header of {header_tokens} tokens leaves no room for text")
    target = min(target, limit)
    pieces: list[Span] = []
    sizes: list[int] = []
    spans = sentences(text)
    for span, n in zip(spans, count_tokens([text[s.start : s.end] for s in spans]), strict=True):
        if n > limit:
            cut = _cut(text, span, count_tokens, limit)
            pieces.extend(cut)
            sizes.extend(count_tokens([text[p.start : p.end] for p in cut]))
        else:
            pieces.append(span)
            sizes.append(n)

    # Pack by the sentences' own counts, then measure the real slices in one call: joining
    # sentences can merge tokens at the seams. Only if a slice is over the limit, pack again
    # measuring every candidate (slow, and rare: the target leaves a margin).
    fast = _pack(pieces, sizes, target, overlap)
    slices = [text[p.start : p.end] for p in fast]
    if all(n <= limit for n in count_tokens(slices)):
        return fast
    return _pack(
        pieces,
        sizes,
        target,
        overlap,
        fits=lambda span: count_tokens([text[span.start : span.end]])[0] <= limit,
    )


def _pack(
    pieces: list[Span],
    sizes: list[int],
    target: int,
    overlap: int,
    fits: Callable[[Span], bool] | None = None,
) -> list[Span]:
    """Whole pieces into chunks of about `target` tokens sharing up to `overlap` tokens."""
    chunks: list[Span] = []
    i = 0
    while i < len(pieces):
        j, total = i, 0
        while j < len(pieces) and (j == i or total + sizes[j] <= target):
            total += sizes[j]
            j += 1
        chunk_span = Span(pieces[i].start, pieces[j - 1].end)
        while fits is not None and not fits(chunk_span) and j - 1 > i:
            j -= 1
            chunk_span = Span(pieces[i].start, pieces[j - 1].end)
        chunks.append(chunk_span)
        if j >= len(pieces):
            break
        back, shared = j, 0  # step back over whole sentences for the overlap
        while back - 1 > i and shared + sizes[back - 1] <= overlap:
            back -= 1
            shared += sizes[back]
        i = back
    return chunks


def _cut(
    text: str, span: Span, count_tokens: Callable[[Sequence[str]], list[int]], limit: int
) -> list[Span]:
    """Split an over-long sentence at word boundaries into pieces within `limit` tokens."""
    words = [m.span() for m in re.finditer(r"\S+", text[span.start : span.end])]
    sizes = count_tokens([text[span.start + a : span.start + b] for a, b in words])
    pieces, first, total = [], 0, 0
    for k, size in enumerate(sizes):
        if total + size > limit * 0.9 and k > first:
            pieces.append(Span(span.start + words[first][0], span.start + words[k - 1][1]))
            first, total = k, 0
        total += size
    pieces.append(Span(span.start + words[first][0], span.start + words[-1][1]))
    return pieces
