"""Story grouping benchmark: quality on the labelled corpus, and cost at 50,000 articles.

    .venv/bin/python bench/grouping.py quality [--tune] [--errors] [--background N]
    .venv/bin/python bench/grouping.py speed [--articles 50000]

quality: pairwise and B-cubed precision/recall/F1 on tests/data/stories
(dev and test events apart), grouping as `refresh` does (articles added to a
real archive in a temporary folder, outlet by outlet, then settled; also with
the outlets in 3 random orders) and as `regroup` does (all at once, in date
order). --background N also groups each split among N
copies of the other split's articles (so: of other events) as `regroup` does,
spread over the corpus's months, as in a busy archive. --tune searches the
thresholds on the dev events only and prints the best; the shipped values
live in tui/grouping.py.

speed: builds an archive of N articles (the corpus's articles re-dated over
two years, with their names and numbers changed, so that look-alikes abound),
then times adding one new article (median of 200, each in its own write, as a
refresh of one new item does), a refresh of 200 (its writes, then its
settling) and `regroup` of the whole archive.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from stories_corpus import SEED_EVENT, bcubed, load, pairwise  # noqa: E402

from tui import grouping  # noqa: E402
from tui.seeds import load_seed_files  # noqa: E402
from tui.store import NewArticle, Store, normalise_date  # noqa: E402

SEEDS_STORY = "seeds"


def corpus_with_seeds():
    articles = load()
    seeds = load_seed_files(REPO / "seeds")
    return articles, seeds


def stored_features(articles, seeds):
    """Features as the archive stores them: an undated article's date is when it was found (now)."""
    found = datetime.now(timezone.utc).isoformat(timespec="seconds")
    out = {}
    for a in articles:
        moment = normalise_date(a.published)
        out[a.id] = {**grouping.features(a.title, a.text), "d": moment or found, "u": bool(moment)}
    for seed in seeds:
        moment = normalise_date(seed.published)
        out[seed.key] = {**grouping.features(seed.title, seed.text), "d": moment or found, "u": bool(moment)}
    return out


def truth_of(articles, seeds, split):
    truth = {a.id: a.event for a in articles if split in (a.split, "all")}
    if split in ("test", "all"):
        truth.update({seed.key: SEED_EVENT for seed in seeds})
    return truth


def score(truth, found):
    return pairwise(truth, found), bcubed(truth, found)


def by_regroup(features, seeds, ids):
    pins = {seed.key: SEEDS_STORY for seed in seeds if seed.key in ids}
    story, _ = grouping.cluster(((i, features[i]) for i in ids), pins)
    return story


def by_store(articles, seeds, split, rng=None):
    """As refresh does: a real archive, one outlet's batch at a time, in the order feeds arrive
    (by name; or shuffled by ``rng``, the articles of each outlet too), then settled."""
    chosen = [a for a in articles if split in (a.split, "all")]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp))
        ids = {}
        if split in ("test", "all"):
            for seed, sid in zip(seeds, store.add_articles(seeds, story=SEEDS_STORY)):
                ids[sid] = seed.key
        by_outlet = {}
        for a in chosen:
            by_outlet.setdefault(a.outlet, []).append(a)
        outlets = sorted(by_outlet)
        if rng is not None:
            rng.shuffle(outlets)
            for outlet in outlets:
                rng.shuffle(by_outlet[outlet])
        for outlet in outlets:
            batch = [NewArticle(key=a.id, title=a.title, feed=outlet, text=a.text, published=a.published)
                     for a in by_outlet[outlet]]
            for article_id, a in zip(store.add_articles(batch, provisional=True), by_outlet[outlet]):
                ids[article_id] = a.id
        store.settle(ids)  # as a refresh does at its end
        stories = {}
        for row in store.stories_json():
            for art in row["articles"]:
                stories[ids[art["id"]]] = row["id"]
        return stories


