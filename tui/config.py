"""feeds.yaml: which feeds to watch and how, validated with line numbers.

The file is parsed into YAML nodes (which remember their line) and checked
against the schema by hand, so every problem is reported as
``PATH:LINE: KEY: what is wrong``, all of them at once, never as a traceback.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

from .errors import ConfigError

try:  # the C loader is much faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

DEFAULT_REFRESH_SECONDS = 30 * 60
MIN_REFRESH_SECONDS = 60
MAX_REFRESH_SECONDS = 7 * 86400


@dataclass(frozen=True)
class Feed:
    url: str
    name: str
    regional: bool = False
    extract: bool = True
    line: int = 0  # where it is defined, for messages about it


@dataclass(frozen=True)
class Settings:
    refresh_interval: int = DEFAULT_REFRESH_SECONDS  # seconds
    retention_days: int | None = None
    keys: dict[str, str] = field(default_factory=dict)  # reader key remapping: binding id -> keys


@dataclass(frozen=True)
class Config:
    path: Path
    feeds: list[Feed] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    keywords: list[str] = field(default_factory=list)


FEED_KEYS = {"url", "name", "regional", "extract"}
SETTINGS_KEYS = {"refresh_interval", "retention_days", "keys"}
TOP_KEYS = {"feeds", "settings", "keywords"}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


def normalise_url(url: str) -> str:
    """The form used to tell two feed addresses apart (case of scheme and host, default port)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", parts.query, ""))


