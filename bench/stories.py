"""The news desk on public data: stories, timeline dates, planted conflicts, speed.

    .venv/bin/python bench/stories.py             # ~1,200 world-news articles, ~6 min at first
    .venv/bin/python bench/stories.py --sweep     # also: grouping F1 of other settings, dev half
    .venv/bin/python bench/stories.py --limit 40  # a small throwaway index: a check that it runs

- **Story grouping**: bench/stories_labels.jsonl holds 32 stories (265 articles) and 155 near
  misses (same topic, another event), labelled by hand (bench/STORIES_LABELS.md says how). The
  index (bench/news_index.py) holds them among 600 other world-news articles; the stories
  are the ones `newsdesk index` stored. Pairwise precision, recall and F1 over the labelled
  articles (a pair is "same story" in the gold when both are in one labelled story).
- **Timeline dates**: bench/timeline_labels.jsonl holds 128 sentences of 5 stories with the
  date of the event each reports (or none). Event-date F1: a predicted date counts when it
  equals the label; a wrong date is a false positive and a false negative.
- **Timelines verbatim**: every line of every labelled story's timeline is checked against
  its article's text as the catalog holds it.
- **Planted conflicts**: a copy of a real article is written with one number, year, name or
  statement changed (a denial) and compared with the original as another outlet; recall =
  planted conflicts found, precision = found conflicts between the two that are the planted
  one (the copy is otherwise identical, so any other is false).
- **Speed**: timeline and compare of a 10-article story, whole call, median of 5; and the
  build after one new article (how many articles were regrouped).

Labels are split into dev and test by a hash of the story label (the time-question set by
question), fixed before tuning; parameters were set on dev, test is the headline.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import statistics
import time
from datetime import UTC, date, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import news_index
from common import machine

BENCH = Path(__file__).resolve().parent


def split(key: str) -> str:
    return "dev" if int(hashlib.sha1(key.encode()).hexdigest(), 16) % 2 == 0 else "test"


def pairwise(assigned: dict[str, str], stories: list[dict[str, Any]]) -> dict[str, Any]:
    gold = {d: s["story"] for s in stories for d in s["doc_ids"]}
    docs = sorted({*gold, *(d for s in stories for d in s.get("near_misses", []))} & set(assigned))
    tp = fp = fn = 0
    for a, b in combinations(docs, 2):
        same_gold = a in gold and gold.get(a) == gold.get(b)
        same_pred = assigned[a] == assigned[b]
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    precision = tp / max(1, tp + fp)
    recall = tp / max(1, tp + fn)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    return {
        "articles": len(docs),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
    }


def grouping(desk: Any, stories: list[dict[str, Any]], sweep: bool) -> dict[str, Any]:
    assigned = {s.doc_id: s.story or s.doc_id for s in desk.sources()}
    result: dict[str, Any] = {}
    for part in ("dev", "test"):
        chosen = [s for s in stories if split(s["story"]) == part]
        result[part] = {"stories": len(chosen), **pairwise(assigned, chosen)}
    result["all"] = {"stories": len(stories), **pairwise(assigned, stories)}
    if sweep:
        result["sweep_dev"] = _sweep(desk, [s for s in stories if split(s["story"]) == "dev"])
    return result


def _sweep(desk: Any, dev: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dev F1 of other thresholds, name weights and windows, regrouping the stored vectors."""
    import numpy as np

    from newsdesk.index import stories as grouping_module

    saved_weight = grouping_module.NAMES_WEIGHT
    rows = desk.catalog.story_rows()
    inputs = {r[0]: r for r in desk.catalog.grouping_inputs(10)}
    out = []
    for weight in (0.0, 0.15, 0.25, 0.35):
        for threshold in (0.55, 0.6, 0.65, 0.7, 0.75, 0.8):
            for window in (3, 7):
                grouping_module.NAMES_WEIGHT = weight
                items = [
                    grouping_module._item(inputs[d], np.frombuffer(v, dtype=np.float32), n.split())
                    for d, (_, _, v, n) in rows.items()
                    if d in inputs
                ]
                assigned = grouping_module.group(items, threshold=threshold, window_days=window)
                out.append(
                    {"names_weight": weight, "threshold": threshold, "window": window}
                    | pairwise(assigned, dev)
                )
    grouping_module.NAMES_WEIGHT = saved_weight
    out.sort(key=lambda r: -r["f1"])
    return out[:12]


def timeline_dates(labels: list[dict[str, Any]]) -> dict[str, Any]:
    from newsdesk.index.when import event_date

    result: dict[str, Any] = {}
    for part in ("dev", "test", "all"):
        rows = [r for r in labels if part == "all" or split(r["story"]) == part]
        tp = fp = fn = 0
        misses = []
        for r in rows:
            found = event_date(r["sentence"], date.fromisoformat(r["published"]))
            predicted = found.value if found else None
            if predicted is not None and predicted == r["date"]:
                tp += 1
                continue
            fp += predicted is not None
            fn += r["date"] is not None
            if predicted != r["date"]:
                misses.append(
                    {"sentence": r["sentence"][:160], "label": r["date"], "got": predicted}
                )
        precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
        result[part] = {
            "sentences": len(rows),
            "dated": sum(1 for r in rows if r["date"]),
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(2 * precision * recall / max(1e-9, precision + recall), 3),
            "right_including_undated": round(1 - len(misses) / max(1, len(rows)), 3),
        }
        if part == "test":
            result[part]["misses"] = misses
    return result


