"""A real HTTP server on 127.0.0.1 serving what a test (or a benchmark) put on it.

Each path gets a :class:`Route`: a body and headers, and optionally the
misbehaviours the web is capable of (slow answers, trickled bytes, redirects,
error statuses, Retry-After, lies about compression). Conditional GET works
like a real server's: a matching ETag or Last-Modified earns a 304.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before answering
    trickle: float = 0.0  # seconds between single bytes of the body
    redirect_to: str | None = None
    gzip: bool = False  # send the body gzip-compressed
    raw_gzip: bytes | None = None  # send these bytes as a gzip body (for bombs)
    endless: bytes | None = None  # send this chunk over and over, chunked, until the client leaves
    raw_response: bytes | None = None  # send these bytes as the whole response (a broken server)


class _Handler(BaseHTTPRequestHandler):
    server: "FeedServer._HTTPServer"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        owner = self.server.owner
        path = self.path
        owner.hits[path] += 1
        owner.requests[path].append(dict(self.headers))
        route = owner.routes.get(path)
        if route is None:
            self._send(404, b"not here", "text/plain")
            return
        if route.delay:
            time.sleep(route.delay)
        if route.raw_response is not None:
            self.close_connection = True
            try:
                self.wfile.write(route.raw_response)
            except OSError:
                pass
            return
        if route.endless is not None:
            self._send_endless(route)
            return
        if route.redirect_to:
            self.send_response(route.status if route.status in (301, 302, 303, 307, 308) else 302)
            self.send_header("Location", route.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if route.status == 200 and (
            (route.etag and self.headers.get("If-None-Match") == route.etag)
            or (route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified)
        ):
            self.send_response(304)
            if route.etag:
                self.send_header("ETag", route.etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = route.body
        headers = dict(route.headers)
        if route.raw_gzip is not None:
            body = route.raw_gzip
            headers["Content-Encoding"] = "gzip"
        elif route.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        self._send(route.status, body, route.content_type, headers, route.trickle)

    def _send_endless(self, route: Route) -> None:
        """A body with no end and no length: chunk after chunk until the client hangs up."""
        self.close_connection = True
        chunk = b"%x\r\n%s\r\n" % (len(route.endless), route.endless)
        try:
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            owner = self.server.owner
            while not owner.stopping:
                self.wfile.write(chunk)
                owner.sent[self.path] += len(route.endless)
        except OSError:
            pass  # the client gave up on us, as it should

    def _send(self, status, body, content_type, headers=None, trickle=0.0) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if trickle:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(trickle)
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on us, as it should on a slow server


class FeedServer:
    """``with FeedServer() as server: server.add('/feed', Route(...)); server.url('/feed')``"""

    class _HTTPServer(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256
        owner: "FeedServer"

        def handle_error(self, request, client_address) -> None:
            import sys

            if not isinstance(sys.exc_info()[1], ConnectionError):  # a client hanging up is no error
                super().handle_error(request, client_address)

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: dict[str, list[dict]] = defaultdict(list)
        self.sent: Counter[str] = Counter()  # body bytes written by endless routes
        self.stopping = False
        self._server = self._HTTPServer(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping = True
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, route: Route | None = None, **options) -> str:
        self.routes[path] = route or Route(**options)
        return self.url(path)


def rss(items: list[dict], title: str = "Test feed", link: str = "https://outlet.example/") -> bytes:
    """An RSS 2.0 document; each item dict may hold title, link, guid, description, content, pubDate."""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f"<channel><title>{title}</title><link>{link}</link><description>test</description>",
    ]
    for item in items:
        out.append("<item>")
        for tag in ("title", "link", "guid", "pubDate"):
            if item.get(tag) is not None:
                out.append(f"<{tag}>{_escape(item[tag])}</{tag}>")
        if item.get("description") is not None:
            out.append(f"<description>{_escape(item['description'])}</description>")
        if item.get("content") is not None:
            out.append(f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>")
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(out).encode("utf-8")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
