"""Feed bytes to entries: feedparser on bytes we fetched, made uniform and safe.

feedparser is only ever handed bytes (it must never fetch anything itself).
Every entry comes out with a title, an identity key, an absolute http(s) link
or none, a UTC publication time or none, and plain text (HTML turned into
paragraphs), whatever the feed left out or got wrong.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from .text import terminal_safe

FULL_TEXT_CHARS = 1200  # feed content at least this long is taken as the article itself


@dataclass
class FeedEntry:
    key: str
    title: str
    url: str | None
    published: str | None
    summary: str  # plain text
    content: str  # plain text of the fullest body the feed carries ("" when none)
    updated: str | None = None  # the entry's own "updated" time, when it gives one

    @property
    def signature(self) -> str:
        """What changes when the feed shows an edit: title, summary, body or updated time."""
        data = "\x00".join((self.title, self.summary, self.content, self.updated or ""))
        return hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()

    @property
    def feed_text(self) -> str:
        """The best text the feed itself gives."""
        return self.content if len(self.content) > len(self.summary) else self.summary

    @property
    def has_full_text(self) -> bool:
        return len(self.content) >= FULL_TEXT_CHARS


@dataclass
class ParsedFeed:
    title: str | None
    entries: list[FeedEntry]
    problem: str | None = None  # why the feed is unusable, in words (None when usable)
    warning: str | None = None  # parsed, but the feed is not well-formed


# Every pattern here runs in time linear in the text, even on hostile input: an
# unclosed comment or script swallows the rest (as a browser would) instead of
# being searched for again from each later "<", and a tag may not contain "<".
_BLOCK = re.compile(r"(?i)<\s*(?:br|/p|p|/div|div|/li|li|/h[1-6]|h[1-6]|/blockquote|blockquote|tr|/tr)\b[^<>]*>")
_TAG = re.compile(r"<[^<>]*>")
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_SCRIPT = re.compile(r"(?is)<(script|style)\b.*?(?:</\1\s*>|\Z)")
MAX_FIELD_CHARS = 500_000  # no feed field is longer; a hostile one is cut here
MAX_TITLE_CHARS = 1000  # nor any headline (the longest real ones are about 300)
_BLANKS = re.compile(r"[ \t\r\f\v\u00a0]+")
_PARAS = re.compile(r"\s*\n\s*(?:\n\s*)*")


def html_to_text(markup: str | None) -> str:
    """Plain text from an HTML fragment: paragraphs kept, tags and entities gone."""
    if not markup:
        return ""
    text = _SCRIPT.sub(" ", _COMMENT.sub(" ", markup[:MAX_FIELD_CHARS]))
    text = _BLOCK.sub("\n\n", text)
    text = html.unescape(_TAG.sub("", text))
    paragraphs = [_BLANKS.sub(" ", p).strip() for p in _PARAS.split(text)]
    return "\n\n".join(p for p in paragraphs if p)


_LINK_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")


def clean_link(link: str | None, base: str) -> str | None:
    """An absolute http(s) link without its fragment, or None for anything else."""
    if not link or not isinstance(link, str):
        return None
    try:
        absolute = urljoin(base, link.strip())
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or _LINK_UNSAFE.search(parts.netloc):
        return None
    # Controls, bidi and zero-width characters would be shown, and reorder or hide
    # what is shown: percent-encoded, as a browser's address bar writes them.
    path, query = (_LINK_UNSAFE.sub(lambda m: quote(m.group()), part) for part in (parts.path or "/", parts.query))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def _utc_iso(parsed) -> str | None:
    """feedparser's UTC struct_time to ISO 8601, or None."""
    if not parsed:
        return None
    try:
        moment = datetime.fromtimestamp(calendar.timegm(parsed), timezone.utc)
    except (OverflowError, ValueError, TypeError, OSError):
        return None
    if not 1990 <= moment.year <= datetime.now(timezone.utc).year + 1:
        return None  # an impossible date is no date
    return moment.isoformat(timespec="seconds")


def _from_feedparser(raw) -> dict:
    """The fields we use from one feedparser entry, in the simple reader's shape."""
    link = raw.get("link")
    if not link:
        for alt in raw.get("links") or []:
            if alt.get("rel", "alternate") == "alternate" and alt.get("href"):
                link = alt.get("href")
                break
    contents = [c.get("value") or "" for c in raw.get("content") or [] if isinstance(c, dict)]
    return {
        "title": raw.get("title") or "",
        "link": link or "",
        "id": raw.get("id") if isinstance(raw.get("id"), str) else "",
        "summary": raw.get("summary") or "",
        "content": max(contents, key=len, default=""),
        # dict.get: feedparser's own lookup maps missing keys onto others, with a warning
        "published": _utc_iso(dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")
                              or dict.get(raw, "created_parsed")),
        "updated": _utc_iso(dict.get(raw, "updated_parsed")),
    }


