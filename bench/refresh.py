"""Refresh benchmark: 200 feeds x 50 items on loopback, beside newsboat.

    .venv/bin/python bench/refresh.py [--feeds 200] [--items 50] [--runs 3]

Serves the feeds from 127.0.0.1 (with ETags), then times, as whole commands
(process start included), best of --runs:
  * caucasus-reader refresh, cold (empty archive) and unchanged (every feed 304);
  * newsboat -x reload, cold (empty cache) and unchanged, with reload-threads 8,
    when newsboat is installed (apt-get install newsboat).
Feeds are `regional: true, extract: false`: text from the feeds only, no
relevance filter, so both programs store every item.
Targets: cold faster than newsboat; unchanged under a tenth of newsboat's.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from feedserver import FeedServer, Route, rss  # noqa: E402

WORDS = ("Tbilisi Yerevan Baku parliament minister protest border ceasefire talks election opposition "
         "government agreement Karabakh Syunik Adjara pipeline court journalist statement").split()


def make_feed(n: int, items: int, rng: random.Random) -> bytes:
    return rss([
        {
            "title": " ".join(rng.choice(WORDS) for _ in range(9)),
            "link": f"https://outlet{n}.example/news/{n}-{i}",
            "guid": f"https://outlet{n}.example/news/{n}-{i}",
            "pubDate": f"Mon, {1 + i % 28:02d} Sep 2025 {i % 24:02d}:{n % 60:02d}:00 GMT",
            "description": " ".join(rng.choice(WORDS) for _ in range(80)),
        }
        for i in range(items)
    ], title=f"Outlet {n}")


def timed(command: list[str], **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    command = shutil.which("caucasus-reader", path=str(Path(sys.executable).parent)) or "caucasus-reader"
    newsboat = shutil.which("newsboat")
    rng = random.Random(3)
    work = Path(tempfile.mkdtemp(prefix="cr-refresh-bench-"))
    with FeedServer() as server:
        urls = [server.add(f"/feed/{n}.xml", Route(body=make_feed(n, args.items, rng), etag=f'"{n}-1"'))
                for n in range(args.feeds)]
        config = work / "feeds.yaml"
        config.write_text("feeds:\n" + "".join(
            f"  - url: {u}\n    name: Outlet {n}\n    regional: true\n    extract: false\n" for n, u in enumerate(urls)
        ))
        ours_cold, ours_warm = [], []
        for run in range(args.runs):
            data = work / f"data-{run}"
            ours_cold.append(timed([command, "--config", str(config), "--data-dir", str(data), "refresh"]))
            ours_warm.append(timed([command, "--config", str(config), "--data-dir", str(data), "refresh"]))
        stored = subprocess.run([command, "--config", str(config), "--data-dir", str(work / "data-0"), "stories",
                                 "--json"], capture_output=True, check=True).stdout.count(b'"url"')
        boat_cold = boat_warm = []
        if newsboat:
            (work / "urls").write_text("\n".join(urls) + "\n")
            (work / "newsboat.conf").write_text("reload-threads 8\n")
            boat_cold, boat_warm = [], []
            for run in range(args.runs):
                cache = work / f"cache-{run}.db"
                cmd = [newsboat, "-u", str(work / "urls"), "-c", str(cache), "-C", str(work / "newsboat.conf"),
                       "-x", "reload"]
                boat_cold.append(timed(cmd))
                boat_warm.append(timed(cmd))
        total = args.feeds * args.items
    print(f"{args.feeds} feeds x {args.items} items ({total:,} items) from 127.0.0.1, best of {args.runs}; "
          f"caucasus-reader stored {stored - 2:,} articles (+2 seeds)\n")
    print(f"{'':34}{'caucasus-reader':>16}{'newsboat 2.x':>14}{'ratio':>9}   target")
    for label, ours, theirs, target in (
        ("cold refresh (empty archive)", ours_cold, boat_cold, "< 1.0 (faster)"),
        ("unchanged refresh (all 304)", ours_warm, boat_warm, "< 0.1"),
    ):
        mine = min(ours)
        if theirs:
            other = min(theirs)
            print(f"{label:34}{mine:>14.2f} s{other:>12.2f} s{mine / other:>9.2f}   {target}")
        else:
            print(f"{label:34}{mine:>14.2f} s{'(not installed)':>14}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