def report(name, truth, found):
    (pp, pr, pf), (bp, br, bf) = score(truth, found)
    print(f"  {name:<28} pairwise P {pp:.3f} R {pr:.3f} F1 {pf:.3f}   B-cubed P {bp:.3f} R {br:.3f} F1 {bf:.3f}")
    return pf


def seed_story_report(articles, seeds, found):
    seed_story = found[seeds[0].key]
    events = {a.id: a.event for a in articles}
    intruders = [i for i, s in found.items() if s == seed_story and i in events and events[i] != SEED_EVENT]
    joined = [i for i, s in found.items() if s == seed_story and events.get(i) == SEED_EVENT]
    missing = [a.id for a in articles if a.event == SEED_EVENT and found.get(a.id) != seed_story]
    print(f"  seed story: {len(joined)} articles of the event joined the seeds; "
          f"{len(missing)} missed; {len(intruders)} of other events")
    for i in intruders:
        print(f"    intruder: {i}")


def errors(articles, seeds, features, found):
    titles = {a.id: a.title for a in articles} | {s.key: s.title for s in seeds}
    events = {a.id: a.event for a in articles} | {s.key: SEED_EVENT for s in seeds}
    by_story = {}
    for i, s in found.items():
        by_story.setdefault(s, []).append(i)
    for s, ids in sorted(by_story.items(), key=lambda kv: sorted(kv[1])):
        kinds = {events[i] for i in ids}
        if len(kinds) > 1:
            print(f"  MIXED story {s}:")
            for i in sorted(ids):
                print(f"     {events[i]:<34} {titles[i][:80]}")
    by_event = {}
    for i in found:
        by_event.setdefault(events[i], set()).add(found[i])
    for e, stories in sorted(by_event.items()):
        if len(stories) > 1:
            print(f"  SPLIT event {e}: " + " | ".join(
                ",".join(sorted(i.split('/')[-1] for i in found if found[i] == s and events[i] == e))
                for s in sorted(stories)))


TUNABLE = {
    "JOIN_AT": [0.27, 0.29, 0.31, 0.33, 0.35, 0.37, 0.39],
    "BEST_LINK": [0.3, 0.6, 1.0],
    "NAME_MIX": [0.0, 0.2, 0.4],
    "SAME_DAYS": [2.0, 4.0],
    "LONE_JOIN": [False, True],
    "MERGE_AT": [0.45],
    "ANCHOR_MIX": [0.2],
    "TITLE_MIX": [0.0],
    "CROSS_LANGUAGE": [1.0],
    "FADE_DAYS": [8.0],
}


def tune(articles, seeds, features):
    """The thresholds that group the dev events best, both ways (regroup and refresh).

    Each setting scores the sum of its two pairwise F1s, averaged with its
    neighbours' on the JOIN_AT scale: a setting that is good only at one exact
    threshold is luck on a small corpus, not a choice.
    """
    truth = truth_of(articles, seeds, "dev")
    dev = list(truth)
    scores = {}
    saved = {k: getattr(grouping, k) for k in TUNABLE}
    try:
        for values in itertools.product(*TUNABLE.values()):
            params = dict(zip(TUNABLE, values))
            for k, v in params.items():
                setattr(grouping, k, v)
            both = score(truth, by_regroup(features, seeds, dev))[0][2] + score(truth, by_store(articles, seeds, "dev"))[0][2]
            scores[values] = both
    finally:
        for k, v in saved.items():
            setattr(grouping, k, v)
    joins = TUNABLE["JOIN_AT"]

    def smoothed(values):
        at = joins.index(values[0])
        near = [scores[(j,) + values[1:]] for j in joins[max(0, at - 1): at + 2]]
        return sum(near) / len(near)

    best = max(scores, key=lambda v: (round(smoothed(v), 4), round(scores[v], 4)))
    params = dict(zip(TUNABLE, best))
    print(f"best on dev: pairwise F1 regroup + refresh {scores[best]:.3f} of 2 "
          f"({smoothed(best):.3f} with its JOIN_AT neighbours) with {params}")
    return params


