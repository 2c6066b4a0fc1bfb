"""The seed articles: plain-text files in ``seeds/`` that anchor the first story.

A seed file is the text of one article. Its first line is the headline when it
is set in bold (``**...**``); otherwise the headline is the first sentence. A
last line in bold names the outlet. Bold lines in between are subheadings and
stay in the text. The publication date is the latest full date the text
states ("29 June 2025"), or unknown when it states none.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from .store import NewArticle

SEED_FEED = "unknown outlet"  # a seed file that does not name its outlet
_BOLD = re.compile(r"^\*\*(.+?)\*\*$")
_MONTHS = {
    m: i
    for i, m in enumerate(
        "january february march april may june july august september october november december".split(),
        start=1,
    )
}
_FULL_DATE = re.compile(
    r"\b(\d{1,2})\s+(" + "|".join(_MONTHS) + r")\s+(\d{4})\b"
    r"|\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2}),\s+(\d{4})\b",
    re.IGNORECASE,
)
_TITLE_MAX = 110


def _unbold(line: str) -> tuple[str, bool]:
    match = _BOLD.match(line.strip())
    return (match.group(1).strip(), True) if match else (line.strip(), False)


def _first_sentence(text: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".")
    if len(sentence) > _TITLE_MAX and "," in sentence[:_TITLE_MAX]:
        sentence = sentence[: sentence.rindex(",", 0, _TITLE_MAX)]
    if len(sentence) > _TITLE_MAX:
        sentence = sentence[:_TITLE_MAX].rsplit(" ", 1)[0] + "…"
    return sentence


def latest_stated_date(text: str) -> str | None:
    """The latest complete calendar date written in the text, as YYYY-MM-DD."""
    found = []
    for m in _FULL_DATE.finditer(text):
        if m.group(1):
            day, month, year = m.group(1), m.group(2), m.group(3)
        else:
            month, day, year = m.group(4), m.group(5), m.group(6)
        try:
            found.append(date(int(year), _MONTHS[month.lower()], int(day)))
        except ValueError:
            continue
    return max(found).isoformat() if found else None


def parse_seed(path: Path) -> NewArticle:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"seed file {path} is empty")
    title, title_bold = _unbold(lines[0])
    body = lines[1:] if title_bold else lines
    feed = SEED_FEED
    if len(body) > 1:
        outlet, outlet_bold = _unbold(body[-1])
        if outlet_bold and len(outlet.split()) <= 5:
            feed, body = outlet, body[:-1]
    text = "\n\n".join(_unbold(line)[0] for line in body)
    if not title_bold:
        title = _first_sentence(lines[0])
    return NewArticle(
        key=f"seed:{path.stem}",
        url=f"seed:{path.stem}",
        title=title,
        feed=feed,
        text=text,
        published=latest_stated_date(text),
        seed=True,
        method="seed",
    )


def load_seed_files(directory: Path) -> list[NewArticle]:
    return [parse_seed(p) for p in sorted(directory.glob("*.txt"))]
