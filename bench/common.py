"""What the benchmark scripts share: percentiles, sizes, child processes, the machine."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def p50(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def p95(values: list[float]) -> float:
    """The nearest-rank 95th percentile."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3)


def dir_bytes(path: Path) -> tuple[int, int]:
    """(allocated, apparent) bytes: Chroma's HNSW files may be sparse, so both are honest."""
    files = [p.stat() for p in path.rglob("*") if p.is_file()]
    return sum(s.st_blocks * 512 for s in files), sum(s.st_size for s in files)


def peak_rss_bytes() -> int:
    """This process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def machine() -> dict[str, Any]:
    return {"cpu_count": os.cpu_count(), "python": platform.python_version()}


def child_env() -> dict[str, str]:
    """The environment without NEWSDESK_*/CHROMA_* settings, which could point elsewhere."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "CHROMA_"))}


def run_child(command: list[str], cwd: Path | None = None) -> dict[str, Any]:
    """Run a child that prints JSON on its last stdout line, and return that JSON."""
    done = subprocess.run(command, cwd=cwd, env=child_env(), capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def default_model() -> Path | None:
    """The default GGUF already joined by `scripts/demo` (in .newsdesk/), so a benchmark does
    not join and checksum another 1 GB copy; None lets newsdesk join it in the data dir."""
    from newsdesk.index.llm import DEFAULT_MODEL_FILE

    if os.environ.get("NEWSDESK_LLM_MODEL"):
        return Path(os.environ["NEWSDESK_LLM_MODEL"])
    joined = REPO / ".newsdesk" / "models" / DEFAULT_MODEL_FILE
    return joined if joined.exists() else None


def split_of(key: str) -> str:
    """ "dev" or "test" for a question, fixed by a hash of its key before anything is tuned:
    thresholds are set on dev, figures reported on test."""
    return "dev" if hashlib.sha256(key.encode()).digest()[0] % 2 == 0 else "test"


def own_words(answer: str) -> str:
    """An answer without its quoted passages and markers: what the answer itself asserts."""
    return re.sub(r"“[^”]*”|\[\d+\]", " ", answer)
