"""Tiny runs of the benchmark scripts, so they cannot rot (the figures come from bench/)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, SAMPLE


def run(*args: str, cwd: Path) -> None:
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]


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
