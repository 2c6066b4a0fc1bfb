"""The CPU-heavy steps of a refresh (and of a large regroup), run in worker processes on every core.

Each function takes and returns plain picklable data. Heavy imports
(feedparser, trafilatura, the gazetteer) happen in the workers, once each.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass, field

from .parse import FeedEntry, ParsedFeed, parse_feed

_filters: dict[tuple[str, ...], object] = {}


@dataclass
class JudgedEntry:
    entry: FeedEntry
    relevant: bool
    terms: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass
class JudgedFeed:
    parsed: ParsedFeed
    judged: list[JudgedEntry]


def _relevance(keywords: tuple[str, ...]):
    from .relevance import RelevanceFilter

    if keywords not in _filters:
        _filters[keywords] = RelevanceFilter(list(keywords))
    return _filters[keywords]


def parse_and_judge(body: bytes, url: str, content_type: str | None, keywords: tuple[str, ...] | None,
                    identity: str | None = None) -> JudgedFeed:
    """Parse a feed and judge each entry's relevance (the caller decides what to keep).

    ``keywords`` None means a regional feed: everything is kept, nothing judged.
    """
    parsed = parse_feed(body, url, content_type, identity)
    if keywords is None:
        return JudgedFeed(parsed, [JudgedEntry(entry, True) for entry in parsed.entries])
    relevance = _relevance(keywords)
    judged = []
    for entry in parsed.entries:
        verdict = relevance.judge(entry.title, entry.summary, entry.content)
        judged.append(JudgedEntry(entry, verdict.kept, list(verdict.terms), verdict.reason))
    return JudgedFeed(parsed, judged)


def extract(html: bytes, url: str, reference: str) -> tuple[object, bool]:
    """The page's text, and whether it is only a sliver of an article."""
    from .extract import extract_page, is_sliver

    result = extract_page(html, url)
    return result, result.method == "failed" or is_sliver(result.text, reference or None)


def group_features(title: str, text: str) -> dict:
    """What story grouping compares of an article (see tui.grouping.features)."""
    from .grouping import features

    return features(title, text)


def group_features_many(pairs: list[tuple[str, str]]) -> list[dict]:
    return [group_features(title, text) for title, text in pairs]


@contextmanager
def real_stderr():
    """multiprocessing hands its helper processes ``sys.stderr.fileno()``; inside
    the reader, Textual has replaced sys.stderr with an object that has no real
    descriptor, and starting the workers fails. Lend them the process's own."""
    replaced = sys.stderr
    try:
        usable = replaced.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if not usable and sys.__stderr__ is not None:
        sys.stderr = sys.__stderr__
    try:
        yield
    finally:
        sys.stderr = replaced


def worker_init(refresh_pid: int | None = None) -> None:
    """In each worker: Ctrl-C is for the refresh to handle, not for every worker to report;
    and a refresh killed outright (SIGKILL) takes its workers with it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if refresh_pid is not None:
        import threading

        threading.Thread(target=_exit_with, args=(refresh_pid,), daemon=True, name="watch-refresh").start()


def _exit_with(pid: int, every: float = 0.5) -> None:
    """Leave once process ``pid`` is gone. (Under forkserver a worker's parent is the
    fork server, which outlives the refresh, so the refresh's own pid is watched.)"""
    import os
    import time

    while True:
        time.sleep(every)
        if not _alive(pid):
            os._exit(0)


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs: a killed process its parent has not reaped yet (a zombie) does not."""
    import os

    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        return stat[stat.rindex(b")") + 2:][:1] not in (b"Z", b"X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (not Linux): ask the kernel the portable way
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def warm_up() -> None:
    """Import what the workers need before the first real task arrives."""
    import feedparser  # noqa: F401

    from .grouping import _concepts
    from .relevance import _load_gazetteer

    _concepts()
    _load_gazetteer()
