"""Which settings extract_page uses, and why: every candidate scored against gold text.

    .venv/bin/python bench/extract_settings.py [--pages DIR] [--runs N] [--verbose]

The pages are tests/data/pages/NAME.html, each with its gold text
NAME.expected.txt (the article's paragraphs, one a line) and NAME.meta.yaml
(title, published, and `planted`: boilerplate strings on the page that must
not reach the text). For each candidate configuration it prints, as a mean
over the pages:

  P  R  F1      token precision / recall / F1 against the gold, bag of words
  LCS-F1        the same counting only the longest common token subsequence,
                so text in the wrong order or repeated does not score
  min F1        the worst page; <0.9: how many pages are under 0.9
  leaks         planted boilerplate strings found in the extracted text
  ms/page       CPU time per page, one process, the quickest reading: a rough
                guide (bench/extract.py measures throughput properly)

The row marked * is what extract_page does: tui.extract.FAST_PASS; FULL_PASS
when that result is in doubt; RECALL_PASS when it is still a sliver. Every
configuration reads the pages --runs times (default 4) and is scored on the
last reading: the app re-reads articles on every refresh to spot edits, and a
setting whose output changes with repetition (trafilatura's process-wide
duplicate filter) shows it there.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from tui import extract as X  # noqa: E402

PAGES = REPO / "tests" / "data" / "pages"
WORD = re.compile(r"\w+")


# --- the corpus and the scores (tests/test_extract.py uses these too) --------------------


@dataclass(frozen=True)
class Page:
    name: str
    html: bytes
    gold: str  # one paragraph a line
    meta: dict


def load_pages(folder: Path = PAGES) -> list[Page]:
    pages = []
    for path in sorted(folder.glob("*.html")):
        meta_path = path.with_name(path.stem + ".meta.yaml")
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        gold = path.with_name(path.stem + ".expected.txt").read_text(encoding="utf-8")
        pages.append(Page(path.stem, path.read_bytes(), gold, meta or {}))
    return pages


def tokens(text: str) -> list[str]:
    return WORD.findall(text.lower())


def _prf(overlap: int, extracted: int, gold: int) -> tuple[float, float, float]:
    if extracted == 0 and gold == 0:
        return 1.0, 1.0, 1.0
    precision = overlap / extracted if extracted else 0.0
    recall = overlap / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def token_scores(extracted: str, gold: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the extracted words against the gold words (multisets)."""
    got, want = Counter(tokens(extracted)), Counter(tokens(gold))
    return _prf(sum((got & want).values()), sum(got.values()), sum(want.values()))


def lcs_scores(extracted: str, gold: str) -> tuple[float, float, float]:
    """As token_scores, but only words in the longest common subsequence count."""
    got, want = tokens(extracted), tokens(gold)
    matcher = difflib.SequenceMatcher(None, got, want, autojunk=False)
    overlap = sum(block.size for block in matcher.get_matching_blocks())
    return _prf(overlap, len(got), len(want))


def leaks(extracted: str, page: Page) -> list[str]:
    return [planted for planted in page.meta.get("planted", []) if planted in extracted]


# --- the candidates --------------------------------------------------------------------------------

BALANCED_FULL = dict(X._COMMON, fast=False)
BALANCED_FAST = dict(X._COMMON, fast=True)


def bare(**options):
    def run(html: bytes) -> str:
        import trafilatura

        return trafilatura.extract(html, **options) or ""

    return run


def pipeline(first: dict, full: dict | None, recall: dict | None, **steps):
    return lambda html: X._extract(html, None, first, full, recall, **steps).text


