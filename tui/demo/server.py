"""The demo's web server: the feeds and article pages in ``data/``, on 127.0.0.1.

``data/round1`` is what the outlets publish first. As soon as any feed is
asked for a second time (the next refresh), the server moves to round 2: a
file in ``data/round2`` replaces its round-1 namesake (feeds with new items,
edited pages), and everything else is served as before. Feeds and pages say
``{base}`` where their own address belongs. Every answer carries an ETag, and
a matching If-None-Match gets a 304, as from a real server.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

DATA = Path(__file__).resolve().parent / "data"


class DemoServer:
    """``with DemoServer() as server: server.url('/kura/feed.xml')``"""

    def __init__(self, data: Path = DATA):
        self.data = data.resolve()
        self.round = 1
        self._asked: set[str] = set()  # feeds requested at least once
        self._lock = threading.Lock()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.demo = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="demo-server", daemon=True)

    def __enter__(self) -> DemoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def feeds_yaml(self) -> str:
        """The demo's feeds.yaml, pointing at this server."""
        return (self.data / "feeds.yaml").read_text(encoding="utf-8").replace("{base}", self.base)

    def answer(self, path: str) -> tuple[bytes, str] | None:
        """The body and content type for a request path, or None (404)."""
        name = unquote(urlsplit(path).path).lstrip("/")
        if name.endswith(".xml"):
            with self._lock:
                if name in self._asked:
                    self.round = 2
                self._asked.add(name)
        for folder in (f"round{n}" for n in range(self.round, 0, -1)):
            file = (self.data / folder / name).resolve()
            if file.is_file() and file.is_relative_to(self.data / folder):
                body = file.read_bytes().replace(b"{base}", self.base.encode())
                return body, _content_type(file.suffix, body)
        return None


def _content_type(suffix: str, body: bytes) -> str:
    if suffix == ".html":
        return "text/html; charset=utf-8"
    rss = b"<rss" in body[:500]  # the root element, after the XML declaration
    return "application/rss+xml; charset=utf-8" if rss else "application/atom+xml; charset=utf-8"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    demo: DemoServer


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive: every answer has a Content-Length
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def log_message(self, *args) -> None:  # the reader owns the terminal
        pass

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:  # noqa: N802
        found = self.server.demo.answer(self.path)
        if found is None:
            body, content_type, etag = b"not found", "text/plain; charset=utf-8", None
            self.send_response(404)
        else:
            body, content_type = found
            etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                body = b""
                self.send_response(304)
            else:
                self.send_response(200)
        try:
            if body:
                self.send_header("Content-Type", content_type)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
