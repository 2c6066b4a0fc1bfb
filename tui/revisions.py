"""An article's versions over time: when to look again, and how versions are kept.

Re-fetching follows the article's own pace: often while it is changing, less
and less as it settles (:func:`recheck_due`). Versions are kept compactly:
the newest in full, each older one as the few edits that turn the next one
back into it (:func:`delta` / :func:`apply_delta`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from .diffing import word_diff

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