def check_feed_url(url: str) -> str | None:
    """Why ``url`` cannot be a feed address, or None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # raises on a port that is not a number
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        shown = parts.scheme or "no scheme"
        return f"must start with http:// or https:// (found {shown})"
    if not parts.hostname:
        return "has no host name"
    if any(ch.isspace() for ch in url):
        return "contains spaces"
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in url):
        return "contains control characters"
    return None


class _Checker:
    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []

    def problem(self, node: yaml.Node | None, key: str, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        where = f"{key}: " if key else ""
        self.problems.append(f"{self.path}:{line}: {where}{message}")

    # -- node helpers ------------------------------------------------------
    def mapping(self, node: yaml.Node, key: str, allowed: set[str]) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, key, f"expected a mapping of keys to values, found {_kind(node)}")
            return {}
        items: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            label = f"{key}.{name}" if key and name else (name or key)
            if name is None:
                self.problem(key_node, key, "keys must be plain words")
                continue
            if name in items:
                first = items[name][0].start_mark.line + 1
                self.problem(key_node, label, f"appears twice (first on line {first})")
                continue
            if name not in allowed:
                hint = difflib.get_close_matches(name, sorted(allowed), n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                self.problem(
                    key_node, label,
                    f"unknown key (allowed here: {', '.join(sorted(allowed))}){suggestion}",
                )
                continue
            items[name] = (key_node, value_node)
        return items

    def scalar(self, node: yaml.Node):
        """The value of a scalar node with YAML's usual typing (true, 12, null...).

        A value YAML itself cannot build (``!!bool maybe``, an unknown ``!tag``)
        comes back as the node, which every check then reports as wrong.
        """
        if not isinstance(node, yaml.ScalarNode):
            return node
        try:
            return yaml.constructor.SafeConstructor().construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, KeyError, OverflowError):
            return node

    def boolean(self, node: yaml.Node, key: str) -> bool | None:
        value = self.scalar(node)
        if isinstance(value, bool):
            return value
        self.problem(node, key, f"expected true or false, found {_shown(node)}")
        return None

    def text(self, node: yaml.Node, key: str) -> str | None:
        value = self.scalar(node) if isinstance(node, yaml.ScalarNode) else None
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            written = str(node.value).strip()  # as written: a name "1in.am" stays as typed
            if written:
                return written
            self.problem(node, key, "must not be empty")
            return None
        self.problem(node, key, f"expected text, found {_shown(node)}")
        return None

    # -- the sections --------------------------------------------------------
    def feed(self, node: yaml.Node, index: int, seen: dict[str, int]) -> Feed | None:
        key = f"feeds[{index + 1}]"
        items = self.mapping(node, key, FEED_KEYS)
        if not isinstance(node, yaml.MappingNode):
            return None
        if "url" not in items:
            self.problem(node, key, "has no url (every feed needs one)")
            return None
        url_node = items["url"][1]
        url = self.text(url_node, f"{key}.url")
        if url is None:
            return None
        why = check_feed_url(url)
        if why:
            self.problem(url_node, f"{key}.url", f"{url!r} {why}")
            return None
        norm = normalise_url(url)
        if norm in seen:
            self.problem(url_node, f"{key}.url", f"{url} is already listed on line {seen[norm]}")
            return None
        seen[norm] = url_node.start_mark.line + 1
        name = None
        if "name" in items:
            name = self.text(items["name"][1], f"{key}.name")
        flags = {}
        for flag in ("regional", "extract"):
            if flag in items:
                value = self.boolean(items[flag][1], f"{key}.{flag}")
                if value is not None:
                    flags[flag] = value
        return Feed(
            url=url,
            name=name or urlsplit(url).hostname or url,
            line=node.start_mark.line + 1,
            **flags,
        )

    def settings(self, node: yaml.Node) -> Settings:
        if isinstance(node, yaml.ScalarNode) and self.scalar(node) is None:
            return Settings()
        items = self.mapping(node, "settings", SETTINGS_KEYS)
        values: dict = {}
        if "refresh_interval" in items:
            value_node = items["refresh_interval"][1]
            seconds = self.duration(value_node, "settings.refresh_interval")
            if seconds is not None:
                values["refresh_interval"] = seconds
        if "retention_days" in items:
            value_node = items["retention_days"][1]
            value = self.scalar(value_node)
            if value is None:
                values["retention_days"] = None
            elif isinstance(value, int) and not isinstance(value, bool) and value > 0:
                values["retention_days"] = value
            else:
                self.problem(
                    value_node, "settings.retention_days",
                    f"expected a whole number of days above 0, or null to keep everything; found {_shown(value_node)}",
                )
        if "keys" in items:
            values["keys"] = self.key_map(items["keys"][1])
        return Settings(**values)

    def key_map(self, node: yaml.Node) -> dict[str, str]:
        """``keys:`` maps a reader action's id (see the reader's help) to one or more keys."""
        if isinstance(node, yaml.ScalarNode) and self.scalar(node) is None:
            return {}
        items = {}
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, "settings.keys", f"expected a mapping of action ids to keys, found {_kind(node)}")
            return items
        for key_node, value_node in node.value:
            action = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            label = f"settings.keys.{action}" if action else "settings.keys"
            keys = self.text(value_node, label) if action else None
            if action and keys:
                items[action] = keys.replace(" ", "")
        return items

    def duration(self, node: yaml.Node, key: str) -> int | None:
        value = self.scalar(node)
        seconds: float | None = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value) * 60  # a bare number is minutes
        elif isinstance(value, str) and (m := _DURATION.match(value)):
            seconds = float(m.group(1)) * _UNIT_SECONDS[(m.group(2) or "m").lower()]
        if seconds is None or not math.isfinite(seconds) or seconds > MAX_REFRESH_SECONDS:
            self.problem(
                node, key,
                f"expected minutes or a duration such as 90s, 15m, 2h (at most a week); found {_shown(node)}",
            )
            return None
        if seconds < MIN_REFRESH_SECONDS:
            self.problem(node, key, f"must be at least {MIN_REFRESH_SECONDS} seconds, to be polite to the feeds")
            return None
        return int(seconds)

    def keywords(self, node: yaml.Node) -> list[str]:
        if isinstance(node, yaml.ScalarNode) and self.scalar(node) is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, "keywords", f"expected a list of words or phrases, found {_kind(node)}")
            return []
        words = []
        for i, item in enumerate(node.value):
            word = self.text(item, f"keywords[{i + 1}]")
            if word:
                words.append(word)
        return words


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return _shown(node)


def _shown(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        if node.value == "" and node.tag == "tag:yaml.org,2002:null":
            return "nothing"
        return repr(node.value)
    return _kind(node)


def parse_config(text: str, path: Path) -> Config:
    """Validate feeds.yaml text; raise ConfigError listing every problem."""
    checker = _Checker(path)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        col = f", column {mark.column + 1}" if mark else ""
        what = exc.problem or exc.context or "invalid YAML"
        raise ConfigError([f"{path}:{line}: YAML syntax error{col}: {what}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: YAML syntax error: {exc}"]) from None
    if root is None:
        raise ConfigError([f"{path}:1: the file is empty; it needs at least a 'feeds:' list"])
    top = checker.mapping(root, "", TOP_KEYS)
    feeds: list[Feed] = []
    settings = Settings()
    keywords: list[str] = []
    if isinstance(root, yaml.MappingNode):
        if "feeds" not in top:
            checker.problem(root, "feeds", "missing: the file needs a 'feeds:' list (it may be empty: feeds: [])")
        else:
            node = top["feeds"][1]
            if isinstance(node, yaml.ScalarNode) and checker.scalar(node) is None:
                pass  # "feeds:" with nothing under it: no feeds yet
            elif not isinstance(node, yaml.SequenceNode):
                checker.problem(node, "feeds", f"expected a list of feeds, found {_kind(node)}")
            else:
                seen: dict[str, int] = {}
                for i, item in enumerate(node.value):
                    feed = checker.feed(item, i, seen)
                    if feed:
                        feeds.append(feed)
        if "settings" in top:
            settings = checker.settings(top["settings"][1])
        if "keywords" in top:
            keywords = checker.keywords(top["keywords"][1])
    if checker.problems:
        raise ConfigError(checker.problems)
    return Config(path=path, feeds=feeds, settings=settings, keywords=keywords)


def load_config(path: Path) -> Config:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read it: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError([f"{path}:{line}: the file is not UTF-8 text"]) from None
    return parse_config(text, path)
