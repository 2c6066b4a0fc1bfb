"""Grouping articles into stories: one real-world event, one story.

An article becomes a sparse vector of weighted terms (:func:`features`):

* word stems of the headline (weighted most), the opening and the next few
  hundred words;
* *anchors*, the terms that let reports in different languages meet: names
  (the gazetteer's canonical names, and for other capitalised words a
  spelling-free key that an English "Yekaterinburg" and a Russian
  "Екатеринбурге" share), numbers, and concepts from ``data/concepts.yaml``
  (protest = протест, crash = крушение...).

A new article is compared with the articles dated near it, found through an
inverted index of the rarer terms. An undated article's date is only when it
was found (the clock), so it is dated by its words first: it is compared with
the articles near the date of the dated article it is most like, in any month
(:meth:`GroupIndex.dates_of`). Similarity weighs terms by how rare they are among the articles of
those weeks. In one language it mixes the cosine of all terms, of the anchors
and of the names and numbers alone (the who and where of an event); between
languages it is the cosine of the anchors. Articles whose gazetteer names lie
in different countries keep only :data:`COUNTRY_FACTOR` of it (one central
bank's rate cut is not another's). It fades with the gap between
publication dates, so two protests in one city a week apart stay apart while
the wire report and the next days' analysis meet. An article joins the story
of the member it scores highest with when that score reaches :data:`JOIN_AT`
and the story began no more than :data:`STORY_DAYS` before it (a daily series
is many events, not one growing story); a story it also matches strongly
(:data:`MERGE_AT`), or a lone article it matches as well as that story
(:data:`LONE_JOIN`), is merged into that one, unless the new article is
undated. A story holding the seeds or a user's corrections takes an article
only when :data:`CURATED_MARGIN` surer.

Nothing here reads or writes files: :class:`GroupIndex` gets its articles
from a loader, and the store (:mod:`tui.store`) applies the decisions.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

FEATURES_VERSION = 4  # 2: the general news concepts; 3, 4: Armenian, Georgian and Azerbaijani; an archive with
# older features is regrouped
CONCEPTS = Path(__file__).resolve().parent / "data" / "concepts.yaml"

# -- tuning: JOIN_AT, BEST_LINK, NAME_MIX, SAME_DAYS and LONE_JOIN are chosen on the dev events of
# tests/data/stories (bench/grouping.py quality --tune); the others are set by hand
JOIN_AT = 0.35  # an article joins the best story scoring at least this
MERGE_AT = 0.45  # another story it matches this well is the same story
TITLE_MIX = 0.0  # this share of the similarity is the headlines' alone
ANCHOR_MIX = 0.2  # in one language, this share of the similarity is the anchors' alone
NAME_MIX = 0.2  # and this share the names' and numbers' alone
CROSS_LANGUAGE = 1.0  # anchors-only similarity counts this much between languages
CROSS_EVIDENCE = 3  # articles in two languages are as alike as their anchors only from this many shared ones
SAME_DAYS = 4.0  # dates this close apart cost nothing...
FADE_DAYS = 8.0  # ...beyond, similarity is divided by 1 + extra days / FADE_DAYS
WINDOW_DAYS = 14  # articles further apart are never compared
STORY_DAYS = 14  # an article dated this long after a story's first article starts another
LONE_JOIN = True  # a lone article the new one matches well enough to have joined comes along to its story
LOOK_AGAIN = 2  # stories of at most this many articles are placed again once the articles around them are in
SPLIT_BELOW = 0.33  # a story whose articles fall in two groups (of two or more) alike on average below this is two
SPLIT_MOST = 12  # stories of at most this many articles are checked so (see GroupIndex.events_in)
CURATED_MARGIN = 0.03  # a story holding the seeds or your corrections takes an article only this much surer
COUNTRY_APART = 0.2  # articles whose places lie in different countries (the cosine of their
COUNTRY_FACTOR = 0.6  # countries' shares below COUNTRY_APART) keep this share of their likeness
NAMES_APART = 0.05  # articles that both name places, people or numbers, and share almost none
NAMES_FACTOR = 0.6  # of them (their names' likeness below NAMES_APART), keep this share of their likeness
BEST_LINK = 1.0  # a story's score: this share of its best member, the rest the mean of its members
TOPIC_AT = 0.30  # stories whose anchors meet this well over weeks share a topic
TOPIC_DAYS = 120  # stories further apart than this are not put in one topic

# -- features
TITLE_BOOST, LEDE_BOOST, BODY_BOOST = 3.0, 2.0, 1.0
LEDE_WORDS, BODY_WORDS = 60, 340  # words of the text read after the headline
MAX_TERMS = 80  # terms kept per article
GAZETTEER_SHARE = 0.5  # a gazetteer name also counts by its key: this adds the languages' common name
MAX_HEADLINE = 24  # terms of the headline kept apart, to compare headlines
STEM = 6  # words longer than this are cut to it: protesters = protest = protests
STEMS = {"az": 5}  # in Azerbaijani, whose suffixes pile up, to this: körpü = körpünün = körpüdə
CANDIDATES = 40  # articles sharing the most rare terms: their stories are the candidates
STORIES = 6  # candidate stories scored per new article, best candidates first
MEMBERS = 8  # members of a story compared (the nearest in time)
RARE_SHARE = 0.08  # terms in more than this share of the window's articles find no candidates,
RARE_LEAST = 25  # unless in at most this many (a young archive's window holds few articles)
DATE_CANDIDATES = 50  # an undated article's likeliest date: the best of this many by shared weight
CANDIDATE_POSTINGS = 1200  # articles visited (with repeats) to find candidates, rarest terms first
IDF_DRIFT = 0.15  # in a window of many articles, term rarities are recomputed once its size moves
IDF_EXACT = 1000  # this share; in a window of fewer articles, for each new article
PARALLEL_FROM = 10_000  # regroups of this many dated articles are placed in runs side by side...
MAX_PROCESSES = 4  # ...in at most this many processes (one per core)

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?|\w+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LETTER = re.compile(r"[^\W\d_]")

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers him his how i if in into is it its itself just me more most my no
nor not now of off on once only or other our out over own same she should so some such than that
the their them then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours said says say told tell
new one two three four five six seven eight nine ten first last year years month months week weeks
day days monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow
january february march april may june july august september october november december
analysis brief update updated exclusive opinion explainer breaking live video photos interview
comment editorial report reports news анализ мнение коротко обновлено
mr mrs ms according also however since still even though while amid among around across may
will would could should might must shall per via including including its it's that's there's
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне
было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до
вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя
их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого
какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда
можно при наконец два об другой хоть после над больше тот через эти нас про всего них какая
много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им
более всегда конечно всю между это также которые который которая которое которых заявил
заявила заявили сообщил сообщила сообщили сообщает года году год лет января февраля марта
апреля мая июня июля августа сентября октября ноября декабря понедельник вторник среду четверг
пятницу субботу воскресенье вчера сегодня завтра однако ранее
ilə üçün olan olub olunub olunur olar olacaq oldu edib edir edilib edilir etdi etdiyi bildirib
bildirdi deyib dedi qeyd həmçinin artıq daha çox bir iki üç dörd beş hər bütün heç bəzi qədər
sonra əvvəl görə tərəfindən arasında haqqında barədə zamanı ərzində ilin ildə günü dünən
yanvar fevral mart aprel iyun iyul avqust sentyabr oktyabr noyabr dekabr yanvarın fevralın martın
aprelin mayın iyunun iyulun avqustun sentyabrın oktyabrın noyabrın dekabrın ertəsi çərşənbə axşamı
cümə şənbə onun onlar onların bizim özü
isə yəni hələ indi orada burada belə necə niyə harada hansı amma lakin ancaq çünki əgər yaxud
այդ այս այն նաև նաեւ համար հետ մասին կողմից ինչպես բայց սակայն էր էին ենք նրա նրանք նրանց իր
իրենց պետք ավելի շատ միայն արդեն հայտնել հայտնեց հայտնում ասել ասաց նշել նշեց նշում տեղեկացրել
տարվա տարի եթե երբ որը որի որոնք որոնց ինչ ինչու որտեղ այսօր երեկ վաղը հունվարի փետրվարի մարտի
ապրիլի մայիսի հունիսի հուլիսի օգոստոսի սեպտեմբերի հոկտեմբերի նոյեմբերի դեկտեմբերի ժամը մեկ երկու
երեք չորս հինգ բոլոր ամեն յուրաքանչյուր մինչև մինչեւ հետո առաջ ըստ դեպի վրա տակ մեջ միջև դեմ
նույն այլ կարող կարելի պիտի լինել եղել լինի կլինի երկուշաբթի երեքշաբթի չորեքշաբթի հինգշաբթի
ուրբաթ շաբաթ կիրակի
რომ არის იყო მიერ ასევე მისი მათი უნდა შემდეგ წლის წელს რაც როგორც მაგრამ თუმცა ისე ახლა სადაც
როცა როდესაც მხოლოდ ყველა ძალიან უკვე ამის მათ მას ამას ამასთან ერთი ორი სამი ოთხი ხუთი ამბობს
განაცხადა თქმით თქვა აღნიშნა ცნობით შესახებ მიმართ გამო შორის დროს მიხედვით ვიდრე ანუ არც არა
ყოველ დღეს გუშინ ხვალ იანვრის თებერვლის მარტის აპრილის მაისის ივნისის ივლისის აგვისტოს
სექტემბრის ოქტომბრის ნოემბრის დეკემბრის იანვარს თებერვალს მარტს აპრილს მაისს ივნისს ივლისს
სექტემბერს ოქტომბერს ნოემბერს დეკემბერს ორშაბათს სამშაბათს ოთხშაბათს ხუთშაბათს პარასკევს შაბათს
კვირას ორშაბათი სამშაბათი ოთხშაბათი ხუთშაბათი პარასკევი შაბათი კვირა კიდევ ისევ რადგან რათა იმის
ამით ასეთი არიან იქნება ჰქონდა აქვს არსებობს
""".split())

