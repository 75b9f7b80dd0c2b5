"""Asking a question set over the archive of all public documents, per backend.

What capitals.py, traps.py and followups.py share: their command-line options, the index they
ask over (bench/data/index-all, built incrementally when missing or stale; with --limit, a
small one holding the documents the sampled questions need and some distractors), the loop
over backends, and the result file.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import public_data
from common import default_model, machine
from public_data import Doc

BACKENDS = ("extractive", "llama-cpp")
DISTRACTORS = 200  # other documents in a --limit index


def options(description: str, out: Path) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--backend", action="append", choices=BACKENDS)
    parser.add_argument("--limit", type=int, help="N questions over a small index (a check)")
    parser.add_argument("--split", choices=("dev", "test"), help="only this split")
    parser.add_argument("--llm-model", type=Path, help="GGUF for the default backend")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=out)
    return parser


def with_distractors(wanted: set[str], pool: Iterable[Doc]) -> list[Doc]:
    """The documents of `pool` whose ids are wanted, then DISTRACTORS others."""
    pool = list(pool)
    return [d for d in pool if d.doc_id in wanted] + [d for d in pool if d.doc_id not in wanted][
        :DISTRACTORS
    ]


def run(
    args: argparse.Namespace,
    items: list[Any],
    evaluate: Callable[[Any, str, list[Any]], dict[str, Any]],
    needs: Callable[[list[Any]], list[Doc]],
) -> None:
    """Ask `items` with each backend (`evaluate(app, backend, items)`) and write the results;
    with --limit, over a small index of `needs(sampled items)`."""
    from newsdesk.index.app import Newsdesk
    from newsdesk.index.config import Settings

    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        if args.limit:
            items = random.Random(args.seed).sample(items, args.limit)
            docs, root = needs(items), Path(tmp)
        else:
            docs, root = public_data.mixed(args.seed), public_data.DATA / "index-all"
        public_data.write(docs, root / "articles")  # unchanged files keep their hash
        settings = Settings(
            articles_dir=root / "articles",
            data_dir=root / "data",
            llm_model=args.llm_model or default_model(),
        )
        app = Newsdesk(settings)
        build = app.build().to_json()
        print(f"index: {build['chunks']} chunks, {build['embedded']} embedded now", flush=True)
        backends = {}
        for backend in args.backend or BACKENDS:
            backends[backend] = evaluate(app, backend, items)
            summary = {k: v for k, v in backends[backend].items() if k != "rows"}
            print(f"{backend}: {json.dumps(summary)}", flush=True)
        app.close()
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "index": {"documents": len(docs), "chunks": build["chunks"], "limit": args.limit},
        "backends": backends,
        "bench_seconds": round(time.perf_counter() - began, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")
