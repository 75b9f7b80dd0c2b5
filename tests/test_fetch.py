"""The fetcher against a real HTTP server on loopback: what it follows, refuses and cuts off."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from newsdesk.index.errors import FetchError
from newsdesk.index.fetch import PAGE_TYPES, Fetcher
from newsdesk.index.messages import for_chat, for_terminal

from webserver import Route, Web, page

STORY = page(
    "Harbour bridge to be rebuilt",
    [
        "The council voted on Tuesday to rebuild the old harbour bridge after years of delay.",
        "Work is expected to start in the spring and last two years, the city engineer said.",
    ],
)
# Loopback is where the test server is, so it has to be allowed; short limits keep slow
# routes fast.
LOCAL = Fetcher(allow_private=True, timeout=0.5, deadline=1.0)
METADATA = "http://169.254.169.254/latest/meta-data/"


def refused(url: str, fetcher: Fetcher = LOCAL, **kwargs: object) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetcher.get(url, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_a_page_is_fetched_with_its_type_charset_and_validators(web: Web) -> None:
    web.routes["/story"] = Route(STORY, etag='"v1"', headers={"Last-Modified": "Wed, 12 Nov"})
    response = LOCAL.get(web.url("/story"))
    assert response.status == 200 and response.body == STORY
    assert (response.content_type, response.charset) == ("text/html", "utf-8")
    assert (response.etag, response.last_modified) == ('"v1"', "Wed, 12 Nov")
    assert response.url == web.url("/story") and web.hits["/story"] == 1


def test_redirects_are_followed_absolute_and_relative(web: Web) -> None:
    web.routes["/old"] = Route(status=301, headers={"Location": web.url("/news/moved")})
    web.routes["/news/moved"] = Route(status=302, headers={"Location": "story?id=7"})
    web.routes["/news/story?id=7"] = Route(STORY)
    response = LOCAL.get(web.url("/old"))
    assert response.url == web.url("/news/story?id=7") and response.body == STORY
    assert [web.hits[p] for p in ("/old", "/news/moved", "/news/story?id=7")] == [1, 1, 1]


def test_five_redirects_are_followed_and_a_sixth_is_refused(web: Web) -> None:
    for n in range(6):
        web.routes[f"/hop/{n}"] = Route(status=307, headers={"Location": f"/hop/{n + 1}"})
    web.routes["/hop/6"] = Route(STORY)
    assert LOCAL.get(web.url("/hop/1")).url == web.url("/hop/6")  # five redirects
    error = refused(web.url("/hop/0"))  # six
    assert str(error) == "more than 5 redirects" and not error.transient
    assert web.hits["/hop/6"] == 1 and web.hits["/hop/5"] == 2


@pytest.mark.parametrize(
    "target, reason",
    [
        (METADATA, "link-local"),
        ("http://[::ffff:169.254.169.254]/latest/meta-data/", "link-local"),
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata service"),
        ("http://100.100.100.200/latest/meta-data/", "metadata"),
        ("file:///etc/passwd", "only http and https"),
    ],
)
def test_a_redirect_off_loopback_to_metadata_is_refused_even_with_private_allowed(
    web: Web, target: str, reason: str
) -> None:
    web.routes["/innocent"] = Route(status=302, headers={"Location": target})
    error = refused(web.url("/innocent"))
    assert reason in str(error) and error.url == target
    assert error.setting is None, "no setting allows it, so none may be suggested"
    assert "NEWSDESK_ALLOW_PRIVATE_URLS" not in for_terminal(error)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "2130706433", "0x7f.1"])
def test_loopback_is_refused_before_any_connection(web: Web, host: str) -> None:
    web.routes["/story"] = Route(STORY)
    port = web.server.server_address[1]
    error = refused(f"http://{host}:{port}/story", Fetcher(timeout=0.5))
    assert "a private or reserved address" in str(error) and not error.transient
    assert error.setting == "NEWSDESK_ALLOW_PRIVATE_URLS"
    assert web.hits["/story"] == 0, "refused before connecting"
    LOCAL.get(web.url("/story"))  # the same server, allowed: now it is reached
    assert web.hits["/story"] == 1


def test_private_shared_and_never_reachable_addresses() -> None:
    strict, lenient = Fetcher(), Fetcher(allow_private=True)
    for address in ["10.0.0.1", "172.16.5.4", "192.168.1.1", "::ffff:127.0.0.1", "fc00::1"]:
        assert strict.refusal(address) == "a private or reserved address", address
        assert lenient.refusal(address) is None, address
    assert strict.refusal("100.64.0.1") == "a private or reserved address"  # shared (CGNAT)
    never = [
        "0.0.0.0",
        "::",
        "169.254.169.254",
        "::ffff:169.254.169.254",
        "fe80::1",
        "fd00:ec2::254",
        "100.100.100.200",
        "224.0.0.1",
    ]
    for address in never:
        for fetcher in (strict, lenient):
            assert "never fetched" in (fetcher.refusal(address) or ""), address
    assert strict.refusal("93.184.215.14") is None and strict.refusal("2606:4700::1") is None


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    ],
)
def test_ipv4_inside_an_ipv6_translation_prefix_is_judged_as_that_ipv4(address: str) -> None:
    """The rule for ::ffff:a.b.c.d, attacked with the other two ways IPv6 carries an IPv4
    address (on an IPv6-only host with DNS64/NAT64 these reach the IPv4 address)."""
    assert Fetcher().refusal(address) is not None


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/story", "file:///etc/passwd", "javascript:alert(1)", "gopher://x/"]
)
def test_only_http_and_https(url: str) -> None:
    error = refused(url)
    assert str(error).startswith("only http and https URLs can be fetched")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:99999/story", "http://127.0.0.1:port/story", "http://[::1/story"]
)
def test_a_malformed_url_is_a_fetch_error(url: str) -> None:
    """A bad port or bracket must be one line like any other refusal, not a ValueError that
    escapes to `newsdesk add`, the feed poll and the watcher thread."""
    error = refused(url)
    assert "\n" not in str(error) and error.url == url


def test_a_content_length_over_the_limit_is_refused_before_reading(web: Web) -> None:
    web.routes["/big"] = Route(STORY * 20)
    small = Fetcher(allow_private=True, max_page_bytes=len(STORY) * 10)
    error = refused(web.url("/big"), small)
    # The Content-Length check's wording; counting a body read says "…-byte limit".
    assert str(error) == f"{len(STORY) * 20:,} bytes is over the {len(STORY) * 10:,} limit"
    assert not error.transient
    exact = Fetcher(allow_private=True, max_page_bytes=len(STORY) * 20)
    assert exact.get(web.url("/big")).body == STORY * 20, "the limit itself is allowed"


def test_a_page_may_be_larger_than_plain_text_for_its_scripts_and_styles(web: Web) -> None:
    """An HTML page is held to `max_page_bytes`, anything else to `max_bytes`: the same
    number of bytes is a page newsdesk reads and a text it refuses."""
    fetcher = Fetcher(allow_private=True, max_bytes=len(STORY), max_page_bytes=len(STORY) * 4)
    web.routes["/page"] = Route(STORY * 3)
    web.routes["/text"] = Route(STORY * 3, content_type="text/plain; charset=utf-8")
    web.routes["/feed"] = Route(STORY * 3, content_type="application/rss+xml")
    assert fetcher.get(web.url("/page")).body == STORY * 3
    for path in ("/text", "/feed"):
        error = refused(web.url(path), fetcher)
        assert str(error) == f"{len(STORY) * 3:,} bytes is over the {len(STORY):,} limit"


def test_a_body_without_length_is_cut_off_at_the_limit(web: Web) -> None:
    web.routes["/endless"] = Route(b"x" * 300_000, length=False)
    error = refused(web.url("/endless"), Fetcher(allow_private=True, max_page_bytes=50_000))
    assert str(error) == "over the 50,000-byte limit"
    web.routes["/fits"] = Route(STORY, length=False)
    assert LOCAL.get(web.url("/fits")).body == STORY


def test_a_slow_body_hits_the_deadline(web: Web) -> None:
    # 0.3 s before each KiB: every read is within the 0.5 s timeout, the whole is not.
    web.routes["/slow"] = Route(b"y" * 20 * 1024, delay=0.3)
    started = time.monotonic()
    error = refused(web.url("/slow"))
    assert str(error) == "took over 1 s"
    assert 1.0 <= time.monotonic() - started < 2.5


def test_a_deadline_overrun_is_transient_like_a_read_timeout(web: Web) -> None:
    """FetchError says a timeout is transient; a feed entry whose page was slow once must be
    tried again, whichever of the two timeouts it hit."""
    web.routes["/stalled"] = Route(b"y" * 4096, delay=0.8)  # one gap longer than the timeout
    timed_out = refused(web.url("/stalled"))
    assert str(timed_out) == "could not fetch (timed out)" and timed_out.transient
    web.routes["/slow"] = Route(b"y" * 20 * 1024, delay=0.3)
    assert refused(web.url("/slow")).transient


@pytest.mark.parametrize("kind", ["application/pdf", "image/png", "application/octet-stream"])
def test_content_that_is_not_a_page_or_feed_is_refused(web: Web, kind: str) -> None:
    web.routes["/file"] = Route(b"%PDF-1.7 not text", content_type=kind)
    assert str(refused(web.url("/file"))) == f"{kind} is not a page or feed newsdesk reads"


def test_a_feed_is_not_a_page_when_a_page_is_asked_for(web: Web) -> None:
    web.routes["/feed"] = Route(b"<rss/>", content_type="application/rss+xml")
    assert LOCAL.get(web.url("/feed")).content_type == "application/rss+xml"
    error = refused(web.url("/feed"), types=PAGE_TYPES)
    assert "application/rss+xml is not a page" in str(error)


def test_a_matching_etag_gets_304_and_no_body(web: Web) -> None:
    web.routes["/story"] = Route(STORY, etag='"v2"')
    same = LOCAL.get(web.url("/story"), etag='"v2"')
    assert (same.status, same.body, same.etag) == (304, b"", '"v2"')
    older = LOCAL.get(web.url("/story"), etag='"v1"')
    assert (older.status, older.body) == (200, STORY)


def test_every_error_is_one_plain_line(web: Web) -> None:
    web.routes["/missing-here"] = Route(b"gone", status=404)
    web.routes["/broken"] = Route(b"oops", status=503)
    web.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})
    web.routes["/pdf"] = Route(b"%PDF", content_type="application/pdf")
    web.routes["/meta"] = Route(status=302, headers={"Location": METADATA})
    web.routes["/nowhere"] = Route(status=301)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_port = closed.getsockname()[1]
    cases = {
        web.url("/missing-here"): "the server answered 404 Not Found",
        web.url("/broken"): "the server answered 503 Service Unavailable",
        web.url("/loop"): "more than 5 redirects",
        web.url("/pdf"): "application/pdf is not a page or feed newsdesk reads",
        web.url("/meta"): "169.254.169.254 a link-local",
        web.url("/nowhere"): "a 301 redirect without a Location",
        f"http://127.0.0.1:{dead_port}/": "could not fetch (",
        "http:///no-host": "the URL has no host",
    }
    for url, start in cases.items():
        error = refused(url)
        assert str(error).startswith(start), (url, str(error))
        for line in (str(error), for_terminal(error), for_chat(error)):
            assert len(line.splitlines()) == 1 and "\r" not in line and "\n" not in line
            assert "Traceback" not in line and "Error(" not in line
    assert refused(web.url("/broken")).transient and not refused(web.url("/missing-here")).transient


@pytest.fixture
def not_http() -> Iterator[str]:
    """A TCP service that answers any request with an SSH banner: not HTTP at all."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            with client:
                client.recv(4096)
                client.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_a_server_that_does_not_speak_http_gets_a_one_line_error(not_http: str) -> None:
    error = refused(not_http)
    assert str(error).startswith("could not fetch (") and error.transient
    assert "\r" not in str(error) and "\n" not in str(error), repr(str(error))


def test_private_refusal_worded_for_the_terminal_and_for_chat(web: Web) -> None:
    url = web.url("/story")
    error = refused(url, Fetcher())
    terminal = for_terminal(error)
    assert terminal.startswith(f"{url}: 127.0.0.1 a private or reserved address")
    assert terminal.endswith("(NEWSDESK_ALLOW_PRIVATE_URLS=true allows it)")
    chat = for_chat(error)
    assert chat == f"Could not add {url}: 127.0.0.1 a private or reserved address."
    for setting_like in ("NEWSDESK", "ALLOW", "=true", "setting"):
        assert setting_like not in chat
