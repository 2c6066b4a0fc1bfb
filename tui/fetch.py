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
"""

from __future__ import annotations

import asyncio
import email.utils
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import httpx

from . import __version__

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
    per_host: int = 2


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
    """One client for a refresh: shared connections, overall and per-host limits."""

    def __init__(self, limits: FetchLimits = FetchLimits(), user_agent: str = USER_AGENT):
        self.limits = limits
        self.user_agent = user_agent
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._overall = asyncio.Semaphore(limits.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(limits.per_host))

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc) -> None:
        for client in self._clients.values():
            await client.aclose()

    def _client(self, scheme: str) -> httpx.AsyncClient:
        """One client per scheme, made on first use: building the TLS context
        costs ~50 ms, which a refresh of plain-http feeds need not pay."""
        client = self._clients.get(scheme)
        if client is None:
            limits = self.limits
            client = self._clients[scheme] = httpx.AsyncClient(
                follow_redirects=False,
                verify=scheme == "https",
                timeout=httpx.Timeout(
                    connect=limits.connect_timeout, read=limits.read_timeout,
                    write=limits.read_timeout, pool=limits.total_timeout,
                ),
                limits=httpx.Limits(max_connections=limits.concurrency,
                                    max_keepalive_connections=limits.concurrency),
                headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
                trust_env=False,  # no proxies or netrc picked up from the environment
            )
        return client

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
        except TimeoutError:
            result.error = f"no complete answer within {self.limits.total_timeout:.0f} s"
        except FetchError as exc:
            result.error = str(exc)
        except httpx.TimeoutException as exc:
            result.error = f"timed out ({type(exc).__name__.replace('Timeout', '').lower() or 'read'})"
        except httpx.HTTPError as exc:
            result.error = _describe_http_error(exc)
        except (OSError, ValueError, UnicodeError) as exc:
            result.error = f"cannot fetch: {exc}"
        except Exception as exc:  # noqa: BLE001 - one address must never stop a refresh
            result.error = f"cannot fetch: {type(exc).__name__}: {exc}"
        if result.error:
            result.body = None
        result.elapsed = time.monotonic() - started
        return result

    async def _get(self, result: FetchResult, etag, last_modified, limit, accept) -> None:
        url = result.url
        seen = {url}
        deadline: float | None = None  # starts when the first request goes out, not while queued
        for hop in range(self.limits.max_redirects + 1):
            why = check_url(url)
            if why:
                raise FetchError(why)
            headers = {}
            if hop == 0 and etag:
                headers["If-None-Match"] = etag
            if hop == 0 and last_modified:
                headers["If-Modified-Since"] = last_modified
            if accept:
                headers["Accept"] = accept
            host = (urlsplit(url).hostname or "").lower()
            # The host's slot first: waiting for a busy host must not hold one of the overall slots.
            async with self._hosts[host], self._overall:
                loop = asyncio.get_running_loop()
                deadline = deadline or loop.time() + self.limits.total_timeout
                async with asyncio.timeout_at(deadline):
                    done = await self._hop(result, url, seen, headers, limit)
                if done:
                    return
                url = result.final_url
        raise FetchError(f"more than {self.limits.max_redirects} redirects")

    async def _hop(self, result: FetchResult, url: str, seen: set[str], headers: dict, limit: int) -> bool:
        """One request; True when finished, False when redirected to ``result.final_url``."""
        client = self._client(urlsplit(url).scheme.lower())
        try:
            request = client.build_request("GET", url, headers=headers)
        except httpx.InvalidURL as exc:
            raise FetchError(f"not a valid address ({exc})") from None
        try:
            response = await client.send(request, stream=True)
        except httpx.InvalidURL:
            # httpx prepares the next hop even when not following it, and
            # chokes on a Location such as "javascript:..." before we see it.
            raise FetchError("redirected to an address that is not fetched: only http and https are fetched") from None
        try:
            result.status = response.status_code
            result.final_url = url
            if response.status_code in REDIRECTS and "location" in response.headers:
                target = urljoin(url, response.headers["location"].strip())
                if target in seen:
                    raise FetchError(f"redirect loop ({url} -> {target})")
                why = check_url(target)
                if why:
                    raise FetchError(f"redirected to an address that is not fetched: {why}")
                seen.add(target)
                result.final_url = target
                await _drain(response)
                return False
            self._read_headers(result, response)
            if response.status_code == 304:
                result.not_modified = True
                await _drain(response)
                return True
            if response.status_code >= 400:
                await _drain(response)
                raise FetchError(_status_words(response.status_code, response.reason_phrase))
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit and "content-encoding" not in response.headers:
                raise FetchError(f"larger than {_size(limit)} ({_size(int(declared))} announced); not read")
            inflater = _Inflater(response.headers.get("content-encoding", ""), limit)
            parts = []
            async for chunk in response.aiter_raw(CHUNK):
                parts.append(inflater.feed(chunk))
            inflater.finish()
            result.body = b"".join(parts)
            return True
        finally:
            await response.aclose()

    @staticmethod
    def _read_headers(result: FetchResult, response: httpx.Response) -> None:
        h = response.headers
        result.etag = h.get("etag")
        result.last_modified = h.get("last-modified")
        result.content_type = h.get("content-type")
        if response.status_code in (429, 503):
            result.retry_after = parse_retry_after(h.get("retry-after"))


async def _drain(response: httpx.Response, limit: int = 64 * 1024) -> None:
    """Read a small unwanted body to its end, so the connection can be reused
    (one left unread is closed); give up on a large one."""
    read = 0
    async for chunk in response.aiter_raw(CHUNK):
        read += len(chunk)
        if read > limit:
            return


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


def _describe_http_error(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
            return "the host name could not be resolved (offline?)"
        if "refused" in text:
            return "connection refused"
        return f"cannot connect ({exc})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server broke the HTTP protocol ({exc})"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "only http and https are fetched"
    return f"{type(exc).__name__}: {exc}"
