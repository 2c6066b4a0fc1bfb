"""Polite, bounded HTTP fetching for feeds and article pages.

What a hostile or broken web can do, and what stops it here:
* too many requests at once: one overall limit and one per host;
* slow or silent servers: connect/read timeouts and a total deadline;
* redirect chains and loops: at most five hops, each checked, and only to
  http or https (a feed's ``file:`` or ``javascript:`` link is never fetched);
* huge bodies and decompression bombs: bodies are read as a stream and
  decompressed here, with a cap on the *decompressed* size enforced while
  reading, so neither the wire nor the inflater can make memory grow past it.
Conditional GET (ETag / Last-Modified) lets an unchanged feed cost one 304.

Requests run on the standard library's http.client in a pool of threads, with
connections kept alive per host: for a refresh of hundreds of small feeds it
costs a fraction of the CPU (and of the import time) of an async client, and
network waits release the GIL for the parsing going on meanwhile.
"""

from __future__ import annotations

import asyncio
import email.utils
import http.client
import socket
import ssl
import threading
import time
import zlib
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timezone
from urllib.parse import quote, urljoin, urlsplit

from . import __version__
from .text import terminal_safe

USER_AGENT = f"caucasus-reader/{__version__} (+https://github.com/caucasus-reader; terminal news reader)"
REDIRECTS = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchLimits:
    feed_bytes: int = 10 * 1024 * 1024
    page_bytes: int = 5 * 1024 * 1024
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_redirects: int = 5
    concurrency: int = 16
    per_host: int = 4  # browsers open 6 per host; conditional GETs are cheap for servers


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: int | None = None
    body: bytes | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    retry_after: float | None = None  # seconds the server asked us to wait (429/503)
    error: str | None = None  # what went wrong, in words
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


class FetchError(Exception):
    """A fetch that cannot succeed; the message says why in words."""


