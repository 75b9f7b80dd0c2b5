"""Near-duplicate articles: MinHash signatures of word shingles and the clusters they form, on
the real sample articles and rewrites of them."""

from __future__ import annotations

import re
from pathlib import Path

from newsdesk.index.articles import Article, load
from newsdesk.index.catalog import Catalog
from newsdesk.index.dedup import BANDS, NUM_PERM, bands, clusters, recluster, signature, similar

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
    """Two thirds of a text overlap it by two thirds (near-duplicates) and each other by one
    third (not)."""
    first, last = thirds(TEXTS[KREMLIN])
    whole = signature(TEXTS[KREMLIN])
    assert similar(signature(first), whole) and similar(signature(last), whole)
    assert not similar(signature(first), signature(last))
    assert clusters({"first": signature(first), "last": signature(last)}) == {}
    assert clusters({}) == {}


def test_candidates_share_a_band_and_every_near_duplicate_is_a_candidate() -> None:
    """The bands are the ones MinHashLSH uses for the threshold: a reprint shares one with its
    original; unrelated articles share none."""
    reprint = TEXTS[CALIBER].replace("UK rejects", "Britain rejects")
    assert set(bands(signature(reprint))) & set(bands(signature(TEXTS[CALIBER])))
    assert not set(bands(signature(TEXTS[KREMLIN]))) & set(bands(signature(TEXTS[CALIBER])))
    assert len(bands(signature(reprint))) == len(BANDS) and BANDS[-1][1] <= NUM_PERM


# -- kept up to date from what changed ---------------------------------------------------------


def settled(catalog: Catalog) -> dict[str, str]:
    """Settle what changed, as a build does, and return every clustered article's cluster."""
    unsettled = catalog.unsettled()
    catalog.settle(recluster(catalog, unsettled), unsettled)
    assert catalog.unsettled() == set()
    rows = catalog.db.execute("SELECT doc_id, cluster FROM articles WHERE cluster IS NOT NULL")
    return dict(rows.fetchall())


def test_regrouping_what_changed_gives_the_clusters_of_the_whole_archive(
    tmp_path: Path,
) -> None:
    """Additions, edits that join or leave a cluster, removals that split a chain: after each,
    the clusters settled from the changed articles alone are those computed afresh."""
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    first, last = thirds(TEXTS[KREMLIN])
    reprint = TEXTS[CALIBER].replace("UK rejects", "Britain rejects")
    texts = {d: t for d, t in TEXTS.items() if d != KREMLIN}
    steps = [
        ("put", "b-last", last),
        ("put", "a-whole", TEXTS[KREMLIN]),
        ("put", "0-first", first),  # joins the cluster through a-whole, and names it
        ("put", "0001_reprint", reprint),
        ("delete", "a-whole", None),  # the chain splits
        ("put", "0-first", reprint),  # an edit moves an article to another cluster
        ("put", "a-whole", TEXTS[KREMLIN]),
        ("delete", CALIBER, None),
    ]
    for doc_id, text in texts.items():
        catalog.put(as_article(doc_id, text), signature(text), [(0, len(text))])
    assert settled(catalog) == {}
    for action, doc_id, text in steps:
        if action == "put":
            assert text is not None
            texts[doc_id] = text
            catalog.put(as_article(doc_id, text), signature(text), [(0, len(text))])
        else:
            texts.pop(doc_id)
            catalog.delete(doc_id)
        changed = catalog.unsettled()
        assert len(changed) <= 4, "only the changed article and the cluster it left"
        assert settled(catalog) == clusters({d: signature(t) for d, t in texts.items()}), action
    assert settled(catalog) == {
        "0-first": "0-first",
        "0001_reprint": "0-first",
        "a-whole": "a-whole",
        "b-last": "a-whole",
    }
    catalog.close()


def test_an_index_without_bands_gets_them_once(tmp_path: Path) -> None:
    """Catalogs written before bands were kept: the first regrouping fills them in."""
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    reprint = TEXTS[CALIBER].replace("UK rejects", "Britain rejects")
    for doc_id, text in [(CALIBER, TEXTS[CALIBER]), ("0001_reprint", reprint)]:
        catalog.put(as_article(doc_id, text), signature(text), [(0, len(text))])
    catalog.db.execute("DELETE FROM bands")
    catalog.set_meta("bands", "")
    assert settled(catalog) == {CALIBER: "0001_reprint", "0001_reprint": "0001_reprint"}
    count = catalog.db.execute("SELECT COUNT(*) FROM bands").fetchone()[0]
    assert count == 2 * len(BANDS)
    catalog.close()


def as_article(doc_id: str, text: str) -> Article:
    return Article(doc_id, f"{doc_id}.txt", doc_id, text, None, None, None, None, f"h-{hash(text)}")
