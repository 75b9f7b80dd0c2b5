"""Whole-process `newsdesk ask` against the answer's own time, and where the rest goes.

`newsdesk ask` is run as a new process `--runs` times over the sample articles (indexed once
beforehand) with the default model: the wall time against the answer's own `timings_ms.total`
gives the start-up overhead. Each run is paired with one that starts without the prompt state
an earlier process saved (data dir `prompt-state/`), so the two compare as a ratio. A worker
process then times the phases of the same command one by one (interpreter, imports, opening
the index, loading the model, the answer). Medians.

    .venv/bin/python bench/startup.py            # default model, 5 runs
    .venv/bin/python bench/startup.py --quick    # the smoke run of the tests: extractive, 1 run
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from common import REPO, child_env, default_model, machine, p50  # noqa: E402

QUESTION = "Why did the Powell–Ushakov call fail?"


def worker(root: Path, backend: str) -> dict[str, float]:
    """One `newsdesk ask`, phase by phase, in this (fresh) process."""
    started = time.perf_counter()
    from newsdesk.index.app import Newsdesk
    from newsdesk.index.cli import ready_engine  # what the command imports

    imported = time.perf_counter()
    desk = Newsdesk.from_env(None, articles_dir=root / "articles", data_dir=root / "data")
    desk.is_built()
    opened = time.perf_counter()
    engine = ready_engine(desk, backend)
    loaded = time.perf_counter()
    answer = engine.ask(QUESTION)
    answered = time.perf_counter()
    desk.close()
    return {
        "imports_s": imported - started,
        "open_index_s": opened - imported,
        "load_engine_s": loaded - opened,
        "ask_s": answered - loaded,
        "answer_own_s": answer.timings_ms["total"] / 1000,
    }


def whole(root: Path, backend: str) -> tuple[float, float]:
    """(wall seconds of `newsdesk ask --json` as a new process, the answer's own seconds)."""
    command = [
        str(Path(sys.executable).with_name("newsdesk")),
        "--articles",
        str(root / "articles"),
        "--data-dir",
        str(root / "data"),
        "ask",
        QUESTION,
        "--json",
        "--backend",
        backend,
    ]
    started = time.perf_counter()
    done = subprocess.run(command, env=child_env(), capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    return wall, json.loads(done.stdout)["timings_ms"]["total"] / 1000


def interpreter() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="extractive, one run (smoke)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="llama-cpp", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "startup.json")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.backend)))
        return
    backend, runs = ("extractive", 1) if args.quick else ("llama-cpp", args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "articles", root / "articles")
        model = default_model()
        if model is not None and not args.quick:  # the joined default model, not a new join
            (root / "data" / "models").mkdir(parents=True)
            for name in (model.name, model.with_suffix(".verified").name):
                (root / "data" / "models" / name).symlink_to(model.parent / name)
        subprocess.run(
            [str(Path(sys.executable).with_name("newsdesk")), "--articles", str(root / "articles"),
             "--data-dir", str(root / "data"), "index"],
            env=child_env(), check=True, capture_output=True,
        )  # fmt: skip
        whole(root, backend)  # warm the page cache: every run below reads files from memory
        walls, owns, phases, cold_walls, cold_owns = [], [], [], [], []
        for _ in range(runs):
            # Without the prompt state an earlier process saved, then with it (the default).
            shutil.rmtree(root / "data" / "prompt-state", ignore_errors=True)
            wall, own = whole(root, backend)
            cold_walls.append(wall)
            cold_owns.append(own)
            wall, own = whole(root, backend)
            walls.append(wall)
            owns.append(own)
            done = subprocess.run(
                [sys.executable, __file__, "--worker", str(root), "--backend", backend],
                env=child_env(), capture_output=True, text=True, check=True,
            )  # fmt: skip
            phases.append(json.loads(done.stdout.strip().splitlines()[-1]))
        python = [interpreter() for _ in range(runs)]
    result: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        **machine(),
        "backend": backend,
        "runs": runs,
        "whole_process_s": p50(walls),
        "answer_own_s": p50(owns),
        "overhead_s": p50([w - o for w, o in zip(walls, owns, strict=True)]),
        "without_prompt_state": {
            "whole_process_s": p50(cold_walls),
            "answer_own_s": p50(cold_owns),
        },
        "whole_process_ratio_with_to_without_prompt_state": round(
            p50([w / c for w, c in zip(walls, cold_walls, strict=True)]), 3
        ),
        "phases_s": {
            "interpreter": p50(python),
            **{k.removesuffix("_s"): p50([p[k] for p in phases]) for k in phases[0]},
        },
    }
    print(json.dumps(result, indent=2))
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
