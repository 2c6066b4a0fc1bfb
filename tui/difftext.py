"""Diffs and comparisons as terminal text, for ``caucasus-reader diff``.

Plain text marks changes as ``[-removed-]`` and ``{+added+}`` (as
``git diff --word-diff=plain`` does) so the output reads in a pipe or a
file; with ``colour`` the marks are ANSI colours instead. Every piece of
article text goes through :func:`~tui.text.terminal_safe` before any of our
own escape codes are added: text from the web never reaches the terminal raw.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from .compare import Comparison
from .diffing import DiffSummary, Op, side_by_side
from .text import terminal_safe

_ANSI = {"-": "\x1b[31;9m", "+": "\x1b[32m", "head": "\x1b[1m", "dim": "\x1b[2m", "end": "\x1b[0m"}
_MARKS = {"-": ("[-", "-]"), "+": ("{+", "+}")}


def _paint(kind: str, text: str, colour: bool) -> str:
    if colour:
        return f"{_ANSI[kind]}{text}{_ANSI['end']}"
    start, end = _MARKS.get(kind, ("", ""))
    return f"{start}{text}{end}"


def _segment(kind: str, text: str, colour: bool) -> str:
    """One op's text, marked; a change spanning paragraphs is marked in each, so no mark dangles."""
    safe = terminal_safe(text)
    if kind == "=":
        return safe
    return "\n".join(_paint(kind, line, colour) if line.strip() else line for line in safe.split("\n"))


def heading(text: str, colour: bool) -> str:
    return _paint("head", text, True) if colour else text


def inline(ops: Sequence[Op], colour: bool) -> str:
    """The new text with the removed words struck and the added ones marked."""
    return "".join(_segment(kind, text, colour) for kind, text in ops)


def columns(ops: Sequence[Op], colour: bool, width: int = 100) -> str:
    """The two versions side by side, paragraph facing paragraph."""
    half = max(20, (width - 3) // 2)
    lines = []
    for left, right in side_by_side(list(ops)):
        left_lines = _wrapped(left, half, colour)
        right_lines = _wrapped(right, half, colour)
        for n in range(max(len(left_lines), len(right_lines))):
            one = left_lines[n] if n < len(left_lines) else ("", 0)
            two = right_lines[n] if n < len(right_lines) else ("", 0)
            lines.append(one[0] + " " * (half - one[1]) + " │ " + two[0])
        lines.append(" " * half + " │")
    return "\n".join(lines[:-1])


def _wrapped(segments, width: int, colour: bool) -> list[tuple[str, int]]:
    """A paragraph's segments wrapped to ``width``: (line as printed, its visible length)."""
    words: list[tuple[str, str]] = []
    for kind, text in segments:
        for word in terminal_safe(text, one_line=True).split(" "):
            if word:
                words.append((kind, word))
    lines, current, length = [], [], 0
    for kind, word in words:
        shown = len(word) + (4 if kind != "=" and not colour else 0)
        if current and length + 1 + shown > width:
            lines.append((" ".join(current), length))
            current, length = [], 0
        if shown > width:  # one word longer than the column: cut it
            word, shown = word[: max(1, width - 4)], width
        current.append(_paint(kind, word, colour) if kind != "=" else word)
        length += shown + (1 if length else 0)
    if current:
        lines.append((" ".join(current), length))
    return lines


def version_diff(old: dict, new: dict, ops: Sequence[Op], summary: DiffSummary, *, colour: bool,
                 side: bool | None = None, width: int = 100) -> str:
    """Two versions of one article: a summary line, the headline change, then the text."""
    out = [heading(f"{old['at']}  →  {new['at']}", colour), terminal_safe(summary.line(), one_line=True)]
    if summary.headline_changed:
        out.append(_paint("-", terminal_safe(old["title"], one_line=True), colour))
        out.append(_paint("+", terminal_safe(new["title"], one_line=True), colour))
    else:
        out.append(terminal_safe(new["title"], one_line=True))
    out.append("")
    if side is None:
        side = summary.mostly_changed
    if side and summary.mostly_changed:
        out.append("most of the text changed: the versions side by side")
        out.append("")
    out.append(columns(ops, colour, width) if side else inline(ops, colour))
    return "\n".join(out) + "\n"


def comparison(a: dict, b: dict, found: Comparison, *, colour: bool, width: int = 100) -> str:
    """Two outlets' texts of one story: what both report, what only one does, and facts that differ."""
    fill = max(40, width - 4)
    name_a = f"A: {terminal_safe(a['feed'], one_line=True)} — {terminal_safe(a['title'], one_line=True)}"
    name_b = f"B: {terminal_safe(b['feed'], one_line=True)} — {terminal_safe(b['title'], one_line=True)}"
    out = [heading(name_a, colour), heading(name_b, colour), ""]
    out.append(heading(f"Both report ({len(found.shared)})", colour))
    for pair in found.shared:
        out += _indented("A ", pair.a, fill)
        out += _indented("B ", pair.b, fill)
        out.append("")
    for label, only in (("Only A reports", found.only_a), ("Only B reports", found.only_b)):
        out.append(heading(f"{label} ({len(only)})", colour))
        for sentence in only:
            out += _indented("• ", sentence, fill)
        out.append("")
    out.append(heading(f"Facts ({len(found.facts)})", colour))
    for fact in found.facts:
        where = {"a": "only A", "b": "only B"}.get(fact.side, "A and B differ")
        detail = f": {terminal_safe(fact.detail, one_line=True)}" if fact.side == "both-differ" else ""
        out.append(f"  {where:<14} {fact.kind:<7} {terminal_safe(fact.value, one_line=True)}{detail}")
    return "\n".join(out).rstrip() + "\n"


def _indented(lead: str, text: str, width: int) -> list[str]:
    return textwrap.wrap(terminal_safe(text, one_line=True), width, initial_indent="  " + lead,
                         subsequent_indent="  " + " " * len(lead)) or ["  " + lead]