def verbatim(
    desk: Any, stories: list[dict[str, Any]], labels: list[dict[str, Any]]
) -> dict[str, Any]:
    """Every timeline line of the stories the timeline labels use, checked against the catalog."""
    from newsdesk.index import coverage, timeline

    wanted = {r["story"] for r in labels}
    of_doc = {s.doc_id: s.story for s in desk.sources()}
    lines = verified = 0
    dated = {"event": 0, "published": 0, "undated": 0}
    for story in stories:
        if story["story"] not in wanted:
            continue
        for sid in {of_doc[d] for d in story["doc_ids"] if d in of_doc}:
            found = desk.story(sid)
            built = timeline.build(
                found, coverage.read(desk.store, sid), desk.embedder, per_page=10_000
            )
            for line in built.lines:
                lines += 1
                dated[line.dated_by] += 1
                report = line.reports[0]
                verified += line.quote in (desk.catalog.text(report.doc_id) or "")
    return {"lines": lines, "verbatim": round(verified / max(1, lines), 4), "dated_by": dated}


# -- planted conflicts -------------------------------------------------------------------------

_NAMES_POOL = ["Johnson", "Martinez", "Okafor", "Lindqvist", "Tanaka", "Novak"]


def plant(sentence: str, kind: str, rng: random.Random) -> str | None:
    """`sentence` with one fact changed, or None when it has nothing of that kind."""
    if kind == "year":
        years = re.findall(r"\b(?:19|20)\d{2}\b", sentence)
        if years:
            y = rng.choice(years)
            return sentence.replace(y, str(int(y) - rng.choice((1, 2, 10))), 1)
    if kind == "number":
        nums = [m for m in re.finditer(r"(?<![\w.,])\d{1,3}(?:,\d{3})*(?![\w.,]\d)", sentence)
                if not re.fullmatch(r"(?:19|20)\d{2}", m.group())]  # fmt: skip
        if nums:
            m = rng.choice(nums)
            value = int(m.group().replace(",", ""))
            return (
                sentence[: m.start()] + f"{value + rng.choice((2, 3, 7, 10))}" + sentence[m.end() :]
            )
    if kind == "name":
        found = [m for m in re.finditer(r"(?<=[a-z,] )[A-Z][a-z]{3,}\b", sentence)]
        if found:
            picked = rng.choice(found)
            other = rng.choice([n for n in _NAMES_POOL if n != picked.group()])
            return sentence[: picked.start()] + other + sentence[picked.end() :]
    if kind == "denial":
        verb = re.search(
            r"\b(?:was|were|is|are|has|have|had|will|would|did|could)\b(?! not)", sentence
        )
        if verb:
            return sentence[: verb.end()] + " not" + sentence[verb.end() :]
    return None


def conflicts(desk: Any, stories: list[dict[str, Any]], trials: int) -> dict[str, Any]:
    from newsdesk.index import compare, coverage
    from newsdesk.index.stories import Story

    rng = random.Random(7)
    docs = [d for s in stories for d in s["doc_ids"]]
    rng.shuffle(docs)
    kinds = ("number", "year", "name", "denial")
    found = {k: [0, 0] for k in kinds}  # found, planted
    reported = correct = 0
    examples: list[dict[str, str]] = []
    wrong: list[dict[str, Any]] = []
    trials_done: list[dict[str, Any]] = []
    for doc_id in docs:
        if sum(n for _, n in found.values()) >= trials:
            break
        text = desk.catalog.text(doc_id)
        if not text or len(text) > 6000:
            continue
        kind = kinds[sum(n for _, n in found.values()) % len(kinds)]
        original = coverage.Report(doc_id, "original", "Outlet A", "2017-03-01", None, "", text)
        original.statements = coverage._statements(original)
        candidates = [s for s in original.statements[1:] if plant(s.text, kind, rng)]
        if not candidates:
            continue
        target = rng.choice(candidates)
        changed = plant(target.text, kind, rng)
        assert changed is not None
        copy_text = text.replace(target.text, changed, 1)
        copy = coverage.Report(
            doc_id + "-copy", "copy", "Outlet B", "2017-03-01", None, "", copy_text
        )
        copy.statements = coverage._statements(copy)
        story = Story(
            "s0000000",
            "planted",
            "2017-03-01",
            "2017-03-01",
            ("Outlet A", "Outlet B"),
            (doc_id, doc_id + "-copy"),
        )
        result = compare.build(story, [original, copy])
        found[kind][1] += 1
        hit = False
        right = 0
        for c in result.conflicts:
            reported += 1
            quotes = {side.quote for side in c.sides}
            if changed in quotes or target.text in quotes:
                correct += 1
                right += 1
                hit = True
            elif len(wrong) < 8:
                wrong.append({"kind": c.kind, "sides": [q[:160] for q in quotes]})
        found[kind][0] += hit
        trials_done.append(
            {"split": split(doc_id), "found": hit, "right": right}
            | {"reported": len(result.conflicts)}
        )
        if not hit and len(examples) < 8:
            examples.append({"kind": kind, "original": target.text[:200], "planted": changed[:200]})
    planted = sum(n for _, n in found.values())
    parts = {
        part: {
            "planted": len(rows),
            "recall": round(sum(r["found"] for r in rows) / max(1, len(rows)), 3),
            "precision": round(
                sum(r["right"] for r in rows) / max(1, sum(r["reported"] for r in rows)), 3
            ),
        }
        for part, rows in (
            ("dev", [t for t in trials_done if t["split"] == "dev"]),
            ("test", [t for t in trials_done if t["split"] == "test"]),
        )
    }
    return {
        "planted": planted,
        "recall": round(sum(f for f, _ in found.values()) / max(1, planted), 3),
        "precision": round(correct / max(1, reported), 3),
        **parts,
        "by_kind": {k: {"found": f, "planted": n} for k, (f, n) in found.items()},
        "missed": examples,
        "false": wrong[:8],
    }


