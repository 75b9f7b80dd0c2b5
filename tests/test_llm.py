from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.index import llm
from newsdesk.index.app import Newsdesk
from newsdesk.index.cli import cli
from newsdesk.index.config import Settings
from newsdesk.index.errors import BackendUnavailable, ConfigError
from newsdesk.index.llm import LlamaCpp, Message, Ollama, OpenAI, make_backend

from fakes import LLMServer
from support import SMOLLM

MakeApp = Callable[..., Newsdesk]
POWELL = "Why did the Powell–Ushakov call fail?"
REPLY = "Powell was keen to outline the stance of the Europeans [1]."


@pytest.fixture(scope="module")
def smollm() -> LlamaCpp:
    return LlamaCpp(SMOLLM, threads=2, context=2048)


def test_llama_cpp_streams_from_a_real_model_with_its_chat_template(smollm: LlamaCpp) -> None:
    tokens = list(
        smollm.stream(
            [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "Name a colour."},
            ],
            16,
        )
    )
    text = "".join(tokens)
    assert len(tokens) > 1 and text.strip()
    assert "<|im_start|>" not in text and "[INST]" not in text


def test_end_to_end_with_the_real_small_model(make_app: MakeApp, smollm: LlamaCpp) -> None:
    app = make_app()
    app.build()
    engine = app.engine()
    engine.backend = smollm
    read: list[object] = []
    answer = engine.ask(POWELL, on_evidence=read.append)
    assert read, "the evidence is handed out before the model writes"
    assert "verify" in answer.timings_ms, "the real model wrote, and its sentences were judged"
    if answer.backend == "extractive":  # all it wrote failed the checks: quotes, saying why
        assert answer.fallback and answer.dropped
    else:
        assert answer.backend == "llama-cpp" and answer.fallback is None
    text = app.catalog.text
    for c in answer.citations:  # whatever the tiny model says, citations are verbatim
        assert c.quote in (text(c.doc_id) or "")
    assert answer.answered == bool(answer.citations)


def test_the_evaluated_prompt_outlives_the_process(tmp_path: Path) -> None:
    """The first answer saves llama.cpp's state; a new model object (as in the next
    `newsdesk ask`) restores it and answers another question exactly as a fresh one does."""
    system = {"role": "system", "content": "You answer from the evidence in one sentence."}

    def asked(question: str) -> list[Message]:
        return [system, {"role": "user", "content": f"Evidence: [1] {question}"}]

    first = LlamaCpp(SMOLLM, context=2048, state_dir=tmp_path)
    assert first.state is not None and not first.state.exists()
    "".join(first.stream(asked("The ferry strike ended on Monday."), 16))
    assert first.state.is_file() and list(tmp_path.iterdir()) == [first.state]

    restored = LlamaCpp(SMOLLM, context=2048, state_dir=tmp_path)
    assert restored._llm.n_tokens > 0, "the saved prompt is in the new model's cache"
    fresh = LlamaCpp(SMOLLM, context=2048)
    question = asked("Prices rose by four percent in March.")
    assert "".join(restored.stream(question, 16)) == "".join(fresh.stream(question, 16))


def test_every_answer_starts_from_the_system_prompt_evaluated_alone(smollm: LlamaCpp) -> None:
    """llama.cpp's numbers depend on how the prompt is cut into batches; each answer is
    evaluated from the same cached system prompt, so the same question gets the same words
    first and later in a process, and the system prompt is not evaluated again."""
    rules = " ".join(f"Rule {n}: quote the evidence, never add to it." for n in range(20))
    system = {"role": "system", "content": f"You answer from the evidence. {rules}"}

    def asked(question: str) -> list[Message]:
        return [system, {"role": "user", "content": f"Evidence: [1] {question}"}]

    question = asked("The ferry strike ended on Monday after talks.")
    first = "".join(smollm.stream(question, 24))
    tokens = smollm._system_tokens(question)
    assert smollm._llm.input_ids[: len(tokens)].tolist() == tokens, "a prefix of the prompt"
    "".join(smollm.stream(asked("Prices rose by four percent in March."), 24))
    evaluated = smollm._llm.eval

    def counted(batch: list[int]) -> None:
        counted.tokens += len(batch)  # type: ignore[attr-defined]
        evaluated(batch)

    counted.tokens = 0  # type: ignore[attr-defined]
    smollm._llm.eval = counted  # type: ignore[method-assign]
    assert "".join(smollm.stream(question, 24)) == first
    assert len(tokens) > 200
    assert counted.tokens < 80, "the question and the answer, not the system prompt again"  # type: ignore[attr-defined]


