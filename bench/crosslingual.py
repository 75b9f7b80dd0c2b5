"""Cross-lingual retrieval: a question in one language finds the article written in another.

    .venv/bin/python bench/crosslingual.py             # both models, ~15 min on 2 cores
    .venv/bin/python bench/crosslingual.py --limit 4   # 4 targets and 20 documents a language

The archive (`bench/crosslingual_corpus.py`) holds 1,600 documents: French and Spanish
Wikipedia leads, German Bundestag speeches, English world news, 400 of each. Each of the 220
questions of `bench/crosslingual.jsonl` asks about one of them and was written twice, meaning
the same: in the document's language, and in another (English for the French, Spanish and
German documents, Ukrainian for the English ones). So each language pair has a same-language
twin, and the gap between the two is what crossing a language costs.

Each model indexes the same files with newsdesk's own build; each question goes through
newsdesk's retriever as it answers (`hybrid`: dense and BM25 fused), and through each side
alone. A question finds its document when the document is among the first 5 distinct
articles (recall@5); MRR@10 as well. Questions are split dev/test by a hash of their id
(`common.split_of`); the test half is the headline. Results: bench/results/crosslingual.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import crosslingual_corpus  # noqa: E402
import public_data  # noqa: E402
from common import machine, p50, p95, split_of  # noqa: E402

QUESTIONS = BENCH / "crosslingual.jsonl"
DATA = BENCH / "data"
RESULTS = BENCH / "results" / "crosslingual.json"
MODES = ("hybrid", "dense", "keyword")
DEPTH = 10
RECALL_AT = 5
CHUNKS_ASKED = 40  # enough chunks for 10 distinct articles


def questions(limit: int | None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    if limit:
        by_language: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_language[row["doc_language"]].append(row)
        rows = [row for group in by_language.values() for row in group[:limit]]
    for row in rows:
        row["split"] = split_of(row["id"])
    return rows


def archive(limit: int | None, rows: list[dict[str, Any]]) -> list[public_data.Doc]:
    """The whole archive, or with `limit` the asked-about documents and 4 more per target."""
    asked = {row["doc_id"] for row in rows}
    docs = []
    for language_docs in crosslingual_corpus.archive().values():
        if limit:
            others = [d for d in language_docs if d.doc_id not in asked][: 4 * limit]
            language_docs = [d for d in language_docs if d.doc_id in asked] + others
        docs.extend(language_docs)
    return docs


def summary(ranks: list[int | None]) -> dict[str, Any]:
    n = len(ranks)
    return {
        "questions": n,
        f"recall@{RECALL_AT}": round(sum(r is not None and r <= RECALL_AT for r in ranks) / n, 4)
        if n
        else None,
        "mrr@10": round(sum(1 / r for r in ranks if r) / n, 4) if n else None,
    }


def run_model(
    model: str, docs: list[public_data.Doc], rows: list[dict[str, Any]], tag: str
) -> dict[str, Any]:
    from newsdesk.index.app import Newsdesk
    from newsdesk.index.config import Settings

    root = DATA / f"index-crosslingual{tag}-{model}"
    articles = root / "articles"
    if articles.exists():  # the archive is a fixed draw: rewrite it only if it differs
        wanted = {f"{d.doc_id}.txt" for d in docs}
        for stale in {p.name for p in articles.glob("*.txt")} - wanted:
            (articles / stale).unlink()
    public_data.write(docs, articles)
    settings = Settings(
        articles_dir=articles, data_dir=root / "data", llm="extractive", embeddings=model
    )
    desk = Newsdesk(settings)
    build = desk.build().to_json()
    build.pop("added_ids")
    retriever = desk.engine(backend="extractive").retriever
    retriever.search("warm-up", 5)
    ranks: dict[tuple[str, str, str, str], list[int | None]] = defaultdict(list)
    times: list[float] = []
    for row in rows:
        for language, question in row["questions"].items():
            kind = "same" if language == row["doc_language"] else "cross"
            for mode in MODES:
                started = time.perf_counter()
                _, hits = retriever.search(question, CHUNKS_ASKED, mode=mode)
                if mode == "hybrid":
                    times.append((time.perf_counter() - started) * 1000)
                found = list(dict.fromkeys(str(h.meta["doc_id"]) for h in hits))[:DEPTH]
                rank = found.index(row["doc_id"]) + 1 if row["doc_id"] in found else None
                pair = f"{language}->{row['doc_language']}"
                for split in (row["split"], "all"):
                    ranks[(split, mode, kind, "any")].append(rank)
                    ranks[(split, mode, kind, pair)].append(rank)
    desk.close()
    result: dict[str, Any] = {
        "build": build,
        "retrieve_ms_p50": p50(times),
        "retrieve_ms_p95": p95(times),
    }
    for (split, mode, kind, pair), got in sorted(ranks.items(), key=lambda item: item[0]):
        by_kind = result.setdefault(split, {}).setdefault(mode, {}).setdefault(kind, {})
        by_kind[pair] = summary(got)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="targets per language (a quick check)")
    parser.add_argument("--models", default="minilm,e5", help="comma-separated models")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    began = time.perf_counter()
    rows = questions(args.limit)
    docs = archive(args.limit, rows)
    tag = f"-limit{args.limit}" if args.limit else ""
    models = {}
    for model in args.models.split(","):
        models[model] = run_model(model, docs, rows, tag)
        test = models[model]["test"]["hybrid"]
        print(
            f"{model}: test recall@{RECALL_AT} cross {test['cross']['any'][f'recall@{RECALL_AT}']}"
            f" same {test['same']['any'][f'recall@{RECALL_AT}']}",
            flush=True,
        )
    if args.out.exists():  # a subset of the models re-run: keep the others' figures
        earlier = json.loads(args.out.read_text())
        if earlier.get("limit") == args.limit:
            models = earlier["models"] | models
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "limit": args.limit,
        "documents": len(docs),
        "questions": len(rows),
        "pairs": sum(len(r["questions"]) for r in rows),
        "models": models,
        "bench_seconds": round(time.perf_counter() - began, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
