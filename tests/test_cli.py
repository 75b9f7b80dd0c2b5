from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from newsdesk.index.cli import cli


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_index_json_then_sources(articles: Path, tmp_path: Path) -> None:
    common = ["--articles", str(articles), "--data-dir", str(tmp_path / "d")]
    code, out, _ = run(*common, "index", "--json")
    stats = json.loads(out)
    assert code == 0
    assert {k: stats[k] for k in ("added", "updated", "removed", "unchanged")} == {
        "added": 4,
        "updated": 0,
        "removed": 0,
        "unchanged": 0,
    }
    assert stats["chunks"] > 4 and stats["seconds"] > 0

    code, out, _ = run(*common, "index", "--json")
    assert json.loads(out)["unchanged"] == 4

    code, out, _ = run(*common, "sources", "--json")
    sources = {s["doc_id"]: s for s in json.loads(out)}
    assert sources["003_82cedb1ca88c2249"]["source"] == "Caliber.az"
    assert sources["003_82cedb1ca88c2249"]["date"] == "2026-01-16T11:37"
    assert sum(s["chunks"] for s in sources.values()) == stats["chunks"]

    code, out, _ = run(*common, "sources")
    assert code == 0 and "UK rejects calls to reopen talks with Putin" in out


def test_options_work_after_the_sub_command_too(articles: Path, tmp_path: Path) -> None:
    after = ["--articles", str(articles), "--data-dir", str(tmp_path / "d")]
    code, out, err = run("index", *after, "--json")
    assert code == 0, err
    assert json.loads(out)["added"] == 4
    # given both before and after, the one after the sub-command wins
    code, out, _ = run("--data-dir", str(tmp_path / "elsewhere"), "sources", *after, "--json")
    assert code == 0 and len(json.loads(out)) == 4
    assert not (tmp_path / "elsewhere").exists()
    code, out, _ = run(
        "ask", "Why did the Powell–Ushakov call fail?", *after, "-v", "--backend", "extractive"
    )
    assert code == 0 and out.rstrip().endswith("ms]"), "-v after `ask` shows the timings"


def test_settings_come_from_env_and_dotenv(articles: Path, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"NEWSDESK_ARTICLES_DIR={articles}\nNEWSDESK_DATA_DIR={tmp_path / 'from-dotenv'}\n"
    )
    code, out, _ = run("index", "--json")
    assert code == 0 and json.loads(out)["added"] == 4
    assert (tmp_path / "from-dotenv" / "catalog.sqlite3").exists()


def test_bad_settings_and_missing_articles_get_one_line(tmp_path: Path) -> None:
    code, _, err = run("index", env={"NEWSDESK_TOP_K": "many"})
    assert (
        code != 0
        and err.strip()
        == "Error: NEWSDESK_TOP_K='many' is not valid: invalid "
        "literal for int() with base 10: 'many'"
    )
    code, _, err = run("--articles", str(tmp_path / "nowhere"), "index")
    assert code != 0 and "no articles directory" in err and "Traceback" not in err


def test_ask_json_is_the_documented_schema(articles: Path, tmp_path: Path) -> None:
    common = ["--articles", str(articles), "--data-dir", str(tmp_path / "d")]
    code, out, err = run(
        *common,
        "ask",
        "Why did the Powell–Ushakov call fail?",
        "--json",
        env={"NEWSDESK_LLM": "extractive"},
    )
    assert code == 0, err
    answer = json.loads(out)
    assert set(answer) == {
        "question",
        "answer",
        "answered",
        "citations",
        "backend",
        "timings_ms",
        "dropped",
        "fallback",
        "window",
    }
    assert set(answer["timings_ms"]) == {"retrieve", "generate", "total"}
    assert answer["dropped"] == [] and answer["fallback"] is None
    assert answer["answered"] is True and answer["backend"] == "extractive"
    for n, c in enumerate(answer["citations"], 1):
        keys = {"n", "doc_id", "title", "source", "date", "path", "quote"}
        assert set(c) in (keys, keys | {"speaker"}), "speaker only where the quote names one"
        assert c["n"] == n and c["quote"] in (articles / c["path"]).read_text()
        assert "speaker" not in c or c["speaker"] in c["quote"]
    assert any(c.get("speaker") == "Dmitry Peskov" for c in answer["citations"])


def test_ask_text_output_and_bad_questions(articles: Path, tmp_path: Path) -> None:
    common = ["--articles", str(articles), "--data-dir", str(tmp_path / "d")]
    env = {"NEWSDESK_LLM": "extractive"}
    code, out, _ = run(*common, "ask", "What did Yvette Cooper say?", env=env)
    assert (
        code == 0
        and "\nSources:\n[1] UK rejects calls to reopen talks with Putin "
        "(Caliber.az, 2026-01-16T11:37)"
        in out
    )
    for bad in ["", "   ", "y" * 1001]:
        code, out, err = run(*common, "ask", bad, env=env)
        assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
        assert err.startswith("Error: the question")
