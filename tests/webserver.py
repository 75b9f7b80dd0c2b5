"""A small web of pages and feeds on loopback, for the fetcher, `newsdesk add` and feeds.

`Web` serves whatever its `routes` say: a path maps to a `Route` (status, headers, body, a
delay between chunks, a gate it waits at). It counts requests per path, so a test can assert
what was (not) fetched, and the most requests it served at once; it answers conditional GETs
by ETag.
Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    delay: float = 0.0  # seconds before each 1 KiB of the body: a slow server
    length: bool = True  # send Content-Length
    gate: threading.Event | None = None  # answered once it is set (10 s at most)


def page(
    title: str,
    paragraphs: list[str],
    *,
    outlet: str = "The Loopback Times",
    published: str = "2025-11-12T18:04:00+03:00",
) -> bytes:
    """A news page as sites publish them: menus, the article, a footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title} - {outlet}</title>"
        f"<meta property='og:site_name' content='{outlet}'>"
        f"<meta property='article:published_time' content='{published}'></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/login'>Log in</a></nav>"
        f"<article><h1>{title}</h1><time datetime='{published}'>{published[:10]}</time>{body}"
        f"</article><footer>© 2025 {outlet}. All rights reserved.</footer></body></html>"
    ).encode()


def rss(items: list[tuple[str, str, str]], *, title: str = "Loopback Times: World") -> bytes:
    """An RSS 2.0 feed of (guid, link, title) items."""
    entries = "".join(
        f"<item><guid>{guid}</guid><link>{link}</link><title>{name}</title>"
        "<pubDate>Wed, 12 Nov 2025 15:04:00 GMT</pubDate></item>"
        for guid, link, name in items
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{title}</title><link>http://example.invalid/</link>{entries}</channel></rss>"
    ).encode()


class Web:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.most_at_once = 0  # requests being answered at the same time, at most
        self._at_once = 0
        self._lock = threading.Lock()
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with web._lock:
                    web.hits[self.path] += 1
                    web._at_once += 1
                    web.most_at_once = max(web.most_at_once, web._at_once)
                try:
                    self._answer()
                finally:
                    with web._lock:
                        web._at_once -= 1

            def _answer(self) -> None:
                route = web.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                if route.gate is not None:
                    route.gate.wait(timeout=10)
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                if route.length:
                    self.send_header("Content-Length", str(len(route.body)))
                if route.etag:
                    self.send_header("ETag", route.etag)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    for start in range(0, len(route.body), 1024):
                        if route.delay:
                            time.sleep(route.delay)
                        self.wfile.write(route.body[start : start + 1024])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should on a slow or huge body

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> Web:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