def quality(args):
    articles, seeds = corpus_with_seeds()
    events = {a.event for a in articles}
    print(f"corpus: {len(articles)} articles ({sum(a.lang == 'ru' for a in articles)} in Russian), "
          f"{len(events)} events, plus the 2 seeds; dev {sum(a.split == 'dev' for a in articles)}, "
          f"test {sum(a.split == 'test' for a in articles)} articles")
    t = time.perf_counter()
    features = stored_features(articles, seeds)
    took = time.perf_counter() - t
    print(f"features: {took / len(features) * 1000:.2f} ms per article")
    if args.tune:
        params = tune(articles, seeds, features)
        for k, v in params.items():
            setattr(grouping, k, v)
    print("thresholds: " + ", ".join(f"{k} {getattr(grouping, k)}" for k in TUNABLE))
    for split in ("dev", "test", "all"):
        print(f"{split}:")
        truth = truth_of(articles, seeds, split)
        ids = list(truth)
        found = by_regroup(features, seeds, ids)
        report("regroup (date order)", truth, found)
        if split != "dev":
            seed_story_report(articles, seeds, found)
        stored = by_store(articles, seeds, split)
        report("refresh (outlet by outlet)", truth, stored)
        if split != "dev":
            seed_story_report(articles, seeds, stored)
        shuffled = [score(truth, by_store(articles, seeds, split, random.Random(k)))[0][2] for k in range(3)]
        print(f"  refresh, the feeds in 3 other orders: pairwise F1 {min(shuffled):.3f} to {max(shuffled):.3f}")
        if args.errors:
            errors(articles, seeds, features, stored)
    if args.background:
        at_scale(articles, seeds, features, args.background)


def at_scale(articles, seeds, features, n):
    """Each split's events among N other articles: copies of the other split's (other events,
    of the same kinds), names and numbers changed, spread over the corpus's months."""
    dates = sorted(f["d"] for f in features.values() if f["u"])
    start = datetime.fromisoformat(dates[0]) - timedelta(days=30)
    days = (datetime.fromisoformat(dates[-1]) - start).days + 30
    print(f"among {n:,} other articles ({start:%Y-%m} to {start + timedelta(days=days):%Y-%m}), as regroup groups them:")
    for split, other in (("dev", "test"), ("test", "dev")):
        base = [a for a in articles if a.split == other]
        crowd = [(f"background:{i}", {**grouping.features(item.title, item.text), "d": item.published, "u": True})
                 for i, item in enumerate(synthetic(base, n, random.Random(11), start, days))]
        truth = truth_of(articles, seeds, split)
        pins = {seed.key: SEEDS_STORY for seed in seeds if seed.key in truth}
        t = time.perf_counter()
        story, _ = grouping.cluster([(i, features[i]) for i in truth] + crowd, pins)
        took = time.perf_counter() - t
        report(f"{split} events ({took:.0f} s)", truth, {i: story[i] for i in truth})
        if split == "test":
            seed_story_report(articles, seeds, story)
            crowded = sum(1 for i, s in story.items() if s == story[seeds[0].key] and i.startswith("background:"))
            print(f"  seed story: {crowded} of the other articles")


# -- speed -----------------------------------------------------------------------
def synthetic(articles, n, rng, start=datetime(2024, 1, 1, tzinfo=timezone.utc), days=2 * 365):
    """N articles made from the corpus: re-dated over two years, names and numbers changed."""
    words = sorted({w for a in articles for w in a.text.split() if w[:1].isupper() and len(w) > 4})
    out = []
    for i in range(n):
        base = articles[i % len(articles)]
        text = base.text
        for _ in range(3):  # other names, so copies are look-alikes, not duplicates
            text = text.replace(rng.choice(words), rng.choice(words))
        text = text.replace("2025", str(rng.randint(2000, 2030))) + f" {rng.randint(10, 999)} people."
        when = start + timedelta(minutes=rng.randint(0, days * 24 * 60))
        out.append(NewArticle(key=f"synthetic:{i}", title=base.title, feed=base.outlet, text=text,
                              published=when.isoformat()))
    return out


