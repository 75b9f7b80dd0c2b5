from __future__ import annotations

import numpy as np

from newsdesk.index.embeddings import DIMENSION, MiniLMEmbedding


def test_vectors_are_normalised_and_meaningful(embedder: MiniLMEmbedding) -> None:
    vectors = embedder.embed(
        [
            "The Kremlin confirmed a phone call between Powell and Ushakov.",
            "Russia's presidential aide spoke by telephone with the British security adviser.",
            "The recipe needs two eggs and a cup of flour.",
        ]
    )
    assert vectors.shape == (3, DIMENSION)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > 0.5 > vectors[0] @ vectors[2]


def test_batching_does_not_change_vectors(embedder: MiniLMEmbedding) -> None:
    texts = ["short", "a somewhat longer sentence about the war in Ukraine and diplomacy"]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_llamaindex_interface(embedder: MiniLMEmbedding) -> None:
    query = embedder.get_query_embedding("Who is Yvette Cooper?")
    texts = embedder.get_text_embedding_batch(["one", "two", "three"])
    assert len(query) == DIMENSION and len(texts) == 3
