"""Follow-up questions in conversations over public news: answered as well as when asked alone?

    .venv/bin/python bench/followups.py             # 64 conversations over all 15,975 documents
    .venv/bin/python bench/followups.py --limit 4   # 4 conversations over a small index: a check

The conversations (bench/followups.jsonl) were written by reading BBC News and world-news
articles the benchmarks install: two or three turns each, whose follow-ups drop the topic
("and what did the union say?"), use a pronoun ("why did he resign?"), name a new subject
("and what about Lufthansa?") or ask what no article answers. Every follow-up also has the
standalone form a careful person would write. Each conversation is in the dev or the test split
by a hash of its id (common.split_of), fixed before anything was tuned.

Figures per split: key-fact recall of the follow-ups asked in the conversation, and of the same
questions asked standalone (same run); refusal accuracy on unanswerable follow-ups; the share of
quoted fallbacks whose quotes name none of the follow-up's subjects; and what resolving a
follow-up costs (no model: microseconds). Results go to bench/results/followups.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import archive  # noqa: E402
import public_data  # noqa: E402
from common import p50, p95, split_of  # noqa: E402

CONVERSATIONS = BENCH / "followups.jsonl"


def load() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in CONVERSATIONS.read_text(encoding="utf-8").splitlines()]
    for c in rows:
        c["split"] = split_of(c["id"])
    return rows


def facts(turn: dict[str, Any], answer: Any) -> list[bool]:
    text = answer.text.casefold() if answer.answered else ""
    return [any(a.casefold() in text for a in group) for group in turn["key_facts"]]


def off_subject(question: str, answer: Any) -> bool:
    """A quoted fallback none of whose quotes (or their titles) name what the question names."""
    from newsdesk.index.claims import Vocabulary
    from newsdesk.index.conversation import subjects

    wanted = subjects(question)
    if not answer.fallback or not wanted:
        return False
    return not any(
        any(Vocabulary([c.quote, c.title]).knows(w) for w in wanted) for c in answer.citations
    )


def evaluate(app: Any, backend: str, conversations: list[dict[str, Any]]) -> dict[str, Any]:
    from newsdesk.index.conversation import resolve

    engine = app.engine(backend=backend)
    engine.ask(conversations[0]["turns"][0]["question"])  # warm up
    rows, resolve_us = [], []
    for c in conversations:
        history: list[Any] = []
        for k, turn in enumerate(c["turns"]):
            started = time.perf_counter()
            resolved = resolve(turn["question"], history)
            resolve_us.append((time.perf_counter() - started) * 1e6)
            answer = engine.ask(turn["question"], history=history)
            history.append(answer.turn())
            if k == 0:
                continue
            alone = engine.ask(turn["standalone"])
            rows.append(
                {
                    "id": c["id"],
                    "split": c["split"],
                    "turn": k + 1,
                    "kind": turn.get("kind", c["kind"]),
                    "answerable": turn["answerable"],
                    "question": turn["question"],
                    "query": resolved.query,
                    "answered": answer.answered,
                    "facts": facts(turn, answer),
                    "standalone_answered": alone.answered,
                    "standalone_facts": facts(turn, alone),
                    "off_subject": off_subject(resolved.standalone, answer),
                    "fallback": answer.fallback,
                    "answer": answer.text,
                    "cited": [x.doc_id for x in answer.citations],
                    "ms": round(answer.timings_ms["total"]),
                }
            )
    result: dict[str, Any] = {"backend": engine.backend_name}
    for split in ("dev", "test"):
        if part := [r for r in rows if r["split"] == split]:
            result[split] = summarise(part)
    result["resolve_us_p50"] = p50(resolve_us)
    result["rows"] = rows
    return result


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    fallbacks = [r for r in rows if r["fallback"]]

    def recall(key: str) -> float | None:
        found = [f for r in answerable for f in r[key]]
        return round(sum(found) / len(found), 4) if found else None

    return {
        "follow_ups": len(rows),
        "key_fact_recall": recall("facts"),
        "standalone_key_fact_recall": recall("standalone_facts"),
        "refusal_accuracy": round(
            sum(not r["answered"] for r in unanswerable) / len(unanswerable), 4
        )
        if unanswerable
        else None,
        "fallbacks": len(fallbacks),
        "fallbacks_off_subject": sum(r["off_subject"] for r in fallbacks),
        "answer_ms_p50": p50([r["ms"] for r in rows]),
        "answer_ms_p95": p95([r["ms"] for r in rows]),
    }


def main() -> None:
    out = BENCH / "results" / "followups.json"
    args = archive.options(__doc__.split("\n\n")[0], out).parse_args()
    conversations = [c for c in load() if c["split"] == (args.split or c["split"])]

    def needs(sample: list[dict[str, Any]]) -> list[public_data.Doc]:
        news = [*public_data.bbc(), *public_data.world_news()]
        return archive.with_distractors({t["doc_id"] for c in sample for t in c["turns"]}, news)

    archive.run(args, conversations, evaluate, needs)


if __name__ == "__main__":
    main()
