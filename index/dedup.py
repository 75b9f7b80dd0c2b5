"""Near-duplicate articles: MinHash over word shingles, LSH for candidates, union-find clusters.

The same story rewritten by several outlets is common in news. Clusters let answers cite the
story once and say who else reported it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE_WORDS = 3
THRESHOLD = 0.5  # estimated Jaccard similarity of the shingle sets
SCHEME = "affine32"  # stored signatures must be read back with the scheme that made them


_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME).permutations


def signature(text: str) -> bytes:
    """The MinHash signature of a text's word shingles, as bytes to store."""
    words = re.findall(r"\w+", text.lower())
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(1, len(words) - 2))}
    minhash = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME, permutations=_PERMUTATIONS)
    minhash.update_batch([s.encode() for s in shingles])
    return np.asarray(minhash.hashvalues, dtype=np.uint64).tobytes()


def _minhash(raw: bytes) -> MinHash:
    return MinHash(
        num_perm=NUM_PERM, seed=1, scheme=SCHEME, hashvalues=np.frombuffer(raw, dtype=np.uint64)
    )


def clusters(signatures: Mapping[str, bytes], threshold: float = THRESHOLD) -> dict[str, str]:
    """doc_id -> cluster id (the cluster's smallest doc_id), for docs with a near-duplicate."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    hashes = {doc_id: _minhash(raw) for doc_id, raw in signatures.items()}
    parent = {doc_id: doc_id for doc_id in hashes}

    def root(doc_id: str) -> str:
        while parent[doc_id] != doc_id:
            parent[doc_id] = parent[parent[doc_id]]
            doc_id = parent[doc_id]
        return doc_id

    for doc_id, minhash in sorted(hashes.items()):
        for other in lsh.query(minhash):
            if minhash.jaccard(hashes[other]) >= threshold:
                a, b = sorted((root(doc_id), root(other)))
                parent[b] = a
        lsh.insert(doc_id, minhash)
    members: dict[str, list[str]] = {}
    for doc_id in hashes:
        members.setdefault(root(doc_id), []).append(doc_id)
    return {d: min(group) for group in members.values() if len(group) > 1 for d in group}
