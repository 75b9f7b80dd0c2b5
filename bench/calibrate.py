"""Map e5's cosines onto MiniLM's scale, where newsdesk's thresholds were set.

e5 scores almost any pair of texts 0.7-0.9, MiniLM spreads them over 0-1, so a threshold set on
one means nothing on the other. Both models score the same text pairs, and the cosines at
matching quantiles become the knots of a monotone map (`Embedder.calibrate`): a pair in e5's
top 1% scores what a pair in MiniLM's top 1% scores. Ranking is untouched; only thresholds move.

Two maps, on the dev halves of the question sets only:
- relevance: each dev question (traps, follow-ups' standalone forms, the sample QA set) against
  every sentence of its own article and of 100 other articles (question form against passage);
- similarity: sentence pairs within an article and across articles (passage against passage),
  as the support check, the timeline and story grouping compare texts.

    .venv/bin/python bench/calibrate.py             # prints the knots for index/embeddings.py
    .venv/bin/python bench/calibrate.py --limit 10  # 10 questions, 10 other articles: a check
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, machine, split_of
from public_data import Doc, bbc, world_news

from newsdesk.index.articles import load
from newsdesk.index.embeddings import E5Embedding, MiniLMEmbedding
from newsdesk.index.sentences import sentences

RESULTS = REPO / "bench" / "results" / "calibration.json"
# Finer at the top, where the thresholds sit.
QUANTILES: tuple[float, ...] = (0, 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97, 98, 99)
QUANTILES += (99.5, 99.7, 99.8, 99.9, 99.95, 100)
OTHERS = 100  # articles every question is scored against besides its own
MAX_SENTENCES = 15  # per article


def _questions() -> list[tuple[str, str]]:
    """(question, doc_id) of every dev question with one target article."""
    found = []
    for name in ("traps_bbc.jsonl", "traps_world.jsonl"):
        for line in (REPO / "bench" / name).read_text().splitlines():
            q = json.loads(line)
            if split_of(q["id"]) == "dev" and q.get("doc_id"):
                found.append((q["question"], q["doc_id"]))
    for line in (REPO / "bench" / "followups.jsonl").read_text().splitlines():
        c = json.loads(line)
        if split_of(c["id"]) == "dev":
            for turn in c["turns"]:
                if turn.get("doc_id"):
                    found.append((turn.get("standalone", turn["question"]), turn["doc_id"]))
    for line in (REPO / "bench" / "qa_dev.jsonl").read_text().splitlines():
        q = json.loads(line)
        if split_of(q["id"]) == "dev" and len(q.get("expected_docs") or []) == 1:
            found.append((q["question"], q["expected_docs"][0]))
    return found


def _sentences(text: str) -> list[str]:
    spans = sentences(text)
    found = [text[s.start : s.end] for s in spans if len(text[s.start : s.end].split()) >= 4]
    return found[:MAX_SENTENCES]


def _knots(raw: np.ndarray, reference: np.ndarray) -> tuple[list[float], list[float]]:
    a = np.percentile(raw, QUANTILES)
    b = np.percentile(reference, QUANTILES)
    a = np.maximum.accumulate(a + np.arange(len(a)) * 1e-6)  # strictly increasing for interp
    return [round(float(x), 4) for x in a], [round(float(x), 4) for x in b]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="questions and other articles (a quick check)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    docs: dict[str, Doc] = {d.doc_id: d for d in [*bbc(), *world_news()]}
    for path in sorted((REPO / "articles").glob("*.txt")):
        article = load(path)
        docs[article.doc_id] = Doc(article.doc_id, article.title, article.text, "")
    questions = [(q, d) for q, d in _questions() if d in docs][: args.limit]
    rng = random.Random(0)
    pool = sorted(docs)
    models = {"minilm": MiniLMEmbedding(), "e5": E5Embedding()}
    relevance: dict[str, list[np.ndarray]] = {name: [] for name in models}
    similarity: dict[str, list[np.ndarray]] = {name: [] for name in models}
    cache: dict[str, dict[str, np.ndarray]] = {name: {} for name in models}

    def passages(name: str, doc_id: str) -> np.ndarray:
        if doc_id not in cache[name]:
            texts = _sentences(docs[doc_id].body) or [docs[doc_id].title]
            cache[name][doc_id] = models[name].embed(texts)
        return cache[name][doc_id]

    others = rng.sample(pool, args.limit or OTHERS)
    for name, model in models.items():
        shared = np.concatenate([passages(name, d) for d in others])
        asked = model.embed_queries([q for q, _ in questions])
        for (_, doc_id), vector in zip(questions, asked, strict=True):
            relevance[name].append(passages(name, doc_id) @ vector)
            relevance[name].append(shared @ vector)
    for doc_id in sorted({d for _, d in questions}):
        other = rng.choice(others)
        for name in models:
            own = passages(name, doc_id)
            inside = own @ own.T
            similarity[name].append(inside[np.triu_indices(len(own), 1)])
            similarity[name].append((own @ passages(name, other).T).ravel())

    result: dict[str, Any] = {"quantiles": QUANTILES, "questions": len(questions)}
    result |= {"knots": {}, "pairs": {}}
    for kind, scores in (("relevance", relevance), ("similarity", similarity)):
        e5, minilm = np.concatenate(scores["e5"]), np.concatenate(scores["minilm"])
        result["knots"][kind] = _knots(e5, minilm)
        result["pairs"][kind] = len(e5)
        spearman = np.corrcoef(np.argsort(np.argsort(e5)), np.argsort(np.argsort(minilm)))[0, 1]
        result[f"{kind}_rank_correlation"] = round(float(spearman), 3)
    result["machine"] = machine()
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))


if __name__ == "__main__":
    main()
