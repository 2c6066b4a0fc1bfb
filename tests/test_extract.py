"""Article extraction: the gold pages, boilerplate, metadata, slivers, hostile input, encodings.

The pages in tests/data/pages are invented articles laid out like real news
sites; NAME.expected.txt holds the article's paragraphs and NAME.meta.yaml its
title, publication time and the boilerplate planted around it. They are scored
with the same token measure as bench/extract_settings.py.
"""

from __future__ import annotations

import html
import importlib.util
import subprocess
import sys
import time

import pytest

from tui.extract import Extracted, extract_page, is_sliver

from conftest import REPO

# The benchmark's corpus loader and scores, so the tests and the table measure alike.
_spec = importlib.util.spec_from_file_location("bench_extract_settings", REPO / "bench" / "extract_settings.py")
bench = sys.modules["bench_extract_settings"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

PAGES = bench.load_pages()
BY_NAME = {page.name: page for page in PAGES}
F1_FLOOR = 0.9
# Pages allowed a lower F1, with the reason. None needs one today: the lowest
# is rferl_baku_court (0.945), whose standfirst sits outside the body container.
HARD_PAGES: dict[str, float] = {}


@pytest.fixture(scope="module")
def extracted() -> dict[str, Extracted]:
    return {page.name: extract_page(page.html) for page in PAGES}


def ids(pages):
    return [page.name for page in pages]


# --- the corpus itself ---------------------------------------------------------------


def test_the_corpus_is_there_and_varied():
    assert len(PAGES) >= 24
    russian = [p for p in PAGES if sum("а" <= ch <= "я" for ch in p.gold) > 200]
    armenian_or_georgian = [
        p for p in PAGES if any("\u0530" <= ch <= "\u058f" or "\u10a0" <= ch <= "\u10ff" for ch in p.gold)
    ]
    assert 3 <= len(russian) <= 5
    assert 1 <= len(armenian_or_georgian) <= 2
    for page in PAGES:
        assert page.gold.strip(), page.name
        assert page.meta.get("title"), page.name


@pytest.mark.parametrize("page", PAGES, ids=ids(PAGES))
def test_planted_boilerplate_is_really_on_the_page_and_not_in_the_gold(page):
    try:
        source = html.unescape(page.html.decode("utf-8"))
    except UnicodeDecodeError:
        source = html.unescape(page.html.decode("windows-1251"))
    for planted in page.meta.get("planted", []):
        assert planted in source and planted not in page.gold, planted


# --- text quality -------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=ids(PAGES))
def test_text_matches_the_gold(page, extracted):
    precision, recall, f1 = bench.token_scores(extracted[page.name].text, page.gold)
    floor = HARD_PAGES.get(page.name, F1_FLOOR)
    assert f1 >= floor, f"{page.name}: P={precision:.3f} R={recall:.3f} F1={f1:.3f} < {floor}"


@pytest.mark.parametrize("page", PAGES, ids=ids(PAGES))
def test_no_planted_boilerplate_in_the_text(page, extracted):
    assert bench.leaks(extracted[page.name].text, page) == []


def test_no_comment_cookie_menu_or_newsletter_text(extracted):
    comments = extracted["comments_rustavi_byelection"].text
    assert "school number 7" not in comments and "Add new comment" not in comments
    assert "partners" not in extracted["cookie_gyumri_housing"].text
    assert "Infographics" not in extracted["agency_ararat_irrigation"].text
    assert "Morning Brief" not in extracted["wp_tbilisi_students"].text
    assert "Related" not in extracted["rferl_baku_court"].text


def test_paragraphs_are_kept_and_separated_by_a_blank_line(extracted):
    page = BY_NAME["wp_tbilisi_students"]
    assert extracted[page.name].text.split("\n\n") == page.gold.splitlines()
    for result in extracted.values():
        for paragraph in result.text.split("\n\n"):
            assert paragraph and paragraph == paragraph.strip() and "\n" not in paragraph


def test_headline_and_byline_lines_are_left_out(extracted):
    solar = extracted["byline_nakhchivan_solar"]
    assert not solar.text.startswith(solar.title)
    assert "min read" not in solar.text and "Updated:" not in solar.text


def test_a_data_table_stays_a_table(extracted):
    text = extracted["table_armenia_budget"].text
    assert "Defence | 680 | 712 | +4.7%" in text.split("\n\n")
    assert "---" not in text


def test_a_layout_table_is_not_mistaken_for_data(extracted):
    text = extracted["oldportal_sheki_silk"].text
    assert text.startswith("Baku, 3 March, AzeriNews. The silk mill in Sheki")
    assert "|" not in text


def test_the_same_page_read_again_gives_the_same_text():
    """A refresh re-reads articles to spot edits: nothing may change with repetition."""
    page = BY_NAME["ads_readalso_wine"]
    results = {extract_page(page.html) for _ in range(6)}
    assert len(results) == 1


# --- metadata -------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=ids(PAGES))
def test_title_and_published_as_the_page_states_them(page, extracted):
    result = extracted[page.name]
    assert result.title == page.meta["title"]
    if "published" in page.meta:
        assert result.published == page.meta["published"]


def test_published_forms():
    def page(head: str) -> bytes:
        body = "<p>" + "The ministry said the new rules take effect next month. " * 12 + "</p>"
        return f"<html><head>{head}</head><body><article>{body}</article></body></html>".encode()

    meta = '<meta property="article:published_time" content="{}">'
    assert extract_page(page(meta.format("2025-03-14T18:42:10+04:00"))).published == "2025-03-14T14:42:10+00:00"
    assert extract_page(page(meta.format("2025-03-14T18:42:10Z"))).published == "2025-03-14T18:42:10+00:00"
    assert extract_page(page(meta.format("2025-03-14"))).published == "2025-03-14"
    # a local time without an offset is not a UTC time: only its date is stated
    assert extract_page(page(meta.format("2025-03-14 23:30:00"))).published == "2025-03-14"
    assert extract_page(page(meta.format("Fri, 14 Mar 2025 14:42:10 GMT"))).published == "2025-03-14T14:42:10+00:00"
    assert extract_page(page(meta.format("1066-10-14"))).published is None  # not a plausible web date
    assert extract_page(page(meta.format("soon"))).published is None
    assert extract_page(page("")).published is None
    # a WordPress-style address states the day
    assert extract_page(page(""), "https://ledger.example/2025/03/14/new-rules/").published == "2025-03-14"


def test_title_forms():
    body = "<p>" + "The commissions met for the third time this year in the border village. " * 10 + "</p>"

    def page(head: str, h1: str = "") -> str:
        return f"<html><head>{head}</head><body>{h1}<article>{body}</article></body></html>"

    full = ("Armenia and Azerbaijan agree to open two new border crossings in Tavush and Gazakh "
            "before the end of the year, officials say")
    cut = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "%s..."}</script>' % full[:100]
    assert extract_page(page(cut, f"<h1>{full}</h1>")).title == full  # the h1 the cut headline agrees with
    site = '<meta property="og:site_name" content="Caucasus Ledger">'
    og = '<meta property="og:title" content="Border talks resume | Caucasus Ledger">'
    assert extract_page(page(site + og)).title == "Border talks resume"
    two_h1 = "<h1>Caucasus Ledger</h1><h1>Border talks resume</h1>"
    assert extract_page(page("<title>Border talks resume - Caucasus Ledger</title>", two_h1)).title == "Border talks resume"
    entity = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Armenia&#8217;s budget"}</script>'
    assert extract_page(page(entity)).title == "Armenia\u2019s budget"
    assert extract_page(page("")).title is None