# Russian case endings stripped from capitalised names before they are keyed:
# Екатеринбурге, Алиева, Сафаровых, Пашиняна -> the nominative's key.
_RU_ENDINGS = ("ыми", "ями", "ами", "ого", "его", "ому", "ему", "ых", "их", "ым", "им", "ой", "ей",
               "ом", "ем", "ах", "ях", "ую", "юю", "а", "у", "е", "ы", "и", "я", "ю", "ь")
_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ə": "a", "ı": "i", "ğ": "g",
    "ş": "sh", "ç": "ch", "ö": "o", "ü": "u",
    "ա": "a", "բ": "b", "գ": "g", "դ": "d", "ե": "e", "զ": "z", "է": "e", "ը": "", "թ": "t", "ժ": "zh",
    "ի": "i", "լ": "l", "խ": "kh", "ծ": "ts", "կ": "k", "հ": "h", "ձ": "dz", "ղ": "gh", "ճ": "ch", "մ": "m",
    "յ": "y", "ն": "n", "շ": "sh", "ո": "o", "չ": "ch", "պ": "p", "ջ": "j", "ռ": "r", "ս": "s", "վ": "v",
    "տ": "t", "ր": "r", "ց": "ts", "ւ": "v", "փ": "p", "ք": "k", "օ": "o", "ֆ": "f", "և": "ev",
})
# Armenian case endings and article stripped from names: Երևանում, Փաշինյանի, Փաշինյանը.
_HY_ENDINGS = ("ում", "ից", "ի", "ը")  # (not -ով: Lavrov, Bayramov)
_ARMENIAN = re.compile(r"[\u0531-\u058a]")
# Spellings of one sound across transliterations, folded to one letter.
_SOUNDS = [("dzh", "j"), ("kh", "h"), ("zh", "j"), ("ts", "c"), ("tz", "c"), ("ch", "c"),
           ("sh", "s"), ("ph", "f"), ("ck", "k"), ("q", "k"), ("x", "ks"), ("w", "v"),
           ("h", "g"), ("c", "k"), ("j", "z")]
_VOWELS = re.compile(r"[aeiouy]")


def _ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=100_000)
def name_key(word: str, lang: str = "xx") -> str | None:
    """A key that spellings of one name share across scripts and transliterations.

    The first letter, then the consonants: Yekaterinburg and Екатеринбург
    both give ``n:ektrnbrg``... close enough that most of them meet, and rare
    enough that two different names seldom do. In an Azerbaijani article
    (``lang`` "az"), c, x and q are read as j, kh and g: Gəncə = Ganja.
    """
    low = word.lower()
    if lang == "az":
        low = low.replace("c", "j").replace("x", "kh").replace("q", "g")
    if _CYRILLIC.search(low):
        for ending in _RU_ENDINGS:
            if low.endswith(ending) and len(low) - len(ending) >= 4:
                low = low[: -len(ending)]
                break
        low = low.translate(_TRANSLIT)
    elif _ARMENIAN.search(low):
        for ending in _HY_ENDINGS:
            if low.endswith(ending) and len(low) - len(ending) >= 4:
                low = low[: -len(ending)]
                break
        if low.startswith("ո") and not low.startswith("ու"):
            low = "վ" + low  # Ոսկանյան: Voskanyan
        low = low.replace("ու", "u").translate(_TRANSLIT)
    else:
        low = _ascii_fold(low.translate(_TRANSLIT))
    if low.startswith(("ye", "yu", "ya")):
        low = low[1:]  # Yerevan / Ереван, Yekaterinburg / Екатеринбург
    for spelling, sound in _SOUNDS:
        low = low.replace(spelling, sound)
    low = re.sub(r"[^a-z]", "", low)
    if len(low) < 3:
        return None
    skeleton = low[0] + _VOWELS.sub("", low[1:])
    skeleton = re.sub(r"(.)\1+", r"\1", skeleton)
    return "n:" + skeleton[:7] if len(skeleton) >= 2 else None


@dataclass(frozen=True)
class _Concepts:
    exact: dict[str, str]
    stems: dict[str, str]  # stem -> concept
    stem_lengths: tuple[int, ...]
    # Phrases by their first word: [(words after the first, concept)]; a word
    # ending in "*" is a stem.
    phrases_exact: dict[str, list[tuple[tuple[str, ...], str]]]
    phrases_stem: dict[str, list[tuple[tuple[str, ...], str]]]
    phrase_stem_lengths: tuple[int, ...]


@lru_cache(maxsize=1)
def _concepts() -> _Concepts:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(CONCEPTS, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=loader) or {}
    exact: dict[str, str] = {}
    stems: dict[str, str] = {}
    phrases_exact: dict[str, list] = {}
    phrases_stem: dict[str, list] = {}
    for concept, words in data.items():
        for word in words:
            word = str(word).lower()
            parts = re.split(r"[ \-]", word)
            if len(parts) > 1:
                first, rest = parts[0], tuple(parts[1:])
                if first.endswith("*"):
                    phrases_stem.setdefault(first[:-1], []).append((rest, concept))
                else:
                    phrases_exact.setdefault(first, []).append((rest, concept))
            elif word.endswith("*"):
                stems[word[:-1]] = concept
            else:
                exact[word] = concept
    lengths = tuple(sorted({len(s) for s in stems}, reverse=True))
    phrase_lengths = tuple(sorted({len(s) for s in phrases_stem}, reverse=True))
    return _Concepts(exact, stems, lengths, phrases_exact, phrases_stem, phrase_lengths)


def _word_matches(word: str, pattern: str) -> bool:
    return word.startswith(pattern[:-1]) if pattern.endswith("*") else word == pattern


_WORD_CONCEPTS: dict[str, str | None] = {}  # a cache: the same words recur in every article


def _word_concept(word: str, concepts: _Concepts) -> str | None:
    found = _WORD_CONCEPTS.get(word, "")
    if found != "":
        return found
    found = concepts.exact.get(word)
    if not found:
        for length in concepts.stem_lengths:
            if len(word) >= length and word[:length] in concepts.stems:
                found = concepts.stems[word[:length]]
                break
    if len(_WORD_CONCEPTS) > 200_000:
        _WORD_CONCEPTS.clear()
    _WORD_CONCEPTS[word] = found
    return found


def _concept_at(words: list[str], i: int, concepts: _Concepts) -> tuple[str | None, int]:
    """The concept the words from ``i`` name, and how many words it takes (phrases first)."""
    word = words[i]
    candidates = concepts.phrases_exact.get(word)
    for length in concepts.phrase_stem_lengths:
        if len(word) >= length and word[:length] in concepts.phrases_stem:
            candidates = (candidates or []) + concepts.phrases_stem[word[:length]]
    if candidates:
        for rest, concept in sorted(candidates, key=lambda c: -len(c[0])):
            following = words[i + 1: i + 1 + len(rest)]
            if len(following) == len(rest) and all(map(_word_matches, following, rest)):
                return concept, 1 + len(rest)
    return _word_concept(word, concepts), 1


def _gazetteer_names(text: str) -> Iterable[tuple[str, str]]:
    """(canonical name, surface) for each gazetteer name in ``text``."""
    from .relevance import _load_gazetteer

    for _start, _end, surface, names in _load_gazetteer().index.scan(text):
        for name in names:
            if name.role in ("alias", "ambiguous"):
                yield name.owner, surface
                break


def language(text: str) -> str:
    """The article's language as far as grouping cares: its script ("ru" Cyrillic, "hy"
    Armenian, "ka" Georgian), "az" for Latin with Azerbaijani letters, else "xx".
    Articles in two languages share few words: their names, numbers and concepts decide."""
    letters = _LETTER.findall(text[:3000])
    if not letters:
        return "xx"
    for script, count in Counter(map(_script, letters)).most_common():
        if script != "xx" and count * 3 > len(letters):
            return script
    schwas = sum(1 for c in letters if c in "əƏ")  # (ə: about 1 letter in 12 in Azerbaijani; in
    if schwas >= 3 and schwas * 25 > len(letters):  # English, only in a name such as Əliyev)
        return "az"
    return "xx"


