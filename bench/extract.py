"""Extraction throughput: extract_page against bare trafilatura.extract, per core.

    .venv/bin/python bench/extract.py [--seconds 6] [--pages DIR]

Both read the same pages (tests/data/pages) in one process. The target
(guide/PRODUCT.md): extract_page keeps at least 90% of the pages per second of
bare ``trafilatura.extract(html)`` with its default settings. extract_page does
more per page (charset detection, headline and date, layout-table and
boilerplate-box clean-up, a second pass for slivers) and saves elsewhere
(no comment extraction).

The two are timed in alternating rounds of CPU time, so that a neighbour's
load on this machine falls on both alike, and the median round of each is
reported.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run from a checkout without installing

import trafilatura  # noqa: E402

from tui.extract import extract_page  # noqa: E402

TARGET = 0.90


def bare(html: bytes) -> None:
    trafilatura.extract(html)


def ours(html: bytes) -> None:
    extract_page(html)


def one_round(run, pages: list[bytes]) -> float:
    """Pages per CPU second for one pass over all pages. CPU time of this
    process, not wall time: per-core throughput, unmoved by time spent
    descheduled while other processes use the core."""
    started = time.process_time()
    for html in pages:
        run(html)
    return len(pages) / (time.process_time() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="total time to spend measuring")
    parser.add_argument("--pages", type=Path, default=REPO / "tests" / "data" / "pages")
    args = parser.parse_args(argv)

    logging.disable(logging.WARNING)  # trafilatura logs every discarded page
    pages = [path.read_bytes() for path in sorted(args.pages.glob("*.html"))]
    for html in pages:  # warm-up: imports, compiled expressions, caches
        bare(html)
        ours(html)

    rates: dict[str, list[float]] = {"bare": [], "ours": []}
    deadline = time.perf_counter() + args.seconds
    flip = False
    while time.perf_counter() < deadline or len(rates["bare"]) < 5:
        order = (("ours", ours), ("bare", bare)) if flip else (("bare", bare), ("ours", ours))
        for name, run in order:
            rates[name].append(one_round(run, pages))
        flip = not flip

    bare_rate, our_rate = statistics.median(rates["bare"]), statistics.median(rates["ours"])
    ratio = our_rate / bare_rate
    size = sum(len(html) for html in pages) / len(pages) / 1024
    print(f"{len(pages)} pages (mean {size:.1f} KB), {len(rates['bare'])} alternating rounds each, one process")
    print(f"bare trafilatura.extract(html)  {bare_rate:8.1f} pages per CPU second")
    print(f"tui.extract.extract_page(html)  {our_rate:8.1f} pages per CPU second")
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(f"ratio                           {ratio:8.2f}   (target >= {TARGET:.2f}: {verdict})")


if __name__ == "__main__":
    main()