# --- slivers ----------------------------------------------------------------------------

ARTICLE = "\n\n".join(
    [
        "Georgia's parliament adopted the budget for next year on Friday after a debate that lasted two days "
        "and ended with a vote of 84 to 30, the opposition walking out before the final reading.",
        "The finance minister said spending on schools and roads would grow faster than the economy, "
        "and that the deficit would stay below three percent of gross domestic product.",
        "Opposition deputies said the forecasts were too optimistic and asked for a review in the spring.",
    ]
)


def test_is_sliver_on_its_own():
    assert is_sliver("")
    assert is_sliver("Subscribe to read the full story.")
    assert is_sliver("word " * 30)  # too few words
    assert is_sliver(ARTICLE.split("\n\n")[0])  # a lone lede is a teaser, not a story
    assert not is_sliver(ARTICLE)


def test_is_sliver_against_a_reference():
    summary = "Georgia's parliament adopted next year's budget on Friday by 84 votes to 30."
    assert not is_sliver(ARTICLE, summary)  # the article contains its summary
    dek = "Lawmakers approved the spending plans after two days of debate, and the opposition walked out."
    assert not is_sliver(ARTICLE, dek)  # a summary written apart from the article still matches it
    assert not is_sliver(ARTICLE, ARTICLE)
    longer = ARTICLE + "\n\n" + " ".join(["The debate also covered pensions, regional grants and defence."] * 12)
    assert is_sliver(ARTICLE, longer)  # much shorter than the previous version
    unrelated = ("Accept all cookies to continue. We and our partners use cookies to personalise content and ads, "
                 "to provide social media features and to analyse our traffic across many devices.")
    assert is_sliver(ARTICLE, unrelated)  # does not contain the reference at all


