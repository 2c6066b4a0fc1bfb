"""One story, two outlets: what both report, what only one reports, and facts that disagree.

Sentences are matched by what they are about: the stems of their content words,
their names, numbers and dates, each weighed by how rare it is among the two
texts' sentences (a name found in every sentence counts for little). The pairs
scoring at least MATCH_AT are taken best first, each sentence at most once.

Facts are numbers (digits, and number words: "nine" is 9), dates ("9 May",
"June 27", "2025-06-29", "9 мая"), names (runs of capitalised words not at a
sentence's start, and single capitalised words that recur) and places (such a
name after "in", "at", "near", "from" or "city of"). A fact is one side's when
the other text, headline included, never states it; numbers and dates that
differ within a matched pair of sentences are "both-differ".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .diffing import NUMBER, NUMBER_WORDS, number_key
from .grouping import STOP_WORDS

MATCH_AT = 0.3  # the least similarity of two sentences that report the same thing
MIN_SHARED = 3  # ... and the fewest stems, names, numbers and dates they must share
HEADING_MAX_WORDS = 15  # a line without final punctuation and at most this long is a heading
STEM = 6  # stems are cut to this many letters: protesters = protests = protest

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st gen col lt sgt capt gov sen rep jr sr vs etc inc ltd corp approx "
    "jan feb mar apr aug sep sept oct nov dec ул им тыс млн млрд руб др проф акад гг напр".split()
)
_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_FINAL = re.compile(r"[.!?…:;][\"'”’»)\]*]*$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_KEEP = "monday tuesday wednesday thursday friday saturday sunday today yesterday analysis report"
# Grouping's stop words, but days say which event a sentence is about; "one of" is seldom the number.
_STOP = (STOP_WORDS - set(_KEEP.split())) | {"one"}
_EN_ENDINGS = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ed", "ly", "s")
_RU_ENDINGS = ("ыми", "ями", "ами", "ого", "его", "ому", "ему", "ых", "их", "ым", "им", "ой", "ей",
               "ом", "ем", "ах", "ях", "ую", "юю", "ов", "ев", "а", "у", "е", "ы", "и", "я", "ю", "ь", "о", "й")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_POSSESSIVE = re.compile(r"['’]s$")

_MONTHS = {m: n for n, m in enumerate("January February March April May June July August September "
                                      "October November December".split(), start=1)}
_RU_MONTHS = {m: n for n, m in enumerate("января февраля марта апреля мая июня июля августа сентября "
                                         "октября ноября декабря".split(), start=1)}
_WEEKDAYS = frozenset("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
_EN_MONTH = "|".join(_MONTHS)
_DATE = re.compile(
    r"(?<!\d)(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})(?!\d)"
    rf"|(?<!\d)(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_EN_MONTH})\b(?:,?\s+(?P<y1>\d{{4}})\b)?"
    rf"|(?<!\d)(?P<d2>\d{{1,2}})\s+(?P<m2>{'|'.join(_RU_MONTHS)})\b(?:\s+(?P<y2>\d{{4}})(?:\s*(?:года|г\.))?)?"
    rf"|\b(?P<m3>{_EN_MONTH})\s+(?P<d3>\d{{1,2}})(?:st|nd|rd|th)?\b(?!%)(?:,?\s+(?P<y3>\d{{4}})\b)?"
    rf"|\b(?P<m4>{_EN_MONTH})\s+(?P<y4>\d{{4}})\b"
)
_ROLES = frozenset(
    "president minister prime mp mr mrs ms dr general ambassador speaker chairman chairwoman senator "
    "mayor governor patriarch spokesman spokeswoman spokesperson deputy secretary premier "
    "президент министр премьер премьер-министр депутат глава посол спикер мэр губернатор".split()
)
_LOCATIVES = frozenset("in at near from outside в во из под около".split())
_PLACE_NOUNS = frozenset("city town village region district province republic".split())


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    score: float


@dataclass(frozen=True)
class Fact:
    kind: str  # "number", "date", "name" or "place"
    value: str
    side: str  # "a", "b" or "both-differ"
    detail: str  # the sentence that states it, or "A says 67, B says 38"


@dataclass
class Comparison:
    shared: list[Pair] = field(default_factory=list)
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)


# -- sentences ----------------------------------------------------------------------------
def _ends_sentence(before: str, mark: str, following: str) -> bool:
    """Whether ``mark`` after ``before`` ends a sentence, given the next visible character."""
    if following.islower():
        return False
    if mark != ".":
        return True
    word = re.search(r"[\w.]*$", before).group()
    return not (word.lower() in _ABBREVIATIONS or re.fullmatch(r"[^\W\d_]", word)
                or re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]", word))


def _split_line(line: str) -> list[str]:
    out, start = [], 0
    for mark in _END.finditer(line):
        rest = line[mark.end():].lstrip()
        if rest and _ends_sentence(line[start:mark.start()], mark.group(), rest[0]):
            out.append(line[start:mark.end()].strip())
            start = mark.end()
    tail = line[start:].strip()
    return [*out, tail] if tail else out


def _lines(text: str) -> list[tuple[str, bool]]:
    """Sentences of ``text`` with whether each is a heading (a bold line, or one without final punctuation)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        bold = _BOLD.fullmatch(line)
        if bold:
            line = bold.group(1).strip()
        if not line:
            continue
        pieces = [line] if bold else _split_line(line)
        heading = bool(bold) or (len(pieces) == 1 and not _FINAL.search(line)
                                 and len(line.split()) <= HEADING_MAX_WORDS)
        out.extend((piece, heading) for piece in pieces)
    return out


