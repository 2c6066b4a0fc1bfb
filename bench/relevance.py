"""Relevance filter benchmark: quality on the labelled set, and speed.

    .venv/bin/python bench/relevance.py [--errors]

Prints precision, recall and F1 of RelevanceFilter on tests/data/relevance.yaml
(all items, and the held-out half the tests keep apart: odd indices), then
judge() throughput on the set's items and on a 5,000-word article, and the
cost of building a filter (cold: first in the process; warm: every later one).
--errors lists the items judged wrongly, with the filter's reason.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tui.relevance import RelevanceFilter  # noqa: E402

LABELLED = REPO / "tests" / "data" / "relevance.yaml"


def quality(items, verdicts) -> tuple[float, float, float]:
    tp = sum(1 for item, v in zip(items, verdicts) if v.kept and item["relevant"])
    fp = sum(1 for item, v in zip(items, verdicts) if v.kept and not item["relevant"])
    fn = sum(1 for item, v in zip(items, verdicts) if not v.kept and item["relevant"])
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def long_article(words: int, rng: random.Random) -> str:
    vocabulary = (
        "the government said on Tuesday that talks would continue next week while officials in "
        "several capitals warned about energy prices inflation and the war in Ukraine analysts "
        "expect growth to slow as exports fall and the central bank keeps rates high"
    ).split()
    text = [rng.choice(vocabulary) for _ in range(words)]
    for i in range(0, words, 97):
        text[i] = text[i].capitalize() + "."
    text[-40] = "Armenia"
    return " ".join(text)


def per_second(judge, runs: int) -> float:
    start = time.perf_counter()
    for _ in range(runs):
        judge()
    return runs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list the items judged wrongly")
    args = parser.parse_args()

    start = time.perf_counter()
    relevance = RelevanceFilter(["Caspian"])
    cold = time.perf_counter() - start
    warm = min(_timed(lambda: RelevanceFilter(["Caspian", "Lapis Lazuli corridor"])) for _ in range(20))
    relevance = RelevanceFilter()

    items = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    verdicts = [relevance.judge(i["title"], i.get("summary", ""), i.get("text", "")) for i in items]
    held_out = [k for k in range(len(items)) if k % 2 == 1]

    print(f"labelled set: {len(items)} items, {sum(i['relevant'] for i in items)} relevant")
    for label, chosen in (("all", range(len(items))), ("held-out half", held_out)):
        p, r, f = quality([items[k] for k in chosen], [verdicts[k] for k in chosen])
        print(f"  {label:14} precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")

    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        for i in items:
            relevance.judge(i["title"], i.get("summary", ""), i.get("text", ""))
    rate = rounds * len(items) / (time.perf_counter() - start)
    article = long_article(5000, random.Random(7))
    long_rate = per_second(lambda: relevance.judge("Markets weekly", "", article), 50)
    print(f"judge(): {rate:,.0f} items/s on the labelled set ({1000 / rate:.3f} ms each); "
          f"a 5,000-word article: {1000 / long_rate:.2f} ms")
    print(f"RelevanceFilter(): {cold * 1000:.0f} ms cold (loads and compiles the gazetteer), "
          f"{warm * 1000:.2f} ms warm")

    if args.errors:
        for item, verdict in zip(items, verdicts):
            if verdict.kept != item["relevant"]:
                kind = "missed" if item["relevant"] else "wrongly kept"
                print(f"- {kind}: {item['title']}\n    {verdict.score:.2f} {verdict.terms} {verdict.reason}"
                      f"\n    label note: {item['note']}")


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