def check_url(url: str) -> str | None:
    """Why ``url`` must not be fetched, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a valid address"
    if parts.scheme.lower() not in ("http", "https"):
        return f"{parts.scheme or 'a relative'} link refused: only http and https are fetched"
    if not parts.hostname:
        return "the address has no host"
    try:
        parts.port
    except ValueError:
        return "the address has an invalid port"
    if any(ord(ch) < 33 or 127 <= ord(ch) < 160 for ch in url):
        return "the address contains spaces or control characters"
    return None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now if now is not None else time.time()
    return max(0.0, when.timestamp() - now)


class _Inflater:
    """Undo Content-Encoding (gzip, deflate) with a hard cap on the output."""

    def __init__(self, encoding: str, limit: int):
        self.limit = limit
        self.produced = 0
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip() and c.strip().lower() != "identity"]
        if len(codings) > 1:
            raise FetchError(f"stacked content encodings ({encoding}) refused")
        self.coding = codings[0] if codings else None
        if self.coding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            self._z = None  # zlib-wrapped or raw deflate: decided on the first bytes
        elif self.coding is None:
            self._z = None
        else:
            raise FetchError(f"unsupported content encoding {encoding!r}")

    def feed(self, data: bytes) -> bytes:
        if self.coding is None:
            out = data
        else:
            out = b""
            pending = data
            while pending:
                if self._z is None:  # deflate: zlib-wrapped or raw, told by the first bytes
                    wrapped = len(pending) >= 2 and (pending[0] & 0x0F) == 8 and ((pending[0] << 8) | pending[1]) % 31 == 0
                    self._z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
                elif self._z.eof:
                    if self.coding == "deflate" or not pending.strip(b"\0"):
                        break  # trailing bytes after the stream: ignored
                    self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)  # the next gzip member
                room = self.limit - self.produced - len(out) + 1
                try:
                    out += self._z.decompress(pending, room)
                except zlib.error as exc:
                    raise FetchError(f"the body is not valid {self.coding} data ({exc})") from None
                pending = self._z.unconsumed_tail or (self._z.unused_data if self._z.eof else b"")
                if self.produced + len(out) > self.limit:
                    break
        self.produced += len(out)
        if self.produced > self.limit:
            raise FetchError(f"larger than {_size(self.limit)} once decompressed; not read further")
        return out

    def finish(self) -> None:
        """Refuse a compressed body that stopped before its end (a cut connection)."""
        if self.coding is not None and (self._z is None or not self._z.eof):
            raise FetchError(f"the {self.coding} body ended before it was complete")


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


class Fetcher:
    """One fetcher for a refresh: shared connections, overall and per-host limits.

    ``await fetcher.get(url)`` from asyncio; the request itself runs in a thread.
    """

    def __init__(self, limits: FetchLimits = FetchLimits(), user_agent: str = USER_AGENT):
        self.limits = limits
        self.user_agent = user_agent
        self._threads = ThreadPoolExecutor(max_workers=limits.concurrency, thread_name_prefix="fetch")
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(limits.per_host))
        self._idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = defaultdict(list)
        self._idle_lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None
        self._active: set[http.client.HTTPConnection] = set()  # in use by a thread now
        self._aborted = False

    async def __aenter__(self) -> Fetcher:
        return self

    def abort(self) -> None:
        """Stop now (the user quit): refuse new requests and cut the ones waiting
        on the network, whose threads would otherwise sit out their timeouts."""
        self._aborted = True
        with self._idle_lock:
            active = list(self._active)
        for connection in active:
            if connection.sock is not None:
                try:
                    connection.sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked reading
                except OSError:
                    pass

    async def __aexit__(self, *exc) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        with self._idle_lock:
            for connections in self._idle.values():
                for connection in connections:
                    connection.close()
            self._idle.clear()

    async def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None,
        max_bytes: int | None = None, accept: str | None = None,
    ) -> FetchResult:
        """Fetch ``url``; never raises for network or server trouble (see ``error``)."""
        started = time.monotonic()
        result = FetchResult(url=url, final_url=url)
        limit = max_bytes or self.limits.feed_bytes
        try:
            await self._get(result, etag, last_modified, limit, accept)
        except FetchError as exc:
            result.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - one address must never stop a refresh
            result.error = f"cannot fetch: {type(exc).__name__}: {exc}"
        if result.error:
            # The words may quote the server (a status line, a reason phrase): never its escapes.
            result.error = terminal_safe(result.error, one_line=True)
            result.body = None
        result.elapsed = time.monotonic() - started
        return result

    async def _get(self, result: FetchResult, etag, last_modified, limit, accept) -> None:
        url = result.url
        seen = {url}
        deadline: float | None = None  # starts when the first request goes out, not while queued
        loop = asyncio.get_running_loop()
        for hop in range(self.limits.max_redirects + 1):
            if self._aborted:
                raise FetchError("cancelled")
            why = check_url(url)
            if why:
                raise FetchError(why if hop == 0 else f"redirected to an address that is not fetched: {why}")
            headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"}
            if hop == 0 and etag:
                headers["If-None-Match"] = etag
            if hop == 0 and last_modified:
                headers["If-Modified-Since"] = last_modified
            if accept:
                headers["Accept"] = accept
            host = (urlsplit(url).hostname or "").lower()
            async with self._hosts[host]:  # a host's turn is awaited here, not in a thread
                deadline = deadline or time.monotonic() + self.limits.total_timeout
                target = await loop.run_in_executor(self._threads, self._request, result, url, headers, limit, deadline)
            if target is None:
                return
            if target in seen:
                raise FetchError(f"redirect loop ({url} -> {target})")
            seen.add(target)
            url = target
        raise FetchError(f"more than {self.limits.max_redirects} redirects")

    # -- in a thread ------------------------------------------------------------
    def _request(self, result: FetchResult, url: str, headers: dict, limit: int, deadline: float) -> str | None:
        """One request, filling ``result``; returns where a redirect points, or None."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, parts.hostname or "", port)
        headers = {**headers, "Host": _host_header(parts)}
        target = _request_target(parts)
        with self._idle_lock:
            connection = self._idle[key].pop() if self._idle[key] else None
            if connection is not None:
                self._active.add(connection)
        reused = connection is not None
        try:
            if connection is None:
                connection = self._connect(key)
            try:
                response = self._send(connection, target, headers, deadline)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if not reused:
                    raise
                # The server closed the kept-alive connection meanwhile: once more, afresh.
                connection.close()
                connection = self._connect(key)
                response = self._send(connection, target, headers, deadline)
            redirect = self._read(result, url, response, connection, limit, deadline)
        except BaseException as exc:
            if connection is not None:
                connection.close()
            if self._aborted:
                raise FetchError("cancelled") from None
            raise _in_words(exc, deadline, self.limits.total_timeout) from None
        finally:
            with self._idle_lock:
                self._active.discard(connection)
        if response.will_close or not response.isclosed():
            connection.close()
        else:
            with self._idle_lock:
                self._idle[key].append(connection)
        return redirect

    def _send(self, connection, target: str, headers: dict, deadline: float) -> http.client.HTTPResponse:
        connection.request("GET", target, headers=headers)
        _settle(connection, self.limits.read_timeout, deadline)  # waiting for the answer is reading
        return connection.getresponse()

    def _connect(self, key: tuple[str, str, int]) -> http.client.HTTPConnection:
        scheme, host, port = key
        timeout = self.limits.connect_timeout
        if scheme == "https":
            if self._tls is None:
                self._tls = _tls_context()  # built on first use: ~10-50 ms a plain-http refresh need not pay
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._tls)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        with self._idle_lock:
            self._active.add(connection)  # abort() can cut it while it connects
        try:
            connection.connect()
        except TimeoutError:
            connection.close()
            raise FetchError("timed out (connect)") from None
        return connection

    def _read(self, result, url, response, connection, limit, deadline) -> str | None:
        result.status = response.status
        result.final_url = url
        if response.status in REDIRECTS and response.getheader("location"):
            _drain(response, deadline)
            return urljoin(url, response.getheader("location").strip())
        result.etag = response.getheader("etag")
        result.last_modified = response.getheader("last-modified")
        result.content_type = response.getheader("content-type")
        if response.status in (429, 503):
            result.retry_after = parse_retry_after(response.getheader("retry-after"))
        if response.status == 304:
            result.not_modified = True
            _drain(response, deadline)
            return None
        if response.status >= 400:
            _drain(response, deadline)
            raise FetchError(_status_words(response.status, response.reason))
        declared = response.getheader("content-length", "")
        encoding = response.getheader("content-encoding", "")
        if declared.isdigit() and int(declared) > limit and not encoding:
            raise FetchError(f"larger than {_size(limit)} ({_size(int(declared))} announced); not read")
        inflater = _Inflater(encoding, limit)
        parts = []
        while True:
            if time.monotonic() >= deadline:
                raise FetchError(f"no complete answer within {self.limits.total_timeout:.0f} s")
            _settle(connection, self.limits.read_timeout, deadline)
            chunk = response.read1(CHUNK)
            if not chunk:
                break
            parts.append(inflater.feed(chunk))
        inflater.finish()
        result.body = b"".join(parts)
        return None


