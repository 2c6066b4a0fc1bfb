"""One refresh cycle: every feed fetched, new items kept, their text extracted, stored.

Network work runs concurrently on one event loop; parsing, relevance and
extraction run in a pool of worker processes (one per core) so they neither
block the fetchers nor each other. A feed that answers 304, or the same
bytes as last time, costs no parsing at all. Failures are per feed: each is
recorded with its reason and the rest go on. Articles are stored in batches
as they arrive, so an interrupted refresh keeps what it had finished.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .config import Config, Feed
from .errors import StoreBusy
from .fetch import FetchLimits, Fetcher
from .pipeline import JudgedEntry, extract, group_features_many, parse_and_judge, real_stderr, warm_up, worker_init
from .store import CheckResult, NewArticle, Recheck, Store, make_id

BACKOFF_FIRST = 5 * 60  # seconds before retrying a feed that failed once
BACKOFF_MAX = 6 * 3600
RETRY_AFTER_MAX = 24 * 3600
FLUSH_EVERY_ARTICLES = 5000
FLUSH_EVERY_SECONDS = 10.0
RECHECK_BATCH = 200  # rechecked articles written together
FEED_TEXT_METHODS = ("feed", "feed-content")  # texts taken from the feed: its entry's changes tell


class WorkerCrashed(Exception):
    pass


@dataclass
class FeedReport:
    feed: Feed
    outcome: str  # "updated", "unchanged", "failed", "waiting"
    error: str | None = None
    warning: str | None = None
    items: int = 0
    kept: int = 0
    new: int = 0
    status: int | None = None

    def to_json(self) -> dict:
        return {
            "url": self.feed.url, "name": self.feed.name, "outcome": self.outcome, "error": self.error,
            "warning": self.warning, "status": self.status, "items": self.items, "kept": self.kept,
            "new": self.new,
        }


@dataclass
class RefreshSummary:
    reports: list[FeedReport]
    new_ids: list[str]
    elapsed: float
    removed: int = 0
    rechecked: dict[str, int] = field(default_factory=dict)  # stored articles fetched again, by outcome

    def line(self) -> str:
        counts = {k: sum(1 for r in self.reports if r.outcome == k) for k in ("updated", "unchanged", "failed", "waiting")}
        ok = counts["updated"] + counts["unchanged"]
        parts = [f"{_plural(ok, 'feed')} ok ({counts['unchanged']} unchanged)", f"{counts['failed']} failed"]
        if counts["waiting"]:
            parts.append(f"{counts['waiting']} waiting to retry")
        parts.append(f"{_plural(len(self.new_ids), 'new article')}")
        if self.removed:
            parts.append(f"{self.removed} removed by retention")
        looked = sum(self.rechecked.values())
        if looked:
            found = [_plural(self.rechecked.get("version", 0), "new version")]
            found += [f"{self.rechecked[k]} {k}" for k in ("suspect", "gone", "moved", "failed") if self.rechecked.get(k)]
            if self.rechecked.get("filled"):
                found.append(f"{self.rechecked['filled']} with the page's text at last")
            parts.append(f"{_plural(looked, 'article')} rechecked ({', '.join(found)})")
        return "refresh: " + ", ".join(parts) + f" in {self.elapsed:.1f} s"

    def to_json(self) -> dict:
        return {"feeds": [r.to_json() for r in self.reports], "new_articles": self.new_ids,
                "removed": self.removed, "seconds": round(self.elapsed, 3), "rechecked": dict(self.rechecked)}


@dataclass
class Progress:
    total: int
    done: int = 0
    failed: int = 0
    new: int = 0


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _moved(url: str, final_url: str) -> bool:
    """Whether a redirect took the page elsewhere (not merely to https, www. or a trailing slash)."""
    def plain(address: str) -> str:
        rest = address.split("://", 1)[-1].split("#", 1)[0]
        rest = rest[4:] if rest.startswith("www.") else rest
        return rest.rstrip("/")

    return plain(url) != plain(final_url)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")


class Refresher:
    """Runs refresh cycles for one configuration and archive."""

    def __init__(self, config: Config, store: Store, *, limits: FetchLimits = FetchLimits(),
                 workers: int | None = None, on_progress: Callable[[Progress], None] | None = None,
                 recheck_all: bool = False):
        self.config = config
        self.recheck_all = recheck_all  # fetch every stored article's page again, schedule or not
        self.store = store
        self.limits = limits
        self.workers = workers or os.cpu_count() or 1
        self.on_progress = on_progress
        self._pool = None  # a ProcessPoolExecutor, started on first need
        self._pending: list[NewArticle] = []
        self._new_ids: list[str] = []
        self._claimed: set[str] = set()  # item keys this run has taken on
        self._keys_by_feed: dict[str, list[str]] = {}
        self._last_flush = 0.0
        self._flush_lock: asyncio.Lock | None = None
        self._fetcher: Fetcher | None = None
        self._cancelled = False
        self._checks: list[CheckResult] = []  # stored articles fetched again, not yet written
        self._rechecked: set[str] = set()  # their ids
        self._recheck_counts: dict[str, int] = {}

    def cancel(self) -> None:
        """Stop soon, from any thread (the reader is quitting): feeds not yet fetched
        are skipped, requests on the wire are cut; what finished is kept."""
        self._cancelled = True
        if self._fetcher is not None:
            self._fetcher.abort()

    # -- the worker pool: started only when something needs parsing ---------
    def _workers(self):
        if self._pool is None:
            import multiprocessing  # only a refresh that has something to parse pays for these
            from concurrent.futures import ProcessPoolExecutor

            # forkserver, not fork: a refresh may run in a thread of a larger
            # program (the reader's background refresh), and forking a threaded
            # process can copy a lock another thread holds into the child.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["tui.pipeline"])
            with real_stderr():
                self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                                 initializer=worker_init, initargs=(os.getpid(),))
                for _ in range(self.workers):  # starts every worker now, inside this block
                    self._pool.submit(warm_up)
        return self._pool

    async def _in_worker(self, fn, *args):
        from concurrent.futures.process import BrokenProcessPool

        for _ in range(2):
            pool = self._workers()
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
            except BrokenProcessPool:
                # A worker died (a parser crashed on hostile input) and took every
                # task in flight with it. Start a fresh pool (once, whoever notices
                # first) and try each task again: the one that crashes twice is
                # the culprit, and only it fails.
                if self._pool is pool:
                    self._pool = None
                    pool.shutdown(wait=False, cancel_futures=True)
        raise WorkerCrashed("a worker process died while reading it")

    # -- running -------------------------------------------------------------
    def run(self) -> RefreshSummary:
        finished = False
        try:
            summary = asyncio.run(self._run())
            finished = True
            return summary
        finally:
            if self._pool is not None:
                pool, self._pool = self._pool, None
                if not finished:
                    # Interrupted: do not wait for a worker still busy with a feed; stop
                    # them. Then wait for the pool's own thread all the same: left
                    # running, it can close its pipe just as the interpreter's exit hook
                    # writes to it, which prints a traceback after our one-line error.
                    for process in list((getattr(pool, "_processes", None) or {}).values()):
                        process.terminate()
                pool.shutdown(wait=True, cancel_futures=True)

    async def _run(self) -> RefreshSummary:
        started = time.monotonic()
        now = time.time()
        self._flush_lock = asyncio.Lock()
        self._last_flush = time.monotonic()
        states = self.store.feed_states()
        progress = Progress(total=len(self.config.feeds))
        keywords = tuple(self.config.keywords)
        done: list[str] = []
        async with Fetcher(self.limits) as fetcher:
            self._fetcher = fetcher
            if self._cancelled:
                fetcher.abort()

            async def one(feed: Feed) -> FeedReport:
                state = dict(states.get(feed.url, {}))
                try:
                    report = await self._refresh_feed(fetcher, feed, state, keywords, now)
                except WorkerCrashed as exc:
                    report = self._failed(feed, state, str(exc), None, now, None)
                states[feed.url] = state
                done.append(feed.url)
                progress.done += 1
                progress.failed += report.outcome == "failed"
                progress.new = len(self._new_ids) + len(self._pending)
                if self.on_progress:
                    self.on_progress(progress)
                return report

            try:
                reports = await asyncio.gather(*(one(feed) for feed in self.config.feeds))
                await self._flush(force=True)
                if not self._cancelled:
                    await self._recheck_due(fetcher)
            except asyncio.CancelledError:
                # Interrupted (Ctrl-C): keep what the finished feeds brought.
                fetcher.abort()
                await self._flush(force=True)
                self.store.save_feed_states({url: states[url] for url in done})
                raise
        await self._flush(force=True)
        if not self._cancelled and (self._new_ids or self.store.unsettled()):
            # The writes placed their articles as the feeds came, and merged no stories:
            # now all are placed again together, in date order (see Store.settle), with
            # those of a refresh stopped before this point.
            # (Every article is stored by now: an archive busy for long only skips this.)
            try:
                await asyncio.get_running_loop().run_in_executor(None, self.store.settle, self._new_ids)
            except StoreBusy:
                pass
        # What each feed added, counted from what the archive took: another
        # process may have stored some of the same items first.
        stored = set(self._new_ids)
        for report in reports:
            if report.outcome == "updated":
                report.new = sum(make_id(k) in stored for k in self._keys_by_feed.get(report.feed.url, []))
                states[report.feed.url]["new"] = report.new
        self.store.save_feed_states({f.url: states[f.url] for f in self.config.feeds})
        removed = self._apply_retention()
        return RefreshSummary(list(reports), list(self._new_ids), time.monotonic() - started, removed,
                              self._recheck_counts)

    def _retention_cutoff(self) -> str | None:
        days = self.config.settings.retention_days
        if not days:
            return None
        return (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="seconds")

    def _apply_retention(self) -> int:
        cutoff = self._retention_cutoff()
        return self.store.remove_articles(self.store.articles_older_than(cutoff)) if cutoff else 0

    async def _refresh_feed(self, fetcher: Fetcher, feed: Feed, state: dict, keywords, now: float) -> FeedReport:
        if self._cancelled:
            return FeedReport(feed, "waiting", error="not fetched: the refresh was stopped")
        retry_at = state.get("retry_at")
        if retry_at and retry_at > now:
            when = datetime.fromtimestamp(retry_at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            return FeedReport(feed, "waiting", error=f"waiting until {when} after: {state.get('last_error')}")
        state["last_attempt"] = _iso(now)
        result = await fetcher.get(
            feed.url, etag=state.get("etag"), last_modified=state.get("last_modified"),
            max_bytes=self.limits.feed_bytes,
            accept="application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        )
        if self._cancelled:
            return FeedReport(feed, "waiting", error="not fetched: the refresh was stopped")
        if not result.ok:
            error = result.error
            if result.status in (404, 410):
                error += ": the feed may have moved; check its address in feeds.yaml"
            return self._failed(feed, state, error, result.status, now, result.retry_after)
        if result.not_modified:
            return self._unchanged(feed, state, 304)
        digest = hashlib.blake2b(result.body, digest_size=16).hexdigest()
        if digest == state.get("body_hash"):
            return self._unchanged(feed, state, result.status)
        judged = await self._in_worker(parse_and_judge, result.body, result.final_url, result.content_type,
                                       None if feed.regional else keywords, feed.url)
        parsed = judged.parsed
        if parsed.problem:
            return self._failed(feed, state, parsed.problem, result.status, now, None)
        keep = [j for j in judged.judged if feed.regional or j.relevant]
        fresh = self._unseen(keep)
        await self._recheck_changed_entries(fetcher, feed, [j for j in keep if j not in fresh])
        self._keys_by_feed[feed.url] = [j.entry.key for j in fresh]
        needs_page = [j for j in fresh if feed.extract and j.entry.url and not j.entry.has_full_text]
        articles = [self._article_from_feed(feed, j) for j in fresh if j not in needs_page]
        articles += await asyncio.gather(*(self._article(fetcher, feed, j) for j in needs_page))
        if articles and not self._cancelled:  # grouping's share of the work, on the workers' cores
            found = await self._in_worker(group_features_many, [(a.title, a.text) for a in articles])
            for article, features in zip(articles, found):
                article.features = features
        self._pending.extend(articles)
        await self._flush()
        state.update({
            "name": feed.name, "etag": result.etag, "last_modified": result.last_modified, "body_hash": digest,
            "last_success": _iso(now), "last_error": None, "status": result.status, "failures": 0,
            "retry_at": None, "items": len(parsed.entries), "kept": len(keep), "new": len(fresh),
            "warning": parsed.warning,
        })
        return FeedReport(feed, "updated", warning=parsed.warning, items=len(parsed.entries), kept=len(keep),
                          new=len(fresh), status=result.status)

    def _unseen(self, entries: list[JudgedEntry]) -> list[JudgedEntry]:
        """Entries the archive has not stored and this refresh has not queued."""
        stored = self.store.stored_ids([make_id(j.entry.key) for j in entries])
        cutoff = self._retention_cutoff()
        out = []
        for judged in entries:
            key = judged.entry.key
            if key in self._claimed or make_id(key) in stored:
                continue
            if cutoff and judged.entry.published and judged.entry.published < cutoff:
                continue  # retention would remove it again at once
            self._claimed.add(key)  # another feed of this run carrying it finds it taken
            out.append(judged)
        return out

    def _unchanged(self, feed: Feed, state: dict, status: int | None) -> FeedReport:
        state.update({"last_success": state.get("last_attempt"), "last_error": None, "status": status,
                      "failures": 0, "retry_at": None, "new": 0})
        return FeedReport(feed, "unchanged", items=state.get("items", 0), kept=state.get("kept", 0), status=status)

    def _failed(self, feed, state, error, status, now, retry_after) -> FeedReport:
        if status is None and "could not be resolved" in (error or ""):
            # Offline (no name resolves): no reason to hold the feed back once back online.
            state.update({"name": feed.name, "last_error": error, "status": None, "new": 0})
            return FeedReport(feed, "failed", error=error)
        failures = int(state.get("failures") or 0) + 1
        wait = min(BACKOFF_FIRST * 2 ** (failures - 1), BACKOFF_MAX)
        if retry_after is not None:
            wait = min(max(retry_after, 1.0), RETRY_AFTER_MAX)
        state.update({"name": feed.name, "last_error": error, "status": status, "failures": failures,
                      "retry_at": now + wait, "etag": None, "last_modified": None, "body_hash": None, "new": 0})
        return FeedReport(feed, "failed", error=error, status=status)

    def _article_from_feed(self, feed: Feed, judged: JudgedEntry) -> NewArticle:
        """An article whose text is the feed's own (extract: false, or a full-text feed)."""
        entry = judged.entry
        if feed.extract and entry.has_full_text:
            return self._new(feed, judged, entry.content, "feed-content", entry.published, "")
        return self._new(feed, judged, entry.feed_text, "feed", entry.published, "")

    async def _article(self, fetcher: Fetcher, feed: Feed, judged: JudgedEntry) -> NewArticle:
        """An article whose text comes from its page, or from the feed when the page fails."""
        entry = judged.entry
        text, method, published, note = entry.feed_text, "feed-fallback", entry.published, ""
        page = await fetcher.get(entry.url, max_bytes=self.limits.page_bytes,
                                 accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
        page_url = page_title = None
        if not (page.ok and page.body):
            note = f"the page could not be fetched: {page.error or 'it was empty'}"
        else:
            extracted, sliver = await self._in_worker(extract, page.body, page.final_url, entry.summary)
            if sliver:
                note = "the page gave too little text to be the article"
            else:
                text, method = extracted.text, extracted.method
                published = published or extracted.published
                page_url, page_title = page.final_url, extracted.title
        article = self._new(feed, judged, text, method, published, note)
        article.page_url, article.page_title = page_url, page_title
        return article

    @staticmethod
    def _new(feed: Feed, judged: JudgedEntry, text: str, method: str, published, note: str) -> NewArticle:
        entry = judged.entry
        return NewArticle(
            key=entry.key, title=entry.title, feed=feed.name, text=text, url=entry.url, feed_url=feed.url,
            published=published, method=method, note=note, kept=list(judged.terms), entry=entry.signature,
            why=judged.reason if not feed.regional else "from a regional feed",
        )

    # -- stored articles fetched again: edits become versions -----------------
    async def _recheck_changed_entries(self, fetcher: Fetcher, feed: Feed, known: list[JudgedEntry]) -> None:
        """Stored articles whose feed entry changed (title, summary, body, updated time) are fetched again now."""
        by_id = {make_id(j.entry.key): j for j in known}
        seen = self.store.entry_signatures(self.store.stored_ids(by_id), feed.url)
        changed, first_seen = [], []
        for article_id, signature in seen.items():
            entry = by_id[article_id].entry
            if signature is None:
                first_seen.append(CheckResult(article_id, _iso(time.time()), "unchecked", entry=entry.signature,
                                              feed_url=feed.url))
            elif signature != entry.signature and article_id not in self._rechecked:
                self._rechecked.add(article_id)
                changed.append(entry)
        if first_seen:  # this feed's entry not seen before (another feed's was): nothing to compare yet
            await asyncio.get_running_loop().run_in_executor(None, self.store.record_checks, first_seen)
        results = await asyncio.gather(*(self._check_entry(fetcher, feed, e) for e in changed))
        await self._store_checks(results)

    async def _check_entry(self, fetcher: Fetcher, feed: Feed, entry) -> CheckResult:
        article_id = make_id(entry.key)
        loop = asyncio.get_running_loop()
        if feed.extract and entry.url and not entry.has_full_text:
            # The page says what changed, headline included (see revisions.headline): another
            # feed's entry for the same link may well title it differently, and that is no edit.
            stored = await loop.run_in_executor(None, self.store.recheck_of, article_id)
            result = await self._check_page(fetcher, stored or Recheck(article_id, entry.url, feed.url, ""))
        elif await loop.run_in_executor(None, self.store.origin_feed, article_id) == feed.url:
            text = entry.content if feed.extract and entry.has_full_text else entry.feed_text
            result = CheckResult(article_id, _iso(time.time()), title=entry.title, text=text)
        else:  # its text came from another feed: this one's entry is only remembered
            result = CheckResult(article_id, _iso(time.time()), "unchecked")
        result.entry, result.feed_url = entry.signature, feed.url
        return result

    async def _recheck_due(self, fetcher: Fetcher) -> None:
        """Stored articles whose schedule (or ``recheck_all``) says to look again: their pages fetched."""
        loop = asyncio.get_running_loop()
        due = await loop.run_in_executor(None, lambda: self.store.due_for_recheck(everything=self.recheck_all))
        due = [d for d in due if d.article_id not in self._rechecked and d.method not in FEED_TEXT_METHODS]
        for start in range(0, len(due), RECHECK_BATCH):
            if self._cancelled:
                break
            batch = due[start: start + RECHECK_BATCH]
            self._rechecked.update(d.article_id for d in batch)
            results = await asyncio.gather(*(self._check_page(fetcher, d) for d in batch))
            await self._store_checks(results)

    async def _check_page(self, fetcher: Fetcher, stored: Recheck) -> CheckResult:
        """Fetch a stored article's page again: its text and headline, or the event that stopped it."""
        article_id, at = stored.article_id, _iso(time.time())
        page = await fetcher.get(stored.url, max_bytes=self.limits.page_bytes,
                                 accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
        if page.status in (404, 410):
            return CheckResult(article_id, at, "gone", detail=f"HTTP {page.status}")
        if not (page.ok and page.body):
            return CheckResult(article_id, at, "failed", detail=page.error or "the page was empty")
        try:
            extracted, sliver = await self._in_worker(extract, page.body, page.final_url, "")
        except WorkerCrashed as exc:  # this page alone fails; the refresh goes on
            return CheckResult(article_id, at, "failed", detail=str(exc))
        text = "" if sliver else extracted.text  # too little to be the article: suspect, not an edit
        # Where the page was found last time is the yardstick: a link that always redirected has not moved.
        # (No page yet: an article stored with its feed's text is judged by its link; one stored
        # before addresses were kept is not judged, this once.)
        before = stored.page_url or (stored.url if stored.method == "feed-fallback" else None)
        moved = before is not None and _moved(before, page.final_url)
        return CheckResult(article_id, at, "moved" if moved else "ok", text=text,
                           detail=page.final_url if moved else "", method=extracted.method if text else "",
                           page_url=page.final_url, page_title=extracted.title or stored.page_title)

    async def _store_checks(self, results: list[CheckResult]) -> None:
        if not results:
            return
        counts = await asyncio.get_running_loop().run_in_executor(None, self.store.record_checks, results)
        for kind, n in counts.items():
            if n:
                self._recheck_counts[kind] = self._recheck_counts.get(kind, 0) + n

    async def _flush(self, force: bool = False) -> None:
        due = (len(self._pending) >= FLUSH_EVERY_ARTICLES
               or time.monotonic() - self._last_flush >= FLUSH_EVERY_SECONDS)
        if not self._pending or not (force or due):
            return
        async with self._flush_lock:
            batch, self._pending = self._pending, []
            if batch:
                ids = await asyncio.get_running_loop().run_in_executor(
                    None, functools.partial(self.store.add_articles, batch, provisional=True))
                self._new_ids.extend(ids)
            self._last_flush = time.monotonic()
