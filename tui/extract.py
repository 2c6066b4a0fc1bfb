"""Article text from a fetched web page: trafilatura, with settings chosen by measurement.

``extract_page`` turns page bytes into an :class:`Extracted`: the headline, the
article's paragraphs (separated by a blank line, with menus, cookie banners,
"related" lists, comments, sign-up boxes and bylines left out) and the stated
publication time. It never raises: whatever the input, the worst outcome is
``method == "failed"`` with empty text. ``is_sliver`` is the sanity check the
rest of the app applies before trusting a text (a paywall teaser or a broken
extraction must not pass for the article, nor for a new version of it).

How the settings were chosen, and what each candidate scores on the pages in
``tests/data/pages``: ``bench/extract_settings.py``. Throughput against bare
``trafilatura.extract``: ``bench/extract.py``.

trafilatura (and lxml, charset_normalizer) are imported inside the functions
that need them: their import costs about 0.2 s, which must stay off the app's
start path.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from html import unescape as html_unescape

from .text import terminal_safe, without_escapes

__all__ = ["Extracted", "extract_page", "is_sliver"]


@dataclass(frozen=True)
class Extracted:
    title: str | None
    text: str  # paragraphs separated by a blank line ("\n\n"); no boilerplate
    published: str | None  # ISO 8601: a date, or a UTC time "YYYY-MM-DDTHH:MM:SS+00:00"; None when unstated
    method: str  # "trafilatura", "trafilatura-recall" (the recall-oriented pass was needed) or "failed"


# --- the measured settings ---------------------------------------------------
# bench/extract_settings.py scores these against the alternatives.
#
# Every pass: comments are never article text; tables are (budgets, election
# results); formatting and link markup are not wanted in a terminal.
# deduplicate stays off: trafilatura's duplicate filter is process-wide, so an
# article read a fourth time (each refresh re-reads articles to spot edits)
# would come back with its paragraphs missing.
_COMMON = {
    "include_comments": False,
    "include_tables": True,
    "include_formatting": False,
    "include_links": False,
    "include_images": False,
    "deduplicate": False,
}
# 1. Precision-oriented, trafilatura's own rules only. On the test pages this
#    gives the same text as the full pass below whenever it is not in doubt,
#    at 60% of the cost.
FAST_PASS = dict(_COMMON, favor_precision=True, fast=True)
# 2. When that result is in doubt (a sliver, or far less text than the page's
#    paragraphs hold): the same with the fallback comparison against
#    readability and justext, which rescues layouts the rules miss (old table
#    layouts, pages of bare divs).
FULL_PASS = dict(_COMMON, favor_precision=True, fast=False)
# 3. Still a sliver: recall-oriented. Kept only if it finds more words.
RECALL_PASS = dict(_COMMON, favor_recall=True, fast=False)
# "Far less text than the page's paragraphs": under this share of the words in its <p> elements.
DOUBT_SHARE = 0.5

# Pages past these sizes are not article pages, or are hostile. The fallback
# extractors grow quadratically on huge flat trees (bare trafilatura.extract
# spends 45 s on a page of 20,000 divs), so big trees get the fast path only
# (about 90 µs an element: 5 s at the cap) and bigger ones are refused.
FAST_ONLY_ELEMENTS = 15_000
MAX_ELEMENTS = 60_000
MAX_BYTES = 20_000_000

# is_sliver thresholds: shorter than this is not an article.
SLIVER_CHARS = 250
SLIVER_WORDS = 40
LONE_PARAGRAPH_WORDS = 60  # a single paragraph this short is a lede or teaser, not a story
REFERENCE_SHARE = 0.5  # text under half the reference's length is much shorter than it
# Text that has under this share of the reference's content words does not contain it: a
# cookie notice or a "related" list shares almost none of a summary's words, while an
# article shares most of them even with a summary written apart from it (a dek).
REFERENCE_COVERAGE = 0.3


# --- public API ----------------------------------------------------------------


def extract_page(html: bytes | str, url: str | None = None) -> Extracted:
    """The article in a page. Never raises; ``method="failed"`` and text "" when nothing usable came out."""
    try:
        return _extract(html, url)
    except Exception:  # noqa: BLE001 - hostile pages must not take the refresh down
        return Extracted(title=None, text="", published=None, method="failed")


def is_sliver(text: str, reference: str | None = None) -> bool:
    """True when ``text`` is too short to be an article, or when it falls far
    short of ``reference`` (a feed summary, or the previous version of the
    same article): much shorter than it, or not containing most of its words."""
    text = text or ""
    words = _words(text)
    if len(text.strip()) < SLIVER_CHARS or len(words) < SLIVER_WORDS:
        return True
    if len(words) < LONE_PARAGRAPH_WORDS and len(_paragraphs(text)) <= 1:
        return True
    if reference:
        if len(words) < REFERENCE_SHARE * len(_words(reference)):
            return True
        wanted = _content_stems(reference)
        if len(wanted) >= 5 and len(wanted & _content_stems(text)) < REFERENCE_COVERAGE * len(wanted):
            return True
    return False


# --- the pipeline ------------------------------------------------------------------


def _extract(html: bytes | str, url: str | None, first: dict = FAST_PASS, full: dict | None = FULL_PASS,
             recall: dict | None = RECALL_PASS, *, unwrap_tables: bool = True, prune_boxes: bool = True,
             clean_lines: bool = True) -> Extracted:
    """extract_page, with every pass and step replaceable: bench/extract_settings.py
    runs the other candidate configurations through here."""
    failed = Extracted(title=None, text="", published=None, method="failed")
    if not isinstance(html, (bytes, bytearray, str)) or len(html) > MAX_BYTES:
        return failed
    text = _decode(bytes(html)) if not isinstance(html, str) else _without_surrogates(html)
    tree = _parse(without_escapes(text))
    if tree is None:
        return failed
    size = sum(1 for _ in tree.iter())
    if size > MAX_ELEMENTS:
        return failed
    metas, article = _metas(tree), _jsonld_article(tree)
    title = _title(tree, metas, article)
    published = _published(tree, metas, article, url)
    if unwrap_tables:
        _unwrap_layout_tables(tree)
    if prune_boxes:
        _prune_boxes(tree)
    if size > FAST_ONLY_ELEMENTS:  # the fallback extractors are quadratic on huge trees
        first, full, recall = dict(first, fast=True), None, dict(recall, fast=True) if recall else None

    def run(options: dict) -> str:  # trafilatura works on its own copy of the tree
        return _run_pass(tree, url, options, title if clean_lines else None, clean_lines)

    body, method = run(first), "trafilatura"
    if full is not None and (is_sliver(body) or len(body.split()) < DOUBT_SHARE * _paragraph_words(tree)):
        body = run(full) or body
    if recall is not None and is_sliver(body):
        retry = run(recall)
        if len(_words(retry)) > len(_words(body)):
            body, method = retry, "trafilatura-recall"
    # The headline is one line shown as is: none of the page's escapes, controls or bidi overrides.
    title = terminal_safe(title, one_line=True) or None
    return Extracted(title=title, text=body, published=published, method=method if body else "failed")


def _run_pass(tree, url: str | None, options: dict, title: str | None, clean: bool = True) -> str:
    from trafilatura import bare_extraction

    document = bare_extraction(tree, url=url, with_metadata=False, **options)
    if document is None or not document.text:
        return ""
    if not clean:
        return "\n\n".join(line.strip() for line in document.text.splitlines() if line.strip())
    return _clean_text(document.text, title)


def _paragraph_words(tree) -> int:
    """How many words the page has in <p> elements: on an article page, mostly the article."""
    return sum(len(p.text_content().split()) for p in tree.iter("p"))


# --- bytes to a tree ---------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)
# What browsers actually decode these labels as (WHATWG Encoding Standard).
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
                    "ascii": "cp1252", "iso-8859-9": "cp1254", "x-cp1251": "cp1251", "win-1251": "cp1251"}


def _decode(data: bytes) -> str:
    """Page bytes to text: a BOM first; then UTF-8 if the bytes are valid UTF-8
    (non-ASCII text in any other encoding practically never is, and pages that
    declare latin-1 but send UTF-8 are common); then the charset a <meta>
    declares, bad bytes replaced; then a statistical guess; never an exception."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _META_CHARSET.search(data[:8192])
    if declared:
        label = declared.group(1).decode("ascii", "ignore").lower()
        try:
            return data.decode(codecs.lookup(_CHARSET_ALIASES.get(label, label)).name, errors="replace")
        except LookupError:
            pass  # a charset Python does not know: guess instead
    return data.decode(_guess_encoding(data) or "utf-8", errors="replace")


