"""One story, two outlets: sentences, what both report, what only one reports, facts that differ.

The seed articles are the real case; the other reports are invented for these tests.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO
from tui.compare import MATCH_AT, Fact, compare, sentences
from tui.seeds import load_seed_files

LANDSLIDE_A = (
    "Landslide in Racha kills 12",
    "A landslide in the Racha region of Georgia killed 12 people on Tuesday, the Interior Ministry said.\n"
    "Rescuers from Kutaisi searched the village of Zemo Lukha through the night.\n"
    "Prime Minister Levan Abashidze declared 3 May a day of mourning.",
)
LANDSLIDE_B = (
    "Racha landslide leaves 14 dead",
    "A landslide that struck Georgia's Racha region on Tuesday left 14 dead, according to the Interior Ministry.\n"
    "Prime Minister Levan Abashidze announced a national day of mourning on May 3.\n"
    "Emergency crews brought heavy machinery from Tbilisi overnight.",
)


def facts_of(result, side: str) -> set[tuple[str, str]]:
    return {(f.kind, f.value) for f in result.facts if f.side == side}


# -- sentences ------------------------------------------------------------------------------------
def test_sentences_survive_abbreviations_initials_and_decimals():
    text = ("Mr. Aliyev met U.S. envoys in Baku. J. R. Smith said turnout was 1.5 points lower. "
            "“We will not retreat.” The talks end on Friday! Did they? Yes.")
    assert sentences(text) == [
        "Mr. Aliyev met U.S. envoys in Baku.",
        "J. R. Smith said turnout was 1.5 points lower.",
        "“We will not retreat.”",
        "The talks end on Friday!",
        "Did they?",
        "Yes.",
    ]


def test_headings_and_lines_without_final_punctuation_are_sentences_of_their_own():
    text = "**Protest in Tbilisi**\nThousands marched. Police watched\nTalks resume\nThe end."
    assert sentences(text) == ["Protest in Tbilisi", "Thousands marched.", "Police watched", "Talks resume",
                               "The end."]


def test_russian_sentences():
    text = "Т. Иванов прибыл в Ереван 9 мая. «Переговоры продолжатся», — сказал он. Ущерб оценили в 1,5 млн драмов."
    assert sentences(text) == ["Т. Иванов прибыл в Ереван 9 мая.", "«Переговоры продолжатся», — сказал он.",
                               "Ущерб оценили в 1,5 млн драмов."]


# -- the seeds: one story, two outlets ------------------------------------------------------------
def test_the_seed_articles_compared():
    kyiv, other = load_seed_files(REPO / "seeds")  # 000: Kyiv Independent; 004: no outlet named
    result = compare(kyiv.title, kyiv.text, other.title, other.text)

    parade = [p for p in result.shared if "Victory Day parade" in p.a]
    assert len(parade) == 1 and "Victory Day parade on 9 May" in parade[0].b

    only_b = facts_of(result, "b")
    assert {("date", "29 June 2025"), ("date", "27 June"), ("number", "9"), ("date", "9 May")} <= only_b
    only_a = facts_of(result, "a")
    assert {("name", "Huseyn Safarov"), ("number", "67"), ("number", "2001"), ("number", "$1 million"),
            ("date", "September 2023"), ("place", "Nagorno-Karabakh"), ("name", "Andrii Sybiha")} <= only_a
    assert ("name", "Nagif Gamzaev") in only_b and ("name", "AZAL") in only_b  # 004 names AZAL, without a toll
    everywhere = {value for _, value in only_a | only_b}
    assert not everywhere & {"2", "Ilham Aliyev", "Yekaterinburg", "Baku", "Moscow"}  # both state these
    assert not any(f.side == "both-differ" for f in result.facts)
    nine = [f for f in result.facts if f.value == "9"]
    assert "nine were arrested" in nine[0].detail


def test_the_seed_comparison_accounts_for_every_sentence_once():
    kyiv, other = load_seed_files(REPO / "seeds")
    result = compare(kyiv.title, kyiv.text, other.title, other.text)
    assert Counter([p.a for p in result.shared] + result.only_a) == Counter(sentences(kyiv.text))
    assert Counter([p.b for p in result.shared] + result.only_b) == Counter(sentences(other.text))
    assert "Rising Tensions Between Baku and Moscow" in result.only_a  # a heading is no report


# -- invented reports -------------------------------------------------------------------------------
def test_paraphrases_are_matched_and_a_differing_toll_is_shown():
    result = compare(*LANDSLIDE_A, *LANDSLIDE_B)
    a_lines, b_lines = sentences(LANDSLIDE_A[1]), sentences(LANDSLIDE_B[1])
    assert [(p.a, p.b) for p in result.shared] == [(a_lines[0], b_lines[0]), (a_lines[2], b_lines[1])]
    assert all(p.score >= MATCH_AT for p in result.shared)
    assert result.only_a == [a_lines[1]] and result.only_b == [b_lines[2]]
    assert Fact("number", "12 vs 14", "both-differ", "A says 12, B says 14") in result.facts
    assert ("place", "Kutaisi") in facts_of(result, "a") and ("place", "Zemo Lukha") in facts_of(result, "a")
    assert facts_of(result, "b") == {("place", "Tbilisi")}
    assert not {"12", "14", "3 May", "May 3"} & {f.value for f in result.facts if f.side != "both-differ"}


def test_number_words_and_digits_are_one_fact():
    a = "Police in Rustavi arrested nine protesters on Saturday after clashes near the city hall."
    b = "Nine people were arrested in Rustavi on Saturday, police said, after 9 hours of clashes."
    result = compare("", a, "", b)
    assert len(result.shared) == 1
    assert ("number", "9") not in facts_of(result, "a") | facts_of(result, "b")
    different = compare("", a, "", b.replace("Nine people", "Eleven people").replace("after 9 hours", "after hours"))
    assert [f.detail for f in different.facts if f.side == "both-differ"] == ["A says 9, B says 11"]


def test_dates_in_any_spelling_are_one_fact():
    texts = ["The parliament in Yerevan will vote on the budget on 9 May.",
             "Yerevan's parliament votes on the budget on May 9, officials said.",
             "The parliament in Yerevan votes on the budget on 2025-05-09."]
    for a in texts:
        for b in texts:
            result = compare("", a, "", b)
            assert len(result.shared) == 1
            assert not any(f.kind == "date" for f in result.facts), (a, b)
    moved = compare("", texts[0], "", texts[1].replace("May 9", "May 16"))
    assert [f.detail for f in moved.facts if f.side == "both-differ"] == ["A says 9 May, B says May 16"]
    russian = compare("", "Выборы пройдут 9 мая в Гюмри.", "", "Выборы в Гюмри назначены на 16 мая.")
    assert ("date", "9 мая") in facts_of(russian, "a") | {(f.kind, f.value.split(" vs ")[0]) for f in russian.facts}


def test_unrelated_sentences_are_not_matched():
    a = "The central bank of Armenia kept its key rate at 7 percent on Tuesday."
    b = "Georgian wine exports to China doubled last year, the statistics office said."
    result = compare("", a, "", b)
    assert result.shared == [] and result.only_a == [a] and result.only_b == [b]


# -- properties -----------------------------------------------------------------------------------
WORDS = st.sampled_from(["Baku", "Ереван", "said", "the", "67", "nine", "9 May", "June 27", "Mr.", "U.S.",
                         "in", "Aliyev", "«цитата»", "**", ".", "!", "\n", "\n\n", " ", "  ", "“", "”", "1.5"])
TEXTS = st.one_of(st.text(), st.lists(WORDS, max_size=50).map(" ".join))


@settings(max_examples=200, deadline=None)
@given(TEXTS, TEXTS, TEXTS, TEXTS)
def test_compare_accounts_for_every_sentence_once_whatever_the_text(a_title, a, b_title, b):
    result = compare(a_title, a, b_title, b)
    assert Counter([p.a for p in result.shared] + result.only_a) == Counter(sentences(a))
    assert Counter([p.b for p in result.shared] + result.only_b) == Counter(sentences(b))
    assert all(p.score >= MATCH_AT for p in result.shared)
    assert all(f.kind in ("number", "date", "name", "place") and f.side in ("a", "b", "both-differ")
               for f in result.facts)