def sentences(text: str) -> list[str]:
    """The sentences of an English or Russian text; a heading on its own line is one."""
    return [sentence for sentence, _ in _lines(text)]


# -- what a sentence says -----------------------------------------------------------------
def _stem(word: str) -> str:
    word = _POSSESSIVE.sub("", word.lower())
    endings = _RU_ENDINGS if _CYRILLIC.search(word) else _EN_ENDINGS
    for ending in endings:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    return word[:STEM]


def _dates(sentence: str) -> list[tuple[re.Match, tuple[int, int, int]]]:
    """Dates with their key (day or 0, month, year or 0)."""
    found = []
    for m in _DATE.finditer(sentence):
        g = m.groupdict()
        if g["iy"]:
            key = (int(g["id"]), int(g["im"]), int(g["iy"]))
        elif g["m2"]:
            key = (int(g["d2"]), _RU_MONTHS[g["m2"]], int(g["y2"] or 0))
        else:
            day = g["d1"] or g["d3"] or 0
            month = g["m1"] or g["m3"] or g["m4"]
            key = (int(day), _MONTHS[month], int(g["y1"] or g["y3"] or g["y4"] or 0))
        if 1 <= key[1] <= 12 and key[0] <= 31:
            found.append((m, key))
    return found


def _numbers(sentence: str, dates) -> list[tuple[tuple[float, str], str]]:
    """Numbers outside dates, with their key and how they read ("nine" reads "9")."""
    masked = sentence
    for m, _ in dates:
        masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end():]
    found = []
    for m in NUMBER.finditer(masked):
        text = m.group().strip()
        head = text.split()[0].lower()
        found.append((number_key(text), str(NUMBER_WORDS[head]) + text[len(head):] if head in NUMBER_WORDS else text))
    return found


def _stated(sentence: str) -> list[tuple[str, object, str]]:
    """The dates and numbers of a sentence as (kind, key, how it reads)."""
    dates = _dates(sentence)
    return [("date", key, m.group().strip()) for m, key in dates] + [
        ("number", key, value) for key, value in _numbers(sentence, dates)]


def _name_key(word: str) -> str:
    return _stem(word)[:5]


def _capitalised(word: str) -> bool:
    word = _POSSESSIVE.sub("", word)
    return word[0].isupper() and word not in _MONTHS and word not in _WEEKDAYS and word != "I"