def _settle(connection, read_timeout: float, deadline: float) -> None:
    """Each wait for bytes ends at the read timeout or at the deadline, whichever is first."""
    if connection.sock is not None:
        connection.sock.settimeout(max(0.01, min(read_timeout, deadline - time.monotonic())))


def _in_words(exc: BaseException, deadline: float, total: float) -> BaseException:
    """A request's failure as a FetchError that says what happened."""
    if isinstance(exc, FetchError) or not isinstance(exc, Exception):
        return exc
    if isinstance(exc, TimeoutError):
        if time.monotonic() >= deadline - 0.02:
            return FetchError(f"no complete answer within {total:.0f} s")
        return FetchError("timed out (no data within the read timeout)")
    if isinstance(exc, socket.gaierror):
        return FetchError("the host name could not be resolved (offline?)")
    if isinstance(exc, ConnectionRefusedError):
        return FetchError("connection refused")
    if isinstance(exc, ssl.SSLError):
        return FetchError(f"secure connection failed ({exc.reason or exc})")
    if isinstance(exc, http.client.HTTPException):
        return FetchError(f"the server broke the HTTP protocol ({type(exc).__name__}: {exc})")
    if isinstance(exc, OSError):
        return FetchError(f"cannot connect ({exc.strerror or exc})")
    return FetchError(f"cannot fetch: {type(exc).__name__}: {exc}")


def _drain(response: http.client.HTTPResponse, deadline: float, limit: int = 64 * 1024) -> None:
    """Read a small unwanted body to its end, so the connection can be reused
    (a response left unread closes it); give up on a large one."""
    read = 0
    while time.monotonic() < deadline:
        chunk = response.read1(CHUNK)
        if not chunk:
            return
        read += len(chunk)
        if read > limit:
            response.close()
            return


def _request_target(parts) -> str:
    """The path and query as ASCII: a feed's links may be written in any script."""
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
    query = quote(parts.query, safe="/%:@!$&'()*+,;=?~-._")
    return f"{path}?{query}" if parts.query else path


def _host_header(parts) -> str:
    host = (parts.hostname or "").encode("idna").decode("ascii")
    return f"{host}:{parts.port}" if parts.port else host


def _tls_context() -> ssl.SSLContext:
    try:
        import certifi  # the same trust store on every platform, when it is installed

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


def _status_words(status: int, reason: str) -> str:
    common = {
        401: "the server wants a login (HTTP 401)",
        403: "the server refused access (HTTP 403)",
        404: "not found (HTTP 404)",
        410: "gone (HTTP 410): the server says it was removed for good",
        429: "too many requests (HTTP 429): the server asked us to slow down",
        500: "the server failed (HTTP 500)",
        502: "bad gateway (HTTP 502)",
        503: "the server is unavailable (HTTP 503)",
        504: "gateway timeout (HTTP 504)",
    }
    return common.get(status, f"HTTP {status} {reason}".strip())
