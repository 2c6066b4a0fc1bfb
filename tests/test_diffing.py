"""An article's versions compared: real edits or not, the word diff, its summary and layouts.

The articles are invented for these tests (South Caucasus news, made-up facts).
"""

from __future__ import annotations

import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tui.diffing import (
    change_starts,
    number_key,
    same_content,
    side_by_side,
    summarise,
    suspect_fetch,
    word_count,
    word_diff,
)

TITLE = "Border crossing at Sadakhlo reopens after floods"
PARAGRAPHS = [
    "The Sadakhlo crossing between Georgia and Armenia reopened to trucks on Monday, "
    "a week after floods washed away part of the approach road.",
    "The Georgian roads department said 67 lorries had been stuck on the Marneuli side "
    "and that the queue had cleared by the evening.",
    "Drivers told reporters they had waited up to four days. Some slept in their cabins, "
    "others in a school that the village council opened for them.",
    "Armenian customs officials said they would keep two extra lanes open until Friday "
    "to deal with the backlog of 1.5 million tonnes of freight.",
    "The crossing handles most of the road freight between the two countries, "
    "according to the economy ministry in Yerevan.",
]
TEXT = "\n\n".join(PARAGRAPHS)


def with_paragraph(n: int, new: str) -> str:
    return "\n\n".join(new if k == n else p for k, p in enumerate(PARAGRAPHS))


def joined(ops, kinds: str) -> str:
    return "".join(text for kind, text in ops if kind in kinds)


# -- real edits or not ---------------------------------------------------------------------------
def test_whitespace_only_edits_are_the_same_content():
    spaced = "  " + TEXT.replace(" ", "  ").replace("\n\n", "\n \n\n") + "\n"
    assert same_content(TITLE, TEXT, TITLE + " ", spaced)


def test_punctuation_only_edits_are_the_same_content():
    old = 'The minister said "we will reopen it" - soon... It\'s the "main" road.'
    new = "The minister said “we will reopen it” — soon… It’s the «main» road"
    assert same_content(TITLE, old, TITLE + ".", new)


def test_encoding_only_edits_are_the_same_content():
    old = "Azerbaijan’s café in Şəki, a well\u2011known stop"
    entities = "Azerbaijan&rsquo;s caf&eacute; in Şəki, a well-known&nbsp;stop"
    mojibake = "Azerbaijanâ€™s cafÃ© in ÅžÉ™ki, a well-known stop"
    decomposed = "Azerbaijan’s cafe\u0301 in S\u0327əki, a well-kno\u00adwn\u00a0st\u200bop"
    for new in (entities, mojibake, decomposed):
        assert same_content(TITLE, old, TITLE, new), new


def test_changed_words_case_or_headline_are_real_edits():
    assert not same_content(TITLE, TEXT, TITLE, TEXT.replace("67 lorries", "38 lorries"))
    assert not same_content(TITLE, TEXT, TITLE, TEXT.replace("Georgian roads", "georgian roads"))
    assert not same_content(TITLE, TEXT, TITLE.replace("reopens", "closes"), TEXT)
    assert not same_content(TITLE, TEXT, TITLE, TEXT + " The ministry did not comment.")


def test_a_paywall_stub_is_a_suspect_fetch():
    stub = PARAGRAPHS[0] + "\n\nSubscribe to read the rest of this article. Already a member? Sign in."
    reason = suspect_fetch(TEXT, stub)
    assert reason is not None and "words where the last version had" in reason
    assert suspect_fetch(TEXT, "") == "the new text is empty"


def test_a_shorter_text_with_a_sign_in_prompt_is_suspect_though_not_halved():
    teaser = "\n\n".join(PARAGRAPHS[:3]) + "\n\nSign in to continue reading."
    assert word_count(teaser) > word_count(TEXT) / 2
    reason = suspect_fetch(TEXT, teaser)
    assert reason is not None and "'sign in'" in reason


def test_removing_one_paragraph_of_five_is_a_genuine_version():
    assert suspect_fetch(TEXT, "\n\n".join(PARAGRAPHS[:2] + PARAGRAPHS[3:])) is None
    assert suspect_fetch(TEXT, TEXT + "\n\nThe ministry will publish new figures on Friday.") is None
    assert suspect_fetch(TEXT, with_paragraph(4, "Readers can subscribe to the ministry's bulletin.")) is None


# -- the word diff --------------------------------------------------------------------------------
def test_a_headline_edit():
    summary = summarise(TITLE, TEXT, "Sadakhlo crossing reopens to trucks", TEXT)
    assert summary.headline_changed
    assert (summary.old_title, summary.new_title) == (TITLE, "Sadakhlo crossing reopens to trucks")
    assert summary.line() == "headline changed · text unchanged"
    assert not summarise(TITLE, TEXT, TITLE.replace("after", "after,"), TEXT).headline_changed