def _script(letter: str) -> str:
    code = ord(letter)
    if 0x0400 <= code <= 0x052F:
        return "ru"
    if 0x0531 <= code <= 0x058A or 0xFB13 <= code <= 0xFB17:
        return "hy"
    if 0x10A0 <= code <= 0x10FF or 0x1C90 <= code <= 0x1CBF or 0x2D00 <= code <= 0x2D2F:
        return "ka"
    return "xx"


def features(title: str, text: str) -> dict:
    """What grouping needs of an article: {"v", "l", "w": {term: weight}, "n": {anchor: shown as}}."""
    concepts = _concepts()
    words = text.split()
    lede = " ".join(words[:LEDE_WORDS])
    lang = language(title + " " + lede)
    stem = STEMS.get(lang, STEM)
    body = " ".join(words[LEDE_WORDS: LEDE_WORDS + BODY_WORDS])
    raw: dict[str, float] = {}
    shown: dict[str, str] = {}
    headline: list[str] = []
    zones = [(title, TITLE_BOOST), (lede, LEDE_BOOST), (body, BODY_BOOST)]
    # Names: capitalised words that are never written in lower case here, and
    # that stand mid-sentence (a capital at a sentence's start proves nothing)
    # or are seen mid-sentence elsewhere in the article.
    seen_lower: set[str] = set()
    mid_capital: set[str] = set()
    tokenised = []
    for zone, boost in zones:
        found = []
        for match in _TOKEN.finditer(zone):
            token = match.group()
            before = zone[max(0, match.start() - 3): match.start()].rstrip(" \t\"'«“(—-")
            starts = not before or before[-1] in ".!?:;\n։"  # (։ the Armenian full stop)
            found.append((token, starts))
            if token.islower():
                seen_lower.add(token)
            elif token[:1].isupper() and not starts and zone is not title:
                mid_capital.add(token)
        tokenised.append(found)
    title_case = sum(1 for w in title.split() if w[:1].isupper()) > 0.6 * max(1, len(title.split()))
    for (zone, boost), found in zip(zones, tokenised):
        if not zone:
            continue
        tokens = [t for t, _ in found]
        lowered = [t.lower().replace("\u0307", "").replace("’", "'").split("'", 1)[0]  # (İ: i, not i̇)
                   for t in tokens]
        skip = 0
        for i, (token, starts) in enumerate(found):
            first = token[0]
            if first.isdigit():
                number = token.replace(",", ".").rstrip(".")
                if len(number) >= 2:
                    key = "#" + number
                    raw[key] = raw.get(key, 0.0) + boost
                    shown.setdefault(key, number)
                    if zone is title:
                        headline.append(key)
                continue
            low = lowered[i]
            concept = None
            if skip:
                skip -= 1
            else:
                concept, length = _concept_at(lowered, i, concepts)
                if concept:
                    skip = length - 1
                    key = "c:" + concept
                    raw[key] = raw.get(key, 0.0) + boost
                    shown.setdefault(key, concept.replace("_", " "))
                    if zone is title:
                        headline.append(key)
            if len(low) < 3 or low in STOP_WORDS:
                continue
            key = None
            if first.isupper() and concept is None and low not in seen_lower:
                if zone is title:
                    is_name = token in mid_capital or not (title_case or starts)
                else:
                    is_name = not starts or token in mid_capital
                bare = token.replace("’", "'").split("'", 1)[0]
                key = name_key(bare, lang) if is_name else None
                if key:  # a name counts once, by its spelling-free key
                    shown.setdefault(key, bare)
            key = key or low[:stem]
            raw[key] = raw.get(key, 0.0) + boost
            if zone is title:
                headline.append(key)
        for canonical, surface in _gazetteer_names(zone):
            key = "g:" + canonical
            raw[key] = raw.get(key, 0.0) + boost * GAZETTEER_SHARE
            shown.setdefault(key, canonical)
            if zone is title:
                headline.append(key)
    ranked = sorted(raw.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_TERMS]
    weights = {t: round(1.0 + math.log(w), 3) for t, w in ranked}
    return {
        "v": FEATURES_VERSION,
        "l": lang,
        "w": weights,
        "n": {k: v[:60] for k, v in shown.items() if k in weights},
        "h": list(dict.fromkeys(headline))[:MAX_HEADLINE],
    }


def is_anchor(term: str) -> bool:
    return term[:1] == "#" or term[1:2] == ":"


# -- comparing -----------------------------------------------------------------
def day_number(moment: str) -> float:
    """Days since 1970 of an ISO date or time (stored times are UTC)."""
    try:
        if len(moment) == 10:
            value = datetime.combine(date.fromisoformat(moment), datetime.min.time(), timezone.utc)
        else:
            value = datetime.fromisoformat(moment.replace("Z", "+00:00"))
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
    except ValueError:
        return 0.0
    return value.timestamp() / 86400.0


def month_of(moment: str) -> str:
    return moment[:7]


def months_around(moment: str, days: float) -> list[str]:
    """The months (YYYY-MM) that the days within ``days`` of ``moment`` fall in."""
    try:
        centre = date.fromisoformat(moment[:10])
    except ValueError:
        return [month_of(moment)]
    first, last = centre - timedelta(days=math.ceil(days)), centre + timedelta(days=math.ceil(days))
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def fade(gap_days: float) -> float:
    """How much of a similarity survives a gap between publication dates."""
    extra = gap_days - SAME_DAYS
    return 1.0 if extra <= 0 else 1.0 / (1.0 + extra / FADE_DAYS)


@dataclass
class Doc:
    """An article as grouping sees it."""

    id: str
    day: float
    dated: bool
    lang: str
    weights: dict[str, float]
    names: dict[str, str]
    story: str
    headline: tuple[str, ...] = ()
    anchors: frozenset[str] = frozenset()  # the terms that are names, numbers or concepts
    norms: tuple[float, float, float] = (0.0, 0.0, 0.0)  # see _norms
    norms_of: int = -1  # the _Idf (its serial) the norms were computed with
    countries: dict[str, float] | None = None  # see _countries_of
    kinds: dict[str, float] = field(default_factory=dict)  # see _kinds
    kinds_of: int = -1


@dataclass
class Match:
    story: str
    score: float
    best: str  # the member it matched best
    shared: list[str]  # what it shares with that member, shown as words
    size: int = 0  # its members near in time


@dataclass
class Placement:
    """Where a new article goes: an existing story (``match``) or a new one (None)."""

    match: Match | None
    merge: list[str] = field(default_factory=list)  # other stories that are the same one


@dataclass
class _Month:
    source: object  # what identifies the stored version it was built from
    docs: dict[str, Doc] = field(default_factory=dict)
    postings: dict[str, list[str]] = field(default_factory=dict)
    df: dict[str, int] = field(default_factory=dict)
    by_story: dict[str, dict[str, float]] = field(default_factory=dict)  # story -> {member: its day}


