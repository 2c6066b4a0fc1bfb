"""Which items of general feeds are about the South Caucasus, and why.

General feeds (world news, Kyiv Independent, Meduza) carry a few stories about
Armenia, Azerbaijan and Georgia among many that are not. :class:`RelevanceFilter`
looks for the names in ``data/gazetteer.yaml`` (countries, places, people,
parties, companies, in English, Russian, Armenian, Georgian and Azerbaijani)
and weighs where they appear:

* a name in the title counts most, in the opening two sentences less, and
  further down least, and less still the longer the article (a country named
  once in the tail of a 3,000-word piece is a passing mention);
* a name in a long list of countries counts as a passing mention;
* an ambiguous name (Georgia, Armenian, Aliyev, Baku) counts fully only when
  something else in the item confirms it, and is dropped when clues for one of
  its other meanings (the US state, the diaspora abroad, another person)
  outnumber the confirmation.

Every verdict carries the names that decided it and a one-line reason, so a
reader can see why an item was kept or left out.

All names are compiled into one trie-shaped regular expression, so judging an
item is a few regex scans over its text; the gazetteer is loaded and compiled
once per process.
"""

from __future__ import annotations

import bisect
import html
import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

GAZETTEER = Path(__file__).resolve().parent / "data" / "gazetteer.yaml"

# --- scoring ------------------------------------------------------------------
WEIGHTS = {"strong": 1.0, "weak": 0.5}
UNSURE = 0.7  # an ambiguous name that nothing in the item confirms or contradicts
ZONE_WEIGHTS = {"title": 3.0, "lede": 2.0, "body": 0.6}
REPEAT = 0.3  # each further mention of a name adds this share of its weight...
MAX_REPEATS = 10  # ...up to this many times, so one name cannot carry a long text
KEEP_AT = 2.0  # a strong name in the title (3.0) or the opening (2.0) is enough
LONG_TEXT_WORDS = 400  # beyond this, mentions in the body are diluted by length
LEDE_SENTENCES = 2
LEDE_MAX_CHARS = 400
LIST_MIN_ITEMS = 5  # "A, B, C, D and E": a name among this many others is listed
MAX_FIELD_CHARS = 100_000  # about 15,000 words, beyond any article: bounds the time on junk
MAX_MENTIONS_PER_ZONE = 300  # far more than any article has; stops a scan of junk early
CLUE_EXAMPLES = 3  # clues quoted in a reason

_ZONE_ORDER = {"title": 0, "lede": 1, "body": 2}


@dataclass(frozen=True)
class Verdict:
    kept: bool
    terms: list[str]  # canonical names that matched, most important first
    score: float
    reason: str  # one short sentence for the reader


# --- reading the gazetteer ----------------------------------------------------
@dataclass(frozen=True)
class _Entry:
    name: str
    kind: str
    weight: float
    senses: tuple[str, ...] = ()
    country: str | None = None  # the country entry whose context also confirms this one


@dataclass
class _Name:
    """One alias or clue: what it stands for, and how to recognise it in text."""

    text: str
    role: str  # "alias" | "ambiguous" | "sense" (a clue for another meaning) | "context"
    owner: str  # entry name for alias/ambiguous/context, sense id for sense
    single_word: bool
    _checker: re.Pattern | None = field(default=None, repr=False)

    def matches(self, surface: str) -> bool:
        """Whether ``surface`` is this name, with its uppercase letters uppercase."""
        if self._checker is None:  # built lazily: most names are never seen
            self._checker = re.compile(_case_pattern(self.text))
        return self._checker.fullmatch(surface) is not None


_SEP, _STEM = "\x00sep", "\x00stem"
_SEP_PATTERN = r"[ \-]"