def test_an_added_sentence_is_one_insertion():
    added = " The ministry said the road would be rebuilt by October."
    new = TEXT.replace("the queue had cleared by the evening.", "the queue had cleared by the evening." + added)
    ops = word_diff(TEXT, new)
    assert [op for op in ops if op[0] != "="] == [("+", added)]
    summary = summarise(TITLE, TEXT, TITLE, new, ops)
    assert (summary.words_added, summary.words_removed) == (10, 0)
    assert summary.line() == "+10 words"


def test_a_corrected_number_is_reported_as_changed():
    new = TEXT.replace("67 lorries", "38 lorries").replace("1.5 million tonnes", "2.1 million tonnes")
    ops = word_diff(TEXT, new)
    assert [op for op in ops if op[0] != "="] == [("-", "67"), ("+", "38"), ("-", "1.5"), ("+", "2.1")]
    summary = summarise(TITLE, TEXT, TITLE, new, ops)
    assert summary.numbers_changed == [("67", "38"), ("1.5 million", "2.1 million")]
    assert summary.numbers_added == summary.numbers_removed == []
    assert summary.line() == "+2 words, −2 words · numbers: 67 → 38, 1.5 million → 2.1 million"


def test_percentages_and_number_words_are_numbers_too():
    old = "Turnout was 42% and four polling stations closed early."
    new = "Turnout was 47% and six polling stations closed early."
    assert summarise("", old, "", new).numbers_changed == [("42%", "47%"), ("four", "six")]
    assert number_key("12 per cent") == number_key("12%") == (12.0, "%")
    assert number_key("nine") == number_key("9") and number_key("$1.5 million") == (1_500_000.0, "")


def test_numbers_merely_added_or_removed_are_not_paired():
    new = TEXT.replace("waited up to four days.", "waited up to four days. At least 12 drivers fell ill.")
    new = new.replace(" of 1.5 million tonnes", "")
    summary = summarise(TITLE, TEXT, TITLE, new)
    assert summary.numbers_changed == []
    assert summary.numbers_added == ["12"]
    assert summary.numbers_removed == ["1.5 million"]


def test_a_removed_paragraph():
    new = "\n\n".join(PARAGRAPHS[:2] + PARAGRAPHS[3:])
    ops = word_diff(TEXT, new)
    assert [kind for kind, _ in ops] == ["=", "-", "="]
    assert ops[1][1].strip() == PARAGRAPHS[2]
    summary = summarise(TITLE, TEXT, TITLE, new, ops)
    assert summary.words_removed == word_count(PARAGRAPHS[2]) and summary.words_added == 0
    assert not summary.mostly_changed


def test_an_added_quote():
    quote = "We will not let the border close again"
    new = with_paragraph(2, PARAGRAPHS[2] + f" “{quote},” the deputy minister, Tamar Beridze, said.")
    summary = summarise(TITLE, TEXT, TITLE, new)
    assert summary.quotes_added == [quote + ","] and summary.quotes_removed == []
    assert summary.line().endswith(" · 1 quote added")
    russian_old = "Министр заявил, что граница откроется."
    russian_new = "Министр заявил: «Граница откроется в пятницу утром». Водители ждут."
    assert summarise("", russian_old, "", russian_new).quotes_added == ["Граница откроется в пятницу утром"]
    moved = summarise("", f"He said “{quote}”.", "", f"“{quote}”, he said.")
    assert moved.quotes_added == moved.quotes_removed == []


def test_a_rewrite_is_mostly_changed():
    rewrite = ("Georgia's roads agency reports that traffic is flowing again at Sadakhlo. Hauliers describe "
               "long delays. Yerevan has promised more customs staff while repairs continue for weeks.")
    summary = summarise(TITLE, TEXT, TITLE, rewrite)
    assert summary.mostly_changed and summary.changed_share > 0.6
    small = summarise(TITLE, TEXT, TITLE, TEXT.replace("Monday", "Tuesday"))
    assert not small.mostly_changed and 0 < small.changed_share < 0.05


def test_the_cleanup_turns_a_rewritten_clause_into_one_deletion_and_one_insertion():
    old = "Officials said the talks in Tbilisi would resume next week after the holiday."
    new = "Officials said the meeting in Baku was postponed until spring after the holiday."
    ops = word_diff(old, new)
    assert ops == [
        ("=", "Officials said the "),
        ("-", "talks in Tbilisi would resume next week"),
        ("+", "meeting in Baku was postponed until spring"),
        ("=", " after the holiday."),
    ]


def test_the_cleanup_keeps_sentences_and_paragraphs_apart():
    old = "Prices rose by 3 percent. Wages fell by 2 percent."
    new = "Prices rose by 5 percent. Wages fell by 4 percent."
    assert [op for op in word_diff(old, new) if op[0] != "="] == [("-", "3"), ("+", "5"), ("-", "2"), ("+", "4")]
    ops = word_diff("Old first.\n\nOld second.", "New first.\n\nNew second.")
    assert [kind for kind, _ in ops].count("-") == 2


