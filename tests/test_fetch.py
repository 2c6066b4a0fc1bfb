"""Fetching against a real HTTP server on 127.0.0.1: limits, validators, misbehaving servers."""

from __future__ import annotations

import asyncio
import gzip
import zlib

import pytest

from tui.fetch import USER_AGENT, FetchLimits, Fetcher, parse_retry_after

from feedserver import FeedServer


@pytest.fixture
def server():
    with FeedServer() as s:
        yield s


def fetch(url, limits=FetchLimits(), **kwargs):
    async def go():
        async with Fetcher(limits) as fetcher:
            return await fetcher.get(url, **kwargs)
    return asyncio.run(go())


def test_a_plain_fetch_names_itself_and_keeps_validators(server):
    url = server.add("/feed", body=b"<rss/>", etag='"v1"', last_modified="Sat, 01 Nov 2025 10:00:00 GMT")
    result = fetch(url)
    assert result.ok and result.body == b"<rss/>" and result.status == 200
    assert result.etag == '"v1"' and result.last_modified == "Sat, 01 Nov 2025 10:00:00 GMT"
    assert server.requests["/feed"][0]["User-Agent"] == USER_AGENT
    assert "caucasus-reader" in USER_AGENT


def test_conditional_get_earns_a_304(server):
    url = server.add("/feed", body=b"<rss/>", etag='"v1"')
    result = fetch(url, etag='"v1"')
    assert result.ok and result.not_modified and result.body is None and result.status == 304
    assert server.requests["/feed"][0]["If-None-Match"] == '"v1"'
    stale = fetch(url, etag='"v0"')
    assert stale.body == b"<rss/>" and not stale.not_modified


def test_redirects_are_followed_up_to_five_and_loops_are_refused(server):
    final = server.add("/final", body=b"ok")
    for i in range(5):
        server.add(f"/r{i}", redirect_to=server.url(f"/r{i + 1}") if i < 4 else final)
    assert fetch(server.url("/r0")).body == b"ok"
    server.add("/r-1", redirect_to=server.url("/r0"))
    assert fetch(server.url("/r-1")).error == "more than 5 redirects"
    server.add("/a", redirect_to=server.url("/b"))
    server.add("/b", redirect_to="/a")  # relative, and back again
    assert fetch(server.url("/a")).error.startswith("redirect loop")


@pytest.mark.parametrize("target", ["file:///etc/passwd", "javascript:alert(1)", "data:text/plain,hi", "ftp://x/y"])
def test_redirects_and_links_to_other_schemes_are_never_followed(server, target):
    url = server.add("/evil", redirect_to=target)
    result = fetch(url)
    assert result.body is None and "only http and https are fetched" in result.error
    assert "only http and https" in fetch(target).error


@pytest.mark.parametrize("status, words", [(404, "not found (HTTP 404)"), (500, "the server failed (HTTP 500)"),
                                           (410, "gone (HTTP 410)")])
def test_error_statuses_are_put_in_words(server, status, words):
    assert fetch(server.add("/x", status=status, body=b"nope")).error.startswith(words)


def test_429_carries_retry_after(server):
    result = fetch(server.add("/busy", status=429, headers={"Retry-After": "120"}))
    assert result.error.startswith("too many requests") and result.retry_after == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == 60
    assert parse_retry_after("soon") is None


def test_bodies_over_the_cap_are_not_read(server):
    limits = FetchLimits(feed_bytes=100_000)
    result = fetch(server.add("/big", body=b"x" * 200_000), limits)
    assert result.body is None and "larger than 97 KB" in result.error


def test_gzip_and_deflate_are_decoded_and_bombs_refused(server):
    text = b"<rss>" + b"Tbilisi " * 1000 + b"</rss>"
    assert fetch(server.add("/gz", body=text, gzip=True)).body == text
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    server.add("/deflate", body=raw_deflate.compress(text) + raw_deflate.flush(),
               headers={"Content-Encoding": "deflate"})
    assert fetch(server.url("/deflate")).body == text
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)  # 200 MB in ~200 KB
    assert len(bomb) < 300_000
    result = fetch(server.add("/bomb", raw_gzip=bomb), FetchLimits(feed_bytes=5 * 1024 * 1024))
    assert result.body is None and "once decompressed" in result.error
    junk = fetch(server.add("/junk", raw_gzip=b"this is not gzip at all"))
    assert "not valid gzip" in junk.error


def test_slow_and_trickling_servers_time_out(server):
    limits = FetchLimits(read_timeout=0.5, total_timeout=2.0)
    slow = fetch(server.add("/slow", body=b"late", delay=1.5), limits)
    assert slow.error.startswith("timed out")
    trickle = fetch(server.add("/trickle", body=b"x" * 100, trickle=0.1), limits)
    assert trickle.error == "no complete answer within 2 s" and trickle.elapsed < 3


def test_unreachable_hosts_are_reported_in_words():
    result = fetch("http://127.0.0.1:9/feed", FetchLimits(connect_timeout=2))
    assert result.error in ("connection refused",) or result.error.startswith("cannot connect")


def test_per_host_concurrency_is_bounded(server):
    for i in range(6):
        server.add(f"/p{i}", body=b"ok", delay=0.3)

    async def go():
        async with Fetcher(FetchLimits(per_host=2, concurrency=16)) as fetcher:
            return await asyncio.gather(*(fetcher.get(server.url(f"/p{i}")) for i in range(6)))

    import time
    started = time.monotonic()
    results = asyncio.run(go())
    assert all(r.ok for r in results)
    assert time.monotonic() - started >= 0.85  # 6 requests, 2 at a time, 0.3 s each


def test_cut_off_and_concatenated_compressed_bodies(server):
    whole = gzip.compress(b"<rss>" + b"Yerevan " * 500 + b"</rss>")
    cut = fetch(server.add("/cut", raw_gzip=whole[: len(whole) // 2]))
    assert cut.body is None and cut.error == "the gzip body ended before it was complete"
    two = gzip.compress(b"<rss>first half ") + gzip.compress(b"second half</rss>")
    assert fetch(server.add("/two", raw_gzip=two)).body == b"<rss>first half second half</rss>"


@pytest.mark.parametrize("link", ["http://127.0.0.1:70000/a", "http://127.0.0.1:99999/", "http://exa mple.org/"])
def test_impossible_addresses_are_errors_not_crashes(server, link):
    assert fetch(link).error
    assert "not fetched" in fetch(server.add("/hop", redirect_to=link)).error


def test_the_deadline_starts_when_a_request_is_sent_not_while_it_waits_its_turn(server):
    for i in range(6):
        server.add(f"/q{i}", body=b"ok", delay=0.6)

    async def go():
        async with Fetcher(FetchLimits(per_host=1, total_timeout=1.5)) as fetcher:
            return await asyncio.gather(*(fetcher.get(server.url(f"/q{i}")) for i in range(6)))

    results = asyncio.run(go())
    assert all(r.ok for r in results), [r.error for r in results]  # 3.6 s queued in all, 0.6 s each


def test_retry_after_needs_ascii_digits():
    assert parse_retry_after("\u00b2\u00b3") is None and parse_retry_after("30") == 30


def test_tls_certificates_are_verified(tmp_path):
    """An https server with a self-signed certificate is refused, in words."""
    import shutil
    import ssl
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("needs the openssl program to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True, timeout=60)

    class Hello(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"hi")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = fetch(f"https://127.0.0.1:{server.server_address[1]}/")
        assert result.body is None and result.error.startswith("secure connection failed")
        assert "CERTIFICATE_VERIFY_FAILED" in result.error
    finally:
        server.shutdown()
        server.server_close()