# Feed text arrives with typographic variants of the same characters; fold
# them so "Georgia’s" and "Nagorno–Karabakh" match the gazetteer's spelling.
# (A regex substitution: str.translate with a dict is ten times slower here.)
_CHAR_FOLDS = {
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2032": "'", "`": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "ё": "е", "Ё": "Е", "և": "եւ", "\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "",
}
_FOLDABLE = re.compile("[" + "".join(map(re.escape, _CHAR_FOLDS)) + "]")


def _normalise(text: str) -> str:
    return _FOLDABLE.sub(lambda found: _CHAR_FOLDS[found.group()], text)


def _fold(text: str) -> str:
    """A case-free key: Turkish and Azerbaijani i's fold together."""
    return text.replace("İ", "i").lower().replace("ı", "i")


def _tokens(alias: str) -> list[str]:
    """An alias as trie steps: folded characters, word separators and stems."""
    steps: list[str] = []
    for char in _fold(_normalise(alias)):
        if char in " -":
            steps.append(_SEP)
        elif char == "*":
            steps.append(_STEM)
        else:
            steps.append(char)
    return steps


def _case_pattern(alias: str) -> str:
    """A case-aware pattern for one alias: uppercase letters must stay uppercase."""
    parts = []
    for char in _normalise(alias):
        if char in " -":
            parts.append(_SEP_PATTERN)
        elif char == "*":
            parts.append(r"\w*")
        elif char in "iı":
            parts.append("[iıIİ]")
        elif char in "Iİ":
            parts.append("[Iİ]")
        elif char.isupper():
            parts.append(re.escape(char))
        elif len(char.upper()) == 1 and char.upper() != char:
            parts.append(f"[{re.escape(char)}{re.escape(char.upper())}]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def _fold_text(text: str) -> str:
    """``text`` folded like the trie's names, character for character.

    The trie runs on folded text without re.IGNORECASE: the regex engine skips
    an alternative whose first character is a plain literal that differs,
    which it cannot do for case-insensitive literals, and that is most of the
    cost of a scan. Offsets stay those of the original text (where the case
    check is made) because only length-preserving folds are used.
    """
    folded = text.replace("İ", "i").lower().replace("ı", "i")
    if len(folded) != len(text):  # a rare character whose lowercase is longer
        folded = "".join(c if len(low := _fold(c)) != 1 else low for c in text)
    return folded.replace("-", " ")  # "Nagorno-Karabakh" is "Nagorno Karabakh"


_ESCAPES = {c: "\\" + c for c in r"\.^$*+?{}[]|()#&~-"}


def _step_order(step: str) -> tuple[int, str]:
    """Literal characters first, then the stem wildcard: a longer literal continuation wins."""
    return (1, "") if step == _STEM else (0, step)


def _trie_regex(aliases: Iterable[str]) -> re.Pattern:
    """One regex matching any alias (in folded text) at word boundaries, longest first.

    A plain alternation of a thousand names makes the regex engine try each
    one at every position; a trie shares prefixes, so each position costs a
    few steps. Continuations are tried before ending a name, and the engine
    backtracks to a shorter name if a longer one is not followed by a word
    boundary, so the longest name present wins.
    """
    trie: dict = {}
    for alias in aliases:
        node = trie
        for step in _tokens(alias):
            node = node.setdefault(step, {})
        node[""] = {}

    def step_pattern(step: str) -> str:
        if step == _SEP:
            return " "  # the folded text has hyphens as spaces
        if step == _STEM:
            return r"\w*"
        return _ESCAPES.get(step, step)

    def compile_node(node: dict) -> str:
        branches = []
        for step in sorted(node, key=_step_order):
            if step == "":
                continue
            # Follow a chain of single steps (most of a name) without recursing.
            piece, child = [step_pattern(step)], node[step]
            while len(child) == 1 and "" not in child:
                (next_step, child), = child.items()
                piece.append(step_pattern(next_step))
            branches.append("".join(piece) + compile_node(child))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            body = "(?:" + body + ")?"
        return body

    # A name starts after a non-word character (the text is scanned with a
    # space in front) that is followed by a word character. Starting the
    # pattern with that character, rather than a (?<!\w) lookbehind, lets the
    # engine skip straight to the next space or punctuation mark instead of
    # trying every position inside words; the lookahead makes runs of
    # punctuation ("<<<<", "&&&&" in junk) cheap.
    return re.compile(r"\W(?=\w)(?:" + compile_node(trie) + r")(?!\w)")


def _lookup_key(surface: str) -> str:
    return _fold(surface).replace("-", " ")


class _NameIndex:
    """The names of one vocabulary, compiled to one regex, and found back by text."""

    def __init__(self, names: list[_Name]):
        self.exact: dict[str, list[_Name]] = {}
        self.stemmed: dict[str, list[_Name]] = {}
        for name in names:
            if not name.text[:1].isalnum():
                raise ValueError(f"name {name.text!r} must start with a letter or digit")
            if "*" in name.text:
                prefix = _lookup_key(_normalise(name.text.split("*", 1)[0]))
                if len(prefix) < 3:
                    raise ValueError(f"stem {name.text!r} needs at least three letters before '*'")
                self.stemmed.setdefault(prefix[:3], []).append(name)
            else:
                self.exact.setdefault(_lookup_key(_normalise(name.text)), []).append(name)
        self.regex = _trie_regex({name.text for name in names}) if names else None

    def names_for(self, surface: str) -> list[_Name]:
        key = _lookup_key(surface)
        found = [n for n in self.exact.get(key, ()) if n.matches(surface)]
        found += [n for n in self.stemmed.get(key[:3], ()) if n.matches(surface)]
        return found

    def scan(self, text: str) -> Iterable[tuple[int, int, str, list[_Name]]]:
        """(start, end, surface, names) for each name in ``text``, left to right."""
        if self.regex is None or not text:
            return
        folded = " " + _fold_text(text)  # offsets in ``folded`` are one past ``text``'s
        pos = 0
        while True:
            found = self.regex.search(folded, pos)
            if found is None:
                return
            start, end = found.start(), found.end() - 1
            surface = text[start:end]
            names = self.names_for(surface)
            # The regex runs on folded text; if the longest name fails the case
            # rule ("Georgian dream"), a shorter one may still hold ("Georgian").
            while not names:
                cut = max(surface.rfind(" "), surface.rfind("-"))
                if cut <= 0:
                    break
                surface = surface[:cut]
                end = start + cut
                names = self.names_for(surface)
            if names:
                yield start, end, surface, names
                pos = end + 1
            else:
                pos = start + 1


@dataclass
class _Sense:
    id: str
    label: str


class _Gazetteer:
    def __init__(self, data: dict):
        self.senses = {sid: _Sense(sid, spec["label"]) for sid, spec in data["senses"].items()}
        self.honorifics = {_fold(word) for word in data.get("honorifics", ())}
        self.entries: dict[str, _Entry] = {}
        names: list[_Name] = []
        state_nouns = data.get("state_nouns", {})
        countries = data.get("countries", {})

        def add(text: str, role: str, owner: str) -> None:
            text = str(text)
            single = not re.search(r"[ \-]", text.strip("*"))
            names.append(_Name(text, role, owner, single))

        for spec in data["entries"]:
            entry = _Entry(
                spec["name"], spec["kind"], WEIGHTS[spec["weight"]], tuple(spec.get("senses", ())),
                countries.get(spec.get("country")),
            )
            if entry.name in self.entries:
                raise ValueError(f"gazetteer names {entry.name} twice")
            unknown = set(entry.senses) - set(self.senses)
            if unknown:
                raise ValueError(f"gazetteer entry {entry.name} names unknown senses {sorted(unknown)}")
            self.entries[entry.name] = entry
            for alias in spec.get("aliases", ()):
                add(alias, "alias", entry.name)
            for alias in spec.get("ambiguous", ()):
                add(alias, "ambiguous", entry.name)
            for language, demonyms in (spec.get("demonyms") or {}).items():
                for demonym in demonyms:
                    for noun in state_nouns.get(language, ()):
                        add(f"{demonym} {noun}", "alias", entry.name)
            for word in spec.get("context", ()):
                add(word, "context", entry.name)
        for sid, spec in data["senses"].items():
            for clue in spec["clues"]:
                add(clue, "sense", sid)
        self.names = names
        self.index = _NameIndex(names)
        self._shadows: dict[tuple[str, str], str | None] = {}

    def shadowed_entry(self, sense: str, surface: str) -> str | None:
        """The entry whose name a clue hides ("Georgia Tech" hides Georgia), if any.

        The longest match wins, so such a clue swallows the name; the verdict
        still wants to say which name it hid and why.
        """
        key = (sense, surface)
        if key not in self._shadows:
            found = None
            words = re.split(r"[ \-]", surface)
            for i in range(len(words)):
                for j in range(i + 1, min(len(words), i + 4) + 1):
                    for name in self.index.names_for(" ".join(words[i:j])):
                        entry = self.entries.get(name.owner)
                        if name.role in ("alias", "ambiguous") and entry and sense in entry.senses:
                            found = found or entry.name
            self._shadows[key] = found
        return self._shadows[key]


@lru_cache(maxsize=1)
def _load_gazetteer() -> _Gazetteer:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(GAZETTEER, encoding="utf-8") as handle:
        return _Gazetteer(yaml.load(handle, Loader=loader))


# --- reading an item ----------------------------------------------------------
# An unclosed <script> or comment ends the text, in one match: a lazy match
# that had to fail would be retried from every later "<script", which is
# quadratic on hostile input.
_MARKUP = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|\Z)|<!--.*?(?:-->|\Z)|<[^<>]{0,2000}>", re.S | re.I)
_SENTENCE_END = re.compile(r"[.!?։…]+[\"'»”)\]]*\s+(?![a-zа-я])")
_WORDS = re.compile(r"\w+")
_LEADING_NON_WORD = re.compile(r"^[\W_]+")
_QUOTES = " \"'«»“”„‘’()[]{}<>"
_PREVIOUS_WORD = re.compile(r"(\w[\w'.]*)[ ]$")
_CLAUSE_END = re.compile(r"[.;:!?։]\s")
_LIST_SPLIT = re.compile(r",|\s(?:and|or|и|или|եւ|და|və)\s", re.I)