def test_side_by_side_aligns_paragraphs():
    new_lead = "Trucks crossed at Sadakhlo again on Monday."
    rewritten = "The ministry in Yerevan did not say how much freight was lost."
    paragraphs = [new_lead, PARAGRAPHS[0], PARAGRAPHS[1], PARAGRAPHS[3], rewritten]
    rows = side_by_side(word_diff(TEXT, "\n\n".join(paragraphs)))

    def text(segments):
        return "".join(t for _, t in segments)

    assert [(text(left), text(right)) for left, right in rows] == [
        ("", new_lead),
        (PARAGRAPHS[0], PARAGRAPHS[0]),
        (PARAGRAPHS[1], PARAGRAPHS[1]),
        (PARAGRAPHS[2], ""),
        (PARAGRAPHS[3], PARAGRAPHS[3]),
        (PARAGRAPHS[4], rewritten),
    ]
    assert rows[0] == ([], [("+", new_lead)]) and rows[3] == ([("-", PARAGRAPHS[2])], [])
    assert {kind for left, _ in rows for kind, _ in left} <= {"=", "-"}
    assert {kind for _, right in rows for kind, _ in right} <= {"=", "+"}


def test_change_starts_point_at_each_change():
    new = TEXT.replace("67 lorries", "38 lorries").replace("on Monday", "on Tuesday") + " Officials agreed."
    ops = word_diff(TEXT, new)
    starts = change_starts(ops)
    assert [ops[n] for n in starts] == [("-", "Monday"), ("-", "67"), ("+", " Officials agreed.")]
    assert change_starts([("+", "a"), ("-", "b"), ("=", "c"), ("-", "d")]) == [0, 3]
    assert change_starts(word_diff(TEXT, TEXT)) == []


def test_long_versions_of_few_distinct_words_are_diffed_exactly():
    """No word is unique here, so nothing anchors the alignment: the fallback must still be exact.

    How fast this is belongs to bench/diff.py, not to a test."""
    rng = random.Random(3)
    words = "the of in and to Baku Tbilisi Yerevan said talks border minister police 12 67 people".split()
    old = " ".join(rng.choice(words) for _ in range(3000))
    edited = old.split()
    for n in range(0, 3000, 150):
        edited[n] = "Gyumri"
    new = " ".join(edited)
    ops = word_diff(old, new)
    assert joined(ops, "=-") == old and joined(ops, "=+") == new
    assert sum(text.count("Gyumri") for kind, text in ops if kind == "+") == 20
    assert summarise("t", old, "t", new, ops).words_added == 20


# -- properties -----------------------------------------------------------------------------------
PIECES = st.sampled_from(["Baku", "Ереван", "the", "67", "1.5", " ", "  ", "\n", "\n\n", ",", ".", "“", "”",
                          "«", "»", "don't", "é", "e\u0301", "\u00a0", "—", "%"])
TEXTS = st.one_of(st.text(), st.lists(PIECES, max_size=60).map("".join))


@settings(max_examples=500, deadline=None)
@given(TEXTS, TEXTS)
@example(":", "::")  # an insertion at the end that could slide left, out of the text
def test_word_diff_gives_back_both_versions(old, new):
    ops = word_diff(old, new)
    assert joined(ops, "=-") == old
    assert joined(ops, "=+") == new
    assert all(text for _, text in ops)
    assert all(ops[n][0] != ops[n + 1][0] for n in range(len(ops) - 1))
    assert all((a, b) != ("+", "-") for (a, _), (b, _) in zip(ops, ops[1:]))


@settings(max_examples=200, deadline=None)
@given(TEXTS, TEXTS, TEXTS, TEXTS)
def test_summaries_agree_with_their_ops(old_title, old, new_title, new):
    ops = word_diff(old, new)
    summary = summarise(old_title, old, new_title, new, ops)
    assert summary.words_added == sum(word_count(t) for k, t in ops if k == "+")
    assert summary.words_removed == sum(word_count(t) for k, t in ops if k == "-")
    assert summary.words_added - summary.words_removed == word_count(new) - word_count(old)
    assert 0.0 <= summary.changed_share <= 1.0
    assert summary.line()


@settings(max_examples=200, deadline=None)
@given(TEXTS, TEXTS)
def test_side_by_side_keeps_every_paragraph_once(old, new):
    ops = word_diff(old, new)
    rows = side_by_side(ops)
    left = ["".join(t for _, t in row) for row, _ in rows if row]
    right = ["".join(t for _, t in row) for _, row in rows if row]
    assert "\n".join(left).split() == old.split() and "\n".join(right).split() == new.split()
    assert all(left or right for left, right in rows)
