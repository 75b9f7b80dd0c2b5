"""Scale: index 1k, 5k and all ~16k public documents (news, Wikipedia); time what users wait for.

    .venv/bin/python bench/scale.py                     # 1,000 / 5,000 / 15,975 docs, ~40 min
    .venv/bin/python bench/scale.py --sizes 30 60 --default-answers 1   # a check that it runs

For each size, a fresh build of the first N documents of one seeded shuffle of BBC News, world
news and Wikipedia leads (so every size has the same mix), in a child process; then a second
child loads the index as `newsdesk ask` would and times a fixed set of questions that is the same
at every size. Results go to bench/results/scale.json and the plot to bench/results/scale.png;
bench/README.md says how each figure is produced. The largest index is kept in
bench/data/index-all/ for bench/capitals.py.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import public_data  # noqa: E402
from common import (  # noqa: E402
    default_model,
    dir_bytes,
    machine,
    p50,
    p95,
    peak_rss_bytes,
    run_child,
)

SIZES = (1000, 5000, 0)  # 0: every document
QUESTIONS_NEWS = 100  # headlines of news articles among the first 1,000 documents
EXTRACTIVE_ANSWERS = 40
DEFAULT_ANSWERS = 10
CHANGED_RUNS = 3  # rebuilds after one article changed, per size


def questions(docs: list[public_data.Doc], smallest: int) -> list[str]:
    """The same questions at every size: the capital questions, and headlines of news articles
    that the smallest index already holds."""
    wiki = [d for d in docs if d.doc_id.startswith("wiki-")]
    capitals = [q.question for q in public_data.capital_questions(wiki)]
    news = [d.title for d in docs[:smallest] if not d.doc_id.startswith("wiki-")]
    return news[:QUESTIONS_NEWS] + capitals


def settings_for(root: Path, llm_model: Path | None = None) -> Any:
    from newsdesk.index.config import Settings

    return Settings(
        articles_dir=root / "articles",
        data_dir=root / "data",
        llm="extractive",
        llm_model=llm_model or default_model(),
    )


def build_worker(root: Path, size: int, seed: int) -> dict[str, Any]:
    """A fresh build of the first `size` documents, in this (child) process."""
    from newsdesk.index.app import Newsdesk

    shutil.rmtree(root, ignore_errors=True)
    docs = public_data.mixed(seed)
    written = public_data.write(docs[: size or None], root / "articles")
    settings = settings_for(root)
    app = Newsdesk(settings)
    stats = app.build().to_json()
    stats.pop("added_ids")
    app.close()
    stats["documents"] = written
    stats["peak_rss_bytes"] = peak_rss_bytes()
    stats["disk_bytes"], stats["disk_apparent_bytes"] = dir_bytes(settings.data_dir)
    stats["one_changed"] = one_changed(settings)
    return stats


def one_changed(settings: Any, runs: int = CHANGED_RUNS) -> dict[str, Any]:
    """Rebuilds after one article changed, each by a fresh `Newsdesk` as `newsdesk index`
    runs: build seconds and the part spent publishing (clusters, stories, keyword index)."""
    from newsdesk.index.app import Newsdesk
    from newsdesk.index.build import Builder

    publishing: list[float] = []
    publish = Builder._publish

    def timed(self: Any) -> None:
        began = time.perf_counter()
        publish(self)
        publishing.append(time.perf_counter() - began)

    Builder._publish = timed
    edited = min(settings.articles_dir.iterdir())
    original = edited.read_bytes()
    seconds, embedded = [], []
    try:
        for n in range(1, runs + 1):
            edited.write_bytes(original + f"\n\nScale bench edit {n}.\n".encode())
            app = Newsdesk(settings)
            stats = app.build()
            app.close()
            seconds.append(stats.seconds)
            embedded.append(stats.embedded)
    finally:
        edited.write_bytes(original)
        Builder._publish = publish
    app = Newsdesk(settings)
    app.build()
    app.close()
    return {
        "runs": runs,
        "seconds_median": p50(seconds),
        "publish_seconds_median": p50(publishing[:runs]),
        "embedded": embedded,
    }


def serve_worker(
    root: Path, asked: list[str], default_answers: int, llm_model: Path | None
) -> dict[str, Any]:
    """Load the index as `newsdesk ask` does, then time retrieval and answers."""
    from newsdesk.index.app import Newsdesk

    app = Newsdesk(settings_for(root, llm_model))
    started = time.perf_counter()
    engine = app.engine(backend="extractive")
    engine.ask(asked[0])  # first question: model session, keyword index, Chroma pages
    first_ms = (time.perf_counter() - started) * 1000
    retrieve_ms = []
    for question in asked:
        began = time.perf_counter()
        engine.retriever.search(question, app.settings.top_k)
        retrieve_ms.append((time.perf_counter() - began) * 1000)
    extractive_ms = [engine.ask(q).timings_ms["total"] for q in asked[:EXTRACTIVE_ANSWERS]]
    rss_extractive = peak_rss_bytes()
    result: dict[str, Any] = {
        "questions": len(asked),
        "first_answer_ms": round(first_ms, 1),
        "retrieve_ms_p50": p50(retrieve_ms),
        "retrieve_ms_p95": p95(retrieve_ms),
        "extractive_answers": len(extractive_ms),
        "extractive_answer_ms_p50": p50(extractive_ms),
        "extractive_answer_ms_p95": p95(extractive_ms),
        "peak_rss_bytes_extractive": rss_extractive,
    }
    if default_answers:
        engine = app.engine(backend="llama-cpp")
        engine.ask(asked[0])  # load the model
        default_ms = [engine.ask(q).timings_ms["total"] for q in asked[1 : default_answers + 1]]
        result |= {
            "default_backend": engine.backend_name,
            "default_answers": len(default_ms),
            "default_answer_ms_p50": p50(default_ms),
            "peak_rss_bytes_with_llm": peak_rss_bytes(),
        }
    app.close()
    return result


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    docs = [r["build"]["documents"] for r in rows]
    fig, (latency, memory) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, label in (("retrieve_ms_p50", "retrieval p50"), ("retrieve_ms_p95", "retrieval p95")):
        latency.plot(docs, [r["serve"][key] for r in rows], marker="o", label=label)
    latency.plot(
        docs,
        [r["serve"]["extractive_answer_ms_p50"] for r in rows],
        marker="s",
        label="extractive answer p50",
    )
    latency.axhline(100, color="grey", linestyle=":", label="100 ms goal (retrieval p95)")
    latency.set(xlabel="documents indexed", ylabel="milliseconds", title="Latency")
    mib = 2**20
    for where, key, label in (
        ("build", "peak_rss_bytes", "build peak RSS"),
        ("serve", "peak_rss_bytes_extractive", "answering peak RSS (extractive)"),
        ("build", "disk_bytes", "index on disk"),
    ):
        memory.plot(docs, [r[where][key] / mib for r in rows], marker="o", label=label)
    memory.set(xlabel="documents indexed", ylabel="MiB", title="Memory and disk")
    for axes in (latency, memory):
        axes.set_xscale("log")
        axes.set_xticks(docs, [f"{n:,}" for n in docs])
        axes.minorticks_off()
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
    cores = rows[0].get("cores", "?")
    fig.suptitle(f"newsdesk at scale: BBC + world news + Wikipedia leads ({cores} CPU cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def growth(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Largest ÷ smallest, for the corpus and for each resource: memory should not grow faster."""
    first, last = rows[0], rows[-1]
    ratio: dict[str, float] = {
        "documents": last["build"]["documents"] / first["build"]["documents"],
        "chunks": last["build"]["chunks"] / first["build"]["chunks"],
        "build_peak_rss": last["build"]["peak_rss_bytes"] / first["build"]["peak_rss_bytes"],
        "answering_peak_rss": last["serve"]["peak_rss_bytes_extractive"]
        / first["serve"]["peak_rss_bytes_extractive"],
        "disk": last["build"]["disk_bytes"] / first["build"]["disk_bytes"],
        "retrieve_ms_p95": last["serve"]["retrieve_ms_p95"] / first["serve"]["retrieve_ms_p95"],
    }
    return {k: round(v, 2) for k, v in ratio.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="0: all")
    parser.add_argument("--default-answers", type=int, default=DEFAULT_ANSWERS)
    parser.add_argument("--llm-model", type=Path, help="GGUF for the default backend")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "scale.json")
    parser.add_argument("--worker", choices=["build", "serve"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--questions", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "build":
        print(json.dumps(build_worker(args.root, args.size, args.seed)))
        return
    if args.worker == "serve":
        asked = json.loads(args.questions.read_text())
        print(json.dumps(serve_worker(args.root, asked, args.default_answers, args.llm_model)))
        return

    began = time.perf_counter()
    docs = public_data.mixed(args.seed)
    sizes = sorted(args.sizes, key=lambda n: n or len(docs))
    asked = questions(docs, sizes[0] or len(docs))
    me = [sys.executable, str(Path(__file__).resolve())]
    rows = []
    with tempfile.TemporaryDirectory(prefix="newsdesk-scale-") as tmp:
        question_file = Path(tmp) / "questions.json"
        question_file.write_text(json.dumps(asked))
        for size in sizes:
            largest = size == sizes[-1] and size in (0, len(docs))
            root = public_data.DATA / "index-all" if largest else Path(tmp) / f"size-{size}"
            common = ["--root", str(root), "--size", str(size), "--seed", str(args.seed)]
            build = run_child([*me, "--worker", "build", *common])
            build["chunks_per_s"] = round(build["chunks"] / build["seconds"], 2)
            answers = ["--default-answers", str(args.default_answers)]
            if args.llm_model:
                answers += ["--llm-model", str(args.llm_model)]
            serve = run_child(
                [*me, "--worker", "serve", *common, "--questions", str(question_file), *answers]
            )
            rows.append({"build": build, "serve": serve, "cores": machine()["cpu_count"]})
            print(
                f"{build['documents']} docs, {build['chunks']} chunks: build {build['seconds']} s,"
                f" retrieval p95 {serve['retrieve_ms_p95']} ms",
                flush=True,
            )
            if not largest:
                shutil.rmtree(root, ignore_errors=True)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "corpus": "BBC News + world news 2017 + Wikipedia leads, shuffled with seed "
        f"{args.seed}; {len(docs)} documents in all",
        "questions": {
            "news_headlines": sum(not q.startswith("What is the capital of") for q in asked),
            "capitals": sum(q.startswith("What is the capital of") for q in asked),
        },
        "sizes": rows,
        "largest_vs_smallest": growth(rows) if len(rows) > 1 else None,
        "bench_seconds": round(time.perf_counter() - began, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    plot(rows, args.out.with_suffix(".png"))
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