def _clean(value) -> str:
    """Plain single-spaced text from a feed field that may hold markup or entities."""
    if not value:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text[:MAX_FIELD_CHARS]
    if "<" in text:
        text = _MARKUP.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return " ".join(_normalise(text).split())


def _split_lede(text: str) -> tuple[str, str]:
    """(the first two sentences, the rest); the first part at most LEDE_MAX_CHARS long."""
    ends = []
    for end in _SENTENCE_END.finditer(text, 0, LEDE_MAX_CHARS + 10):
        if end.end() > LEDE_MAX_CHARS or len(ends) == LEDE_SENTENCES:
            break
        ends.append(end.end())
    if len(ends) == LEDE_SENTENCES:
        cut = ends[-1]
    elif len(text) <= LEDE_MAX_CHARS:
        return text, ""
    else:  # sentences too long to find: take the opening words
        cut = text.rfind(" ", 0, LEDE_MAX_CHARS) + 1 or LEDE_MAX_CHARS
    return text[:cut], text[cut:]


def _is_title_case(text: str) -> bool:
    """Whether every longer word is capitalised ("Putin Meets Aliyev in Dushanbe")."""
    words = [w for w in _WORDS.findall(text) if len(w) >= 4 and w[0].isalpha()]
    return len(words) >= 3 and not any(w[0].islower() for w in words)