def test_a_paywall_teaser_is_a_sliver(extracted):
    result = extracted["paywall_gas_deal"]
    assert result.text == BY_NAME["paywall_gas_deal"].gold.strip()
    assert is_sliver(result.text)
    assert result.method in ("trafilatura", "trafilatura-recall")


def test_a_two_sentence_wire_item_is_short_but_whole(extracted):
    result = extracted["wire_border_commissions"]
    assert result.text.split("\n\n") == BY_NAME["wire_border_commissions"].gold.splitlines()
    assert result.method == "trafilatura"


def test_the_recall_pass_rescues_an_article_the_precise_pass_drops():
    paragraph = ("<p>The council in Gori met on Tuesday to discuss the water supply plan for the eastern districts, "
                 "which residents have waited for since the spring floods damaged the old pipes.</p>")
    page = f"<html><body><nav><a href='/'>Home</a></nav><aside>{paragraph * 4}</aside></body></html>"
    result = extract_page(page)
    assert result.method == "trafilatura-recall"
    assert result.text.count("council in Gori") == 4


# --- hostile and odd input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        "",
        b"   \n ",
        None,
        12345,
        b"\x00" * 5000,
        bytes(range(256)) * 400,
        b"<html></html>",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj",
        b'<html><head><script type="application/ld+json">' + b"[" * 5000 + b"</script></head></html>",
    ],
    ids=["empty", "empty-str", "blank", "none", "int", "nul", "binary", "empty-html", "pdf", "deep-json"],
)
def test_junk_fails_without_raising(junk):
    result = extract_page(junk)
    assert result.method == "failed" and result.text == ""


def test_a_str_with_lone_surrogates_is_read():
    """Bytes decoded with errors="surrogateescape" arrive as such strs; lxml refuses them as they are."""
    paragraph = "Lankaran tea harvest begins early this year \udce9. " * 10
    page = f"<html><body><article><p>{paragraph}</p></article></body></html>"
    assert "Lankaran tea harvest" in extract_page(page).text


@pytest.mark.parametrize("kind", ["nested", "flat"])
def test_five_megabytes_of_divs_fail_quickly(kind):
    if kind == "nested":
        page = "<html><body>" + "<div>" * 450_000 + "x" + "</div>" * 450_000 + "</body></html>"
    else:
        page = "<html><body>" + "<div><p>w</p></div>" * 270_000 + "</body></html>"
    started = time.perf_counter()
    result = extract_page(page.encode())
    assert result.method == "failed" and result.text == ""
    assert time.perf_counter() - started < 10


# --- encodings ----------------------------------------------------------------------------------------


def test_windows_1251_without_a_charset_declaration():
    page = BY_NAME["ru_cp1251_nometa_tourism"]
    assert b"charset" not in page.html.lower()
    with pytest.raises(UnicodeDecodeError):
        page.html.decode("utf-8")
    result = extract_page(page.html)
    assert "Национальная администрация туризма" in result.text
    assert result.title == "Грузия приняла рекордное число туристов за девять месяцев"


def test_windows_1251_with_a_meta_charset():
    page = BY_NAME["ru_cp1251_meta_metro"]
    assert b"<meta charset=windows-1251>" in page.html
    assert "Ереванский метрополитен открылся в 1981 году" in extract_page(page.html).text


def _page(body: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body><article><p>{body}</p><p>{body}</p></article></body></html>"


def test_utf8_bytes_declared_as_latin1_read_as_utf8():
    text = "Мэрия Тбилиси объявила конкурс на реконструкцию проспекта Руставели. " * 6
    page = _page(text, '<meta charset="iso-8859-1">').encode("utf-8")
    assert "проспекта Руставели" in extract_page(page).text


def test_byte_order_marks():
    text = "Ереван и Тбилиси договорились о новом расписании поездов между столицами. " * 6
    for encoding in ("utf-8-sig", "utf-16", "utf-32"):
        assert "расписании поездов" in extract_page(_page(text).encode(encoding)).text, encoding


def test_a_declared_single_byte_charset_is_honoured():
    text = "Ереван и Тбилиси договорились о новом расписании поездов между столицами. " * 6
    page = _page(text, '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">').encode("koi8-r")
    assert "расписании поездов" in extract_page(page).text


# --- staying off the start path -----------------------------------------------------------------------


def test_importing_the_module_loads_no_heavy_packages():
    probe = (
        "import sys, tui.extract\n"
        "heavy = ('textual', 'rich', 'trafilatura', 'lxml', 'htmldate', 'justext', 'charset_normalizer')\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