CANDIDATES = [
    # (name, what it is, function from page bytes to text)
    ("bare default", "trafilatura.extract(html), default settings", bare()),
    ("bare no-comments", "include_comments=False", bare(include_comments=False)),
    ("bare precision", "favor_precision, no comments", bare(favor_precision=True, include_comments=False)),
    ("bare recall", "favor_recall, no comments", bare(favor_recall=True, include_comments=False)),
    ("bare fast", "fast (no readability/justext fallback), no comments", bare(fast=True, include_comments=False)),
    ("bare precision+fast", "favor_precision + fast, no comments",
     bare(favor_precision=True, fast=True, include_comments=False)),
    ("bare no-tables", "include_tables=False, no comments", bare(include_tables=False, include_comments=False)),
    ("bare dedup", "deduplicate=True, no comments", bare(deduplicate=True, include_comments=False)),
    ("pipe balanced", "our pipeline; balanced pass with fallback, recall retry",
     pipeline(BALANCED_FULL, None, X.RECALL_PASS)),
    ("pipe balanced+fast", "our pipeline; balanced fast pass, full when in doubt, recall retry",
     pipeline(BALANCED_FAST, BALANCED_FULL, X.RECALL_PASS)),
    ("pipe precision-full", "our pipeline; precision pass with fallback always, recall retry",
     pipeline(X.FULL_PASS, None, X.RECALL_PASS)),
    ("pipe fast-only", "our pipeline; precision fast pass only", pipeline(X.FAST_PASS, None, None)),
    ("pipe no-full", "as chosen, no full pass (fast, then recall retry)", pipeline(X.FAST_PASS, None, X.RECALL_PASS)),
    ("pipe no-recall", "as chosen, no recall retry", pipeline(X.FAST_PASS, X.FULL_PASS, None)),
    ("pipe keep-tables", "as chosen, layout tables left as tables",
     pipeline(X.FAST_PASS, X.FULL_PASS, X.RECALL_PASS, unwrap_tables=False)),
    ("pipe keep-boxes", "as chosen, paywall/sign-up/read-also boxes not pruned",
     pipeline(X.FAST_PASS, X.FULL_PASS, X.RECALL_PASS, prune_boxes=False)),
    ("pipe raw-lines", "as chosen, no headline/byline/widget line clean-up",
     pipeline(X.FAST_PASS, X.FULL_PASS, X.RECALL_PASS, clean_lines=False)),
    ("* extract_page", "CHOSEN: tui.extract.extract_page", lambda html: X.extract_page(html).text),
]


@dataclass
class Row:
    name: str
    p: float
    r: float
    f1: float
    lcs_f1: float
    min_f1: float
    under: int
    leaked: int
    ms: float
    per_page: dict


def evaluate(run, pages: list[Page], runs: int) -> Row:
    """Read every page `runs` times; score the last reading, time the quickest."""
    elapsed = float("inf")
    for _ in range(runs):
        started = time.process_time()
        texts = [run(page.html) for page in pages]
        elapsed = min(elapsed, time.process_time() - started)
    scores = [token_scores(text, page.gold) for text, page in zip(texts, pages)]
    ordered = [lcs_scores(text, page.gold)[2] for text, page in zip(texts, pages)]
    n = len(pages)
    f1s = [s[2] for s in scores]
    return Row(
        name="",
        p=sum(s[0] for s in scores) / n,
        r=sum(s[1] for s in scores) / n,
        f1=sum(f1s) / n,
        lcs_f1=sum(ordered) / n,
        min_f1=min(f1s),
        under=sum(f < 0.9 for f in f1s),
        leaked=sum(len(leaks(text, page)) for text, page in zip(texts, pages)),
        ms=1000 * elapsed / n,
        per_page={page.name: (score, leaks(text, page)) for page, score, text in zip(pages, scores, texts)},
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--verbose", action="store_true", help="per-page scores of the chosen configuration")
    args = parser.parse_args(argv)

    import logging

    logging.disable(logging.WARNING)  # trafilatura logs every discarded page
    pages = load_pages(args.pages)
    X.extract_page(pages[0].html)  # warm up imports and caches outside the timings
    print(f"{len(pages)} pages from {args.pages}, scored on reading {args.runs} of each\n")
    header = (f"{'configuration':22} {'P':>6} {'R':>6} {'F1':>6} {'LCS-F1':>7} {'min F1':>7} {'<0.9':>5} "
              f"{'leaks':>6} {'ms/page':>8}")
    print(header)
    print("-" * len(header))
    rows = []
    for name, description, run in CANDIDATES:
        row = evaluate(run, pages, args.runs)
        row.name = name
        rows.append((row, description))
        print(f"{name:22} {row.p:6.3f} {row.r:6.3f} {row.f1:6.3f} {row.lcs_f1:7.3f} {row.min_f1:7.3f} "
              f"{row.under:5d} {row.leaked:6d} {row.ms:8.2f}")
    print()
    for row, description in rows:
        print(f"  {row.name:22} {description}")
    chosen = rows[-1][0]
    print(f"\nchosen (*): 1. {X.FAST_PASS}\n"
          f"            2. in doubt (sliver, or under {X.DOUBT_SHARE:.0%} of the page's <p> words): {X.FULL_PASS}\n"
          f"            3. still a sliver: {X.RECALL_PASS}")
    print(f"chosen scores: P={chosen.p:.3f} R={chosen.r:.3f} F1={chosen.f1:.3f} "
          f"(bare default F1={rows[0][0].f1:.3f})")
    if args.verbose:
        print("\nper page (chosen):")
        for name, ((p, r, f1), leaked) in chosen.per_page.items():
            print(f"  {name:34} P={p:.3f} R={r:.3f} F1={f1:.3f}" + (f"  leaks: {leaked}" if leaked else ""))


if __name__ == "__main__":
    main()
