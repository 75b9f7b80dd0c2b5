"""Near-duplicate articles: MinHash over word shingles, LSH for candidates, union-find clusters.

The same story rewritten by several outlets is common in news. Clusters let answers cite the
story once and say who else reported it.

Two articles are near-duplicates when their signatures agree on at least `THRESHOLD` of their
values; candidates are the articles sharing one LSH band with it (the bands datasketch's
MinHashLSH chooses for this threshold), and clusters are the connected groups. The catalog
keeps every article's bands, so a rebuild regroups only the articles it changed, the clusters
they left and the clusters of their new near-duplicates (`recluster`): nothing else can have
changed group, so the result is the one `clusters` computes over the whole archive.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE_WORDS = 3
THRESHOLD = 0.5  # estimated Jaccard similarity of the shingle sets
SCHEME = "affine32"  # stored signatures must be read back with the scheme that made them
# (start, end) of each LSH band in a signature, as MinHashLSH bands it for THRESHOLD
BANDS: list[tuple[int, int]] = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM).hashranges


_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME).permutations


def signature(text: str) -> bytes:
    """The MinHash signature of a text's word shingles, as bytes to store."""
    words = re.findall(r"\w+", text.lower())
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(1, len(words) - 2))}
    minhash = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME, permutations=_PERMUTATIONS)
    minhash.update_batch([s.encode() for s in shingles])
    return np.asarray(minhash.hashvalues, dtype=np.uint64).tobytes()


def bands(raw: bytes) -> list[tuple[int, bytes]]:
    """(band, key) of a stored signature: articles sharing one are candidates."""
    values = np.frombuffer(raw, dtype=np.uint64)
    return [(band, values[start:end].tobytes()) for band, (start, end) in enumerate(BANDS)]


def similar(a: bytes, b: bytes) -> bool:
    """Whether two signatures estimate a Jaccard similarity of at least THRESHOLD."""
    x, y = np.frombuffer(a, dtype=np.uint64), np.frombuffer(b, dtype=np.uint64)
    return bool(np.count_nonzero(x == y) / NUM_PERM >= THRESHOLD)


def _groups(
    docs: Iterable[str],
    candidates: Callable[[str], Iterable[str]],
    signature_of: Mapping[str, bytes],
) -> dict[str, str | None]:
    """doc_id -> its cluster (the smallest doc_id of its group), or None when alone, for the
    connected groups `docs` form among themselves."""
    members = set(docs)
    parent = {doc_id: doc_id for doc_id in members}

    def root(doc_id: str) -> str:
        while parent[doc_id] != doc_id:
            parent[doc_id] = parent[parent[doc_id]]
            doc_id = parent[doc_id]
        return doc_id

    for doc_id in sorted(members):
        for other in candidates(doc_id):
            if other in members and similar(signature_of[doc_id], signature_of[other]):
                a, b = sorted((root(doc_id), root(other)))
                parent[b] = a
    groups: dict[str, list[str]] = {}
    for doc_id in members:
        groups.setdefault(root(doc_id), []).append(doc_id)
    return {d: min(g) if len(g) > 1 else None for g in groups.values() for d in g}


def clusters(signatures: Mapping[str, bytes]) -> dict[str, str]:
    """doc_id -> cluster id (the cluster's smallest doc_id), for docs with a near-duplicate,
    over a whole archive at once."""
    buckets: dict[tuple[int, bytes], list[str]] = {}
    for doc_id, raw in signatures.items():
        for key in bands(raw):
            buckets.setdefault(key, []).append(doc_id)

    def candidates(doc_id: str) -> set[str]:
        return {o for key in bands(signatures[doc_id]) for o in buckets[key] if o != doc_id}

    grouped = _groups(signatures, candidates, signatures)
    return {doc_id: cluster for doc_id, cluster in grouped.items() if cluster is not None}


class Bands(Protocol):
    """Where the articles' signatures and bands are kept (the catalog)."""

    def signatures_of(self, doc_ids: Iterable[str]) -> dict[str, bytes]: ...
    def candidates(self, doc_id: str) -> dict[str, bytes]: ...
    def cluster_mates(self, doc_ids: Iterable[str]) -> set[str]: ...


def recluster(catalog: Bands, unsettled: Iterable[str]) -> dict[str, str | None]:
    """The clusters of the articles whose group may have changed since the catalog last
    settled them (None: alone), from their bands in the catalog."""
    candidates: dict[str, dict[str, bytes]] = {}  # each article's, asked of the catalog once

    def candidates_of(doc_id: str) -> dict[str, bytes]:
        if doc_id not in candidates:
            candidates[doc_id] = catalog.candidates(doc_id)
        return candidates[doc_id]

    seeds = catalog.signatures_of(unsettled)
    affected = set(seeds)
    for doc_id, raw in seeds.items():
        near = [o for o, other in candidates_of(doc_id).items() if similar(raw, other)]
        affected |= catalog.cluster_mates(near)
    signature_of = catalog.signatures_of(affected)
    return _groups(affected, lambda d: candidates_of(d).keys(), signature_of)
