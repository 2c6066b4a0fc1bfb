"""An article's versions compared: is it a real edit, what changed, how to show it.

``word_diff`` works on tokens: words (``1.5``, ``don't`` and ``well-known`` are one
word), single punctuation marks and runs of whitespace, each its own token, so an
inserted sentence or paragraph lines up cleanly at either end of the text. The
alignment is a patience diff: tokens found exactly once in both stretches anchor
it, the gaps between anchors are aligned the same way, and a gap without such a
token falls back to difflib. A semantic cleanup then folds short equalities
between changes into them, so a rewritten clause reads as one deletion followed
by one insertion.

``same_content`` ignores whitespace, punctuation (straight or typographic quotes,
dashes, ellipses), Unicode normalisation, invisible characters, HTML entities and
UTF-8 read as cp1252 ("â€™"). Case stays significant: "Georgian Dream" and
"Georgian dream", or "US" and "us", are different texts, so a change of case is
a version.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

Op = tuple[str, str]
Segment = tuple[str, str]

_TOKEN = re.compile(r"\s+|\w+(?:[.,'’\-]\w+)*|[^\w\s]")
_WORD = re.compile(r"\w+(?:[.,'’\-]\w+)*")
_BREAK = re.compile(r"\s*\n\s*")
_SENTENCE_END = frozenset(".!?…")

FOLD_MAX_WORDS = 2  # equalities of at most this many words between changes are folded into them
FOLD_MAX_TOKENS = 4 * FOLD_MAX_WORDS + 3  # ... and this many tokens, punctuation and spaces included
MOSTLY_CHANGED = 0.6  # above this share of changed words, versions are best shown side by side
SLIDE_MAX = 20  # tokens an insertion or deletion may be moved to read better
ANCHOR_RUNS = (1, 5, 11)  # token runs tried as unique anchors, single tokens first
FALLBACK_AUTOJUNK = 250_000  # a gap without anchors bigger than this (tokens x tokens) uses autojunk

# -- numbers, shared with tui.compare -----------------------------------------------
NUMBER_WORDS = {w: n for n, w in enumerate(
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split(), start=2)}
_RU_NUMBERS = ("два две двух двое", "три трёх трех трое", "четыре четырёх четырех четверо",
               "пять пяти пятеро", "шесть шести шестеро", "семь семи семеро", "восемь восьми",
               "девять девяти", "десять десяти")
NUMBER_WORDS.update({w: n for n, forms in enumerate(_RU_NUMBERS, start=2) for w in forms.split()})
NUMBER_WORDS.update({w: n for n, w in enumerate(
    "одиннадцать двенадцать тринадцать четырнадцать пятнадцать шестнадцать семнадцать "
    "восемнадцать девятнадцать двадцать".split(), start=11)})
NUMBER_WORDS.update({w[:-1] + "и": n for w, n in list(NUMBER_WORDS.items()) if n >= 11 and w.endswith("ь")})
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
           "тыс": 1e3, "млн": 1e6, "млрд": 1e9}
# "one" is left out: it is more often "one of" than a count.
NUMBER = re.compile(
    r"(?<![\w.,])(?:[$€£₽]\s?)?(?:\d+(?:[.,]\d+)*(?!\w)|(?:" + "|".join(NUMBER_WORDS) + r")\b)"
    r"(?:\s?(?:%|per\s?cent\b|percent\b|процент\w*|(?:" + "|".join(_SCALES) + r")\b\.?))?",
    re.IGNORECASE,
)


def _plain_number(digits: str) -> float:
    """"1,500" is 1500, "1,5" and "1.5" are 1.5, "1.234,5" is 1234.5: the last mark is decimal if it can be."""
    marks = [c for c in digits if c in ",."]
    if not marks:
        return float(digits)
    whole, last, fraction = digits.rpartition(marks[-1])
    if marks.count(last) == 1 and (last == "." or len(fraction) != 3):
        return float(re.sub(r"[.,]", "", whole) + "." + fraction)
    return float(re.sub(r"[.,]", "", digits))


def number_key(text: str) -> tuple[float, str]:
    """The value a number stands for, and "%" for a share: "1.5 million" -> (1500000.0, "")."""
    lowered = text.lower()
    head = re.search(r"\d+(?:[.,]\d+)*|[^\W\d_]+", lowered).group()
    value = float(NUMBER_WORDS[head]) if head in NUMBER_WORDS else _plain_number(head)
    unit = "%" if re.search(r"%|cent|процент", lowered) else ""
    for scale, times in _SCALES.items():
        if re.search(r"\b" + scale + r"\b", lowered):
            value *= times
    return round(value, 6), unit


# -- same content? --------------------------------------------------------------------
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
_CONTINUATION = "".join(bytes([b]).decode("cp1252", "ignore") for b in range(0x80, 0xC0)) + "\x80-\x9f"
_MOJIBAKE = re.compile(
    f"[\u00c2-\u00df][{_CONTINUATION}]|[\u00e0-\u00ef][{_CONTINUATION}]{{2}}|[\u00f0-\u00f4][{_CONTINUATION}]{{3}}"
)


def _unmojibake(match: re.Match) -> str:
    seen = match.group()
    for codec in ("cp1252", "latin-1"):
        try:
            return seen.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
    return seen


def folded_words(text: str) -> list[str]:
    """The words of ``text`` with entities, mojibake, normalisation and punctuation folded away."""
    text = _MOJIBAKE.sub(_unmojibake, html.unescape(text))
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return re.findall(r"\w+", re.sub(r"['’ʼ`]", "", text))


def same_content(old_title: str, old_text: str, new_title: str, new_text: str) -> bool:
    """True when the new version differs from the old in form only, not in words (case counts)."""
    return folded_words(old_title) == folded_words(new_title) and folded_words(old_text) == folded_words(new_text)


# -- broken fetches -------------------------------------------------------------------
SUSPECT_MIN_WORDS = 80  # the last version must have at least this many words to judge a shrink
SUSPECT_SHARE = 0.5  # a new version with fewer than this share of the words is suspect
TEASER_SHARE = 0.7  # ... and so is one keeping at most this share of them beside a sign-in prompt
_BOILERPLATE = re.compile(
    r"\b(?:subscribe|subscription|subscribers only|sign in|sign up|log in|login|create an account|"
    r"register to|paywall|premium content|members only|enable javascript|access denied|"
    r"page not found|are you a robot|accept cookies|подпишитесь|подписк\w+|войдите|авторизуйтесь|"
    r"зарегистрируйтесь)\b",
    re.IGNORECASE,
)


def word_count(text: str) -> int:
    """Words as the diff counts them: "1.5", "don't" and "well-known" are one each."""
    return len(_WORD.findall(text))


def suspect_fetch(old_text: str, new_text: str) -> str | None:
    """Why the new text looks like a broken page or paywall rather than an edit, or None."""
    old_n, new_n = word_count(old_text), word_count(new_text)
    if old_n and not new_n:
        return "the new text is empty"
    if old_n >= SUSPECT_MIN_WORDS and new_n < old_n * SUSPECT_SHARE:
        return f"{new_n} words where the last version had {old_n}: a broken page or paywall?"
    added = {m.group().lower() for m in _BOILERPLATE.finditer(new_text)} - {
        m.group().lower() for m in _BOILERPLATE.finditer(old_text)}
    rest = "\n".join(p for p in new_text.splitlines() if not _BOILERPLATE.search(p))
    if added and word_count(rest) <= old_n * TEASER_SHARE and share_known(old_text, rest) >= 0.9:
        return f"part of the last version and {', '.join(repr(w) for w in sorted(added))}: a paywall or sign-in page?"
    return None


def share_known(old_text: str, new_text: str) -> float:
    """The share of the new text's words that the old text has too."""
    old_words = {w.lower() for w in _WORD.findall(old_text)}
    new_words = [w.lower() for w in _WORD.findall(new_text)]
    return sum(w in old_words for w in new_words) / len(new_words) if new_words else 1.0


