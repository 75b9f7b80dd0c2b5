"""The index the news-desk benchmarks (stories.py, time_questions.py) share.

Every world-news article a label names (the 32 stories and their near misses in
bench/stories_labels.jsonl, the gold articles of bench/time_questions.jsonl and the
out-of-window ones their notes name) plus DISTRACTORS other world-news articles drawn with a
fixed seed, written as files and indexed with newsdesk's own build into
bench/data/index-news/ (git-ignored; incremental, so a second run embeds nothing).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import public_data

BENCH = Path(__file__).resolve().parent
ROOT = public_data.DATA / "index-news"
DISTRACTORS = 600
SEED = 0


def labelled_ids() -> set[str]:
    wanted: set[str] = set()
    for line in (BENCH / "stories_labels.jsonl").read_text().splitlines():
        row = json.loads(line)
        wanted |= set(row["doc_ids"]) | set(row.get("near_misses", []))
    for line in (BENCH / "time_questions.jsonl").read_text().splitlines():
        row = json.loads(line)
        wanted |= set(row["gold"]) | set(re.findall(r"world-\d{4}", row.get("note", "")))
    return wanted


def open_desk(limit: int | None = None) -> Any:
    """The benchmark's `Newsdesk`, its index brought up to date (with `limit`, a small
    throwaway one: the first `limit` labelled articles and as many distractors)."""
    from newsdesk.index.app import Newsdesk
    from newsdesk.index.config import Settings

    docs = public_data.world_news()
    wanted = labelled_ids()
    others = [d for d in docs if d.doc_id not in wanted]
    chosen = [d for d in docs if d.doc_id in wanted]
    distractors = random.Random(SEED).sample(others, DISTRACTORS)
    root = ROOT
    if limit:  # the timeline-labelled stories' articles first: the smoke test checks them
        timeline = {
            json.loads(line)["doc_id"]
            for line in (BENCH / "timeline_labels.jsonl").read_text().splitlines()
        }
        chosen.sort(key=lambda d: d.doc_id not in timeline)
        chosen, distractors, root = (
            chosen[:limit],
            distractors[:limit],
            ROOT.with_name("index-news-small"),
        )
    articles = root / "articles"
    keep = {f"{d.doc_id}.txt" for d in [*chosen, *distractors]}
    articles.mkdir(parents=True, exist_ok=True)
    for stale in articles.glob("*.txt"):
        if stale.name not in keep:
            stale.unlink()
    public_data.write([*chosen, *distractors], articles)
    desk = Newsdesk(Settings(articles_dir=articles, data_dir=root / "data", llm="extractive"))
    stats = desk.build(progress=True)
    print(f"index-news: {stats.chunks} chunks, {stats.embedded} embedded now", flush=True)
    return desk
