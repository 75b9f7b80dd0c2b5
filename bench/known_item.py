"""Known-item retrieval on public news: newsdesk against the usual ways, same data, same run.

    .venv/bin/python bench/known_item.py             # BBC News and world news, ~40 min on 2 cores
    .venv/bin/python bench/known_item.py --limit 40  # 40 articles per corpus: a check that it runs
    .venv/bin/python bench/known_item.py --embeddings e5   # the multilingual model instead

Each article's headline is the query and its body, without the headline, is what gets indexed;
the article is the one to find. Methods, over the same files, the same Chroma and (where one is
used) the same MiniLM embedding:

- `bm25`: BM25 over whole articles (bm25s, English stop words, Snowball stemmer), plain keyword
  search;
- `dense`: newsdesk's chunks, dense retrieval alone;
- `llamaindex_default`: LlamaIndex's quick-start, `SimpleDirectoryReader` then
  `VectorStoreIndex.from_documents` (default `SentenceSplitter`, 1,024-token chunks) and
  `as_retriever()` with its default `similarity_top_k` (2); `llamaindex_default_k10` is the same
  index asked for 10, so hit@10 compares like with like;
- `newsdesk`: newsdesk's retriever as it answers questions (dense and BM25 over its chunks,
  fused by reciprocal rank, after spelling correction).

Chunks are mapped to their articles, first occurrence kept, to rank articles. An exact duplicate
of the article (same body, as BBC's ~100 reposts) counts as finding it. Results go to
bench/results/known_item.json; bench/README.md says how each figure is produced.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import public_data  # noqa: E402
from common import machine, p50, p95  # noqa: E402
from public_data import Doc  # noqa: E402

from newsdesk.index.keyword import tokenize  # noqa: E402  (the same stop words and stemmer)

DEPTH = 10  # articles ranked per query: MRR@10, hit@10
CHUNKS_ASKED = 40  # newsdesk chunks per query, enough for 10 distinct articles
CORPORA: dict[str, Callable[[], list[Doc]]] = {
    "bbc": public_data.bbc,
    "world_news": public_data.world_news,
}


def use_bundled_nltk_data() -> None:
    """LlamaIndex's sentence splitter reads NLTK data bundled in its package, but NLTK refuses
    files with several hard links, which is how uv installs packages from its cache. A private
    copy is an ordinary file, so point NLTK_DATA at one (nothing is downloaded)."""
    from llama_index.core import __file__ as core_init

    bundled = Path(core_init).parent / "_static" / "nltk_cache"
    copy = public_data.DATA / "nltk_cache"
    if not copy.is_dir():
        shutil.copytree(bundled, copy)
    os.environ["NLTK_DATA"] = str(copy)


class DocumentBm25:
    """BM25 over whole articles: keyword search as it is usually done."""

    def __init__(self, docs: list[Doc]) -> None:
        import bm25s

        self.ids = [d.doc_id for d in docs]
        self.index = bm25s.BM25()
        self.index.index(tokenize([d.body for d in docs]), show_progress=False)

    def ranked(self, query: str) -> list[str]:
        k = min(DEPTH, len(self.ids))
        rows, _ = self.index.retrieve(tokenize([query]), k=k, show_progress=False)
        return [self.ids[row] for row in rows[0]]


def first_articles(doc_ids: list[str]) -> list[str]:
    return list(dict.fromkeys(doc_ids))[:DEPTH]


def duplicates(docs: list[Doc]) -> dict[str, set[str]]:
    """doc_id -> every doc_id with the same body (whitespace aside), itself included."""
    groups: dict[str, set[str]] = {}
    for d in docs:
        groups.setdefault(" ".join(d.body.split()), set()).add(d.doc_id)
    return {doc_id: group for group in groups.values() for doc_id in group}


def metrics(ranks: list[int | None], times_ms: list[float]) -> dict[str, Any]:
    n = len(ranks)
    return {
        "queries": n,
        "mrr@10": round(sum(1 / r for r in ranks if r) / n, 4),
        "hit@1": round(sum(r == 1 for r in ranks) / n, 4),
        "hit@10": round(sum(r is not None for r in ranks) / n, 4),
        "retrieve_ms_p50": p50(times_ms),
        "retrieve_ms_p95": p95(times_ms),
    }


def run_corpus(name: str, docs: list[Doc], root: Path, embeddings: str) -> dict[str, Any]:
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from newsdesk.index.app import Newsdesk
    from newsdesk.index.config import Settings

    articles = root / name / "articles"
    public_data.write(docs, articles, body_only=True)
    settings = Settings(
        articles_dir=articles,
        data_dir=root / name / "data",
        llm="extractive",
        embeddings=embeddings,
    )
    app = Newsdesk(settings)
    newsdesk_build = app.build().to_json()
    retriever = app.engine(backend="extractive").retriever

    started = time.perf_counter()
    collection = app.store.client.get_or_create_collection("llamaindex-default")
    default_index = VectorStoreIndex.from_documents(
        SimpleDirectoryReader(str(articles)).load_data(),
        storage_context=StorageContext.from_defaults(
            vector_store=ChromaVectorStore(chroma_collection=collection)
        ),
        embed_model=app.embedder,
    )
    default_build = {"seconds": round(time.perf_counter() - started, 3)}
    default_build["chunks"] = collection.count()
    default_top_k = default_index.as_retriever()
    default_k10 = default_index.as_retriever(similarity_top_k=DEPTH)

    started = time.perf_counter()
    bm25 = DocumentBm25(docs)
    bm25_seconds = round(time.perf_counter() - started, 3)

    def stems(retriever_: Any) -> Callable[[str], list[str]]:
        return lambda q: [Path(n.node.metadata["file_name"]).stem for n in retriever_.retrieve(q)]

    def newsdesk(mode: str) -> Callable[[str], list[str]]:
        def ranked(q: str) -> list[str]:
            _, hits = retriever.search(q, CHUNKS_ASKED, mode=mode)
            return [str(h.meta["doc_id"]) for h in hits]

        return ranked

    methods: dict[str, Callable[[str], list[str]]] = {
        "bm25": bm25.ranked,
        "dense": newsdesk("dense"),
        "llamaindex_default": stems(default_top_k),
        "llamaindex_default_k10": stems(default_k10),
        "newsdesk": newsdesk("hybrid"),
    }
    same = duplicates(docs)
    for ranked in methods.values():  # warm up: model sessions, keyword index, Chroma pages
        ranked(docs[0].title)
    ranks: dict[str, list[int | None]] = {m: [] for m in methods}
    times: dict[str, list[float]] = {m: [] for m in methods}
    for doc in docs:
        for method, ranked in methods.items():
            started = time.perf_counter()
            found = first_articles(ranked(doc.title))
            times[method].append((time.perf_counter() - started) * 1000)
            hits = [i for i, doc_id in enumerate(found, 1) if doc_id in same[doc.doc_id]]
            ranks[method].append(hits[0] if hits else None)
    app.close()
    result = {m: metrics(ranks[m], times[m]) for m in methods}
    best_other = {
        key: max(v[key] for m, v in result.items() if m != "newsdesk")
        for key in ("mrr@10", "hit@1", "hit@10")
    }
    return {
        "articles": len(docs),
        "exact_duplicate_articles": sum(len(g) > 1 for g in same.values()),
        "methods": result,
        "newsdesk_vs_best_other": {
            key: round(result["newsdesk"][key] / best, 3) if best else None
            for key, best in best_other.items()
        },
        "builds": {
            "newsdesk": newsdesk_build,
            "llamaindex_default": default_build,
            "bm25_seconds": bm25_seconds,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), action="append")
    parser.add_argument("--limit", type=int, help="articles per corpus (a seeded sample)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--embeddings", default="minilm", help="minilm (default) or e5")
    parser.add_argument("--out", type=Path, help="default: bench/results/known_item[-e5].json")
    args = parser.parse_args()
    suffix = "" if args.embeddings == "minilm" else f"-{args.embeddings}"
    args.out = args.out or BENCH / "results" / f"known_item{suffix}.json"
    use_bundled_nltk_data()
    began = time.perf_counter()
    corpora = {}
    with tempfile.TemporaryDirectory(prefix="newsdesk-known-item-") as tmp:
        for name in args.corpus or list(CORPORA):
            docs = CORPORA[name]()
            if args.limit:
                docs = random.Random(args.seed).sample(docs, min(args.limit, len(docs)))
            corpora[name] = run_corpus(name, docs, Path(tmp), args.embeddings)
            corpora[name]["date"] = datetime.now(UTC).isoformat(timespec="seconds")
            summary = {m: v["mrr@10"] for m, v in corpora[name]["methods"].items()}
            print(f"{name}: MRR@10 {summary}", flush=True)
    if args.corpus and args.out.exists():  # one corpus re-run: keep the others' figures
        earlier = json.loads(args.out.read_text())
        if (earlier.get("limit"), earlier.get("seed")) == (args.limit, args.seed):
            corpora = earlier["corpora"] | corpora
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "embeddings": args.embeddings,
        "depth": DEPTH,
        "limit": args.limit,
        "seed": args.seed,
        "corpora": corpora,
        "bench_seconds": round(time.perf_counter() - began, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
