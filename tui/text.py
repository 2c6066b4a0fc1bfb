"""Text from the web is data: make it safe to show in a terminal.

Feeds and pages can carry escape sequences (ANSI colours, OSC 52 clipboard
writes, OSC 8 links), other control characters, and bidirectional overrides
that reorder what is shown. None of them may reach the terminal. The stored
text keeps them (it is the record of what was published); display goes
through :func:`terminal_safe`.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls; bidi embeddings,
# overrides and isolates; zero-width space and BOM; line/paragraph separators.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b\ufeff\u2028\u2029]"
)
# Whole escape sequences go, not only their ESC byte, so no "[31m" litter is
# left: OSC (ESC ] ... BEL or ST), DCS/PM/APC/SOS strings, CSI, and two-byte ESC forms.
# A string sequence (OSC, DCS...) without its terminator within 512 characters of the same
# line loses only its introducer: a stray C1 byte (mojibake) must not eat the text after it.
_SEQUENCES = re.compile(
    r"(?:\x1b\]|\x9d)(?:[^\x07\x1b\x9c\n]{0,512}?(?:\x07|\x1b\\|\x9c))?"
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])(?:[^\x1b\x9c\n]{0,512}?(?:\x1b\\|\x9c))?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[ -/]*[0-~]?",
    re.DOTALL,
)
_SPACES = re.compile(r"\s+")


def terminal_safe(text: str | None, *, one_line: bool = False) -> str:
    """``text`` without anything a terminal would act on; ``one_line`` folds whitespace."""
    if not text:
        return ""
    cleaned = _UNSAFE.sub("", _SEQUENCES.sub("", text))
    if one_line:
        cleaned = _SPACES.sub(" ", cleaned).strip()
    return cleaned


_HAS_ESCAPES = re.compile("[\x1b\x90\x98\x9b\x9d\x9e\x9f]")


def without_escapes(text: str) -> str:
    """``text`` without terminal escape sequences, each line apart (an unterminated one ends with its line).

    For a page before it is parsed: the HTML parser would drop the ESC byte
    alone and leave the rest of the sequence ("]52;c;...", "[31m") as text.
    """
    if not _HAS_ESCAPES.search(text):
        return text
    return "\n".join(_SEQUENCES.sub("", line) if _HAS_ESCAPES.search(line) else line
                     for line in text.split("\n"))


def quoted_title(title: str, limit: int = 60) -> str:
    """A title to name an article or story in a one-line message."""
    return "'" + terminal_safe(title, one_line=True)[:limit] + "'"