def speed(args):
    articles, seeds = corpus_with_seeds()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp))
        items = synthetic(articles, args.articles, rng)
        t = time.perf_counter()
        from tui.pipeline import group_features
        for item in items:
            item.features = group_features(item.title, item.text)
        took = time.perf_counter() - t
        print(f"features of {len(items):,} articles: {took:.1f} s ({took / len(items) * 1000:.2f} ms each, one core)")
        t = time.perf_counter()
        for chunk in range(0, len(items), 1000):
            store.add_articles(items[chunk: chunk + 1000])
        took = time.perf_counter() - t
        print(f"archive of {store.article_count():,} articles built in {took:.1f} s "
              f"(grouped as added, in batches of 1,000)")
        print(f"stories: {len(store.story_rows()):,}")
        extra = synthetic(articles, 200, random.Random(11))
        for item in extra:
            item.features = group_features(item.title, item.text)
        # One new article per write, as a refresh bringing one item does; the
        # first write also loads the months around it.
        times = []
        for n, item in enumerate(extra):
            item.key = f"new:{n}"
            t = time.perf_counter()
            store.add_articles([item])
            times.append(time.perf_counter() - t)
        print(f"add one new article (write included), median of 200: {statistics.median(times) * 1000:.1f} ms; "
              f"first (months loaded from disk): {times[0] * 1000:.0f} ms")
        # A refresh bringing 200 articles: stored in four writes as feeds answer, then
        # placed again together (Store.settle).
        brought = synthetic(articles, 200, random.Random(13))
        for n, item in enumerate(brought):
            item.key = f"refresh:{n}"
            item.features = group_features(item.title, item.text)
        t = time.perf_counter()
        ids = []
        for chunk in range(0, len(brought), 50):
            ids += store.add_articles(brought[chunk: chunk + 50], provisional=True)
        writes = time.perf_counter() - t
        t = time.perf_counter()
        moved = store.settle(ids)
        print(f"a refresh of 200 new articles: 4 writes {writes:.2f} s, then placed again together "
              f"{time.perf_counter() - t:.2f} s ({moved} changed story)")
        fresh = Store(Path(tmp))
        item = synthetic(articles, 1, random.Random(99))[0]
        item.key = "new:fresh"
        item.features = group_features(item.title, item.text)
        t = time.perf_counter()
        fresh.add_articles([item])
        print(f"add one new article in a new process (loads its months): {(time.perf_counter() - t) * 1000:.0f} ms")
        for count in (1, 10):  # an undated article's date is found by reading every month
            undated = Store(Path(tmp))
            batch = synthetic(articles, count, random.Random(98 + count))
            for n, item in enumerate(batch):
                item.key, item.published = f"new:undated:{count}:{n}", None
                item.features = group_features(item.title, item.text)
            t = time.perf_counter()
            undated.add_articles(batch)
            print(f"add {count} undated article{'s' if count > 1 else ''} in one write, in a new process: "
                  f"{(time.perf_counter() - t) * 1000:.0f} ms")
        place = []
        index = fresh._groups
        for item in extra[:200]:
            moment = normalise_date(item.published)
            doc = grouping.make_doc("probe", {**item.features, "d": moment, "u": True}, "")
            t = time.perf_counter()
            index.place(doc, moment)
            place.append(time.perf_counter() - t)
        print(f"placing one article (grouping decision alone), median of 200: {statistics.median(place) * 1000:.2f} ms")
        t = time.perf_counter()
        summary = fresh.regroup()
        print(f"regroup of {fresh.article_count():,} articles: {time.perf_counter() - t:.1f} s ({summary})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--tune", action="store_true")
    q.add_argument("--errors", action="store_true")
    q.add_argument("--background", type=int, default=0, metavar="N",
                   help="also group each split among N other articles (copies of the other split's)")
    s = sub.add_parser("speed")
    s.add_argument("--articles", type=int, default=50_000)
    args = parser.parse_args()
    quality(args) if args.what == "quality" else speed(args)


if __name__ == "__main__":
    main()
