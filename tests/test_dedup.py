"""Near-duplicate articles: MinHash signatures of word shingles and the clusters they form, on
the real sample articles and rewrites of them."""

from __future__ import annotations

import re

from newsdesk.index.articles import load
from newsdesk.index.dedup import NUM_PERM, clusters, signature

from support import SAMPLE

KREMLIN = "000_a6a0d073fde4603f"
CALIBER = "003_82cedb1ca88c2249"
TEXTS = {p.stem: load(p).text for p in sorted(SAMPLE.glob("*.txt"))}


def shingles(text: str) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def jaccard(a: str, b: str) -> float:
    return len(shingles(a) & shingles(b)) / len(shingles(a) | shingles(b))


def thirds(text: str) -> tuple[str, str]:
    """The first two thirds and the last two thirds of a text: each overlaps the whole by
    two thirds, and the other by one third."""
    words = text.split(" ")
    n = len(words)
    return " ".join(words[: 2 * n // 3]), " ".join(words[n // 3 :])


def test_a_signature_is_one_64_bit_value_per_permutation_and_repeatable() -> None:
    text = TEXTS[KREMLIN]
    assert len(signature(text)) == NUM_PERM * 8
    assert signature(text) == signature(text)
    assert signature(text) != signature(TEXTS[CALIBER])


def test_a_signature_ignores_case_and_punctuation_but_not_word_order() -> None:
    text = TEXTS[KREMLIN]
    assert signature(text.upper()) == signature(text)
    assert signature(re.sub(r"[^\w\s]", " ", text)) == signature(text)
    assert signature("the call did not go well") != signature("well go not did call the")


def test_the_sample_articles_are_not_near_duplicates_of_each_other() -> None:
    assert clusters({doc_id: signature(text) for doc_id, text in TEXTS.items()}) == {}


def test_a_reprint_under_another_headline_joins_the_original_in_one_cluster() -> None:
    """The cluster is named by its smallest doc_id, whichever article came first; articles
    without a near-duplicate are left out."""
    original = TEXTS[CALIBER]
    reprint = original.replace(
        "UK rejects calls to reopen talks with Putin",
        "Britain rejects calls to reopen talks with Putin",
    )
    assert reprint != original
    found = clusters(
        {
            KREMLIN: signature(TEXTS[KREMLIN]),
            CALIBER: signature(original),
            "0001_reprint": signature(reprint),
        }
    )
    assert found == {CALIBER: "0001_reprint", "0001_reprint": "0001_reprint"}


def test_near_duplicates_chain_into_one_cluster() -> None:
    """Two texts that each resemble a third are clustered with it, and so with each other,
    though they are not near-duplicates themselves."""
    first, last = thirds(TEXTS[KREMLIN])
    assert jaccard(first, TEXTS[KREMLIN]) > 0.6 and jaccard(last, TEXTS[KREMLIN]) > 0.6
    assert jaccard(first, last) < 0.4
    assert clusters({"c-first": signature(first), "b-last": signature(last)}) == {}
    chained = clusters(
        {
            "c-first": signature(first),
            "b-last": signature(last),
            "a-whole": signature(TEXTS[KREMLIN]),
        }
    )
    assert chained == {"a-whole": "a-whole", "b-last": "a-whole", "c-first": "a-whole"}


def test_the_threshold_is_how_similar_near_duplicates_must_be() -> None:
    first, last = thirds(TEXTS[KREMLIN])
    signatures = {"first": signature(first), "last": signature(last)}
    assert clusters(signatures, threshold=0.25) == {"first": "first", "last": "first"}
    assert clusters(signatures, threshold=0.5) == {}
    assert clusters({}) == {}