def test_a_damaged_prompt_state_is_ignored(tmp_path: Path) -> None:
    first = LlamaCpp(SMOLLM, context=2048, state_dir=tmp_path)
    assert first.state is not None
    first.state.write_bytes(b"not a llama.cpp session")
    again = LlamaCpp(SMOLLM, context=2048, state_dir=tmp_path)
    assert again._llm.n_tokens == 0
    messages: list[Message] = [{"role": "user", "content": "Say yes."}]
    assert "".join(again.stream(messages, 4)).strip()


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no model file"):
        make_backend(Settings(llm_model=tmp_path / "nope.gguf"))


def test_a_corrupt_default_model_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(llm, "DEFAULT_MODEL_SHA256", "0" * 64)
    with pytest.raises(BackendUnavailable, match="SHA256"):
        llm.default_model(tmp_path)
    assert not list((tmp_path / "models").iterdir()), "nothing half-written is left"


def test_the_default_model_is_joined_in_numeric_order(tmp_path: Path) -> None:
    path = llm.default_model(tmp_path)
    assert llm.sha256_file(path) == llm.DEFAULT_MODEL_SHA256
    assert llm.default_model(tmp_path) == path  # verified once, then reused


@pytest.mark.parametrize("kind", ["ollama", "openai"])
def test_server_backends_speak_the_real_http_api(kind: str) -> None:
    with LLMServer(REPLY) as server:
        backend = (
            Ollama(server.url, "qwen", 5)
            if kind == "ollama"
            else OpenAI(server.url + "/v1", "gpt", 5, {"Authorization": "Bearer k"})
        )
        text = "".join(backend.stream([{"role": "user", "content": "hi"}], 50))
    assert text.strip() == REPLY
    request = server.requests[0]
    assert request["body"]["stream"] is True
    assert request["body"]["messages"] == [{"role": "user", "content": "hi"}]
    if kind == "openai":
        assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer k"
    else:
        assert request["path"] == "/api/chat"


def test_ask_through_an_openai_server_end_to_end(articles: Path, tmp_path: Path) -> None:
    with LLMServer(REPLY) as server:
        result = CliRunner().invoke(
            cli,
            [
                "--articles",
                str(articles),
                "--data-dir",
                str(tmp_path / "d"),
                "ask",
                POWELL,
                "--json",
            ],
            env={"NEWSDESK_LLM": "openai", "NEWSDESK_OPENAI_BASE_URL": server.url + "/v1"},
        )
    answer = json.loads(result.stdout)
    assert answer["backend"] == "openai" and answer["answered"]
    assert answer["answer"].startswith("Powell was keen to outline the stance of the Europeans")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_server_falls_back_to_extractive_with_one_warning(
    articles: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        cli,
        ["--articles", str(articles), "--data-dir", str(tmp_path / "d"), "ask", POWELL, "--json"],
        env={"NEWSDESK_LLM": "ollama", "NEWSDESK_OLLAMA_URL": f"http://127.0.0.1:{_closed_port()}"},
    )
    assert result.exit_code == 0
    answer = json.loads(result.stdout)
    assert answer["backend"] == "extractive" and answer["answered"]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "cannot reach ollama" in warnings[0]
