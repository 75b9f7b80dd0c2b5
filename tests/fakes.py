"""Fakes at the edge: a queue-driven LLM backend and a loopback server speaking real LLM APIs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from newsdesk.index.llm import Message


def agree(schema: dict[str, Any]) -> str:
    """A verdict of "supported" for every sentence the schema asks about."""
    return json.dumps({key: "supported" for key in schema["required"]})


class FakeBackend:
    """Answers with the texts queued by `enqueue`, streamed word by word; records prompts.

    Its judge replies with the verdicts queued by `enqueue_verdict`, and agrees with every
    sentence when none is queued, so that a test sees exactly what the rules drop."""

    name = "fake"
    model = "fake-1"

    def __init__(self) -> None:
        self.queue: list[str] = []
        self.history: list[list[Message]] = []
        self.verdicts: list[str] = []
        self.judged: list[list[Message]] = []

    def enqueue(self, *texts: str) -> FakeBackend:
        self.queue.extend(texts)
        return self

    def enqueue_verdict(self, *replies: str) -> FakeBackend:
        self.verdicts.extend(replies)
        return self

    def judge(self, messages: list[Message], schema: dict[str, Any], max_tokens: int) -> str:
        self.judged.append(messages)
        return self.verdicts.pop(0) if self.verdicts else agree(schema)

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        self.history.append(messages)
        text = self.queue.pop(0)
        for word in text.split(" "):
            yield word + " "


class LLMServer:
    """Ollama's /api/chat and OpenAI's /v1/chat/completions, streaming, on 127.0.0.1."""

    def __init__(self, reply: str, verdict: str | None = None, verdict_delay: float = 0) -> None:
        self.reply = reply
        self.verdict = verdict  # the judge's reply; None: "supported" for every sentence
        self.verdict_delay = verdict_delay  # seconds before the judge replies
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                words = [w + " " for w in server.reply.split(" ")]
                if body.get("stream") is False or "response_format" in body:
                    self.judge(body)
                elif self.path == "/api/chat":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/x-ndjson")
                    self.end_headers()
                    for w in words:
                        self.wfile.write(
                            json.dumps(
                                {"message": {"role": "assistant", "content": w}, "done": False}
                            ).encode()
                            + b"\n"
                        )
                    self.wfile.write(json.dumps({"done": True}).encode() + b"\n")
                elif self.path == "/v1/chat/completions":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for w in words:
                        event = {"choices": [{"index": 0, "delta": {"content": w}}]}
                        self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.write(b"data: [DONE]\n\n")
                else:
                    self.send_response(404)
                    self.end_headers()

            def judge(self, body: dict[str, Any]) -> None:
                time.sleep(server.verdict_delay)
                if self.path == "/api/chat":
                    schema = body["format"]
                else:
                    schema = body["response_format"]["json_schema"]["schema"]
                content = server.verdict if server.verdict is not None else agree(schema)
                if self.path == "/api/chat":
                    reply: dict[str, Any] = {"message": {"role": "assistant", "content": content}}
                else:
                    reply = {"choices": [{"index": 0, "message": {"content": content}}]}
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LLMServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