def _runs(sentence: str) -> list[tuple[list[str], str]]:
    """Runs of capitalised words after the sentence's first word, each with the two words before it.

    A possessive ends a run ("Azerbaijan’s Foreign Ministry" is two runs); role words are dropped.
    """
    words = list(_WORD.finditer(sentence))
    spans: list[list[int]] = []  # [first, last] word of each run
    for n in range(1, len(words)):
        if not _capitalised(words[n].group()):
            continue
        before = words[n - 1]
        if (spans and spans[-1][1] == n - 1 and sentence[before.end():words[n].start()].isspace()
                and not _POSSESSIVE.search(before.group())):
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return [(_unrole([_POSSESSIVE.sub("", w.group()) for w in words[first:last + 1]]),
             " ".join(w.group() for w in words[max(0, first - 2):first]).lower()) for first, last in spans]


def _unrole(run: list[str]) -> list[str]:
    """The run after its last role word: "Foreign Minister Andrii Sybiha" -> ["Andrii", "Sybiha"]."""
    roles = [n for n, w in enumerate(run) if w.lower() in _ROLES]
    return run[roles[-1] + 1:] if roles else run


@dataclass
class _Side:
    """What one text states: its sentences, their features, and its facts."""

    lines: list[tuple[str, bool]]
    features: list[set[str]] = field(default_factory=list)
    facts: list[tuple[str, object, str, str]] = field(default_factory=list)  # kind, key, value, sentence
    numbers: set = field(default_factory=set)
    dates: set = field(default_factory=set)
    name_keys: set[str] = field(default_factory=set)  # of every capitalised word, headline included


def _read(title: str, text: str) -> _Side:
    """One text read: its headline counts for the facts it states, not as a sentence to match."""
    side = _Side(_lines(text))
    headline = [(title.strip(), True)] if title.strip() else []
    for sentence, _ in headline + side.lines:
        for kind, key, value in _stated(sentence):
            (side.dates if kind == "date" else side.numbers).add(key)
            side.facts.append((kind, key, value, sentence))
        side.name_keys.update(_name_key(w) for w in _WORD.findall(sentence) if w[0].isupper())
    _read_names(side)
    side.features = [_features(sentence) for sentence, _ in side.lines]
    return side


def _read_names(side: _Side) -> None:
    """Names and places of the text's sentences (headings, often in title case, are left out)."""
    runs = [(run, before, sentence) for sentence, is_heading in side.lines if not is_heading
            for run, before in _runs(sentence)]
    counts: dict[str, int] = {}
    for run, _, _ in runs:
        for word in run:
            counts[_name_key(word)] = counts.get(_name_key(word), 0) + 1
    places = set()
    found = []
    for run, before, sentence in runs:
        key = tuple(_name_key(w) for w in run)
        if not run or (len(run) == 1 and counts[key[0]] < 2 and not _locative(before)):
            continue
        if _locative(before) and (len(run) > 1 or not before.endswith("the")):
            places.add(key)
        found.append((key, " ".join(run), sentence))
    side.facts += [("place" if key in places else "name", key, value, sentence) for key, value, sentence in found]


def _locative(before: str) -> bool:
    """Whether the words before a name say it is a place: "in", "in the", "city of"."""
    words = before.split()
    if words and words[-1] == "the":
        words = words[:-1]
    if len(words) > 1 and words[-1] == "of":
        return words[-2] in _PLACE_NOUNS
    return bool(words) and words[-1] in _LOCATIVES


def _features(sentence: str) -> set[str]:
    """Stems of content words, and numbers and dates (a date without its year)."""
    found = {f"#{kind}{key[:2] if kind == 'date' else key}" for kind, key, _ in _stated(sentence)}
    words = (w for w in _WORD.findall(sentence) if len(w) > 2 and w.lower() not in _STOP)
    return found | {_stem(w) for w in words if w.lower() not in NUMBER_WORDS}


# -- matching -------------------------------------------------------------------------------
def _weights(a: _Side, b: _Side) -> dict[str, float]:
    """Each feature's rarity among the sentences of both texts."""
    counts: dict[str, int] = {}
    for features in a.features + b.features:
        for f in features:
            counts[f] = counts.get(f, 0) + 1
    total = len(a.features) + len(b.features)
    return {f: math.log(1 + total / n) for f, n in counts.items()}