class GroupIndex:
    """The articles of the months in use, indexed for finding a new article's story.

    ``load_month(month)`` returns the features stored for that month
    ({article id: features + "d" date + "u" dated}); ``story_of(id)`` the
    story an article is in now (None: not in the archive). Months are built
    once and kept while their mapping object is the same.
    """

    def __init__(self, load_month: Callable[[str], tuple[Mapping[str, dict], object]],
                 story_of: Callable[[str], str | None],
                 month_names: Callable[[], Iterable[str]] = lambda: (),
                 peek_month: Callable[[str], Mapping[str, dict]] | None = None):
        self.load_month = load_month
        self.story_of = story_of
        # Every month that holds articles, and a month's features read without
        # being kept (what dates an undated article: see date_of).
        self.month_names = month_names
        self.peek_month = peek_month or (lambda name: load_month(name)[0])
        self.months: dict[str, _Month] = {}
        self.used: set[str] = set()  # months read since the last retoken()
        self._idfs: dict[tuple[int, ...], _Idf] = {}  # by the months of a window

    # -- building ---------------------------------------------------------
    def month(self, name: str) -> _Month:
        source, token = self.load_month(name)
        built = self.months.get(name)
        self.used.add(name)
        if built is None or built.source != token:
            built = _Month(token)
            for article_id, doc in source.items():
                story = self.story_of(article_id)
                if story:  # an entry a failed write left is not an article (nor one being placed again)
                    self._index(built, make_doc(article_id, doc, story))
            self.months[name] = built
        return built

    def _index(self, month: _Month, doc: Doc) -> None:
        month.docs[doc.id] = doc
        for term in doc.weights:
            month.postings.setdefault(term, []).append(doc.id)
            month.df[term] = month.df.get(term, 0) + 1
        month.by_story.setdefault(doc.story, {})[doc.id] = doc.day

    def _idf(self, months: list[_Month], total: int) -> _Idf:
        """The window's term rarities; in a large window, kept while its size moves little."""
        key = tuple(id(m) for m in months)
        idf = self._idfs.get(key)
        if idf is None or total < IDF_EXACT or abs(idf.total - total) > IDF_DRIFT * total:
            if len(self._idfs) >= 8:
                self._idfs.clear()
            idf = self._idfs[key] = _Idf(months, total)
        return idf

    def add(self, month_name: str, doc: Doc) -> None:
        """Index an article placed by the caller (its features already stored in that month)."""
        month = self.month(month_name)
        if doc.id not in month.docs:
            self._index(month, doc)

    def move(self, article_ids: Iterable[str], story: str) -> None:
        """Record that articles now belong to ``story`` (a merge or a user's move)."""
        ids = set(article_ids)
        for month in self.months.values():
            for article_id in ids & month.docs.keys():
                doc = month.docs[article_id]
                members = month.by_story.get(doc.story)
                if members is not None:
                    members.pop(article_id, None)
                    if not members:
                        del month.by_story[doc.story]
                doc.story = story
                month.by_story.setdefault(story, {})[article_id] = doc.day

    def remove(self, article_ids: Iterable[str]) -> None:
        """Take articles out of the index (to be placed again: see ``add``)."""
        gone = set(article_ids)
        for month in self.months.values():
            here = gone & month.docs.keys()
            if not here:
                continue
            terms: set[str] = set()
            for article_id in here:
                doc = month.docs.pop(article_id)
                terms.update(doc.weights)
                members = month.by_story.get(doc.story)
                if members is not None:
                    members.pop(article_id, None)
                    if not members:
                        del month.by_story[doc.story]
            for term in terms:
                kept = [i for i in month.postings[term] if i not in here]
                if kept:
                    month.postings[term] = kept
                    month.df[term] = len(kept)
                else:
                    del month.postings[term]
                    del month.df[term]

    def forget(self) -> None:
        self.months.clear()
        self.used.clear()
        self._idfs.clear()

    def retoken(self, token_of: Callable[[str], object]) -> None:
        """After the caller stored what this index holds: the months used are current."""
        for name in self.used:
            if name in self.months:
                self.months[name].source = token_of(name)
        self.used.clear()

    def members(self, story: str) -> list[Doc]:
        """The members of ``story`` among the months built."""
        return [m.docs[i] for m in self.months.values() for i in m.by_story.get(story, ())]

    # -- checking a story ---------------------------------------------------------
    def events_in(self, members: list[Doc]) -> list[list[Doc]]:
        """The events a story's articles report: ``[members]``, or its parts where it holds two.

        Articles join a story one at a time, each by the member it is most like:
        the first report of a look-alike event (a landslide in the town of the
        day before's rockfall) can join by the places both name, and the rest of
        its event follow it. Grouped by average likeness (average linkage), the
        two events fall apart: split into two groups of at least two articles,
        each article of one is on average less than :data:`SPLIT_BELOW` like
        those of the other (the reports of one event are more alike). Each group
        is checked again. Stories of more than :data:`SPLIT_MOST` articles are
        not checked (the parts of one big event, a disaster's toll and the aid
        it drew, are less alike than those of a small one).
        """
        if not 4 <= len(members) <= SPLIT_MOST:
            return [members]
        idf, alike = self._likeness(members)
        return [[members[i] for i in part] for part in _events(alike, list(range(len(members))))]

    def why_in(self, doc: Doc, part: list[Doc]) -> dict:
        """Why ``doc`` is with the other articles of ``part`` (a story split by :meth:`events_in`)."""
        others = [d for d in part if d.id != doc.id]
        if not others:
            return {"by": "new"}
        idf, alike = self._likeness([doc, *others])
        best = max(range(1, len(others) + 1), key=lambda k: (alike[0][k], others[k - 1].id))
        return {"by": "auto", "score": round(alike[0][best], 3), "with": others[best - 1].id,
                "shared": shared_terms(doc, others[best - 1], idf)}

    def _likeness(self, docs: list[Doc]) -> tuple[_Idf, list[list[float]]]:
        """The word rarities around these articles' middle date, and how alike each two are."""
        days = sorted(d.day for d in docs if d.dated) or sorted(d.day for d in docs)
        middle = datetime.fromtimestamp(days[len(days) // 2] * 86400.0, timezone.utc).isoformat()
        months = self.window(middle)
        idf = self._idf(months, sum(len(m.docs) for m in months))
        prepared = [(d, _weigh(d.weights, idf), *_norms(d, idf)) for d in docs]
        alike = [[0.0] * len(docs) for _ in docs]
        for a, (doc, vector, norm, anchor_norm, name_norm) in enumerate(prepared):
            for b in range(a + 1, len(docs)):
                other = prepared[b]
                value = _similarity(doc, vector, norm, anchor_norm, name_norm, other[0], idf) if norm else 0.0
                if doc.lang != other[0].lang and other[2]:  # (across languages, the two ways may differ)
                    value = max(value, _similarity(other[0], *other[1:], doc, idf))
                alike[a][b] = alike[b][a] = value
        return idf, alike

    # -- placing ------------------------------------------------------------
    def window(self, moment: str) -> list[_Month]:
        return [self.month(m) for m in months_around(moment, WINDOW_DAYS)]

    def date_of(self, doc: Doc) -> str | None:
        """When an undated article's event was: the date of the dated article its words match best."""
        return self.dates_of([doc]).get(doc.id)

    def dates_of(self, docs: list[Doc]) -> dict[str, str]:
        """:meth:`date_of` for several undated articles, reading the archive once.

        Where every month is at hand (a regroup) the index finds them. Otherwise
        every month is read once, one at a time and without being kept (an
        archive of years would not fit in memory as this index holds a month),
        and only the terms these articles have are counted.
        """
        if not docs:
            return {}
        names = sorted(set(self.months) | set(self.month_names()))
        if not names:
            return {}
        if all(n in self.months for n in names):
            months = [self.months[n] for n in names]
            found = {d.id: self._date_from_postings(d, months) for d in docs}
            return {i: when for i, when in found.items() if when}
        wanted = set().union(*(d.weights.keys() for d in docs))
        df = dict.fromkeys(wanted, 0)
        total = 0
        # Per article, the dated articles sharing enough of its terms: (date, those terms, their length).
        shared_with: dict[str, list[tuple[object, list[tuple[str, float]], float]]] = {d.id: [] for d in docs}
        least = {d.id: max(3, len(d.weights) // 10) for d in docs}
        for name in names:
            built = self.months.get(name)
            entries: Iterable[tuple[str, Mapping[str, float], bool, object]]
            if built is not None:
                entries = ((d.id, d.weights, d.dated, d.day) for d in built.docs.values())
            else:  # (an entry a failed write left is not an article)
                entries = ((i, f.get("w") or {}, bool(f.get("u")), f.get("d") or "")
                           for i, f in self.peek_month(name).items() if self.story_of(i))
            for article_id, weights, dated, when in entries:
                total += 1
                common = wanted & weights.keys()
                for term in common:
                    df[term] += 1
                if not dated or len(common) < 3:
                    continue
                length = 0.0
                for doc in docs:
                    shared = doc.weights.keys() & common
                    if len(shared) >= least[doc.id] and article_id != doc.id:
                        length = length or math.sqrt(sum(w * w for w in weights.values()))
                        shared_with[doc.id].append((when, [(t, weights[t]) for t in shared], length))
        idf = {t: math.log((total + 1) / (n + 0.5)) + 1.0 for t, n in df.items()}
        dates = {}
        for doc in docs:
            found = shared_with[doc.id]
            if not found:
                continue

            def overlap(entry, terms=doc.weights) -> float:
                return sum(terms[t] * w * idf[t] ** 2 for t, w in entry[1])

            # The closest by shared weight, then by that weight per length among those (long articles share more).
            near = heapq.nlargest(DATE_CANDIDATES, found, key=overlap)
            when = max(near, key=lambda e: overlap(e) / (e[2] or 1.0))[0]
            if isinstance(when, float):
                when = datetime.fromtimestamp(when * 86400.0, timezone.utc).isoformat()
            dates[doc.id] = str(when)
        return dates

    def _date_from_postings(self, doc: Doc, months: list[_Month]) -> str | None:
        total = sum(len(m.docs) for m in months)
        idf = self._idf(months, total)
        vector = _weigh(doc.weights, idf)
        norm, anchor_norm, name_norm = _norms(doc, idf)
        if not norm:
            return None
        docs = _Docs(months)
        dated = [docs[i] for i in _candidates(doc.id, vector, months, idf, total)[0] if docs[i].dated]
        if not dated:
            return None
        best = max(dated, key=lambda o: _similarity(doc, vector, norm, anchor_norm, name_norm, o, idf))
        return datetime.fromtimestamp(best.day * 86400.0, timezone.utc).isoformat()

    def place(self, doc: Doc, moment: str, *, exclude: Callable[[str], bool] = lambda story: False,
              curated: Callable[[str], bool] = lambda story: False, near: str | None = None) -> Placement:
        """Find ``doc``'s story among the articles dated near ``moment``.

        An undated article (``moment`` is only when it was found) is compared
        with the articles near the date its words point to: ``near``, from
        :meth:`dates_of`, or found now.
        """
        if not doc.dated:
            moment = near or self.date_of(doc) or moment
        centre = day_number(moment) if not doc.dated else doc.day
        months = self.window(moment)
        if not any(m.docs for m in months):
            return Placement(None)
        total = sum(len(m.docs) for m in months)
        idf = self._idf(months, total)
        vector = _weigh(doc.weights, idf)
        norm, anchor_norm, name_norm = _norms(doc, idf)
        if not norm:
            return Placement(None)
        top, sharing = _candidates(doc.id, vector, months, idf, total)
        if not top:
            return Placement(None)
        docs = _Docs(months)
        cache: dict[str, float] = {}

        def similarity(other_id: str) -> float:
            if other_id not in cache:
                other = docs[other_id]
                cache[other_id] = _similarity(doc, vector, norm, anchor_norm, name_norm, other, idf)
            return cache[other_id]

        stories: dict[str, Match] = {}
        for other_id in top:
            other = docs[other_id]
            if other.story in stories or exclude(other.story):
                continue
            if len(stories) == STORIES:
                break
            days = [(day, m) for month in months for m, day in month.by_story.get(other.story, {}).items()]
            if doc.dated and days and doc.day - min(days)[0] > STORY_DAYS:
                continue  # one event, not a thread: a daily series does not grow one story for months
            members = [(abs(day - centre), m) for day, m in days]
            if len(members) > MEMBERS:  # the members nearest in time speak for the story
                members = [m for _, m in heapq.nsmallest(MEMBERS, members)]
                if other_id not in members:
                    members[-1] = other_id
            else:
                members = [m for _, m in members]
            # (A member sharing none of the rarer terms looked at is not compared: what it could
            # share is common words. Measured: the corpus's figures unchanged, alone and among
            # 20,000 other articles, in about 85% of the time.)
            sims = {m: similarity(m) if m in sharing or BEST_LINK < 1.0 else 0.0 for m in members}
            best = max(sims, key=sims.__getitem__)
            score = BEST_LINK * sims[best] + (1 - BEST_LINK) * sum(sims.values()) / len(sims)
            stories[other.story] = Match(other.story, score, best, [], len(days))

        def bar(match: Match, at: float) -> float:
            return at + CURATED_MARGIN if curated(match.story) else at

        ranked = [m for m in sorted(stories.values(), key=lambda m: -m.score) if m.score >= bar(m, JOIN_AT)]
        if not ranked:
            return Placement(None)
        chosen = ranked[0]
        chosen.shared = shared_terms(doc, docs[chosen.best], idf)
        if not doc.dated:  # without a date, its likeness to two stories proves less than they differ
            return Placement(chosen)
        # A story it also matches strongly is the same event; so is a lone article it
        # matches well enough to have joined it (it came first, and stood alone),
        # unless someone made it lone on purpose. What joins a curated story
        # (the seeds', or one a user corrected) this way clears its margin too.
        extra = CURATED_MARGIN if curated(chosen.story) else 0.0
        return Placement(chosen, [m.story for m in ranked[1:] if m.score >= bar(m, MERGE_AT) + extra
                                  or (LONE_JOIN and m.size == 1 and not curated(m.story)
                                      and m.score >= JOIN_AT + extra)])


def _events(alike: list[list[float]], members: list[int]) -> list[list[int]]:
    """``members`` (indexes into ``alike``) as the events they report (see GroupIndex.events_in)."""
    if len(members) < 4:
        return [members]
    groups = [[m] for m in members]
    between = {(x, y): alike[members[x]][members[y]] for x in range(len(members)) for y in range(x + 1, len(members))}
    while len(groups) > 2:  # average linkage: the two groups most alike on average become one
        x, y = max(between, key=lambda key: (between[key] / (len(groups[key[0]]) * len(groups[key[1]])),
                                             -key[0], -key[1]))
        merged = {}
        for (a, b), total in between.items():
            if y in (a, b):
                continue
            if b == x:
                total += between[(a, y) if a < y else (y, a)]
            elif a == x:
                total += between[(b, y) if b < y else (y, b)]
            merged[(a if a < y else a - 1, b if b < y else b - 1)] = total
        groups[x] += groups.pop(y)
        between = merged
    one, other = sorted(groups, key=lambda g: min(g))
    if len(one) < 2 or len(other) < 2 or between[(0, 1)] / (len(one) * len(other)) >= SPLIT_BELOW:
        return [members]
    return _events(alike, sorted(one)) + _events(alike, sorted(other))


def _candidates(doc_id: str, vector: Mapping[str, float], months: list[_Month], idf: _Idf,
                total: int) -> tuple[list[str], dict[str, float]]:
    """The articles sharing most of the rarer terms, by the weight they share; and every
    article sharing any of the terms looked at (with that weight).

    The rarest terms first, until a budget of postings is spent.
    """
    rare_limit = max(RARE_LEAST, RARE_SHARE * total)
    budget = CANDIDATE_POSTINGS
    scores: dict[str, float] = {}
    get = scores.get
    df = idf.df
    for count, term in sorted((df(t), t) for t in vector):
        if count > rare_limit or budget <= 0:
            break
        budget -= count
        weight = vector[term]
        for month in months:
            for other in month.postings.get(term, ()):
                scores[other] = get(other, 0.0) + weight
    scores.pop(doc_id, None)
    return heapq.nlargest(CANDIDATES, scores, key=scores.__getitem__), scores


class _Docs:
    """The articles of several months, looked up by id without copying them into one dict."""

    def __init__(self, months: list[_Month]):
        self.months = months

    def __getitem__(self, article_id: str) -> Doc:
        for month in self.months:
            found = month.docs.get(article_id)
            if found is not None:
                return found
        raise KeyError(article_id)


class _Idf(dict):
    """How rare each term is among the articles of the months in use: ``idf[term]``.

    A dict that fills itself, so that the many lookups of one placing are
    plain dict lookups.
    """

    serials = itertools.count()

    def __init__(self, months: list[_Month], total: int):
        super().__init__()
        self.serial = next(self.serials)
        self.months = months
        self.counts = [m.df for m in months]
        self.dfs: dict[str, int] = {}
        self.total = total

    def df(self, term: str) -> int:
        """In how many articles the term is, as counted when its rarity was first asked for
        (the counts grow as articles are added; the rarity, and so this, is kept)."""
        found = self.dfs.get(term)
        if found is None:
            self.__missing__(term)
            found = self.dfs[term]
        return found

    def __missing__(self, term: str) -> float:
        found = self.dfs.get(term)
        if found is None:  # (a loop, not sum(): this runs for most terms of every window)
            found = 0
            for counts in self.counts:
                found += counts.get(term, 0)
            self.dfs[term] = found
        value = self[term] = math.log((self.total + 1) / (found + 0.5)) + 1.0
        return value


def _weigh(weights: Mapping[str, float], idf: _Idf) -> dict[str, float]:
    return {t: w * idf[t] for t, w in weights.items()}


def _norms(doc: Doc, idf: _Idf) -> tuple[float, float, float]:
    """The lengths of an article's vector, of its anchors' part and of its names' and
    numbers' part, kept while ``idf`` is."""
    if doc.norms_of != idf.serial:
        square = anchor_square = name_square = 0.0
        anchors = doc.anchors
        for term, weight in doc.weights.items():
            x = weight * idf[term]
            x *= x
            square += x
            if term in anchors:
                anchor_square += x
                if term[:2] != "c:":
                    name_square += x
        doc.norms = (math.sqrt(square), math.sqrt(anchor_square), math.sqrt(name_square))
        doc.norms_of = idf.serial
    return doc.norms


def _similarity(doc: Doc, vector, norm, anchor_norm, name_norm, other: Doc, idf: _Idf) -> float:
    other_norm, other_anchor_norm, other_name_norm = _norms(other, idf)
    if not other_norm:
        return 0.0
    weights, other_anchors = other.weights, other.anchors
    # Over the few terms in common, in a fixed order (a set's order varies from
    # process to process, and so would a sum's last digits, and ties with them).
    dot = anchor_dot = name_dot = 0.0
    cross = doc.lang != other.lang
    by_kind: dict[str, float] = {}  # (across languages) the anchors' products by kind,
    found: dict[str, int] = {}  # and how many of each kind they share
    for term in sorted(vector.keys() & weights.keys()):
        x = weights[term] * idf[term] * vector[term]
        dot += x
        if term in other_anchors:
            anchor_dot += x
            if term[:2] != "c:":
                name_dot += x
            if cross:
                kind = term[0]
                by_kind[kind] = by_kind.get(kind, 0.0) + x
                if kind != "#" or not _is_day_number(term):
                    found[kind] = found.get(kind, 0) + 1
    value = dot / (norm * other_norm)
    anchored = anchor_dot / (anchor_norm * other_anchor_norm) if anchor_norm and other_anchor_norm else 0.0
    named = name_dot / (name_norm * other_name_norm) if name_norm and other_name_norm else 0.0
    if cross:  # few words in common: the names, numbers and concepts both can carry decide
        # (A place is often both a gazetteer name and a name's key: counted once. A day of
        # the month proves little: every report of those days has it.)
        shared = max(found.get("g", 0), found.get("n", 0)) + found.get("c", 0) + found.get("#", 0)
        value = max(value, CROSS_LANGUAGE * _across(doc, other, idf, by_kind, shared))
    else:
        value = (1 - ANCHOR_MIX - NAME_MIX) * value + ANCHOR_MIX * anchored + NAME_MIX * named
    # A central bank's rate cut in Yerevan is not the one in Tbilisi; one day's quakes
    # at Khoy and at Van are two. (One of the two rules at most.)
    mine, theirs = _countries_of(doc), _countries_of(other)
    if mine and theirs and sum(v * theirs.get(c, 0.0) for c, v in mine.items()) < COUNTRY_APART:
        value *= COUNTRY_FACTOR
    elif name_norm and other_name_norm and named < NAMES_APART:
        value *= NAMES_FACTOR
    if TITLE_MIX and doc.headline and other.headline:
        value = (1 - TITLE_MIX) * value + TITLE_MIX * _headline_similarity(doc.headline, other.headline, idf, cross)
    if doc.dated and other.dated:
        value *= fade(abs(doc.day - other.day))
    return value


def _is_day_number(term: str) -> bool:
    return term[1:].isdigit() and int(term[1:]) <= 31


def _kinds(doc: Doc, idf: _Idf) -> dict[str, float]:
    """The squared length of an article's anchors of each kind ("#" numbers, "n" names,
    "g" gazetteer names, "c" concepts), kept while ``idf`` is."""
    if doc.kinds_of != idf.serial:
        squares: dict[str, float] = {}
        for term in doc.anchors:
            x = doc.weights[term] * idf[term]
            squares[term[0]] = squares.get(term[0], 0.0) + x * x
        doc.kinds, doc.kinds_of = squares, idf.serial
    return doc.kinds


def _across(doc: Doc, other: Doc, idf: _Idf, by_kind: Mapping[str, float], shared: int) -> float:
    """How alike two articles in two languages are by their anchors (``by_kind``: the
    products of the weights of the ``shared`` anchors, summed by kind).

    A Georgian article has no names found by their capitals (the script has
    none) and no concepts (they are listed in English and Russian): the
    English report of its event is compared with it by the kinds of anchor
    both carry, places and numbers, not marked down for the names and
    concepts it cannot have. But one shared place proves little (the same
    city has other news that day): the likeness counts in full only from
    CROSS_EVIDENCE ``shared`` anchors, and in part below that.
    """
    if not by_kind:
        return 0.0
    mine, theirs = _kinds(doc, idf), _kinds(other, idf)
    both = sorted(mine.keys() & theirs.keys())
    dot = sum(by_kind.get(k, 0.0) for k in both)
    return dot / math.sqrt(sum(mine[k] for k in both) * sum(theirs[k] for k in both)) * min(1.0, shared / CROSS_EVIDENCE)


@lru_cache(maxsize=1)
def _place_countries() -> dict[str, str]:
    """The country of each of the gazetteer's places, people and institutions that has one."""
    from .relevance import _load_gazetteer

    return {name: entry.country for name, entry in _load_gazetteer().entries.items() if entry.country}


def _countries_of(doc: Doc) -> dict[str, float]:
    """The countries an article's gazetteer names lie in, by weight, as a unit vector (kept on the doc)."""
    if doc.countries is None:
        where = _place_countries()
        found: dict[str, float] = {}
        for term, weight in doc.weights.items():
            if term[:2] == "g:":
                country = where.get(term[2:])
                if country:
                    found[country] = found.get(country, 0.0) + weight
        norm = math.sqrt(sum(v * v for v in found.values()))
        doc.countries = {c: v / norm for c, v in found.items()} if norm else {}
    return doc.countries


def _headline_similarity(one: tuple[str, ...], other: tuple[str, ...], idf: _Idf, anchors_only: bool) -> float:
    if anchors_only:
        one = tuple(t for t in one if is_anchor(t))
        other = tuple(t for t in other if is_anchor(t))
    if not one or not other:
        return 0.0
    weights_one = {t: idf[t] for t in one}
    weights_other = {t: idf[t] for t in other}
    dot = sum(w * weights_other[t] for t, w in weights_one.items() if t in weights_other)
    norms = math.sqrt(sum(w * w for w in weights_one.values())) * math.sqrt(sum(w * w for w in weights_other.values()))
    return dot / norms


def shared_terms(doc: Doc, other: Doc, idf: _Idf, limit: int = 6) -> list[str]:
    """The anchors two articles share that weigh most, as words a reader knows."""
    common = [t for t in doc.weights if t in other.weights and is_anchor(t)]
    common.sort(key=lambda t: -doc.weights[t] * other.weights[t] * idf[t] ** 2)
    shown, seen = [], set()
    for term in common:
        word = doc.names.get(term) or other.names.get(term) or term
        if word.lower() not in seen:
            seen.add(word.lower())
            shown.append(word)
        if len(shown) == limit:
            break
    return shown


def make_doc(article_id: str, stored: Mapping, story: str) -> Doc:
    """A stored features entry ({"w", "n", "h", "l", "d" date, "u" dated}) as grouping compares it."""
    moment = stored.get("d") or ""
    weights = stored.get("w") or {}
    return Doc(article_id, day_number(moment) if moment else 0.0, bool(stored.get("u")),
               stored.get("l", "xx"), weights, stored.get("n") or {}, story,
               tuple(stored.get("h") or ()), frozenset(t for t in weights if is_anchor(t)))


# -- describing a story -----------------------------------------------------------
def key_terms(members: list[Doc], limit: int = 6) -> list[str]:
    """A story's key names and terms: the anchors its articles share most."""
    counts: dict[str, float] = {}
    spread: dict[str, int] = {}  # how many articles have it
    shown: dict[str, str] = {}
    for doc in members:
        for term in doc.anchors:
            if not term.startswith("#"):
                counts[term] = counts.get(term, 0.0) + doc.weights[term]
                spread[term] = spread.get(term, 0) + 1
                shown.setdefault(term, doc.names.get(term, term))
    if len(members) > 1:  # a term of one article alone says little about the story
        counts = {t: c for t, c in counts.items() if spread[t] > 1} or counts
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    out, seen = [], set()
    for term in ranked:
        word = shown[term]
        if word.lower() not in seen:
            seen.add(word.lower())
            out.append(word)
        if len(out) == limit:
            break
    return out


def representative(members: list[Doc]) -> str | None:
    """The member whose words are most like the others' (its headline names the story)."""
    if not members:
        return None
    sample = sorted(members, key=lambda d: d.id)[:24]
    if len(sample) <= 2:
        return min(sample, key=lambda d: (d.lang != "xx", d.day)).id
    totals: dict[str, float] = {}
    for doc in sample:
        for term, weight in doc.weights.items():
            totals[term] = totals.get(term, 0.0) + weight
    best, best_score = None, -1.0
    for doc in sample:
        norm = math.sqrt(sum(w * w for w in doc.weights.values())) or 1.0
        score = sum(w * (totals[t] - w) for t, w in doc.weights.items()) / norm
        if doc.lang != "xx":
            score *= 0.9  # between equals, a headline in English (in Latin letters) reads to more users
        if score > best_score:
            best, best_score = doc.id, score
    return best


def survivor(one: str, other: str, sizes: Mapping[str, int], pinned: set[str],
             fixed: Set[str] = frozenset()) -> str | None:
    """Which of two stories found to be one keeps its id (None: they stay apart).

    The larger keeps it, so a growing story's id is stable; a story holding an
    article put there on purpose (the seeds, a user's move) is never dissolved
    into another; a story a user split an article out into (``fixed``) never
    merges, so the story the article left does not come back to it (nor does an
    article join it: see :meth:`GroupIndex.place`'s ``exclude``).
    """
    if one in fixed or other in fixed:
        return None
    held = {s for s in (one, other) if s in pinned}
    if len(held) == 2:
        return None
    if held:
        return held.pop()
    return max((one, other), key=lambda s: (sizes.get(s, 0), s == one))


def _absorb(gone: str, keep: str, story: dict[str, str], members: dict[str, set[str]], index: GroupIndex,
            why: dict[str, dict], via: str) -> None:
    """Move every article of story ``gone`` into story ``keep`` (one event after all, as ``via`` showed)."""
    moved = members.pop(gone, set())
    for article_id in moved:
        story[article_id] = keep
        if why.get(article_id, {}).get("by") == "new":
            why[article_id] = {"by": "merged", "with": via}
    members.setdefault(keep, set()).update(moved)
    index.move(moved, keep)


class _Clustering:
    """Grouping from scratch: the stories so far, and the index of the articles placed."""

    def __init__(self, pins: Mapping[str, str], fixed: Set[str], new_story: Callable[[str], str]):
        self.pins = dict(pins)
        self.pinned = set(self.pins.values())
        self.fixed = fixed
        self.new_story = new_story
        self.story: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}
        self.why: dict[str, dict] = {}
        self.docs: dict[str, Doc] = {}
        self.moments: dict[str, str] = {}  # where each article was placed (an undated one: its words' date)
        months: dict[str, dict] = {}
        self.index = GroupIndex(lambda name: (months.setdefault(name, {}), None), self.story.get, months.keys)

    def place(self, article_id: str, stored: Mapping) -> None:
        """Place one article among those placed so far, as adding it to an archive does."""
        pins, pinned, fixed, index = self.pins, self.pinned, self.fixed, self.index
        story, members, why = self.story, self.members, self.why
        moment = stored.get("d") or ""
        doc = make_doc(article_id, stored, "")
        if not doc.dated:  # it lives, here, where its words date it
            moment = index.date_of(doc) or moment
            doc.day = day_number(moment)
        if article_id in pins:
            chosen, why[article_id] = pins[article_id], {"by": "pinned"}
            # A story grouped before this article came along may be its story: one event.
            placement = index.place(doc, moment, exclude=lambda s: s == chosen, near=moment)
            others = [placement.match.story] if placement.match else []
            for other in others + placement.merge:
                if survivor(chosen, other, {}, pinned, fixed) == chosen:
                    _absorb(other, chosen, story, members, index, why, article_id)
        else:
            placement = index.place(doc, moment, curated=pinned.__contains__, exclude=fixed.__contains__,
                                    near=moment)
            if placement.match is None:
                chosen, why[article_id] = self.new_story(article_id), {"by": "new"}
            else:
                match = placement.match
                chosen = match.story
                why[article_id] = {"by": "auto", "score": round(match.score, 3), "with": match.best,
                                   "shared": match.shared}
                for other in placement.merge:
                    keep = survivor(chosen, other, {s: len(members.get(s, ())) for s in (chosen, other)}, pinned,
                                    fixed)
                    if keep is None:
                        continue
                    gone = other if keep == chosen else chosen
                    _absorb(gone, keep, story, members, index, why, article_id)
                    chosen = keep
        self.put(doc, moment, chosen)

    def put(self, doc: Doc, moment: str, story_id: str) -> None:
        """Add a placed article to its story and to the index (in the month of ``moment``)."""
        doc.story = story_id
        self.story[doc.id] = story_id
        self.members.setdefault(story_id, set()).add(doc.id)
        self.docs[doc.id] = doc
        self.moments[doc.id] = moment
        self.index.add(month_of(moment), doc)

    def look_again(self, ordered: list[tuple[str, Mapping]]) -> None:
        """Place again the articles left alone or in pairs, now that every article is in.

        An article placed early met its event's later reports only as they
        came, each judged by the rarities of its own day (and an undated one,
        placed last, met none after it).
        """
        story, members, pinned, fixed = self.story, self.members, self.pinned, self.fixed
        for article_id, _ in ordered:
            own = story[article_id]
            if article_id in self.pins or own in pinned or own in fixed or len(members[own]) > LOOK_AGAIN:
                continue
            moment = self.moments[article_id]
            placement = self.index.place(self.docs[article_id], moment, near=moment,
                                         curated=pinned.__contains__, exclude=lambda s: s == own or s in fixed)
            match = placement.match
            if match is None:
                continue
            keep = survivor(match.story, own, {s: len(members.get(s, ())) for s in (match.story, own)}, pinned,
                            fixed)
            if keep is None:
                continue
            _absorb(own if keep == match.story else match.story, keep, story, members, self.index, self.why,
                    article_id)
            self.why[article_id] = {"by": "auto", "score": round(match.score, 3), "with": match.best,
                                    "shared": match.shared}

    def split_mixed(self) -> None:
        """Split each story that holds two events in two (see :meth:`GroupIndex.events_in`);
        the part with most of its articles keeps its id. Stories you made are kept whole."""
        for story_id in sorted(self.members):
            ids = self.members[story_id]
            if not 4 <= len(ids) <= SPLIT_MOST or story_id in self.pinned or story_id in self.fixed:
                continue
            parts = self.index.events_in(sorted((self.docs[i] for i in ids), key=lambda d: (d.day, d.id)))
            parts.sort(key=len, reverse=True)  # (the largest keeps the id; on a tie, the one with the first article)
            for part in parts[1:]:
                new_id = next((n for n in map(self.new_story, (d.id for d in part)) if not self.members.get(n)),
                              None) or self.new_story(part[0].id + "/apart")
                for doc in part:
                    self.story[doc.id] = new_id
                    ids.discard(doc.id)
                self.members[new_id] = {d.id for d in part}
                self.index.move(self.members[new_id], new_id)
            for part in parts if len(parts) > 1 else ():
                here = {d.id for d in part}
                for doc in part:
                    if self.why.get(doc.id, {}).get("with", doc.id) not in here:
                        self.why[doc.id] = {"by": "new"} if doc is part[0] else self.index.why_in(doc, part)


_UNNAMED = "\0"  # a story a worker process started, named for the article that started it


_PLACED = None  # in a worker process: how many articles each run has placed, for the progress shown
_COUNT_EVERY = 100


def _run_worker_init(parent_pid: int, placed) -> None:
    global _PLACED
    from .pipeline import worker_init

    worker_init(parent_pid)
    _PLACED = placed


def _place_part(articles: list[tuple[str, Mapping]], pins: Mapping[str, str], fixed: Set[str],
                context: int = 0, slot: int = 0) -> tuple[dict[str, str], dict[str, dict]]:
    """Place a run of dated articles from scratch, in order (in a worker process); the
    first ``context`` of them are the weeks before the run, and are not counted as placed
    (the count goes to ``_PLACED[slot]``: each run has its own, so none waits on a lock)."""
    part = _Clustering(pins, fixed, lambda article_id: _UNNAMED + article_id)
    for n, (article_id, stored) in enumerate(articles, 1 - context):
        part.place(article_id, stored)
        if _PLACED is not None and n > 0 and n % _COUNT_EVERY == 0:
            _PLACED[slot] = n
    if _PLACED is not None:
        _PLACED[slot] = len(articles) - context
    return part.story, part.why


def _parts(dated: list[tuple[str, Mapping]], count: int) -> list[tuple[int, int, int]]:
    """Where to cut the dated articles (in date order) into ``count`` runs placed side by side.

    Each run but the first is placed after the articles of the months its first
    articles look back on (its context): so they meet the same articles as
    placing all in one run does (and, in windows of under IDF_EXACT articles,
    the same rarities). Returns (context start, start, end) indexes; one run
    where the runs would be too short for that.
    """
    size = len(dated)
    months = [month_of(stored["d"]) for _, stored in dated]

    def context_of(start: int) -> int:
        return bisect.bisect_left(months, months_around(dated[start][1]["d"], WINDOW_DAYS)[0])

    # Each later run places its context too: it takes that many fewer of its own, so
    # that every process has about as many articles to place (contexts are whole
    # months, so their sizes are measured again at the cuts they give, three times).
    cuts = [size * k // count for k in range(count + 1)]
    for _ in range(3):
        extras = [cuts[k] - context_of(cuts[k]) if cuts[k] < size else 0 for k in range(1, count)]
        each = (size + sum(extras)) / count
        for k in range(1, count):
            cuts[k] = min(size, max(cuts[k - 1], round(cuts[k - 1] + each - (extras[k - 2] if k > 1 else 0))))
    out = [(0, 0, cuts[1])]
    for k in range(1, count):
        start = cuts[k]
        if start >= cuts[k + 1]:
            return [(0, 0, size)]
        context = context_of(start)
        if context <= out[-1][1]:  # the context would reach into the run before the last: too short
            return [(0, 0, size)]
        out.append((context, start, cuts[k + 1]))
    return out


def cluster(articles: Iterable[tuple[str, Mapping]], pins: Mapping[str, str] | None = None,
            new_story: Callable[[str], str] = lambda article_id: article_id,
            progress: Callable[[int], None] | None = None,
            fixed: Set[str] = frozenset(), processes: int | None = None,
            dates: dict[str, str] | None = None) -> tuple[dict[str, str], dict[str, dict]]:
    """Group articles from scratch, in date order, deciding as adding them one by one does;
    then place again those left alone or in pairs, and split the stories holding two events.

    ``articles`` are (id, stored features with "d" date and "u" dated);
    ``pins`` articles a user (or the seeds) put in a story, which stay there;
    ``fixed`` the stories a user split an article out into, which hold only it:
    no article joins them, and they never merge. Dated articles are placed
    first, undated ones after them (each near the date its words point to).
    Many articles are placed in runs of time side by side, one process per
    core (``processes``: how many; by default one per core from
    ``PARALLEL_FROM`` articles on), each run after the weeks before it.
    Returns each article's story and why it is there; ``dates``, if given, is
    filled with the date each undated article was placed at.
    """
    # (Undated ones by id: their "d" is only where they were filed, which a regroup moves.)
    ordered = sorted(articles, key=lambda pair: (not pair[1].get("u"),
                                                 (pair[1].get("d") or "") if pair[1].get("u") else "", pair[0]))
    dated = [pair for pair in ordered if pair[1].get("u")]
    state = _Clustering(pins or {}, fixed, new_story)
    if processes is None:
        processes = min(os.cpu_count() or 1, MAX_PROCESSES) if len(dated) >= PARALLEL_FROM else 1
    runs = _parts(dated, processes) if processes > 1 and len(dated) >= 2 * processes else [(0, 0, len(dated))]
    if len(runs) == 1:
        for done, (article_id, stored) in enumerate(dated):
            state.place(article_id, stored)
            if progress and done % 500 == 0:
                progress(done)
    else:
        _place_runs(state, dated, runs, progress)
    for article_id, stored in ordered[len(dated):]:  # the undated
        state.place(article_id, stored)
        if dates is not None:
            dates[article_id] = state.moments[article_id]
    state.look_again(ordered)
    state.split_mixed()
    return state.story, state.why


def _place_runs(state: _Clustering, dated: list[tuple[str, Mapping]], runs: list[tuple[int, int, int]],
                progress: Callable[[int], None] | None) -> None:
    """Place the runs side by side (the first here, the others in worker processes), then join them.

    A later run's story that holds articles of its context is the story those
    articles are in (most of them) as the run before placed them; a story you
    (or the seeds) made keeps its articles, and an article you put somewhere
    stays there. Where no worker process can be started, one run places all.
    """
    import multiprocessing
    from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait

    from .pipeline import real_stderr

    done = shown = 0

    def show(count: int) -> None:  # (never backwards: after a failed worker, this process catches up)
        nonlocal shown
        if progress and count > shown:
            shown = count
            progress(count)

    try:
        forkserver = multiprocessing.get_context("forkserver")
        placed = forkserver.Array("q", len(runs) - 1, lock=False)  # each later run's count, for progress
        with real_stderr():  # (inside the reader, the workers need the process's own stderr)
            pool = ProcessPoolExecutor(max_workers=len(runs) - 1, mp_context=forkserver,
                                       initializer=_run_worker_init, initargs=(os.getpid(), placed))
        with pool:
            with real_stderr():
                later = [pool.submit(_place_part, dated[begin:end], state.pins, state.fixed, start - begin, slot)
                         for slot, (begin, start, end) in enumerate(runs[1:])]
            for article_id, stored in dated[:runs[0][2]]:  # the first run, here, meanwhile
                state.place(article_id, stored)
                done += 1
                if done % 500 == 0:
                    show(done + sum(placed))
            while True:  # the workers' progress, until they are done (or one failed)
                finished, running = wait(later, timeout=0.5, return_when=FIRST_EXCEPTION)
                if not running or any(f.exception() for f in finished):
                    break
                show(done + sum(placed))
            results = [f.result() for f in later]
            show(len(dated))
    except Exception:  # noqa: BLE001 (no workers to be had here: the rest in this run; a
        for article_id, stored in dated[done:]:  # fault of the placing itself raises again here)
            state.place(article_id, stored)
            done += 1
            if done % 500 == 0:
                show(done)
        return
    final = dict(state.story)

    def named(story_id: str) -> str:
        return state.new_story(story_id[1:]) if story_id.startswith(_UNNAMED) else story_id

    for (begin, start, end), (story, why) in zip(runs[1:], results):
        by_story: dict[str, list[str]] = {}
        for article_id, _ in dated[begin:end]:
            by_story.setdefault(story[article_id], []).append(article_id)
        for story_id, ids in by_story.items():
            known = [i for i in ids if i in final]  # its context: placed by the run before
            if story_id in state.pinned or not known:
                target = named(story_id)
            else:
                target = Counter(final[i] for i in known).most_common(1)[0][0]
            for article_id in ids:
                if article_id in final:
                    continue
                final[article_id] = state.pins.get(article_id, target)
                reason = why[article_id]
                if known and target != named(story_id) and reason.get("by") == "new":
                    reason = {"by": "merged", "with": known[0]}  # it came before the context's story joined it
                state.why[article_id] = reason
            if story_id in state.pinned:  # it took in its context's stories: they are its
                for other in {final[i] for i in known} - {target}:
                    if survivor(target, other, {}, state.pinned, state.fixed) == target:
                        for article_id in [i for i, s in final.items() if s == other]:
                            final[article_id] = target
    for gone, keep in {(state.story[i], s) for i, s in final.items() if i in state.story and state.story[i] != s}:
        via = next(i for i, story_id in state.pins.items() if story_id == keep)  # (into a story you made)
        _absorb(gone, keep, state.story, state.members, state.index, state.why, via)
    for article_id, stored in dated[runs[0][2]:]:
        state.put(make_doc(article_id, stored, ""), stored["d"], final[article_id])


# -- topics: threads of stories over weeks ---------------------------------------
def profile(members: list[Doc], limit: int = 12) -> dict[str, float]:
    """A story's names and concepts, by weight: what its topic is recognised by."""
    counts: dict[str, float] = {}
    for doc in members:
        for term, weight in doc.weights.items():
            if term[:2] in ("n:", "g:", "c:"):
                counts[term] = counts.get(term, 0.0) + weight
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    total = math.sqrt(sum(w * w for _, w in top)) or 1.0
    return {t: round(w / total, 3) for t, w in top}


def link_topics(stories: Mapping[str, Mapping], changed: Iterable[str]) -> dict[str, str | None]:
    """Which topic each changed story belongs to: {story: topic id or None}.

    ``stories`` maps every story id to {"day": median day, "profile": ..., "topic": ...}.
    A story joins the topic of the story (other than itself, within
    :data:`TOPIC_DAYS`) whose profile is most like its own, if at least
    :data:`TOPIC_AT`; that story, if it had no topic, starts one. Topics only
    link stories: they never move an article.
    """
    changed = [c for c in changed if c in stories]
    if not changed:
        return {}
    days = [stories[c].get("day", 0) for c in changed]
    low, high = min(days) - TOPIC_DAYS, max(days) + TOPIC_DAYS
    near = {sid: doc for sid, doc in stories.items() if low <= doc.get("day", 0) <= high}
    index: dict[str, list[str]] = {}
    for story_id, doc in near.items():
        for term in doc.get("profile") or {}:
            index.setdefault(term, []).append(story_id)
    total = len(near) or 1
    idf = {t: math.log((total + 1) / (len(ids) + 0.5)) + 1.0 for t, ids in index.items()}
    common = max(20, RARE_SHARE * total)  # terms this widespread find no candidates (they still count)

    def weighed(doc: Mapping) -> tuple[dict[str, float], float]:
        vector = {t: w * idf[t] for t, w in (doc.get("profile") or {}).items() if t in idf}
        return vector, math.sqrt(sum(v * v for v in vector.values()))

    decided: dict[str, str | None] = {}
    for story_id in changed:
        doc = stories[story_id]
        mine, norm = weighed(doc)
        if not norm:
            decided[story_id] = None
            continue
        found: dict[str, float] = {}
        for term, weight in mine.items():
            if len(index[term]) <= common:
                for other in index[term]:
                    found[other] = found.get(other, 0.0) + weight
        found.pop(story_id, None)
        best, best_score = None, 0.0
        for other in sorted(found, key=found.__getitem__, reverse=True)[:CANDIDATES]:
            if abs(near[other].get("day", 0) - doc.get("day", 0)) > TOPIC_DAYS:
                continue
            theirs, their_norm = weighed(near[other])
            score = sum(v * theirs[t] for t, v in mine.items() if t in theirs) / (norm * their_norm or 1.0)
            if score > best_score:
                best, best_score = other, score
        if best is None or best_score < TOPIC_AT:
            decided[story_id] = doc.get("topic") if doc.get("topic_by") == "you" else None
            continue
        topic = decided.get(best) or stories[best].get("topic") or "topic:" + min(best, story_id)
        decided[best] = topic
        decided[story_id] = topic
    return decided


def topic_title(profiles: list[Mapping[str, float]], shown: Mapping[str, str]) -> str:
    """A topic's name: the names its stories share most ("Azerbaijan – Russia")."""
    counts: dict[str, float] = {}
    for prof in profiles:
        for term, weight in prof.items():
            if term[:2] in ("n:", "g:"):
                counts[term] = counts.get(term, 0.0) + weight
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    words: list[str] = []
    for term in ranked:
        word = shown.get(term, term[2:])
        if not any(word.lower()[:5] == w.lower()[:5] for w in words):
            words.append(word)
        if len(words) == 2:
            break
    return " – ".join(words) or "topic"
