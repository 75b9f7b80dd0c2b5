from __future__ import annotations

import itertools
from collections.abc import Sequence

from newsdesk.index.articles import load_all
from newsdesk.index.chunking import chunk
from newsdesk.index.embeddings import MODEL_MAX_TOKENS, MiniLMEmbedding

from support import SAMPLE


def test_sample_chunks_are_exact_slices_within_the_model_limit(embedder: MiniLMEmbedding) -> None:
    for article in load_all(SAMPLE):
        header = embedder.count_tokens([article.title])[0]
        spans = chunk(article.text, embedder.count_tokens, header_tokens=header)
        assert spans[0].start == 0 and spans[-1].end == len(article.text)
        for a, b in itertools.pairwise(spans):
            assert b.start <= a.end, "consecutive chunks overlap or touch: no text is lost"
            assert b.start > a.start
        for span in spans:
            body = article.text[span.start : span.end]
            embedded = f"{article.title}\n\n{body}"
            # What the model would really read, [CLS] and [SEP] included, untruncated.
            n = len(embedder.tokenizer.encode(embedded).ids)
            assert n <= MODEL_MAX_TOKENS, (article.doc_id, n)
            assert body == body.strip()


def test_a_sentence_longer_than_the_model_limit_is_cut_at_words(embedder: MiniLMEmbedding) -> None:
    text = "Start. " + " ".join(f"word{i}" for i in range(600)) + ". End of it."
    spans = chunk(text, embedder.count_tokens, header_tokens=10)
    assert len(spans) >= 3
    for span in spans:
        piece = text[span.start : span.end]
        assert embedder.count_tokens([piece])[0] <= MODEL_MAX_TOKENS - 2 - 10
        assert not piece[0].isspace() and not piece[-1].isspace()
    covered = " ".join(text[s.start : s.end] for s in spans)
    assert all(f"word{i} " in covered or f"word{i}." in covered for i in range(600))


def test_chunks_aim_at_the_target_size(embedder: MiniLMEmbedding) -> None:
    text = " ".join(f"This is sentence number {i} of a long article." for i in range(200))
    spans = chunk(text, embedder.count_tokens, target=200, overlap=40)
    sizes = embedder.count_tokens([text[s.start : s.end] for s in spans])
    assert all(150 <= n <= 200 for n in sizes[:-1]), sizes
    overlaps = [text[b.start : a.end] for a, b in itertools.pairwise(spans)]
    assert all(o and embedder.count_tokens([o])[0] <= 40 for o in overlaps)


def test_tokenizer_reads_256_wordpieces_not_128(embedder: MiniLMEmbedding) -> None:
    long = " ".join(["news"] * 400)
    assert len(embedder.tokenizer.encode(long).ids) == MODEL_MAX_TOKENS
    short = embedder.tokenizer.encode("short text")
    assert len(short.ids) == 4, "no padding to a fixed length"


def test_chunks_stay_within_the_limit_when_seams_cost_tokens() -> None:
    """A tokenizer for which joining sentences costs extra (as merged wordpieces can)."""

    def count(texts: Sequence[str]) -> list[int]:
        return [len(t.split()) + 10 * t.count(". ") for t in texts]

    text = " ".join(f"Sentence number {i} has exactly seven words." for i in range(120))
    spans = chunk(text, count, target=200, overlap=20, header_tokens=54)  # limit 200
    assert all(count([text[s.start : s.end]])[0] <= 200 for s in spans)
    assert spans[0].start == 0 and spans[-1].end == len(text)
    assert all(b.start <= a.end for a, b in itertools.pairwise(spans)), "nothing skipped"