def _without_surrogates(text: str) -> str:
    """A str with lone surrogates (bytes decoded with surrogateescape) cannot go to lxml."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace").decode("utf-8")


def _guess_encoding(data: bytes) -> str | None:
    """A statistical guess for undeclared, non-UTF-8 bytes (old Russian and Armenian sites send cp1251 bare)."""
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:65536]).best()
        return best.encoding if best is not None else None
    except Exception:  # noqa: BLE001 - a guess that fails is no guess
        return None


def _parse(text: str):
    from trafilatura.utils import load_html

    try:
        return load_html(text)
    except Exception:  # noqa: BLE001 - lxml on arbitrary input
        return None


# --- tree preparation (measured in bench/extract_settings.py) -------------------------

_LAYOUT_CELL_WORDS = 60


def _unwrap_layout_tables(tree) -> None:
    """Turn layout tables into divs. Old portals lay the whole page out in
    nested tables; trafilatura, rightly keeping data tables, would then keep
    the whole page (menus, news ticker, copyright) as one big "table". A table
    is layout when it nests another table or a cell holds running text; data
    tables (figures, short labels) are left alone."""
    for table in list(tree.iter("table")):
        if not _is_layout_table(table):
            continue
        for element in table.iter("table", "tbody", "thead", "tfoot", "tr", "td", "th"):
            if element.tag == "table" and element is not table and not _is_layout_table(element):
                continue
            element.tag = "div"
            for attribute in ("width", "height", "cellpadding", "cellspacing", "border", "colspan", "valign"):
                element.attrib.pop(attribute, None)


def _is_layout_table(table) -> bool:
    if table.find(".//table") is not None:
        return True
    return any(len(cell.text_content().split()) > _LAYOUT_CELL_WORDS for cell in table.iter("td", "th"))


# Boxes that sit inside or beside the article but are not part of it: paywall
# prompts, subscription and newsletter forms, donation appeals, "read also"
# teasers, messenger-channel plugs, author blurbs. Matched on class or id, and
# only dropped when short: a container holding a long text is content whatever
# it is called (some sites put the subscriber-only body itself in class="paywall").
_BOX = re.compile(
    r"paywall|piano|subscri|newsletter|sign-?up|donat|support-box|membership|read-?also|read-?more|also-read|"
    r"see-also|more-news|related|recommend|follow-us|social-follow|telegram|author-box|author-bio|about-author|"
    r"responses",
    re.IGNORECASE,
)
_BOX_TAGS = ("div", "section", "aside", "p", "form", "ul", "figure")
_BOX_MAX_WORDS = 80


def _prune_boxes(tree) -> None:
    """Drop the short boilerplate boxes, in place. (A Python walk: 2.5 times
    faster here than an EXSLT-regex XPath over the same elements.)"""
    boxes = []
    for element in tree.iter(_BOX_TAGS):
        names = f"{element.get('class', '')} {element.get('id', '')}"
        if _BOX.search(names):
            boxes.append(element)
    for box in boxes:
        if box.getparent() is None or len(box.text_content().split()) > _BOX_MAX_WORDS:
            continue
        box.drop_tree()


# --- text clean-up ---------------------------------------------------------------------

_TABLE_RULE = re.compile(r"^\|?(?:\s*:?-{3,}:?\s*\|)+\s*$")
# A line that is only a date or time ("17.01.2025", "11:17, 22 May 2025"): digits plus these words.
_DATE_WORDS = frozenset(
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august "
    "september october november december at gmt utc am pm updated января февраля марта апреля мая июня "
    "июля августа сентября октября ноября декабря г года".split()
)
_DATE_SHAPE = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}")
_READ_TIME = re.compile(r"\b\d+\s*(?:min(?:ute)?s?|мин\.?)\s*(?:read|чтения)\b", re.IGNORECASE)
_STAMP = re.compile(
    r"^(?:updated|published|posted|last updated|обновлено|опубликовано)\b.{0,40}\d", re.IGNORECASE
)
_BYLINE = re.compile(r"^(?:by|text by|words by|автор:?|текст:?)\s+(\w)", re.IGNORECASE)  # then a capital
# Widget labels that survive as a line of their own; matched on the whole line only.
_WIDGET_LINE = re.compile(
    r"^(?:share(?: this(?: article| story)?)?|share on \w+|tweet|print|print version|copy link|advertisement|"
    r"read (?:also|more)|see also|related(?: articles| news| stories)?|subscribe|sign up|follow us(?: on \w+)?|"
    r"реклама|читайте также|поделиться|подписаться)\s*:?$",
    re.IGNORECASE,
)


def _clean_text(raw: str, title: str | None) -> str:
    """trafilatura's one-block-per-line text to paragraphs separated by a blank line,
    without the headline (Extracted.title carries it) and without byline,
    dateline and widget lines."""
    paragraphs = []
    for line in raw.splitlines():
        line = line.strip()
        if not line or _TABLE_RULE.match(line):
            continue
        if line.startswith("|"):  # a table row: "| a | b |" -> "a | b"
            line = " | ".join(cell.strip().replace("\\|", "|") for cell in line.strip("|").split(" | ")).strip()
        if _is_furniture(line):
            continue
        paragraphs.append(line)
    if title and paragraphs and _same_words(paragraphs[0], title):
        paragraphs.pop(0)
    return "\n\n".join(paragraphs)


def _is_furniture(line: str) -> bool:
    words = len(line.split())
    if words <= 15 and _READ_TIME.search(line):
        return True
    if words <= 12 and _STAMP.match(line):
        return True
    byline = _BYLINE.match(line)
    if words <= 8 and byline and byline.group(1).isupper() and not line.endswith("."):
        return True  # "By Elvin Guliyev", not "By the numbers"
    if words <= 8 and _is_date_line(line):
        return True
    return words <= 5 and bool(_WIDGET_LINE.match(line))


def _is_date_line(line: str) -> bool:
    letters = re.findall(r"[^\W\d_]+", line.lower())
    shaped = _DATE_SHAPE.search(line) or any(word in _DATE_WORDS for word in letters)
    return bool(shaped) and any(ch.isdigit() for ch in line) and all(word in _DATE_WORDS for word in letters)


# --- metadata ------------------------------------------------------------------------------

_ARTICLE_TYPES = re.compile(r"(?:Article|BlogPosting|Report|Posting)$")
_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|»|·)\s+")


def _title(tree, metas: dict[str, str], article: dict | None) -> str | None:
    """The headline. The page's only <h1> when the metadata agrees with it (the
    metadata may be cut short, as JSON-LD headlines often are at 110
    characters, or carry the site's name); else JSON-LD's headline or
    og:/twitter:title; else the lone <h1>; else the longest part of <title>
    (the rest is usually the site's name)."""
    site = _clean(metas.get("og:site_name"))
    stated = []
    headline = (article.get("headline") or article.get("name")) if article else None
    if isinstance(headline, str):
        stated.append(_clean(html_unescape(headline)))  # JSON is not HTML: entities survive parsing
    stated += [_strip_site(_clean(metas.get(key)), site) for key in ("og:title", "twitter:title")]
    stated = [title for title in stated if title and title != site]
    h1s = [title for title in (_clean(h.text_content()) for h in tree.iter("h1")) if title]
    h1 = h1s[0] if len(h1s) == 1 else None
    if h1 and any(_similar(h1, title) for title in stated):
        return h1
    if stated:
        return stated[0]
    if h1:
        return h1
    page_title = tree.find(".//title")
    if page_title is not None and _clean(page_title.text_content()):
        parts = _TITLE_SEPARATORS.split(_clean(page_title.text_content()))
        return max(parts, key=lambda part: len(part.split()))
    return h1s[0] if h1s else None


def _similar(a: str, b: str) -> bool:
    """Most words of the shorter title are in the other."""
    first, second = set(_words(a)), set(_words(b))
    return bool(first and second) and len(first & second) >= 0.8 * min(len(first), len(second))


def _strip_site(title: str, site: str | None) -> str:
    if site and title:
        for separator in (" | ", " - ", " – ", " — ", " :: "):
            if title.endswith(separator + site):
                return title[: -len(separator + site)].strip()
    return title


_DATE_META = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate", "publish-date",
    "publish_date", "published_time", "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued",
    "dcterms.date", "dcterms.created", "dc.date", "date", "article.published", "original-publish-date",
)


