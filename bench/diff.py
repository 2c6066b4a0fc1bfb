"""Versions and outlets compared: how long word_diff, summarise and compare take.

    .venv/bin/python bench/diff.py [--words 3000] [--runs 50] [--seed 7]

Two versions of an invented article of about --words words (sentences made
from South Caucasus news parts), the second edited as outlets edit: a few
sentences rewritten, numbers corrected, a quote added, a paragraph removed and
one added. Times word_diff and summarise of the pair (median of --runs), and
compare of two invented reports of one event of about 800 words each. The
target is a diff of two 3,000-word versions in under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tui.compare import compare  # noqa: E402
from tui.diffing import side_by_side, summarise, word_count, word_diff  # noqa: E402

WHO = ["The foreign ministry", "Prime Minister Tamar Beridze", "Opposition leader Arsen Vardanyan",
       "The border service", "Residents of Kazakh district", "A spokesman for the EU mission",
       "The central bank", "Farmers near Gyumri", "Officials in Ganja", "The Georgian parliament",
       "Analysts in Tbilisi", "Deputy Minister Rauf Gasimov"]
DID = ["said on Tuesday that", "warned that", "confirmed that", "denied reports that",
       "told journalists that", "announced that", "insisted that", "estimated that"]
WHAT = ["{n} people were detained near the checkpoint", "the talks would resume in {month}",
        "the new road to Lachin would cost {n} million manats", "prices rose by {n} percent in a year",
        "{n} villages were still without gas", "the commission had met {n} times since spring",
        "the river crossing at Sadakhlo would open to trucks", "a delegation of {n} observers was expected",
        "the customs queue stretched for {n} kilometres", "the court had adjourned the case again",
        "exports of wine grew by {n} percent", "the ceasefire line had been quiet for {n} days"]
MONTHS = ["March", "April", "May", "September", "October"]


def sentence(rng: random.Random) -> str:
    what = rng.choice(WHAT).format(n=rng.randint(2, 900), month=rng.choice(MONTHS))
    return f"{rng.choice(WHO)} {rng.choice(DID)} {what}."


def article(rng: random.Random, words: int) -> list[list[str]]:
    """Paragraphs of sentences, about ``words`` words in all."""
    paragraphs, count = [], 0
    while count < words:
        paragraph = [sentence(rng) for _ in range(rng.randint(3, 6))]
        paragraphs.append(paragraph)
        count += sum(len(s.split()) for s in paragraph)
    return paragraphs


def edited(paragraphs: list[list[str]], rng: random.Random) -> list[list[str]]:
    """The outlet's next version: rewrites, corrections, a quote, one paragraph gone, one new."""
    out = [list(p) for p in paragraphs]
    for _ in range(4):
        p = rng.randrange(len(out))
        out[p][rng.randrange(len(out[p]))] = sentence(rng)
    for _ in range(3):
        p = rng.randrange(len(out))
        s = rng.randrange(len(out[p]))
        words = out[p][s].split()
        digits = [k for k, w in enumerate(words) if w.isdigit()]
        if digits:
            words[digits[0]] = str(int(words[digits[0]]) + rng.randint(1, 40))
            out[p][s] = " ".join(words)
    p = rng.randrange(len(out))
    out[p].append("“We will not accept any delay at the border,” the deputy minister told reporters.")
    del out[rng.randrange(len(out))]
    out.insert(rng.randrange(len(out)), [sentence(rng) for _ in range(4)])
    return out


def text(paragraphs: list[list[str]]) -> str:
    return "\n\n".join(" ".join(p) for p in paragraphs)


def timed(runs: int, work) -> float:
    """Median seconds of ``runs`` calls of ``work``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    first = article(rng, args.words)
    old, new = text(first), text(edited(first, rng))
    print(f"versions: {word_count(old):,} and {word_count(new):,} words")
    ops = word_diff(old, new)
    summary = summarise("Border talks", old, "Border talks resume", new, ops)
    print(f"  {len([k for k, _ in ops if k != '='])} changed ops; {summary.line()}")
    diff = timed(args.runs, lambda: word_diff(old, new))
    both = timed(args.runs, lambda: summarise("Border talks", old, "Border talks resume", new))
    rows = timed(args.runs, lambda: side_by_side(ops))
    print(f"  word_diff: {diff * 1000:.1f} ms; word_diff + summarise: {both * 1000:.1f} ms; "
          f"side_by_side: {rows * 1000:.1f} ms (median of {args.runs}; target under 50 ms)")
    report = article(random.Random(args.seed + 1), 800)
    other = edited(report, random.Random(args.seed + 2))
    a, b = text(report), text(other[::-1])
    result = compare("Border talks", a, "Talks at the border", b)
    took = timed(max(5, args.runs // 5), lambda: compare("Border talks", a, "Talks at the border", b))
    print(f"reports: {word_count(a):,} and {word_count(b):,} words; compare: {took * 1000:.1f} ms "
          f"({len(result.shared)} sentences shared, {len(result.only_a)} only in A, "
          f"{len(result.only_b)} only in B, {len(result.facts)} facts)")


if __name__ == "__main__":
    main()
