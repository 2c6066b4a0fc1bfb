"""OPML import and export, compatible with newsboat's files.

Export writes one ``<outline type="rss">`` per feed with ``xmlUrl``, ``title``
and ``text`` (what newsboat and most readers look for) plus ``regional`` and
``extract`` attributes that other readers ignore and caucasus-reader reads
back. Import accepts outlines at any depth (folders are how newsboat and
others group feeds) and adds the feeds that feeds.yaml does not list yet,
inserting them as text so the user's comments and layout stay as they were.
"""

from __future__ import annotations

import stat
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

from .config import Config, check_feed_url, normalise_url, parse_config
from .errors import ReaderError
from .storage import atomic_write_bytes


class OpmlError(ReaderError):
    exit_code = 2


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    name: str | None = None
    regional: bool | None = None
    extract: bool | None = None


def _attr(element: ET.Element, name: str) -> str | None:
    """An attribute by name, ignoring case (xmlUrl, xmlurl and XMLURL all occur)."""
    for key, value in element.attrib.items():
        if key.lower() == name.lower():
            return value.strip()
    return None


def _flag(element: ET.Element, name: str) -> bool | None:
    value = (_attr(element, name) or "").lower()
    return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(value)


def parse_opml(data: bytes, source: str = "OPML") -> tuple[list[OpmlFeed], list[str]]:
    """The feeds in an OPML document, and a note for each outline that was skipped."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"{source}: not a readable OPML file ({exc})") from None
    if root.tag.lower() != "opml":
        raise OpmlError(f"{source}: not an OPML file (the document is <{root.tag}>, not <opml>)")
    feeds: list[OpmlFeed] = []
    skipped: list[str] = []
    for outline in root.iter():
        if outline.tag.lower() != "outline":
            continue
        url = _attr(outline, "xmlUrl")
        if url is None:
            continue  # a folder
        name = _attr(outline, "title") or _attr(outline, "text") or None
        why = check_feed_url(url)
        if why:
            skipped.append(f"{source}: skipped {name or 'an outline'}: {url!r} {why}")
            continue
        feeds.append(OpmlFeed(url, name, _flag(outline, "regional"), _flag(outline, "extract")))
    return feeds, skipped


def export_opml(config: Config) -> bytes:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "caucasus-reader feeds"
    ET.SubElement(head, "dateCreated").text = datetime.now(timezone.utc).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    body = ET.SubElement(root, "body")
    for feed in config.feeds:
        ET.SubElement(
            body,
            "outline",
            type="rss",
            text=feed.name,
            title=feed.name,
            xmlUrl=feed.url,
            regional="true" if feed.regional else "false",
            extract="true" if feed.extract else "false",
        )
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _feed_yaml(feed: OpmlFeed) -> str:
    entry: dict = {"url": feed.url}
    if feed.name:
        entry["name"] = feed.name
    if feed.regional is not None:
        entry["regional"] = feed.regional
    if feed.extract is not None:
        entry["extract"] = feed.extract
    return yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=1000)


def _last_line(node: yaml.Node) -> int:
    """The 0-based last line holding content of a node (block nodes end at the next token)."""
    if isinstance(node, yaml.ScalarNode):
        end = node.end_mark
        return end.line - 1 if end.column == 0 and end.line > node.start_mark.line else end.line
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            children += [key, value]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    return max((_last_line(c) for c in children), default=node.start_mark.line)


def add_feeds_to_config(config: Config, new: list[OpmlFeed]) -> list[OpmlFeed]:
    """Append the feeds feeds.yaml does not have; return those added.

    The new entries are inserted as text after the last feed, so comments and
    layout stay as they are. An inline list (``feeds: [...]``) or an empty
    ``feeds:`` is rewritten as a block list holding the old entries and the new.
    """
    seen = {normalise_url(f.url) for f in config.feeds}
    to_add = []
    for feed in new:
        norm = normalise_url(feed.url)
        if norm not in seen:
            seen.add(norm)
            to_add.append(feed)
    if not to_add:
        return []
    path = Path(config.path).resolve()  # write through a symlink, not over it
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    block = "".join(_feed_yaml(f) for f in to_add)
    root = yaml.compose(text)
    feeds_key = feeds_node = None
    for key, value in root.value if isinstance(root, yaml.MappingNode) else []:
        if key.value == "feeds":
            feeds_key, feeds_node = key, value
    if isinstance(feeds_node, yaml.SequenceNode) and feeds_node.value and not feeds_node.flow_style:
        first = feeds_node.value[0]
        dash = lines[first.start_mark.line].rfind("-", 0, first.start_mark.column)
        indent = " " * max(dash, 0)
        after = _last_line(feeds_node.value[-1]) + 1
        lines[after:after] = ["".join(indent + line + "\n" for line in block.splitlines())]
    elif feeds_node is not None:
        start, end = feeds_key.start_mark, feeds_node.end_mark
        span = text[feeds_node.start_mark.index:end.index]
        old_entries = yaml.safe_dump(yaml.safe_load(span) or [], sort_keys=False, allow_unicode=True, width=1000)
        entries = (old_entries if old_entries.strip() != "[]" else "") + block
        indented = "".join("  " + line + "\n" for line in entries.splitlines())
        rest = text[end.index:]
        lines = [text[: start.index], f"feeds:\n{indented}", rest.lstrip(" ") if rest.strip() else ""]
    else:
        lines.append("feeds:\n" + "".join("  " + line + "\n" for line in block.splitlines()))
    updated = "".join(lines)
    parse_config(updated, config.path)  # never write a file we would then refuse
    atomic_write_bytes(path, updated.encode("utf-8"), mode=stat.S_IMODE(path.stat().st_mode))
    return to_add
