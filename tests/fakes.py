"""Fakes at the edge: a queue-driven LLM backend and a loopback server speaking real LLM APIs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from index.llm import Message


class FakeBackend:
    """Answers with the texts queued by `enqueue`, streamed word by word; records prompts."""

    name = "fake"
    model = "fake-1"

    def __init__(self) -> None:
        self.queue: list[str] = []
        self.history: list[list[Message]] = []

    def enqueue(self, *texts: str) -> FakeBackend:
        self.queue.extend(texts)
        return self

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        self.history.append(messages)
        text = self.queue.pop(0)
        for word in text.split(" "):
            yield word + " "


class LLMServer:
    """Ollama's /api/chat and OpenAI's /v1/chat/completions, streaming, on 127.0.0.1."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
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
                if self.path == "/api/chat":
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

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LLMServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