def _published(tree, metas: dict[str, str], article: dict | None, url: str | None) -> str | None:
    """The stated publication time: JSON-LD, then the usual <meta> tags, then a
    marked-up <time>, then htmldate's quick search. Never guessed from running text."""
    candidates = [article.get("datePublished"), article.get("dateCreated")] if article else []
    candidates += [metas.get(key) for key in _DATE_META]
    for time in tree.xpath("//time[@itemprop='datePublished' or @pubdate or contains(@class, 'published')]"
                           "|//*[@itemprop='datePublished']"):
        candidates.append(time.get("datetime") or time.get("content"))
    for value in candidates:
        moment = _iso(value)
        if moment:
            return moment
    return _iso(_htmldate(tree, url))


def _htmldate(tree, url: str | None) -> str | None:
    """htmldate's quick search (date-classed elements, abbr, the URL's /2025/03/14/):
    a date only. Its extensive search, which reads dates out of running text,
    is left off: sidebars and "latest news" lists are full of other days' dates."""
    try:
        from htmldate import find_date

        return find_date(tree, url=url, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
    except Exception:  # noqa: BLE001 - a date we cannot find is no date
        return None


_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?\s*$",
    re.IGNORECASE,
)


def _iso(value) -> str | None:
    """A stated date or time in the archive's form: a UTC time when the value
    has a time and an offset; only the date when the offset is missing (a
    local time whose zone we do not know is not a UTC time)."""
    if not isinstance(value, str) or not value.strip():
        return None
    found = _ISO.match(value)
    try:
        if found:
            year, month, day, hour, minute, second, zone = found.groups()
            day_only = datetime(int(year), int(month), int(day), tzinfo=timezone.utc)
            if hour is None or zone is None:
                return day_only.date().isoformat() if _plausible(day_only) else None
            zone = "+00:00" if zone.upper() == "Z" else zone
            moment = datetime.fromisoformat(f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}{zone}")
        else:
            moment = parsedate_to_datetime(value.strip())  # RFC 2822, as some CMSs write it
            if moment.tzinfo is None:
                return moment.date().isoformat() if _plausible(moment) else None
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    moment = moment.astimezone(timezone.utc)
    return moment.isoformat(timespec="seconds") if _plausible(moment) else None


