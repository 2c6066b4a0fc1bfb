"""An article's versions over time: when to look again, and how versions are kept.

Re-fetching follows the article's own pace: often while it is changing, less
and less as it settles (:func:`recheck_due`). Versions are kept compactly:
the newest in full, each older one as the few edits that turn the next one
back into it (:func:`delta` / :func:`apply_delta`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from .diffing import folded_words, word_diff

# (an article last changed less than this long ago, in hours, is looked at again after this many)
SCHEDULE = (
    (3, 0.25),  # changing now: every 15 minutes
    (24, 1),  # within a day: hourly
    (7 * 24, 4),  # within a week: every few hours
    (30 * 24, 24),  # within a month: daily
)  # after that, only a changed feed entry or `refresh --recheck` looks again
SETTLED = timedelta(hours=SCHEDULE[-1][0])


def _hours(earlier: str, later: datetime) -> float:
    try:
        moment = datetime.fromisoformat(earlier.replace("Z", "+00:00"))
    except ValueError:
        return float("inf")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (later - moment).total_seconds() / 3600


def recheck_due(changed: str, checked: str | None, now: datetime) -> bool:
    """Whether an article last changed at ``changed`` and last fetched at ``checked`` is due a look."""
    quiet = _hours(changed, now)
    for within, every in SCHEDULE:
        if quiet < within:
            return checked is None or _hours(checked, now) >= every
    return False


_SEPARATOR = re.compile(r"\s+[|\-–—:·•»]+\s+")


def headline(stored: str, page_before: str | None, page_now: str | None) -> str:
    """The article's headline after a fetch whose page gave ``page_now`` (last time: ``page_before``).

    The stored headline (usually the feed's) stands until the page's own
    changes. Then the page's new one is taken, without what the page puts
    around it that was there before too (" | Outlet", "Outlet - ").
    """
    if not page_now or not page_before or folded_words(page_now) == folded_words(page_before):
        return stored  # unchanged, or changed in spacing, punctuation or quotes only
    before, now = " ".join(page_before.split()), " ".join(page_now.split())
    known = " ".join(stored.split())
    at = before.find(known) if known else -1
    if at >= 0:  # the page wrapped the stored headline: unwrap the new one the same way
        head, tail = before[:at], before[at + len(known):]
        if head and now.startswith(head):
            now = now[len(head):]
        if tail and now.endswith(tail):
            now = now[: len(now) - len(tail)]
    else:  # an outlet's name after a last separator, the same in both, is not the headline
        seps_before, seps_now = list(_SEPARATOR.finditer(before)), list(_SEPARATOR.finditer(now))
        if seps_before and seps_now and before[seps_before[-1].end():] == now[seps_now[-1].end():]:
            now = now[: seps_now[-1].start()]
    return now.strip() or stored


EVENT_WORDS = {
    "gone": "the page is gone",
    "moved": "the page now redirects to",
    "failed": "could not fetch it",
    "suspect": "a fetch looked broken, not kept as a version",
    "filled": "the page loaded at last; its text replaced the feed's (not an edit)",
}


def event_words(event: dict) -> str:
    """An article's event (from Store.events) in words: what happened, then its detail."""
    said = EVENT_WORDS.get(event["kind"], event["kind"])
    return f"{said}: {event['detail']}" if event.get("detail") else said


Delta = list  # ints copy (n > 0) or skip (n < 0) characters of the newer text; strings are inserted


def delta(newer: str, older: str) -> Delta:
    """The edits that turn ``newer`` back into ``older``, by words: compact when little changed."""
    out: Delta = []
    for kind, text in word_diff(newer, older):
        if kind == "=":
            item: int | str = len(text)
        elif kind == "-":
            item = -len(text)
        else:
            item = text
        if out and type(out[-1]) is type(item) and (isinstance(item, str) or (out[-1] > 0) == (item > 0)):
            out[-1] += item
        else:
            out.append(item)
    return out


def apply_delta(newer: str, edits: Sequence[int | str]) -> str:
    """The older text that :func:`delta` described, rebuilt from ``newer``."""
    parts, at = [], 0
    for item in edits:
        if isinstance(item, str):
            parts.append(item)
        elif item > 0:
            parts.append(newer[at: at + item])
            at += item
        else:
            at -= item
    return "".join(parts)