@dataclass
class _Mention:
    entry: _Entry
    name: _Name
    zone: str
    start: int
    end: int
    surface: str
    listed: bool = False


@dataclass
class _Zone:
    kind: str  # title | lede | body
    text: str
    title_case: bool = False


class RelevanceFilter:
    """Judges whether an item of a general feed is about the South Caucasus."""

    def __init__(self, extra_keywords: Iterable[str] = ()):
        self.gazetteer = _load_gazetteer()
        # The user's keywords (feeds.yaml) are plain words or phrases that count
        # as strong names. One the gazetteer knows keeps its canonical name, so
        # "Artsakh" is reported as Nagorno-Karabakh, now counted as strong.
        self.keyword_entries: dict[str, _Entry] = {}
        keyword_names = []
        for raw in extra_keywords or ():
            keyword = " ".join(_normalise(str(raw)).replace("*", " ").split()).strip(_QUOTES)
            keyword = _LEADING_NON_WORD.sub("", keyword)  # a name must start with a letter or digit
            if not keyword:
                continue
            known = [n.owner for n in self.gazetteer.index.exact.get(_lookup_key(keyword), ())
                     if n.role in ("alias", "ambiguous")]
            canonical = known[0] if known else keyword
            self.keyword_entries.setdefault(canonical, _Entry(canonical, "keyword", WEIGHTS["strong"]))
            keyword_names.append(_Name(keyword, "alias", canonical, " " not in keyword))
        self.keywords = _NameIndex(keyword_names)

    # -- public ---------------------------------------------------------------
    def judge(self, title: str, summary: str = "", text: str = "") -> Verdict:
        zones, words = self._zones(_clean(title), _clean(summary), _clean(text))
        dilution = min(1.0, math.sqrt(LONG_TEXT_WORDS / words)) if words > LONG_TEXT_WORDS else 1.0
        mentions, hits, other_people = self._find(zones)
        mentions, resolved, dropped = self._resolve(mentions, hits)
        scores = self._score(mentions, resolved, dilution)
        total = round(sum(scores.values()), 3)
        kept = total >= KEEP_AT
        first_seen = {}
        for m in mentions:
            first_seen.setdefault(m.entry.name, (_ZONE_ORDER[m.zone], m.start))
        terms = sorted(scores, key=lambda name: (-scores[name], first_seen[name]))
        reason = self._reason(kept, terms, mentions, dropped, hits, other_people, words)
        return Verdict(kept=kept, terms=terms, score=total, reason=reason)

    # -- finding names --------------------------------------------------------
    def _zones(self, title: str, summary: str, text: str) -> tuple[list[_Zone], int]:
        zones = [_Zone("title", title, _is_title_case(title))] if title else []
        if summary and text and text.startswith(summary[:200]):
            summary = ""  # feeds often repeat the article's opening as its summary
        lede_parts, body_parts = [], []
        for part in (summary, text):
            if part:
                lede, rest = _split_lede(part)
                lede_parts.append(lede)
                body_parts.append(rest)
        zones += [_Zone("lede", t) for t in lede_parts if t]
        zones += [_Zone("body", t) for t in body_parts if t]
        words = len(summary.split()) + len(text.split())
        return zones, words

    def _find(self, zones: list[_Zone]):
        """Mentions of entries, clue hits per owner, and other people's names seen."""
        mentions: list[_Mention] = []
        hits: dict[tuple[str, str], dict[str, str]] = {}  # (role, owner) -> {clue key: surface}
        other_people: list[str] = []
        gazetteer = self.gazetteer
        for zone in zones:
            zone_mentions = []
            for index, entries in ((gazetteer.index, gazetteer.entries), (self.keywords, self.keyword_entries)):
                for start, end, surface, names in itertools.islice(index.scan(zone.text), MAX_MENTIONS_PER_ZONE):
                    best = None
                    for name in names:
                        if name.role == "sense":
                            hits.setdefault((name.role, name.owner), {}).setdefault(_lookup_key(name.text), surface)
                        elif name.role != "context" and (
                            best is None or (best.role == "ambiguous" and name.role == "alias")
                        ):
                            best = name
                    if best is None:
                        # A context word that is itself an entry ("Caucasus") already
                        # confirms as that entry; counting it twice would tip the balance.
                        for name in names:
                            if name.role == "context":
                                hits.setdefault(("context", name.owner), {}).setdefault(_lookup_key(name.text), surface)
                        continue
                    entry = entries[best.owner]
                    if best.role == "ambiguous" and entry.kind == "person" and best.single_word:
                        given = self._other_given_name(zone, start)
                        if given:
                            other_people.append(f"{given} {surface}")
                            continue
                    zone_mentions.append(_Mention(entry, best, zone.kind, start, end, surface))
            _mark_listed(zone.text, zone_mentions)
            mentions += zone_mentions
        return mentions, hits, other_people

    def _other_given_name(self, zone: _Zone, start: int) -> str | None:
        """The given name before a bare surname when it is someone else's ("Magomed Aliyev")."""
        if zone.kind == "title" and zone.title_case:
            return None  # in Title Case every word is capitalised; no evidence either way
        before = _PREVIOUS_WORD.search(zone.text, max(0, start - 40), start)
        if before is None:
            return None
        word = before.group(1)
        if not word[0].isupper() or word.endswith("'s") or _fold(word) in self.gazetteer.honorifics:
            return None
        return word

    # -- weighing them --------------------------------------------------------
    def _resolve(self, mentions: list[_Mention], hits):
        """Drop ambiguous entries that another meaning explains; mark the confirmed ones.

        Returns the mentions kept, the names of entries whose ambiguous names
        are confirmed, and, per dropped entry, (surface, sense, clue texts).
        """
        sure = {m.entry.name: m.entry for m in mentions if m.name.role == "alias"}
        by_entry: dict[str, list[_Mention]] = {}
        for m in mentions:
            by_entry.setdefault(m.entry.name, []).append(m)
        resolved, dropped, keep = set(), {}, []
        for name, its_mentions in by_entry.items():
            entry = its_mentions[0].entry
            confirmation = sum(2 if e.weight >= WEIGHTS["strong"] else 1 for n, e in sure.items() if n != name)
            confirmation += 2 if name in sure else 0
            confirmation += len(hits.get(("context", name), {}).keys() | hits.get(("context", entry.country), {}).keys())
            rival, rival_clues = None, {}
            for sid in entry.senses:
                clues = hits.get(("sense", sid), {})
                if len(clues) > len(rival_clues):
                    rival, rival_clues = sid, clues
            if rival and len(rival_clues) > confirmation:
                dropped[name] = (its_mentions[0].surface, rival, list(rival_clues.values()))
                continue
            if confirmation > 0:
                resolved.add(name)
            keep += its_mentions
        return keep, resolved, dropped

    def _score(self, mentions: list[_Mention], resolved: set[str], dilution: float) -> dict[str, float]:
        """Per entry: its best-placed mention, plus a small share for each further one."""
        placed: dict[str, list[tuple[float, float]]] = {}
        for m in mentions:
            weight = m.entry.weight
            if m.name.role == "ambiguous" and m.entry.name not in resolved:
                weight *= UNSURE
            zone = "body" if m.listed else m.zone
            length = dilution if zone == "body" else 1.0
            placed.setdefault(m.entry.name, []).append((weight * ZONE_WEIGHTS[zone] * length, weight * length))
        scores = {}
        for name, values in placed.items():
            values.sort(reverse=True)
            repeats = sum(plain for _, plain in values[1 : 1 + MAX_REPEATS])
            scores[name] = values[0][0] + REPEAT * repeats
        return scores

    # -- explaining ------------------------------------------------------------
    def _reason(self, kept, terms, mentions, dropped, hits, other_people, words) -> str:
        senses = self.gazetteer.senses
        why_not = []
        for name, (surface, sid, clues) in dropped.items():
            surface = surface[:-2] if surface.endswith("'s") else surface
            why_not.append(f"{surface} here is {senses[sid].label} ({', '.join(clues[:CLUE_EXAMPLES])})")
        if other_people:
            why_not.append(f"{other_people[0]} is someone else")
        if kept:
            best_zone = {}
            for m in mentions:
                best_zone[m.entry.name] = min(best_zone.get(m.entry.name, 9), _ZONE_ORDER[m.zone])
            in_title = [t for t in terms if best_zone[t] == 0]
            elsewhere = [t for t in terms if best_zone[t] > 0]
            parts = []
            if in_title:
                parts.append("title names " + _names(in_title))
            if elsewhere:
                parts.append(("text names " if in_title else "the text names ") + _names(elsewhere))
            return "; ".join(parts)
        if not terms:
            if why_not:
                return "; ".join(why_not)
            shadowed = self._shadowed(hits)
            if shadowed:
                return shadowed
            return "names nothing in the South Caucasus"
        top = _names(terms[:2])
        if any(m.listed for m in mentions) and all(m.listed or m.zone == "body" for m in mentions):
            reason = f"{top} only listed among many others"
        elif all(m.zone == "body" for m in mentions):
            if words > LONG_TEXT_WORDS:
                reason = f"only a passing mention of {top} in a long article"
            else:
                reason = f"only a passing mention of {top}, late in the text"
        else:
            reason = f"too little to go on: only {top}"
            if any(m.name.role == "ambiguous" for m in mentions):
                reason += ", which may mean something else"
        return "; ".join([reason] + why_not)

    def _shadowed(self, hits) -> str | None:
        """Why nothing matched when a phrase such as "Georgia Tech" swallowed a name."""
        for (role, sid), clues in hits.items():
            if role != "sense":
                continue
            for surface in clues.values():
                entry_name = self.gazetteer.shadowed_entry(sid, surface)
                if entry_name:
                    shown = ", ".join(list(clues.values())[:CLUE_EXAMPLES])
                    return f"{entry_name} here is {self.gazetteer.senses[sid].label} ({shown})"
        return None


