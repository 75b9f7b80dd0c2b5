"""Adversarial questions over public news: is an answer ever wrong while it looks checked?

    .venv/bin/python bench/traps.py             # 160 traps over all 15,975 documents
    .venv/bin/python bench/traps.py --limit 8   # 8 traps over a small index: a check

The questions (bench/traps_bbc.jsonl, bench/traps_world.jsonl) were written by reading the BBC
News and world-news articles the benchmarks install, each label checked against the article
text: yes/no questions whose answer by the text is "no", questions about X whose closest
passage is about Y, numbers and dates, who said what, and questions nothing in the archive
answers. Every question is in the dev or the test split by a hash of its id (common.split_of),
fixed before anything was tuned; the README reports the test split.

The headline figure is the wrong-but-cited rate: answers that carry citations and whose own
words (quotes left out: those are the articles' words) match a label's wrong answer. Results go
to bench/results/traps.json; bench/README.md says how each figure is produced.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import archive  # noqa: E402
import public_data  # noqa: E402
from common import own_words, p50, p95, split_of  # noqa: E402

QUESTIONS = (BENCH / "traps_bbc.jsonl", BENCH / "traps_world.jsonl")


def load() -> list[dict[str, Any]]:
    questions = []
    for path in QUESTIONS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = json.loads(line)
                q["split"] = split_of(q["id"])
                questions.append(q)
    return questions


def judge(q: dict[str, Any], answered: bool, text: str, cited: bool) -> dict[str, bool]:
    """Right, and wrong while cited, for one answer to one trap."""
    said = own_words(text)
    wrong = answered and any(re.search(p, said.strip(), re.I) for p in q["wrong"])
    if q["answerable"]:
        facts = all(any(a.casefold() in text.casefold() for a in group) for group in q["key_facts"])
        right = answered and facts and not wrong
    else:
        right = not answered
    return {"right": right, "wrong_but_cited": wrong and cited}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    unanswerable = [r for r in rows if not r["answerable"]]
    return {
        "questions": n,
        "correct": round(sum(r["right"] for r in rows) / n, 4),
        "wrong_but_cited": round(sum(r["wrong_but_cited"] for r in rows) / n, 4),
        "refusal_accuracy": round(
            sum(not r["answered"] for r in unanswerable) / len(unanswerable), 4
        )
        if unanswerable
        else None,
        "answered_when_answerable": round(
            sum(r["answered"] for r in rows if r["answerable"]) / max(1, n - len(unanswerable)), 4
        ),
        "fallback_to_quotes": round(sum(bool(r["fallback"]) for r in rows) / n, 4),
        "answer_ms_p50": p50([r["ms"] for r in rows]),
        "answer_ms_p95": p95([r["ms"] for r in rows]),
        "by_kind": {
            kind: round(sum(r["right"] for r in group) / len(group), 4)
            for kind in sorted({r["kind"] for r in rows})
            if (group := [r for r in rows if r["kind"] == kind])
        },
    }


def evaluate(app: Any, backend: str, questions: list[dict[str, Any]]) -> dict[str, Any]:
    engine = app.engine(backend=backend)
    engine.ask(questions[0]["question"])  # warm up: model load, keyword index, Chroma pages
    rows = []
    for q in questions:
        answer = engine.ask(q["question"])
        verdict = judge(q, answer.answered, answer.text, bool(answer.citations))
        rows.append(
            {
                "id": q["id"],
                "split": q["split"],
                "kind": q["kind"],
                "answerable": q["answerable"],
                "question": q["question"],
                "answered": answer.answered,
                **verdict,
                "answer": answer.text,
                "cited": [c.doc_id for c in answer.citations],
                "dropped": [d.to_json() for d in answer.dropped],
                "fallback": answer.fallback,
                "ms": round(answer.timings_ms["total"]),
                "verify_ms": round(answer.timings_ms.get("verify", 0)),
            }
        )
    result: dict[str, Any] = {"backend": engine.backend_name}
    for split in ("dev", "test"):
        part = [r for r in rows if r["split"] == split]
        if part:
            result[split] = summarise(part)
    verify = [r["verify_ms"] for r in rows if r["verify_ms"]]
    result["verify_ms_p50"] = p50(verify) if verify else None
    result["rows"] = rows
    return result


def main() -> None:
    args = archive.options(__doc__.split("\n\n")[0], BENCH / "results" / "traps.json").parse_args()
    questions = [q for q in load() if q["split"] == (args.split or q["split"])]

    def needs(sample: list[dict[str, Any]]) -> list[public_data.Doc]:
        news = [*public_data.bbc(), *public_data.world_news()]
        return archive.with_distractors({q["doc_id"] for q in sample}, news)

    archive.run(args, questions, evaluate, needs)


if __name__ == "__main__":
    main()