def _plausible(moment: datetime) -> bool:
    return 1990 <= moment.year <= datetime.now(timezone.utc).year + 1


def _metas(tree) -> dict[str, str]:
    """<meta> values by lower-cased property/name/itemprop; the first of each wins."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if not content:
            continue
        for attribute in ("property", "name", "itemprop"):
            key = (meta.get(attribute) or "").strip().lower()
            if key and key not in found:
                found[key] = content.strip()
    return found


def _jsonld_article(tree) -> dict | None:
    """The first JSON-LD object whose @type is an article (NewsArticle, BlogPosting, ...)."""
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "", strict=False)
        except (ValueError, RecursionError):
            continue
        found = _find_article(data, depth=0)
        if found:
            return found
    return None


def _find_article(data, depth: int) -> dict | None:
    if depth > 6:
        return None
    if isinstance(data, list):
        items = data
    elif isinstance(data, dict):
        kinds = data.get("@type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if any(isinstance(kind, str) and _ARTICLE_TYPES.search(kind) for kind in kinds):
            return data
        items = data.get("@graph") or []
        items = items if isinstance(items, list) else [items]
    else:
        return None
    for item in items:
        found = _find_article(item, depth + 1)
        if found:
            return found
    return None


# --- words ---------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


def _words(text: str) -> list[str]:
    return _WORD.findall((text or "").lower())


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def _content_stems(text: str) -> set[str]:
    """Numbers, and words of four letters or more cut to five: a stemmer for any
    language, crude but enough to match "туристов" with "туристы" and to leave
    out the short function words every text shares."""
    return {word[:5] for word in _words(text) if word.isdigit() or len(word) >= 4}


def _same_words(a: str, b: str) -> bool:
    return _words(a) == _words(b)


def _clean(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()
