"""Questions about time over the world-news archive: is the window right, do the answers
cite only articles inside it, are they right.

    .venv/bin/python bench/time_questions.py            # 55 questions, extractive, ~1 min
    .venv/bin/python bench/time_questions.py --limit 6  # a small throwaway index: a check

bench/time_questions.jsonl holds 55 questions written by hand (bench/TIME_QUESTIONS.md says
how): a subject and a time expression ("last week", "since 20 March", "in December 2016",
"after the Westminster attack", "latest on …"), the window the question means, the articles
inside it that answer it and key phrases of a right answer. The archive is the index of
bench/news_index.py; its newest article (2017-03-30) is the anchor, as the archive is older
than today. Per question:
- window: the engine's window equals the label's (both ends);
- inside: every citation is dated inside the label's window (an answer citing nothing
  counts as outside);
- correct: inside, and it cites a gold article or its text holds a key phrase.
The questions are split into dev and test by a hash of the question, fixed before tuning.
Answers are extractive (quotes, no model): what is measured is the window and retrieval.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import news_index
from common import machine
from stories import split

BENCH = Path(__file__).resolve().parent


def judge(row: dict[str, Any], answer: Any) -> dict[str, Any]:
    window = answer.window.to_json() if answer.window else {"since": None, "until": None}
    since, until = row["since"] or "0000", row["until"] or "9999"
    dates = [(c.date or "")[:10] for c in answer.citations]
    inside = bool(dates) and all(d and since <= d <= until for d in dates)
    cited = {c.doc_id for c in answer.citations}
    text = answer.text.lower()
    right = inside and (
        bool(cited & set(row["gold"])) or any(p.lower() in text for p in row["answer"])
    )
    return {
        "question": row["question"],
        "kind": row["kind"],
        "window_right": (window["since"], window["until"]) == (row["since"], row["until"]),
        "window": [window["since"], window["until"]],
        "label": [row["since"], row["until"]],
        "answered": answer.answered,
        "inside": inside,
        "correct": right,
        "cited": [[c.doc_id, (c.date or "")[:10]] for c in answer.citations],
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = max(1, len(rows))
    return {
        "questions": len(rows),
        "window_right": round(sum(r["window_right"] for r in rows) / n, 3),
        "answered": round(sum(r["answered"] for r in rows) / n, 3),
        "inside": round(sum(r["inside"] for r in rows) / n, 3),
        "correct": round(sum(r["correct"] for r in rows) / n, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="N questions over a small index")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "time_questions.json")
    args = parser.parse_args()
    began = time.perf_counter()
    questions = [json.loads(x) for x in (BENCH / "time_questions.jsonl").read_text().splitlines()]
    if args.limit:
        questions = questions[: args.limit]
    desk = news_index.open_desk(20 if args.limit else None)
    rows, seconds = [], []
    for row in questions:
        started = time.perf_counter()
        answer = desk.ask(row["question"])
        seconds.append(time.perf_counter() - started)
        rows.append(judge(row, answer) | {"split": split(row["question"])})
    desk.close()
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "backend": "extractive",
        "dev": summary([r for r in rows if r["split"] == "dev"]),
        "test": summary([r for r in rows if r["split"] == "test"]),
        "all": summary(rows),
        "by_kind": {
            kind: summary([r for r in rows if r["kind"] == kind])
            for kind in sorted({r["kind"] for r in rows})
        },
        "ask_s_p50": round(sorted(seconds)[len(seconds) // 2], 3),
        "rows": rows,
        "bench_seconds": round(time.perf_counter() - began, 1),
    }
    for part in ("dev", "test", "all"):
        print(part, json.dumps(result[part]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