def _similarity(one: set[str], other: set[str], weight: dict[str, float]) -> float:
    """Cosine of the two sentences' weighed features; 0 when they share fewer than MIN_SHARED."""
    shared = one & other
    if len(shared) < MIN_SHARED:
        return 0.0
    return sum(weight[f] ** 2 for f in shared) / math.sqrt(
        sum(weight[f] ** 2 for f in one) * sum(weight[f] ** 2 for f in other))


def _align(a: _Side, b: _Side) -> list[tuple[int, int, float]]:
    """Pairs of sentence indices (A, B) and their similarity, taken best first, each sentence once."""
    weight = _weights(a, b)
    scored = sorted(
        ((_similarity(fa, fb, weight), i, j) for i, fa in enumerate(a.features) for j, fb in enumerate(b.features)
         if a.lines[i][1] == b.lines[j][1]),  # headings match headings only
        reverse=True,
    )
    used_a, used_b, pairs = set(), set(), []
    for score, i, j in scored:
        if score < MATCH_AT:
            break
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j, score))
    return sorted(pairs)


# -- facts ------------------------------------------------------------------------------------
def _same(kind: str, one, other) -> bool:
    """Whether two keys of one kind state the same fact; a date without a year fits any year."""
    if kind == "date":
        return one[:2] == other[:2] and (one[2] == other[2] or not one[2] or not other[2])
    return one == other


def _states(side: _Side, kind: str, key) -> bool:
    """Whether ``side`` states the fact anywhere, headline included."""
    if kind == "name" or kind == "place":
        return all(k in side.name_keys for k in key)
    return any(_same(kind, key, other) for other in (side.numbers if kind == "number" else side.dates))


def _lacking(mine: list[tuple[str, object, str]], theirs: list[tuple[str, object, str]], kind: str) -> list:
    """The (key, value) of ``kind`` in ``mine`` that ``theirs`` does not state."""
    keys = [key for k, key, _ in theirs if k == kind]
    return [(key, value) for k, key, value in mine if k == kind and not any(_same(kind, key, t) for t in keys)]


def _disagreements(shared: list[Pair]) -> tuple[list[Fact], set[tuple[str, object]]]:
    """Numbers and dates that matched sentences state differently, and the keys involved."""
    facts, disputed = [], set()
    for pair in shared:
        stated_a, stated_b = _stated(pair.a), _stated(pair.b)
        for kind in ("number", "date"):
            a_only, b_only = _lacking(stated_a, stated_b, kind), _lacking(stated_b, stated_a, kind)
            if a_only and b_only:
                said_a, said_b = ", ".join(v for _, v in a_only), ", ".join(v for _, v in b_only)
                facts.append(Fact(kind, f"{said_a} vs {said_b}", "both-differ", f"A says {said_a}, B says {said_b}"))
                disputed |= {(kind, key) for key, _ in a_only + b_only}
    return facts, disputed


def _one_sided(side: _Side, other: _Side, name: str, disputed: set[tuple[str, object]]) -> list[Fact]:
    """The facts ``side`` states and ``other`` never does, each once, in the order stated."""
    facts, seen = [], set(disputed)
    for kind, key, value, sentence in side.facts:
        if (kind, key) not in seen and not _states(other, kind, key):
            seen.add((kind, key))
            facts.append(Fact(kind, value, name, sentence))
    return facts


def compare(a_title: str, a_text: str, b_title: str, b_text: str) -> Comparison:
    """What two reports of one story share, what each alone reports, and which facts differ."""
    a, b = _read(a_title, a_text), _read(b_title, b_text)
    pairs = _align(a, b)
    shared = [Pair(a.lines[i][0], b.lines[j][0], round(score, 3)) for i, j, score in pairs]
    matched_a, matched_b = {i for i, _, _ in pairs}, {j for _, j, _ in pairs}
    differ, disputed = _disagreements(shared)
    return Comparison(
        shared=shared,
        only_a=[s for n, (s, _) in enumerate(a.lines) if n not in matched_a],
        only_b=[s for n, (s, _) in enumerate(b.lines) if n not in matched_b],
        facts=differ + _one_sided(a, b, "a", disputed) + _one_sided(b, a, "b", disputed),
    )
