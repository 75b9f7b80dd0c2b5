"""Load on loopback only: concurrent askers against the engine and the bot's /ask handler.

    .venv/bin/python bench/load.py                 # 1, 4 and 16 askers; 1,000-question soak
    .venv/bin/python bench/load.py --quick         # a smoke run (the test suite's)

Everything runs in this process: the engine answers from a temporary index of the sample
articles (extractive backend unless --backend says otherwise), and the bot handler is driven
with a minimal fake Interaction, so no traffic leaves the machine. Results go to
bench/results/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

from common import p95  # noqa: E402

from newsdesk.bot.client import NewsdeskBot  # noqa: E402
from newsdesk.bot.commands import NewsdeskCog  # noqa: E402
from newsdesk.index.answer import Engine  # noqa: E402
from newsdesk.index.app import Newsdesk  # noqa: E402
from newsdesk.index.config import Settings  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """Resident memory now (not the peak: the soak wants the trend)."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE


def questions() -> list[str]:
    lines = (REPO / "bench" / "qa_dev.jsonl").read_text().splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def engine_load(engine: Engine, askers: int, total: int) -> dict[str, Any]:
    """`askers` threads share `total` questions; latency per question, throughput overall."""
    pool = questions()
    latencies: list[float] = []
    lock = threading.Lock()
    peak = rss_bytes()

    def ask(k: int) -> None:
        nonlocal peak
        started = time.perf_counter()
        engine.ask(pool[k % len(pool)])
        with lock:
            latencies.append(time.perf_counter() - started)
            peak = max(peak, rss_bytes())

    started = time.perf_counter()
    with ThreadPoolExecutor(askers) as executor:
        list(executor.map(ask, range(total)))
    seconds = time.perf_counter() - started
    return {
        "askers": askers,
        "questions": total,
        "seconds": round(seconds, 2),
        "questions_per_s": round(total / seconds, 2),
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "latency_ms_p95": round(p95(latencies) * 1000, 1),
        "rss_peak_bytes": peak,
    }


class _Response:
    def __init__(self) -> None:
        self.done = False
        self.sent: list[str] = []

    def is_done(self) -> bool:
        return self.done

    async def defer(self, **_: Any) -> None:
        self.done = True

    async def send_message(self, content: str = "", **_: Any) -> None:
        self.done = True
        self.sent.append(content)


class _Followup:
    async def send(self, content: str = "", **_: Any) -> None:
        pass


class FakeInteraction:
    """What /ask's callback touches of a discord.Interaction, and nothing else."""

    def __init__(self, bot: NewsdeskBot, user_id: int) -> None:
        self.client = bot
        self.guild_id = 1
        self.channel = type("Channel", (), {"id": 1})()
        self.user = type("User", (), {"id": user_id})()
        self.response = _Response()
        self.followup = _Followup()
        self.final: str | None = None

    async def edit_original_response(self, content: str = "", **_: Any) -> None:
        self.final = content


async def bot_load(app: Newsdesk, engine: Engine, askers: int, limit: int) -> dict[str, Any]:
    """`askers` users ask at once; beyond the per-server cap the bot must say busy at once."""
    settings = app.settings.with_(bot_cooldown=0, bot_max_concurrent=limit)
    desk = Newsdesk(settings, embedder=app.embedder, store=app.store)
    bot = NewsdeskBot(desk=desk, engine=engine)
    cog = NewsdeskCog(bot)
    pool = questions()

    async def one(user: int) -> tuple[str, float]:
        interaction = FakeInteraction(bot, user)
        started = time.perf_counter()
        await cog.ask.callback(cog, interaction, question=pool[user % len(pool)])
        elapsed = time.perf_counter() - started
        busy = any(s.startswith("Busy") for s in interaction.response.sent)
        return ("busy" if busy else "answered" if interaction.final else "other"), elapsed

    try:
        results = await asyncio.gather(*(one(user) for user in range(askers)))
    finally:
        bot.answers.shutdown(wait=True)
    busy = [t for kind, t in results if kind == "busy"]
    answered = [t for kind, t in results if kind == "answered"]
    return {
        "askers": askers,
        "cap": limit,
        "answered": len(answered),
        "busy": len(busy),
        "other": len(results) - len(busy) - len(answered),
        "busy_reply_ms_max": round(max(busy) * 1000, 1) if busy else None,
        "answer_ms_p50": round(statistics.median(answered) * 1000, 1) if answered else None,
    }


def soak(engine: Engine, total: int, every: int) -> dict[str, Any]:
    """RSS every `every` questions over `total` sequential questions: memory must stay flat."""
    pool = questions()
    samples = []
    for k in range(total):
        engine.ask(pool[k % len(pool)])
        if (k + 1) % every == 0:
            samples.append(rss_bytes())
    half = len(samples) // 2
    return {
        "questions": total,
        "rss_samples_bytes": samples,
        "growth_second_half_bytes": samples[-1] - samples[half] if samples else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--backend", default="extractive", choices=["extractive", "llama-cpp", "ollama", "openai"]
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: few questions")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "load.json")
    args = parser.parse_args()
    per_level = 8 if args.quick else 96
    soak_total = 40 if args.quick else 1000
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.from_env(
            {}, articles_dir=REPO / "articles", data_dir=Path(data_dir), llm=args.backend
        )
        app = Newsdesk(settings)
        app.build()
        engine = app.engine()
        engine.ask("warm up: who is Ushakov?")
        result: dict[str, Any] = {
            "date": time.strftime("%Y-%m-%d"),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "backend": engine.backend_name,
            "engine": [engine_load(engine, n, per_level) for n in (1, 4, 16)],
            "bot": [asyncio.run(bot_load(app, engine, n, limit=2)) for n in (1, 4, 16)],
            "soak": soak(engine, soak_total, max(1, soak_total // 10)),
        }
        app.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for row in result["engine"]:
        print("engine", json.dumps(row))
    for row in result["bot"]:
        print("bot   ", json.dumps(row))
    soaked = result["soak"]
    print(
        "soak  ",
        soaked["questions"],
        "questions; RSS MB:",
        [round(b / 2**20) for b in soaked["rss_samples_bytes"]],
    )


if __name__ == "__main__":
    main()
