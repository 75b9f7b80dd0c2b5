"""Answer quality on the dev set (bench/qa_dev.jsonl), per backend, in one run.

    .venv/bin/python bench/eval_qa.py                       # extractive and llama-cpp
    .venv/bin/python bench/eval_qa.py --backend extractive  # one backend

Retrieval (hit@1, hit@3, MRR over the first expected article), key-fact recall, refusal
accuracy, citation precision (quote verbatim in the article and supporting the sentence that
cites it) and latency medians; results go to bench/results/qa.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

from common import p95, split_of  # noqa: E402

from newsdesk.index.app import Newsdesk  # noqa: E402
from newsdesk.index.config import Settings  # noqa: E402
from newsdesk.index.evidence import MIN_SUPPORT, content_words  # noqa: E402
from newsdesk.index.llm import DEFAULT_MODEL_FILE  # noqa: E402


def share(hits: list[bool]) -> float | None:
    """The fraction of True, or None when there is nothing to count."""
    return sum(hits) / len(hits) if hits else None


def retrieval_metrics(app: Newsdesk, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Rank of the first expected article among the retrieved chunks' articles, for the hybrid
    retriever newsdesk uses and for each of its two sides alone (same questions, same run)."""
    engine = app.engine(backend="extractive")
    engine.search("warm up")
    result: dict[str, Any] = {}
    for mode in ("hybrid", "dense", "keyword"):
        ranks, times = [], []
        for q in questions:
            started = time.perf_counter()
            _, hits = engine.retriever.search(q["question"], app.settings.top_k, mode=mode)
            times.append((time.perf_counter() - started) * 1000)
            if not q["answerable"]:
                continue
            docs = list(dict.fromkeys(str(h.meta["doc_id"]) for h in hits))
            found = [docs.index(d) + 1 for d in q["expected_docs"] if d in docs]
            ranks.append(min(found) if found else None)
        n = len(ranks) or 1
        result[mode] = {
            "questions": len(ranks),
            "hit@1": sum(r == 1 for r in ranks) / n,
            "hit@3": sum(r is not None and r <= 3 for r in ranks) / n,
            "mrr": sum(1 / r for r in ranks if r) / n,
            "retrieve_ms_p50": statistics.median(times),
            "retrieve_ms_p95": p95(times),
        }
    return result


def supports(app: Newsdesk, sentence: str, quote: str) -> bool:
    vectors = app.embedder.embed([sentence, quote])
    words = content_words(sentence)
    overlap = len(words & content_words(quote)) / max(1, len(words))
    return max(float(vectors[0] @ vectors[1]), overlap) >= MIN_SUPPORT


def evaluate(app: Newsdesk, backend: str, questions: list[dict[str, Any]]) -> dict[str, Any]:
    engine = app.engine(backend=backend)
    engine.ask("warm up: who is Ushakov?")
    rows, latencies = [], []
    verbatim = supported = cited = 0
    for q in questions:
        answer = engine.ask(q["question"])
        latencies.append(answer.timings_ms["total"])
        text = answer.text.lower()
        facts = q["key_facts"]
        hit = (
            [any(alt.lower() in text for alt in group) for group in facts]
            if answer.answered
            else [False] * len(facts)
        )
        for c in answer.citations:
            cited += 1
            verbatim += c.quote in (app.catalog.text(c.doc_id) or "")
            sentence = next(
                (s for s in re.split(r"(?<=\])\s+", answer.text) if f"[{c.n}]" in s), ""
            )
            supported += supports(app, re.sub(r"\[\d+\]", "", sentence), c.quote)
        rows.append(
            {
                "id": q["id"],
                "split": split_of(q["id"]),
                "type": q["type"],
                "answered": answer.answered,
                "should_answer": q["answerable"],
                "facts": hit,
                "answer": answer.text,
                "dropped": [d.to_json() for d in answer.dropped],
                "ms": round(answer.timings_ms["total"]),
                "verify_ms": round(answer.timings_ms.get("verify", 0)),
            }
        )
    verify = [r["verify_ms"] for r in rows if r["verify_ms"]]
    return {
        "backend": engine.backend_name,
        **summarise(rows),
        "dev": summarise([r for r in rows if r["split"] == "dev"]),
        "test": summarise([r for r in rows if r["split"] == "test"]),
        "citations": cited,
        "citation_verbatim": verbatim / cited if cited else None,
        "citation_supporting": supported / cited if cited else None,
        "answer_ms_p50": statistics.median(latencies),
        "answer_ms_p95": p95(latencies),
        "verify_ms_p50": statistics.median(verify) if verify else None,
        "rows": rows,
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if r["should_answer"]]
    unanswerable = [r for r in rows if not r["should_answer"]]
    return {
        "questions": len(rows),
        "key_fact_recall": share([fact for r in answerable for fact in r["facts"]]),
        "refusal_accuracy": share([not r["answered"] for r in unanswerable]),
        "answered_when_answerable": share([r["answered"] for r in answerable]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--backend", action="append", choices=["extractive", "llama-cpp", "ollama", "openai"]
    )
    parser.add_argument("--dev", type=Path, default=REPO / "bench" / "qa_dev.jsonl")
    parser.add_argument("--articles", type=Path, default=REPO / "articles")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "qa.json")
    parser.add_argument("--limit", type=int, help="only the first N questions (a smoke run)")
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.dev.read_text().splitlines() if line.strip()]
    questions = questions[: args.limit] if args.limit else questions
    with tempfile.TemporaryDirectory() as data_dir:
        joined = REPO / ".newsdesk" / "models" / DEFAULT_MODEL_FILE  # reuse, don't re-join
        model = os.environ.get("NEWSDESK_LLM_MODEL") or (joined if joined.exists() else None)
        settings = Settings.from_env(
            {}, articles_dir=args.articles, data_dir=Path(data_dir), llm_model=model and Path(model)
        )
        app = Newsdesk(settings)
        app.build()
        result: dict[str, Any] = {
            "date": time.strftime("%Y-%m-%d"),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "questions": len(questions),
            "retrieval": retrieval_metrics(app, questions),
            "backends": {
                b: evaluate(app, b, questions)
                for b in (args.backend or ["extractive", "llama-cpp"])
            },
        }
        app.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    for mode, figures in result["retrieval"].items():
        print(f"retrieval {mode}:", json.dumps(figures))
    for name, r in result["backends"].items():
        print(name + ":", json.dumps({k: v for k, v in r.items() if k != "rows"}))


if __name__ == "__main__":
    main()