def _entry(raw: dict, base: str, identity: str, feed_title: str | None) -> FeedEntry:
    link = clean_link(raw["link"], base)
    content = html_to_text(raw["content"])
    summary = html_to_text(raw["summary"]) or content  # as feedparser does when only content is given
    title = html_to_text(raw["title"]).replace("\n\n", " ").strip()
    if not title:
        source = summary or content
        title = (source[:90].rsplit(" ", 1)[0] + "…") if len(source) > 90 else source
        title = title or f"(untitled item from {feed_title or 'this feed'})"
    # A headline is one line of plain text wherever it goes (lists, JSON, messages):
    # no escape sequences, controls, bidi overrides or line breaks from the feed.
    # The key below is made from the title as it was, so identities do not change.
    shown = terminal_safe(title, one_line=True) or (
        f"(untitled item from {terminal_safe(feed_title, one_line=True) or 'this feed'})")
    if len(shown) > MAX_TITLE_CHARS:  # a megabyte of headline would weigh on every list and JSON
        shown = shown[:MAX_TITLE_CHARS - 1].rstrip() + "…"
    guid = raw["id"].strip() or None
    if link:
        key = link
    elif guid:
        key = f"guid:{identity}#{guid}"
    else:
        digest = hashlib.blake2b(f"{title}\n{summary}".encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()
        key = f"item:{identity}#{digest}"
    return FeedEntry(key=key, title=shown, url=link, published=raw["published"], summary=summary, content=content,
                     updated=raw.get("updated"))


def _entries(raws, url: str, identity: str, feed_title: str | None) -> tuple[list[FeedEntry], int]:
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    unreadable = 0
    for raw in raws:
        try:
            entry = _entry(raw, url, identity, feed_title)
        except Exception:  # noqa: BLE001 - one broken item must not lose the others
            unreadable += 1
            continue
        if entry.key in seen:
            continue  # the same item twice in one feed (duplicate GUID or link)
        seen.add(entry.key)
        entries.append(entry)
    return entries, unreadable


def parse_feed(body: bytes, url: str, content_type: str | None = None, identity: str | None = None) -> ParsedFeed:
    """Parse fetched bytes. Never raises: an unusable feed comes back with ``problem`` set.

    ``url`` is where the bytes came from (relative links resolve against it);
    ``identity`` is the feed's address as configured, which keys items that
    have no link, so a redirect or an http->https move does not duplicate them.
    """
    identity = identity or url
    from .simplefeed import read_simple  # lxml loads in the workers that parse, not at start

    simple = read_simple(body, content_type)
    if simple is not None:
        title, raws = simple
        feed_title = html_to_text(title) or None
        entries, unreadable = _entries(raws, url, identity, feed_title)
        warning = f"{unreadable} items could not be read" if unreadable else None
        return ParsedFeed(title=feed_title, entries=entries, warning=warning)
    return _parse_with_feedparser(body, url, content_type, identity)


def _parse_with_feedparser(body: bytes, url: str, content_type: str | None, identity: str | None = None) -> ParsedFeed:
    import feedparser  # imported where parsing happens (worker processes), not at start

    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    try:
        # No sanitizing: the HTML is never shown, only turned into text by
        # html_to_text, which drops scripts with their contents.
        parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=True)
    except Exception as exc:  # noqa: BLE001 - feedparser on hostile bytes; report, never crash
        return ParsedFeed(title=None, entries=[], problem=f"the feed could not be parsed ({type(exc).__name__}: {exc})")
    feed_title = (html_to_text(parsed.feed.get("title")) or None) if isinstance(parsed.feed, dict) else None
    raws = []
    for raw in parsed.entries:
        try:
            raws.append(_from_feedparser(raw))
        except Exception:  # noqa: BLE001 - a broken item is counted, not fatal
            raws.append(None)
    entries, unreadable = _entries((r for r in raws if r is not None), url, identity or url, feed_title)
    unreadable += raws.count(None)
    problem = warning = None
    if not entries and (b"<html" in body[:2000].lower() or "html" in (content_type or "").lower()):
        return ParsedFeed(title=None, entries=[],
                          problem="not a feed: the address serves a web page (HTML), not RSS or Atom")
    soft = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
    if parsed.get("bozo") and isinstance(parsed.get("bozo_exception"), soft) and parsed.get("version"):
        pass  # a wrong Content-Type or charset label, and the feed parsed anyway: nothing to report
    elif parsed.get("bozo"):
        reason = _bozo_words(parsed.get("bozo_exception"))
        if entries:
            warning = f"not well-formed ({reason}); read what could be read"
        else:
            problem = f"not a readable feed ({reason})"
    elif not entries and not parsed.get("version"):
        problem = "not a feed (no RSS or Atom found)"
    if unreadable:
        skipped = f"{unreadable} item{'s' if unreadable > 1 else ''} could not be read"
        warning = f"{warning}; {skipped}" if warning else skipped
    return ParsedFeed(title=feed_title, entries=entries, problem=problem, warning=warning)


def _bozo_words(exc) -> str:
    if exc is None:
        return "unknown error"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return terminal_safe(text, one_line=True)[:200]  # it may quote the feed's bytes