def _mark_listed(text: str, mentions: list[_Mention]) -> None:
    """Mark mentions that sit in a long list of names most of which are not regional.

    "citizens of Albania, Andorra, Armenia, Bosnia and Brazil": Armenia is one
    of many, so the item is not about it. "Armenia, Azerbaijan and Georgia"
    is too short a list, and a list mostly of the region's own names is about
    the region.
    """
    starts = sorted(m.start for m in mentions)
    for m in mentions:
        window_start = max(0, m.start - 300)
        left = max((x.end() for x in _CLAUSE_END.finditer(text, window_start, m.start)), default=window_start)
        right_end = _CLAUSE_END.search(text, m.end, m.end + 300)
        right = right_end.start() if right_end else min(len(text), m.end + 300)
        items, piece_start = [], left
        for separator in _LIST_SPLIT.finditer(text, left, right):
            items.append((piece_start, separator.start()))
            piece_start = separator.end()
        items.append((piece_start, right))
        names = [(a, b) for a, b in items if _looks_like_a_name(text[a:b].strip())]
        if len(names) < LIST_MIN_ITEMS or not any(a <= m.start < b for a, b in names):
            continue
        regional = sum(1 for a, b in names if bisect.bisect_left(starts, b) > bisect.bisect_left(starts, a))
        if regional * 2 < len(names):
            m.listed = True


def _looks_like_a_name(piece: str) -> bool:
    """A list item that reads as a name: one to four words, not starting lowercase."""
    return 1 <= len(piece.split()) <= 4 and piece[:1].isalpha() and not piece[0].islower()


def _names(terms: list[str]) -> str:
    return ", ".join(terms[:3]) + ("..." if len(terms) > 3 else "")