# -- the diff ---------------------------------------------------------------------------
def _tokens(old: str, new: str) -> tuple[list[str], list[str], list[int], list[int]]:
    ids: dict[str, int] = {}
    old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
    old_ids = [ids.setdefault(t, len(ids)) for t in old_tokens]
    new_ids = [ids.setdefault(t, len(ids)) for t in new_tokens]
    return old_tokens, new_tokens, old_ids, new_ids


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of ``pairs`` (sorted by their first item) whose second items increase."""
    tails: list[int] = []  # tails[k]: smallest second item ending a run of length k + 1
    tail_at: list[int] = []
    back = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(n)
        else:
            tails[k], tail_at[k] = j, n
        back[n] = tail_at[k - 1] if k else -1
    run, n = [], tail_at[-1] if tail_at else -1
    while n >= 0:
        run.append(pairs[n])
        n = back[n]
    return run[::-1]


def _anchors(a: list[int], alo: int, ahi: int, b: list[int], blo: int, bhi: int) -> list[tuple[int, int]]:
    """Positions where a token found once in a[alo:ahi] and once in b[blo:bhi] starts, in order in both.

    Where no single token is unique (a text of few distinct words), runs of
    :data:`ANCHOR_RUNS` tokens are tried instead: they usually are.
    """
    for size in ANCHOR_RUNS:
        if size > 1 and min(ahi - alo, bhi - blo) < 2 * size:
            break
        grams_a = [tuple(a[i:i + size]) for i in range(alo, ahi - size + 1)]
        grams_b = [tuple(b[j:j + size]) for j in range(blo, bhi - size + 1)]
        in_a, in_b = Counter(grams_a), Counter(grams_b)
        where_b = {g: blo + n for n, g in enumerate(grams_b) if in_b[g] == 1}
        pairs = [(alo + n, where_b[g]) for n, g in enumerate(grams_a) if in_a[g] == 1 and g in where_b]
        if pairs:
            return _longest_increasing(pairs)
    return []


def _fallback(a: list[int], alo: int, ahi: int, b: list[int], blo: int, bhi: int) -> list[tuple[int, int, int]]:
    junk = (ahi - alo) * (bhi - blo) > FALLBACK_AUTOJUNK
    matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=junk)
    return [(alo + i, blo + j, n) for i, j, n in matcher.get_matching_blocks() if n]


def _matching_blocks(a: list[int], b: list[int]) -> list[tuple[int, int, int]]:
    """(i, j, n): a[i:i+n] == b[j:j+n], in order, found by patience diff."""
    blocks = []
    todo = [(0, len(a), 0, len(b))]
    while todo:
        alo, ahi, blo, bhi = todo.pop()
        n = 0
        while alo + n < ahi and blo + n < bhi and a[alo + n] == b[blo + n]:
            n += 1
        if n:
            blocks.append((alo, blo, n))
            alo, blo = alo + n, blo + n
        n = 0
        while ahi - n > alo and bhi - n > blo and a[ahi - n - 1] == b[bhi - n - 1]:
            n += 1
        if n:
            blocks.append((ahi - n, bhi - n, n))
            ahi, bhi = ahi - n, bhi - n
        if alo == ahi or blo == bhi:
            continue
        anchors = _anchors(a, alo, ahi, b, blo, bhi)
        if not anchors:
            blocks.extend(_fallback(a, alo, ahi, b, blo, bhi))
            continue
        for i, j in anchors:
            todo.append((alo, i, blo, j))
            blocks.append((i, j, 1))
            alo, blo = i + 1, j + 1
        todo.append((alo, ahi, blo, bhi))
    return sorted(blocks)


@dataclass
class _Change:
    old: list[str]
    new: list[str]


Item = list[str] | _Change  # equal tokens, or a change


def _raw_items(old_tokens: list[str], new_tokens: list[str], blocks) -> list[Item]:
    """Equal stretches and changes, alternating, straight from the matching blocks."""
    items: list[Item] = []
    i = j = 0
    for bi, bj, n in [*blocks, (len(old_tokens), len(new_tokens), 0)]:
        if bi > i or bj > j:
            items.append(_Change(old_tokens[i:bi], new_tokens[j:bj]))
        if n and items and isinstance(items[-1], list):
            items[-1].extend(old_tokens[bi:bi + n])
        elif n:
            items.append(old_tokens[bi:bi + n])
        i, j = bi + n, bj + n
    return items


def _edge(left: str | None, right: str | None) -> int:
    """How good a place the point between two tokens is for a change to begin or end."""
    if left is None or right is None:
        return 4
    if "\n" in left or "\n" in right:
        return 3
    if left in _SENTENCE_END and right.isspace():
        return 2
    return int(left.isspace() or right.isspace())


def _placement_score(left: list[str], moved: list[str], right: list[str]) -> int:
    return _edge(left[-1] if left else None, moved[0]) + _edge(moved[-1], right[0] if right else None)


def _placements(left: list[str], moved: list[str], right: list[str], keep_left: int, keep_right: int):
    """Every equivalent placement of an insertion or deletion between two equal stretches.

    Each stretch keeps at least ``keep_left`` / ``keep_right`` tokens, so changes never touch.
    """
    for _ in range(SLIDE_MAX):  # to the leftmost placement: the last moved token equals the one before
        if len(left) <= keep_left or moved[-1] != left[-1]:
            break
        left, moved, right = left[:-1], left[-1:] + moved[:-1], moved[-1:] + right
    yield left, moved, right
    for _ in range(2 * SLIDE_MAX):  # then rightwards: the first moved token equals the next one
        if len(right) <= keep_right or moved[0] != right[0]:
            break
        left, moved, right = left + right[:1], moved[1:] + right[:1], right[1:]
        yield left, moved, right


def _slide(items: list[Item]) -> list[Item]:
    """Move each pure insertion or deletion to where it reads best: at sentence or paragraph edges."""
    items = list(items)  # with an equal stretch, maybe empty, at both ends
    if not items or isinstance(items[0], _Change):
        items.insert(0, [])
    if isinstance(items[-1], _Change):
        items.append([])
    for k in range(1, len(items) - 1):
        item = items[k]
        if not isinstance(item, _Change) or (item.old and item.new):
            continue
        keep_left, keep_right = int(k > 1), int(k < len(items) - 2)
        placements = _placements(items[k - 1], item.old or item.new, items[k + 1], keep_left, keep_right)
        items[k - 1], moved, items[k + 1] = max(placements, key=lambda p: _placement_score(*p))
        items[k] = _Change(moved, []) if item.old else _Change([], moved)
    return [item for item in items if not isinstance(item, list) or item]


def _words(tokens: list[str]) -> int:
    return sum(1 for t in tokens if _WORD.match(t))


def _foldable(left: _Change, equal: list[str], right: _Change) -> bool:
    """A short equality, within a sentence, between two changes that together delete and insert."""
    if len(equal) > FOLD_MAX_TOKENS:
        return False
    words = _words(equal)
    return (
        not any("\n" in t or t in _SENTENCE_END for t in equal)
        and words <= FOLD_MAX_WORDS
        and words <= max(_words(left.old), _words(left.new))
        and words <= max(_words(right.old), _words(right.new))
        and bool(left.old or right.old)
        and bool(left.new or right.new)
    )


def _cleanup(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    for item in items:
        out.append(item)
        while (len(out) >= 3 and isinstance(out[-1], _Change) and isinstance(out[-3], _Change)
               and _foldable(out[-3], out[-2], out[-1])):
            right, equal, left = out.pop(), out.pop(), out.pop()
            out.append(_Change(left.old + equal + right.old, left.new + equal + right.new))
    return out


def word_diff(old: str, new: str) -> list[Op]:
    """Ops ("=", text), ("-", text), ("+", text): "=" and "-" join to ``old``, "=" and "+" to ``new``."""
    old_tokens, new_tokens, old_ids, new_ids = _tokens(old, new)
    ops: list[Op] = []
    items = _raw_items(old_tokens, new_tokens, _matching_blocks(old_ids, new_ids))
    for item in _cleanup(_slide(items)):
        if isinstance(item, list):
            ops.append(("=", "".join(item)))
            continue
        if item.old:
            ops.append(("-", "".join(item.old)))
        if item.new:
            ops.append(("+", "".join(item.new)))
    return ops


def change_starts(ops: list[Op]) -> list[int]:
    """Indices of the ops where a change (a run of "-" and "+") begins."""
    return [n for n, (kind, _) in enumerate(ops) if kind != "=" and (n == 0 or ops[n - 1][0] == "=")]


# -- summary ----------------------------------------------------------------------------
_QUOTE = re.compile(r"“([^“”]+)”|\"([^\"]+)\"|«([^«»]+)»|„([^„“”]+)[“”]")
QUOTE_MIN_WORDS = 3  # shorter quoted bits are names or scare quotes, not quoted passages
_CONTEXT = 24  # characters of equal text either side searched for the rest of a changed number


def quotes(text: str) -> list[str]:
    """Quoted passages of at least QUOTE_MIN_WORDS words, straight, typographic or «»."""
    found = (next(g for g in m.groups() if g is not None).strip() for m in _QUOTE.finditer(text))
    return [q for q in found if word_count(q) >= QUOTE_MIN_WORDS]


@dataclass
class DiffSummary:
    """What changed between two versions of an article."""

    headline_changed: bool
    old_title: str
    new_title: str
    words_added: int = 0
    words_removed: int = 0
    numbers_changed: list[tuple[str, str]] = field(default_factory=list)
    numbers_added: list[str] = field(default_factory=list)
    numbers_removed: list[str] = field(default_factory=list)
    quotes_added: list[str] = field(default_factory=list)
    quotes_removed: list[str] = field(default_factory=list)
    changed_share: float = 0.0
    mostly_changed: bool = False

    def line(self) -> str:
        """One line for people: headline changed · +34 words, −12 words · numbers: 67 → 38 · 1 quote added."""
        parts = ["headline changed"] if self.headline_changed else []
        counts = (("+", self.words_added), ("−", self.words_removed))
        words = [f"{sign}{n} word{'s' * (n != 1)}" for sign, n in counts if n]
        parts.append(", ".join(words) or "text unchanged")
        if self.numbers_changed:
            parts.append("numbers: " + ", ".join(f"{old} → {new}" for old, new in self.numbers_changed))
        for n, what in ((len(self.quotes_added), "added"), (len(self.quotes_removed), "removed")):
            if n:
                parts.append(f"{n} quote{'s' * (n != 1)} {what}")
        return " · ".join(parts)


def _numbers_in(change: str, before: str, after: str) -> list[str]:
    """Numbers that overlap ``change``, completed from the equal text around it ("1.5" + " million")."""
    before, after = before[-_CONTEXT:], after[:_CONTEXT]
    text, start, end = before + change + after, len(before), len(before) + len(change)
    return [m.group().strip() for m in NUMBER.finditer(text) if m.start() < end and m.end() > start]


def _pair_numbers(removed: list[str], added: list[str], summary: DiffSummary) -> None:
    """Numbers replaced in one change become pairs when as many went as came; the rest are listed."""
    common = Counter(map(number_key, removed)) & Counter(map(number_key, added))
    removed = _without(removed, common.copy())
    added = _without(added, common)
    if removed and len(removed) == len(added):
        summary.numbers_changed.extend(zip(removed, added))
    else:
        summary.numbers_removed.extend(removed)
        summary.numbers_added.extend(added)


def _without(numbers: list[str], common: Counter) -> list[str]:
    """``numbers`` less those whose value is in ``common`` (each taken once)."""
    kept = []
    for number in numbers:
        key = number_key(number)
        if common[key]:
            common[key] -= 1
        else:
            kept.append(number)
    return kept


def _changes(ops: list[Op]) -> list[tuple[str, str, str, str]]:
    """Each change as (removed, added, equal text before, equal text after)."""
    out = []
    for start in change_starts(ops):
        end = start
        while end < len(ops) and ops[end][0] != "=":
            end += 1
        run = ops[start:end]
        before = ops[start - 1][1] if start else ""
        after = ops[end][1] if end < len(ops) else ""
        out.append(("".join(t for k, t in run if k == "-"), "".join(t for k, t in run if k == "+"), before, after))
    return out


def summarise(old_title: str, old_text: str, new_title: str, new_text: str,
              ops: list[Op] | None = None) -> DiffSummary:
    """What changed between two versions, counted and named; ``ops`` is their word_diff if known."""
    ops = word_diff(old_text, new_text) if ops is None else ops
    summary = DiffSummary(folded_words(old_title) != folded_words(new_title), old_title, new_title)
    for removed, added, before, after in _changes(ops):
        summary.words_removed += word_count(removed)
        summary.words_added += word_count(added)
        _pair_numbers(_numbers_in(removed, before, after), _numbers_in(added, before, after), summary)
    old_quotes = {tuple(folded_words(q)) for q in quotes(old_text)}
    new_quotes = {tuple(folded_words(q)) for q in quotes(new_text)}
    summary.quotes_added = [q for q in quotes(new_text) if tuple(folded_words(q)) not in old_quotes]
    summary.quotes_removed = [q for q in quotes(old_text) if tuple(folded_words(q)) not in new_quotes]
    total = word_count(old_text) + word_count(new_text)
    summary.changed_share = (summary.words_added + summary.words_removed) / total if total else 0.0
    summary.mostly_changed = summary.changed_share > MOSTLY_CHANGED
    return summary


# -- side by side -----------------------------------------------------------------------
@dataclass
class _Paragraph:
    segments: list[Segment] = field(default_factory=list)
    anchors: set[tuple[int, int]] = field(default_factory=set)  # which equal texts it holds


def _paragraphs(ops: list[Op], side: str) -> list[_Paragraph]:
    """One side's paragraphs ("=" and ``side`` ops), each equal text tagged with where it came from."""
    paragraphs = [_Paragraph()]
    for n, (kind, text) in enumerate(ops):
        if kind not in ("=", side):
            continue
        for k, part in enumerate(_BREAK.split(text)):
            if k:
                paragraphs.append(_Paragraph())
            if part:
                paragraphs[-1].segments.append((kind, part))
            if part and kind == "=":
                paragraphs[-1].anchors.add((n, k))
    return [p for p in paragraphs if p.segments]


def side_by_side(ops: list[Op]) -> list[tuple[list[Segment], list[Segment]]]:
    """Rows of paragraphs, old on the left ("=", "-") and new on the right ("=", "+").

    Paragraphs holding the same equal text face each other; a removed or added
    paragraph faces a changed one from the other side, or an empty side.
    """
    left, right = _paragraphs(ops, "-"), _paragraphs(ops, "+")
    rows: list[tuple[list[Segment], list[Segment]]] = []
    i = j = 0
    while i < len(left) or j < len(right):
        one = left[i] if i < len(left) else None
        other = right[j] if j < len(right) else None
        if one and other and (one.anchors & other.anchors or not (one.anchors or other.anchors)):
            rows.append((one.segments, other.segments))
            i, j = i + 1, j + 1
        elif other is None or (one and (not one.anchors or min(one.anchors) < min(other.anchors or one.anchors))):
            rows.append((one.segments, []))
            i += 1
        else:
            rows.append(([], other.segments))
            j += 1
    return rows
