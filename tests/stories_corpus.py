"""The labelled story-grouping corpus (tests/data/stories/*.yaml) and its scores.

Used by tests/test_grouping.py and bench/grouping.py. Each file lists events,
each with its articles; every article is invented for the corpus. An event's
``split`` (dev or test) keeps the events used to choose the thresholds apart
from those that score them. The two seed articles belong to the event
``az-cancels-russian-culture`` (test split).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "data" / "stories"
SEED_EVENT = "az-cancels-russian-culture"


@dataclass(frozen=True)
class Labelled:
    id: str
    event: str
    split: str
    topic: str | None
    outlet: str
    lang: str
    published: str | None
    title: str
    text: str


def load() -> list[Labelled]:
    articles = []
    for path in sorted(CORPUS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for event in data["events"]:
            for n, item in enumerate(event["articles"]):
                published = item.get("published")
                articles.append(Labelled(
                    id=f"{event['id']}/{n}", event=event["id"], split=event["split"],
                    topic=event.get("topic"), outlet=item["outlet"], lang=item["lang"],
                    published=str(published) if published else None,
                    title=item["title"].strip(), text=item["text"].strip(),
                ))
    return articles


def pairwise(truth: dict[str, str], found: dict[str, str]) -> tuple[float, float, float]:
    """Precision, recall and F1 over pairs of articles put in one story."""
    ids = sorted(truth)
    tp = fp = fn = 0
    for a, b in itertools.combinations(ids, 2):
        same_truth, same_found = truth[a] == truth[b], found[a] == found[b]
        tp += same_truth and same_found
        fp += same_found and not same_truth
        fn += same_truth and not same_found
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, _f1(precision, recall)


def bcubed(truth: dict[str, str], found: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1: per article, how pure and how complete its story is."""
    by_truth: dict[str, set[str]] = {}
    by_found: dict[str, set[str]] = {}
    for i in truth:
        by_truth.setdefault(truth[i], set()).add(i)
        by_found.setdefault(found[i], set()).add(i)
    precision = recall = 0.0
    for i in truth:
        mine, real = by_found[found[i]], by_truth[truth[i]]
        both = len(mine & real)
        precision += both / len(mine)
        recall += both / len(real)
    precision, recall = precision / len(truth), recall / len(truth)
    return precision, recall, _f1(precision, recall)


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