# -- speed and incremental regrouping ---------------------------------------------------------


def speed(desk: Any, runs: int = 5) -> dict[str, Any]:
    stories = [s for s in desk.stories() if s.articles >= 10]
    story = min(stories, key=lambda s: s.articles) if stories else desk.stories()[0]
    timings: dict[str, list[float]] = {"timeline": [], "compare": []}
    desk.timeline(story.id)  # warm: the embedder's first call
    for _ in range(runs):
        for name, call in (("timeline", desk.timeline), ("compare", desk.compare)):
            began = time.perf_counter()
            call(story.id)
            timings[name].append(time.perf_counter() - began)
    return {
        "story": story.id,
        "articles": story.articles,
        **{f"{k}_s_p50": round(statistics.median(v), 3) for k, v in timings.items()},
    }


def incremental(desk: Any) -> dict[str, Any]:
    """Add one article (a copy of a labelled one under a new name), rebuild, and remove it."""
    from newsdesk.index import stories as grouping_module

    articles = desk.settings.articles_dir
    source = sorted(articles.glob("world-*.txt"))[0]
    before = {s.doc_id: s.story for s in desk.sources()}
    added = articles / "zz-incremental-probe.txt"
    calls: list[int] = []
    real = grouping_module.refresh

    def counting(catalog: Any, store: Any, embedder: Any) -> int:
        changed = real(catalog, store, embedder)
        calls.append(changed)
        return changed

    grouping_module.refresh = counting
    try:
        added.write_text(source.read_text().replace("title: ", "title: Probe ", 1))
        began = time.perf_counter()
        desk.build()
        seconds = time.perf_counter() - began
        after = {s.doc_id: s.story for s in desk.sources()}
    finally:
        added.unlink(missing_ok=True)
        desk.build()
        grouping_module.refresh = real
    moved = sum(1 for d, s in before.items() if after.get(d) != s)
    return {
        "articles": len(before),
        "build_s": round(seconds, 2),
        "story_changes": calls[0] if calls else None,
        "other_articles_moved": moved,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweep", action="store_true", help="dev F1 of other settings")
    parser.add_argument("--limit", type=int, help="a small index of N labelled articles")
    parser.add_argument("--trials", type=int, default=80, help="planted conflicts")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "stories.json")
    args = parser.parse_args()
    began = time.perf_counter()
    stories = [json.loads(x) for x in (BENCH / "stories_labels.jsonl").read_text().splitlines()]
    labels = [json.loads(x) for x in (BENCH / "timeline_labels.jsonl").read_text().splitlines()]
    desk = news_index.open_desk(args.limit)
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "index_articles": len(desk.sources()),
    }
    result["grouping"] = grouping(desk, stories, args.sweep)
    print(
        "grouping",
        json.dumps({k: v for k, v in result["grouping"].items() if k != "sweep_dev"}),
        flush=True,
    )
    result["timeline_dates"] = timeline_dates(labels)
    print(
        "timeline dates",
        json.dumps(
            {
                k: {x: y for x, y in v.items() if x != "misses"}
                for k, v in result["timeline_dates"].items()
            }
        ),
        flush=True,
    )
    result["timeline_verbatim"] = verbatim(desk, stories, labels)
    print("verbatim", json.dumps(result["timeline_verbatim"]), flush=True)
    result["conflicts"] = conflicts(desk, stories, 8 if args.limit else args.trials)
    print(
        "conflicts",
        json.dumps({k: v for k, v in result["conflicts"].items() if k != "missed"}),
        flush=True,
    )
    result["speed"] = speed(desk)
    print("speed", json.dumps(result["speed"]), flush=True)
    result["incremental"] = incremental(desk)
    print("incremental", json.dumps(result["incremental"]), flush=True)
    desk.close()
    result["bench_seconds"] = round(time.perf_counter() - began, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
