"""Storage benchmark: a 50,000-article archive, the operations users feel.

    .venv/bin/python bench/store.py [--articles 50000] [--keep DIR]

Prints, for an archive of that size on this machine:
  * inserting a batch of 1,000 new articles (texts included),
    their grouping features computed beforehand, as refresh's
    worker processes do                                        target < 1 s
  * opening the archive and building the story list, in a
    fresh process (no article text read)                       target < 0.3 s
  * marking one article read, persisted (fsync'd)              target < 5 ms
  * choosing the articles due a recheck, and storing a batch of
    200 recheck results (unchanged pages; pages with an edit)
and, for scale, plain TinyDB (JSONStorage) updating one document at 2,000.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tinydb import Query, TinyDB

from tui.pipeline import group_features
from tui.store import CheckResult, NewArticle, Store, utc_now

WORDS = (
    "Tbilisi Yerevan Baku parliament minister protest border ceasefire talks election "
    "opposition government agreement Karabakh Syunik Adjara pipeline court journalist "
    "statement president visit Brussels Moscow Ankara sanctions energy corridor"
).split()


def fake_article(n: int, rng: random.Random) -> NewArticle:
    text = " ".join(rng.choice(WORDS) for _ in range(450))  # about 3 KB, a short news item
    return NewArticle(
        key=f"https://outlet{n % 40}.example/news/{n}",
        url=f"https://outlet{n % 40}.example/news/{n}-{'-'.join(rng.choice(WORDS).lower() for _ in range(6))}",
        title=" ".join(rng.choice(WORDS) for _ in range(10)),
        feed=f"Outlet {n % 40}",
        feed_url=f"https://outlet{n % 40}.example/feed",
        published=f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00+00:00",
        text=text,
        kept=["Tbilisi"],
    )


OPEN_AND_LIST = """
import sys, time
t0 = time.perf_counter()
from tui.store import Store
t1 = time.perf_counter()
store = Store(sys.argv[1])
rows = store.story_rows()
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, len(rows), sum(r.size for r in rows))
"""


def plain_tinydb_update(directory: Path, docs: int = 2000) -> float:
    db = TinyDB(directory / "plain.json")
    rng = random.Random(1)
    # Whole articles in one table, as a plain TinyDB reader would keep them (~9 MB at 2,000).
    db.insert_multiple(
        {"title": " ".join(rng.choice(WORDS) for _ in range(10)), "read": False, "n": i,
         "text": " ".join(rng.choice(WORDS) for _ in range(600))}
        for i in range(docs)
    )
    item = Query()
    times = []
    for i in range(10):
        t = time.perf_counter()
        db.update({"read": True}, item.n == i)
        times.append(time.perf_counter() - t)
    db.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--keep", metavar="DIR", help="build the archive in DIR and keep it")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cr-bench-"))
    data = work / "data"
    rng = random.Random(42)
    store = Store(data)

    t = time.perf_counter()
    existing = store.article_count()
    batch = 1000
    for start in range(existing, args.articles, batch):
        store.add_articles([fake_article(n, rng) for n in range(start, min(start + batch, args.articles))])
    build = time.perf_counter() - t
    print(f"archive: {store.article_count():,} articles in {data} (built in {build:.1f} s)")

    inserts = []
    featuring = []
    sizes_before = []
    for round_ in range(3):
        sizes_before.append(store.article_count())
        fresh = [fake_article(10_000_000 + round_ * batch + i, rng) for i in range(batch)]
        t = time.perf_counter()
        for item in fresh:  # refresh computes these in its worker processes, before the write
            item.features = group_features(item.title, item.text)
        featuring.append(time.perf_counter() - t)
        t = time.perf_counter()
        store.add_articles(fresh)
        inserts.append(time.perf_counter() - t)

    opens = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", OPEN_AND_LIST, str(data)], capture_output=True, text=True,
                             check=True).stdout.split()
        opens.append((float(out[0]), float(out[1]), int(out[2]), int(out[3])))

    ids = list(store._articles.raw())
    marks = []
    for article_id in rng.sample(ids, 300):
        t = time.perf_counter()
        store.set_mark("read", [article_id])
        marks.append(time.perf_counter() - t)
    marks.sort()

    t = time.perf_counter()
    due = store.due_for_recheck(everything=True)
    choose = time.perf_counter() - t
    checks = {}
    for name, edit in (("unchanged", ""), ("edited", " A correction was added at the end.")):
        picked = rng.sample(ids, 200)
        results = [CheckResult(i, utc_now(), title=store.versions(i)[-1]["title"], text=store.text(i) + edit)
                   for i in picked]
        t = time.perf_counter()
        counts = store.record_checks(results)
        checks[name] = (time.perf_counter() - t, counts)

    baseline = plain_tinydb_update(work)
    sizes = {p.name: p.stat().st_size for p in data.glob("*.json")}
    bodies = sum(p.stat().st_size for p in (data / "bodies").glob("*.json"))
    store.close()

    print(f"\n{'measure':58} {'value':>12}  target")
    into = "/".join(format(n, ",") for n in sizes_before)
    print(f"{'insert 1,000 new articles into ' + into + ' (median)':58} "
          f"{statistics.median(inserts) * 1000:>9.0f} ms  < 1000 ms")
    print(f"{'  (before it, their grouping features, on one core (median)':58} "
          f"{statistics.median(featuring) * 1000:>9.0f} ms)")
    import_s, open_s, stories, articles = min(opens, key=lambda o: o[1])
    print(f"{'open archive + build story list, fresh process (best of 3)':58} {open_s * 1000:>9.0f} ms  < 300 ms")
    print(f"{'  (' + format(stories, ',') + ' stories, ' + format(articles, ',') + ' articles; import of tui.store':58} "
          f"{import_s * 1000:>9.0f} ms)")
    print(f"{'mark one article read, persisted: median':58} {statistics.median(marks) * 1000:>9.2f} ms  < 5 ms")
    print(f"{'mark one article read, persisted: 95th percentile':58} {marks[int(len(marks) * 0.95)] * 1000:>9.2f} ms")
    print(f"{'mark one article read, persisted: worst of 300':58} {marks[-1] * 1000:>9.2f} ms")
    print(f"{'articles due a recheck: choose from all (--recheck: ' + format(len(due), ',') + ')':58} "
          f"{choose * 1000:>9.0f} ms")
    for name, (seconds, counts) in checks.items():
        found = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        print(f"{'store 200 recheck results, ' + name + ' (' + found + ')':58} {seconds * 1000:>9.0f} ms")
    print(f"{'plain TinyDB: mark 1 of 2,000 articles read (for scale)':58} {baseline * 1000:>9.1f} ms")
    print("\nfiles: " + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sorted(sizes.items()))
          + f", bodies/ {bodies / 1e6:.0f} MB")
    if not args.keep:
        print(f"(scratch folder {work} can be deleted)")


if __name__ == "__main__":
    main()
