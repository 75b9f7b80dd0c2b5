"""The wheel, installed into a fresh venv away from the repo, answers questions.

The venv borrows the dependencies of the development environment (a path in a .pth file,
whose own .pth files -- the editable install among them -- are not processed), so the only
`newsdesk` it can import is the wheel's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from support import REPO, SAMPLE, SMOLLM

POWELL = "Why did the Powell–Ushakov call fail?"
SOURCES = ("pyproject.toml", "README.md", "newsdesk", "index", "bot", "prompts")


def uv() -> list[str]:
    found = shutil.which("uv")
    return [found] if found else ["python3", "-m", "uv"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with nothing but the wheel built from a copy of the sources (and borrowed deps)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(
                REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(REPO / name, source / name)
    subprocess.run(
        [*uv(), "build", "--wheel", "--out-dir", str(root / "dist"), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (root / "dist").glob("newsdesk-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [*uv(), "pip", "install", "--no-deps", "--python", str(venv / "bin/python"), str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv


def test_the_wheel_holds_one_package_with_its_prompts(installed: Path) -> None:
    (wheel,) = (installed.parent / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"newsdesk", "newsdesk-0.1.0.dist-info"}
    assert "newsdesk/prompts/not_covered.txt" in names
    assert "newsdesk/index/assets/minilm-tokenizer.json" in names


def test_the_installed_command_answers_away_from_the_repo(installed: Path, tmp_path: Path) -> None:
    """From a directory whose own `index.py` and `bot.py` would shadow top-level packages."""
    work = tmp_path / "elsewhere"
    shutil.copytree(SAMPLE, work / "articles")
    (work / "index.py").write_text("raise SystemExit('the wrong index module was imported')\n")
    (work / "bot.py").write_text("raise SystemExit('the wrong bot module was imported')\n")
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        "NEWSDESK_LLM_MODEL": str(SMOLLM),
    }

    def newsdesk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(installed / "bin" / "newsdesk"), *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    done = newsdesk("index", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == 4
    done = newsdesk("ask", POWELL, "--json")  # the small real model: every prompt is read
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert "verify" in answer["timings_ms"], "the model wrote an answer and it was checked"
    assert answer["citations"], answer
    done = newsdesk(
        "ask", "What is the boiling point of mercury?", "--json", "--backend", "extractive"
    )
    assert done.returncode == 0, done.stderr
    refusal = json.loads(done.stdout)
    assert refusal["answered"] is False
    assert refusal["answer"].startswith(
        (SAMPLE.parent / "prompts" / "not_covered.txt").read_text().strip()
    )
    where = subprocess.run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "import newsdesk.index.app as m; print(m.__file__)",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(installed)), where.stdout
