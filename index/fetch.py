"""The one door newsdesk reaches the web through: pages and feeds, fetched safely.

A URL given to `newsdesk add` or found in a feed is somebody else's input, and the fetcher runs
next to whatever the operator's network can reach. So, for every request and every redirect
(at most five):

- only http and https;
- the host is resolved here, every address it resolves to is checked, and the connection goes
  to the checked address (a DNS answer that changes between check and connect cannot slip a
  private address in). Loopback and private networks are refused unless `allow_private`
  (NEWSDESK_ALLOW_PRIVATE_URLS); shared and reserved ones, and link-local addresses, where
  cloud metadata services live, are refused always;
- a connect timeout, a timeout between two reads and a deadline for the whole response;
- at most `max_bytes` (`max_page_bytes` for an HTML page, which is mostly scripts and styles),
  counted as the body arrives (a Content-Length over it is refused before reading); no
  compression, so the count is the size;
- only HTML, XHTML, XML feeds and plain text.

Nothing fetched is executed, and nothing a page links to is followed: the caller gets bytes.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from newsdesk.index.errors import FetchError

MAX_REDIRECTS = 5
USER_AGENT = "newsdesk/0.1 (+https://github.com/newsdesk; news archive indexer)"
MARKUP_TYPES = ("text/html", "application/xhtml+xml")
PAGE_TYPES = (*MARKUP_TYPES, "text/plain")
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
)
ALL_TYPES = PAGE_TYPES + FEED_TYPES
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA_HOSTS = {"metadata.google.internal", "metadata"}
# Cloud metadata services outside link-local space (AWS over IPv6, Alibaba).
_METADATA_ADDRESSES = {
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int  # 200, or 304 when a conditional request found nothing new
    content_type: str  # "text/html", without parameters
    charset: str | None
    body: bytes
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetcher:
    allow_private: bool = False
    max_bytes: int = 2_000_000
    max_page_bytes: int = 16_000_000  # an HTML page, scripts and styles included
    timeout: float = 20.0  # to connect, and between two reads
    deadline: float = 60.0  # for one whole response, however slowly it trickles

    def get(
        self,
        url: str,
        *,
        types: tuple[str, ...] = ALL_TYPES,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        """GET `url`, following redirects; raises FetchError with one plain reason."""
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": ", ".join(types) + ";q=1.0, */*;q=0.1",
            "Accept-Encoding": "identity",
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(MAX_REDIRECTS + 1):
            response = self._once(url, headers, types)
            if isinstance(response, Response):
                return response
            url = response  # a redirect: the next URL, checked like the first
        raise FetchError(f"more than {MAX_REDIRECTS} redirects", url=url)

    def _once(self, url: str, headers: dict[str, str], types: tuple[str, ...]) -> Response | str:
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:  # a port that is no number, a broken [IPv6] bracket
            raise FetchError(f"not a valid URL ({exc})", url=url) from None
        if parts.scheme not in ("http", "https"):
            raise FetchError(
                f"only http and https URLs can be fetched, not {parts.scheme or '?'}:", url=url
            )
        if not parts.hostname:
            raise FetchError("the URL has no host", url=url)
        address = self.resolve(parts.hostname, url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = _connection(parts.scheme, parts.hostname, address, port, self.timeout)
        started = time.monotonic()
        try:
            connection.request(
                "GET", path, headers={**headers, "Host": parts.netloc.rpartition("@")[2]}
            )
            reply = connection.getresponse()
            if reply.status in (301, 302, 303, 307, 308):
                location = reply.getheader("Location")
                if not location:
                    raise FetchError(f"a {reply.status} redirect without a Location", url=url)
                return urljoin(url, location.strip())
            if reply.status == 304:
                return Response(
                    url,
                    304,
                    "",
                    None,
                    b"",
                    reply.getheader("ETag"),
                    reply.getheader("Last-Modified"),
                )
            if reply.status != 200:
                raise FetchError(
                    f"the server answered {reply.status} {reply.reason}",
                    url=url,
                    transient=reply.status >= 500 or reply.status == 429,
                )
            content_type, charset = _content_type(reply.getheader("Content-Type") or "")
            if content_type not in types:
                raise FetchError(
                    f"{content_type or 'an unknown type'} is not a page or feed newsdesk reads",
                    url=url,
                )
            limit = self.max_page_bytes if content_type in MARKUP_TYPES else self.max_bytes
            length = reply.getheader("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise FetchError(f"{int(length):,} bytes is over the {limit:,} limit", url=url)
            body = self._read(reply, url, started, limit)
            return Response(
                url,
                200,
                content_type,
                charset,
                body,
                reply.getheader("ETag"),
                reply.getheader("Last-Modified"),
            )
        except (OSError, http.client.HTTPException) as exc:
            reason = (
                "timed out"
                if isinstance(exc, TimeoutError | socket.timeout)
                else " ".join(str(exc).split()) or type(exc).__name__
            )
            raise FetchError(f"could not fetch ({reason})", url=url, transient=True) from exc
        finally:
            connection.close()

    def _read(self, reply: http.client.HTTPResponse, url: str, started: float, limit: int) -> bytes:
        chunks, size = [], 0
        while chunk := reply.read1(65536):
            size += len(chunk)
            if size > limit:
                raise FetchError(f"over the {limit:,}-byte limit", url=url)
            if time.monotonic() - started > self.deadline:
                raise FetchError(f"took over {self.deadline:g} s", url=url, transient=True)
            chunks.append(chunk)
        return b"".join(chunks)

    def resolve(self, host: str, url: str) -> str:
        """The first address of `host` if every address it resolves to may be reached."""
        if host.lower().rstrip(".") in _METADATA_HOSTS:
            raise FetchError(f"{host} is a cloud metadata service", url=url)
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"{host} does not resolve", url=url) from exc
        addresses = [str(info[4][0]) for info in infos]
        for address in addresses:
            if reason := self.refusal(address):
                setting = "NEWSDESK_ALLOW_PRIVATE_URLS" if "private" in reason else None
                what = address if host == address else f"{host} is {address},"
                raise FetchError(f"{what} {reason}", url=url, setting=setting)
        return addresses[0]

    def refusal(self, address: str) -> str | None:
        """Why `address` may not be reached, or None."""
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address):  # an IPv4 address inside an IPv6 one
            if ip.ipv4_mapped or ip.sixtofour:
                ip = ip.ipv4_mapped or ip.sixtofour or ip
            elif ip in _NAT64:
                ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip in _METADATA_ADDRESSES:
            return "a link-local, metadata, multicast or unspecified address (never fetched)"
        if ip.is_global:
            return None
        if self.allow_private and (ip.is_loopback or ip.is_private):
            return None
        return "a private or reserved address"


def _connection(
    scheme: str, host: str, address: str, port: int, timeout: float
) -> http.client.HTTPConnection:
    """A connection to the checked `address`, speaking to `host` (Host header, TLS name)."""
    if scheme == "https":
        return _PinnedHTTPS(host, address, port, timeout)
    return _PinnedHTTP(host, address, port, timeout)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _content_type(header: str) -> tuple[str, str | None]:
    kind, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return kind.strip().lower(), charset
