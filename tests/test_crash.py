"""Crashes and two writers (issue 7), with the real command, real files and a real HTTP server.

* A ``caucasus-reader refresh`` killed with SIGKILL at random moments, at every stage of its
  work, loses nothing: the archive opens, every article a finished refresh reported is there,
  every read mark survives, nothing is stored twice, and the next refresh completes and brings
  in whatever the killed one did not store.
* The reader (the real app, driven by Pilot) marking articles with its keys while a
  ``caucasus-reader refresh`` process writes to the same data folder loses no mark and no
  article, round after round.

The news is made up here and served from 127.0.0.1 by ``feedserver.FeedServer``: outlets come
and go from feeds.yaml, items appear on and drop off the feeds, pages are edited, some are
missing. Everything random comes from a seeded ``random.Random``, so a failure can be replayed
(CRASH_SEED=N picks another seed; CRASH_VERBOSE=1 with ``-s`` tells each kill as it happens).
Each test prints a summary (what the kills hit, what the keys did), shown with ``-rP``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import orjson
import pytest

from tui.marks import FOLD_AFTER_BYTES
from tui.store import Store

from conftest import command, made_up_word, run_cli
from feedserver import FeedServer, Route, rss

SEED = int(os.environ.get("CRASH_SEED", "7"))
VERBOSE = bool(os.environ.get("CRASH_VERBOSE"))

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title} | {outlet}</title></head>
<body><nav><a href="/">Home</a> <a href="/politics">Politics</a> <a href="/sport">Sport</a></nav>
<div class="cookie">We use cookies to improve your experience. Accept all cookies?</div>
<article><h1>{title}</h1><p class="byline">By a staff reporter</p>
{paragraphs}
</article>
<aside><h3>Related</h3><ul><li><a href="/a">Another story about the weather</a></li></ul></aside>
<footer>Copyright {outlet}. All rights reserved.</footer></body></html>"""

FIRST_DAY = datetime(2025, 5, 1, tzinfo=timezone.utc)


def say(*args) -> None:
    if VERBOSE:
        print(*args, flush=True)


class RequestLog(Counter):
    """``FeedServer.hits`` that also remembers when each request arrived (the server counts
    every request with ``hits[path] += 1`` as it arrives)."""

    def __init__(self):
        self.log: list[tuple[float, str]] = []
        super().__init__()

    def __setitem__(self, path, count):
        self.log.append((time.monotonic(), path))
        super().__setitem__(path, count)

    def since(self, start: float, end: float) -> list[tuple[float, str]]:
        return [(t, p) for t, p in list(self.log) if start <= t <= end]


@dataclass
class Outlet:
    number: int
    items: list[int] = field(default_factory=list)  # newest first
    version: int = 0


class News:
    """Made-up outlets on a FeedServer: each round some publish, some join feeds.yaml, some
    leave it, items drop off the feeds, pages are edited; a few pages are missing (404: the
    article keeps the feed's text)."""

    LISTED = 8  # items a feed lists

    def __init__(self, server: FeedServer, config: Path, rng: random.Random, *,
                 feed_delay=(0.0, 0.0), page_delay=(0.0, 0.0), events: float = 0.0):
        self.server, self.config, self.rng = server, config, rng
        self.feed_delay, self.page_delay = feed_delay, page_delay
        self.events = events  # the chance that a round brings one event several outlets report
        self.event_of: dict[int, int] = {}  # item -> the event it reports (its outlet's take on it)
        self.outlets: dict[int, Outlet] = {}
        self.live: list[int] = []  # outlets in feeds.yaml
        self.edits: Counter[int] = Counter()
        self.outlet_of: dict[int, int] = {}
        self.next_item = 0

    # -- what is served ----------------------------------------------------------
    @staticmethod
    def feed_path(outlet: int) -> str:
        return f"/outlet/{outlet}/feed.xml"

    @staticmethod
    def page_path(item: int) -> str:
        return f"/news/{item}.html"

    def words(self, item: int, part: int, n: int, own: bool = False) -> list[str]:
        """Made-up words: an item's own, or (``own`` false) its event's when it reports one."""
        base = item if own or item not in self.event_of else 10**6 + self.event_of[item]
        return [made_up_word(base * 1009 + part * 101 + i) for i in range(n)]

    def title(self, item: int) -> str:
        w = self.words(item, 0, 4)
        return f"{w[0].title()} {w[1]} {w[2]} in {w[3].title()} (report {item})"

    def paragraphs(self, item: int) -> list[str]:
        out = []
        for part in range(1, 5):
            w = self.words(item, part, 18)
            out.append(f"{w[0].title()} {' '.join(w[1:9])}, {' '.join(w[9:13])}. "
                       f"{w[13].title()} {' '.join(w[14:])} said.")
        if item in self.event_of:
            w = self.words(item, 5, 12, own=True)
            out.append(f"{w[0].title()} {' '.join(w[1:])}, this outlet adds.")
        for edit in range(self.edits[item]):
            w = self.words(item, 50 + edit, 10)
            out.append(f"Update {edit + 1}: {w[0].title()} {' '.join(w[1:])}.")
        return out

    def page(self, item: int, outlet: int) -> bytes:
        body = "\n".join(f"<p>{p}</p>" for p in self.paragraphs(item))
        return PAGE.format(title=self.title(item), outlet=f"Outlet {outlet}", paragraphs=body).encode()

    def serve_page(self, item: int, outlet: int, delay: float) -> None:
        self.server.add(self.page_path(item), Route(
            body=self.page(item, outlet), content_type="text/html; charset=utf-8", delay=delay,
            gzip=item % 3 == 0))

    def serve_feed(self, outlet: Outlet) -> None:
        outlet.version += 1
        items = [{
            "title": self.title(n),
            "link": self.server.url(self.page_path(n)),
            "guid": self.server.url(self.page_path(n)),
            "description": self.paragraphs(n)[0],
            "pubDate": format_datetime(FIRST_DAY + timedelta(hours=n)),
        } for n in outlet.items]
        self.server.add(self.feed_path(outlet.number), Route(
            body=rss(items, title=f"Outlet {outlet.number}"), etag=f'"v{outlet.version}"',
            delay=self.rng.uniform(*self.feed_delay)))

    def write_config(self) -> None:
        lines = ["settings:", "  refresh_interval: 30m", "feeds:"]
        for number in self.live:
            lines += [f"  - url: {self.server.url(self.feed_path(number))}",
                      f"    name: Outlet {number}", "    regional: true"]
        if not self.live:
            lines[-1] = "feeds: []"
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # -- what changes ------------------------------------------------------------
    def add_outlet(self) -> None:
        number = len(self.outlets)
        self.outlets[number] = Outlet(number)
        self.live.append(number)

    def publish(self, outlet: Outlet, count: int, event: int | None = None) -> list[int]:
        new = []
        for _ in range(count):
            item = self.next_item
            self.next_item += 1
            self.outlet_of[item] = outlet.number
            if event is not None:
                self.event_of[item] = event
            if self.rng.random() > 0.08:  # the rest: a page that is not there (404)
                self.serve_page(item, outlet.number, self.rng.uniform(*self.page_delay))
            new.append(item)
        outlet.items = (new[::-1] + outlet.items)[: self.LISTED]
        return new

    def advance(self, publish=(1, 3)) -> list[int]:
        """One round of news: outlets may join or leave feeds.yaml, most publish something."""
        if self.rng.random() < 0.3 or not self.live:
            self.add_outlet()
        if len(self.live) > 4 and self.rng.random() < 0.15:
            self.live.remove(self.rng.choice(self.live))
        new = []
        reporting = set()
        if self.rng.random() < self.events and len(self.live) > 1:
            event = len(set(self.event_of.values()))
            for number in self.rng.sample(self.live, min(len(self.live), self.rng.randint(2, 3))):
                new += self.publish(self.outlets[number], 1, event)
                reporting.add(number)
        for number in self.live:
            outlet = self.outlets[number]
            count = self.rng.randint(*publish)
            if count:
                new += self.publish(outlet, count)
            if count or number in reporting or self.feed_path(number) not in self.server.routes:
                self.serve_feed(outlet)
        self.write_config()
        return new

    def edit_pages(self, items: list[int]) -> None:
        """Outlets edit some pages: the next recheck keeps a new version."""
        for item in items:
            route = self.server.routes.get(self.page_path(item))
            if route is not None:
                self.edits[item] += 1
                route.body = self.page(item, self.outlet_of[item])

    def speed_up_pages(self, served_only: bool = True) -> None:
        """Pages (already fetched) answer at once from now on: only new pages are slow, and
        rechecks of hundreds of pages stay quick."""
        for path, route in self.server.routes.items():
            if path.startswith("/news/") and (self.server.hits[path] or not served_only):
                route.delay = 0.0

    def listed_urls(self) -> set[str]:
        """The links every feed in feeds.yaml lists now."""
        return {self.server.url(self.page_path(n)) for number in self.live for n in self.outlets[number].items}

    def listed_pages(self) -> set[str]:
        return {self.page_path(n) for number in self.live for n in self.outlets[number].items}


# --- the archive as the command line and a fresh Store see it -------------------------------------

def cli_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("CAUCASUS_READER_")}


@dataclass
class Archive:
    """What the test knows must be true of one data folder."""

    config: Path
    data: Path
    reported: set[str] = field(default_factory=set)  # ids finished refreshes reported as new
    read: set[str] = field(default_factory=set)  # ids marked read (and acknowledged)
    ids: set[str] = field(default_factory=set)  # as of the last check
    urls: set[str] = field(default_factory=set)
    grown: int = 0  # times the marks journal was made to need a fold

    def args(self, *more: str) -> list[str]:
        return ["--config", str(self.config), "--data-dir", str(self.data), *more]

    def check(self, when: str) -> list[dict]:
        """The archive opens, holds every reported article once, and every mark as set."""
        result = run_cli(*self.args("stories", "--json"), timeout=60)
        assert result.returncode == 0, f"{when}: the archive does not open: {result.stderr.decode()}"
        assert b"Traceback" not in result.stderr, f"{when}: {result.stderr.decode()}"
        stories = json.loads(result.stdout)
        articles = [a for s in stories for a in s["articles"]]
        ids = [a["id"] for a in articles]
        twice = [i for i, n in Counter(ids).items() if n > 1]
        assert not twice, f"{when}: articles listed twice: {twice}"
        urls = Counter(a["url"] for a in articles)
        assert not [u for u, n in urls.items() if n > 1], f"{when}: one link stored twice: {urls.most_common(3)}"
        missing = self.reported - set(ids)
        assert not missing, f"{when}: {len(missing)} articles a finished refresh reported are gone: {sorted(missing)[:5]}"
        read = {a["id"] for a in articles if a["read"]}
        assert not self.read - read, f"{when}: read marks lost: {sorted(self.read - read)}"
        assert not read - self.read, f"{when}: articles read that nobody marked (or unmarked): {sorted(read - self.read)}"
        store = Store(self.data)  # a fresh reader of the files, as another process
        assert store.marks.snapshot()["read"] == self.read, f"{when}: a fresh Store sees other marks"
        empty = [i for i in ids if not store.text(i).strip()]
        assert not empty, f"{when}: articles listed without their text: {empty[:5]}"
        self.ids, self.urls = set(ids), set(urls)
        return articles

    def mark(self, rng: random.Random, count: int) -> None:
        """Mark some articles read (and now and then one unread again), as another process would."""
        store = Store(self.data)
        chosen = rng.sample(sorted(self.ids), min(count, len(self.ids)))
        if chosen:
            store.set_mark("read", chosen, True)
            self.read |= set(chosen)
        if self.read and rng.random() < 0.3:
            back = rng.choice(sorted(self.read))
            store.set_mark("read", [back], False)
            self.read.discard(back)

    def grow_journal(self) -> None:
        """Set marks that change nothing until the journal is past the size at which the next
        writer to close the store folds it into marks.json (the fold then runs in a refresh)."""
        store = Store(self.data)
        unread = sorted(self.ids - self.read)
        journal = self.data / "marks.log"
        while unread and (journal.stat().st_size if journal.exists() else 0) < FOLD_AFTER_BYTES + 4096:
            store.set_mark("read", unread, False)
        self.grown += 1

    def no_temporary_files_left(self, when: str) -> None:
        left = [p for d in (self.data, self.data / "bodies", self.data / "groups") if d.exists()
                for p in d.glob(".*.tmp")]
        assert not left, f"{when}: temporary files of killed writers were left behind: {left[:3]}"


def finished_refresh(archive: Archive, *extra: str) -> tuple[dict, float]:
    """A refresh allowed to finish: what it reported is recorded as what must never be lost."""
    before = set(archive.ids)
    started = time.monotonic()
    result = run_cli(*archive.args("refresh", "--json", *extra), timeout=120)
    took = time.monotonic() - started
    assert result.returncode == 0, f"a refresh failed to complete: {result.stderr.decode()}"
    summary = json.loads(result.stdout)
    new = set(summary["new_articles"])
    assert not new & before, f"a refresh reported as new articles the archive had: {sorted(new & before)[:5]}"
    failed = [f for f in summary["feeds"] if f["outcome"] in ("failed", "waiting")]
    assert not failed, f"feeds failed: {failed}"
    archive.reported |= new
    return summary, took


def session_processes(session: int) -> list[int]:
    """The processes of a session (the refresh started one of its own: its worker processes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def kill_leftovers(session: int) -> int:
    """End the processes a killed refresh left (its workers), one by one, by id; return how
    many. Again until none is left: one may still be forking another as it is killed."""
    ended: set[int] = set()
    deadline = time.monotonic() + 10
    while (left := session_processes(session)) and time.monotonic() < deadline:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
                ended.add(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
    return len(ended)


def killed_refresh(archive: Archive, kill_at, *extra: str, mark=None):
    """Start ``refresh`` and SIGKILL it at ``kill_at(started)`` (a monotonic time, or None while
    it cannot tell yet); ``mark = (seconds, fn)`` runs fn that long after the start, on the way.

    Returns (when it was killed, or None if it finished first; when it started; its summary if
    it finished; how many of its worker processes outlived it).
    """
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([command(), *archive.args("refresh", "--json", *extra)], stdout=out,
                                stderr=subprocess.DEVNULL, env=cli_env(), start_new_session=True)
        started = time.monotonic()
        killed_at = None
        try:
            deadline = started + 60
            while proc.poll() is None and time.monotonic() < deadline:
                now = time.monotonic()
                if mark is not None and now >= started + mark[0]:
                    mark[1]()
                    mark = None
                    continue
                when = kill_at(started)
                if when is not None and now >= when:
                    os.kill(proc.pid, signal.SIGKILL)
                    killed_at = now
                    break
                time.sleep(0.0005)
            code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            orphans = kill_leftovers(proc.pid)
        if killed_at is None or code != -signal.SIGKILL:
            assert code == 0, f"the refresh failed on its own (exit {code})"
            out.seek(0)
            return None, started, json.loads(out.read()), orphans
        return killed_at, started, None, orphans


def stage_at(log: RequestLog, started: float, killed_at: float, feeds: set[str], new_pages: set[str],
             old_pages: set[str], delays: dict[str, float]) -> str:
    """What the refresh was doing when it was killed, judged from what it had asked the server for."""
    seen = log.since(started, killed_at)
    asked = {p for _, p in seen}
    if not asked:
        return "starting"
    if asked & old_pages:
        return "rechecking"  # pages of articles stored before this run: only rechecks fetch those
    if feeds - asked:
        return "fetching feeds"
    if new_pages - asked or any(t + delays.get(p, 0.0) > killed_at for t, p in seen if p in new_pages):
        return "fetching pages"
    return "extracting and storing"


def archive_files(data: Path) -> dict[str, tuple[int, int, int]]:
    """Each file of the archive (but the marks journal, which the test itself appends to) and
    its identity, to tell when a refresh has started to write."""
    found = {}
    for folder in (data, data / "bodies", data / "groups"):
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name not in ("marks.log", ".lock", ".marks-lock") and entry.is_file():
                        st = entry.stat()
                        found[f"{folder.name}/{entry.name}"] = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            pass
    return found


def leftovers(data: Path) -> set[str]:
    """What a write cut short leaves: temporary files, and texts or catalog entries of
    articles the index (written last) does not list. Read from the files themselves."""
    found = {f"tmp:{p.relative_to(data)}" for d in (data, data / "bodies", data / "groups") if d.exists()
             for p in d.glob(".*.tmp")}
    try:
        listed = set(orjson.loads((data / "index.json").read_bytes()).get("articles", {}))
        found |= {f"catalog:{i}" for i in orjson.loads((data / "catalog.json").read_bytes()).get("articles", {})
                  if i not in listed}
        for shard in (data / "bodies").glob("*.json"):
            found |= {f"text:{i}" for i in orjson.loads(shard.read_bytes()).get("bodies", {}) if i not in listed}
    except (OSError, ValueError, AttributeError):
        pass  # the check above (the archive opens) is what counts; this only tells the stage
    return found


def quiet(server: FeedServer) -> None:
    """A killed client resets its connections; the server need not print each one."""
    def handle_error(request, address):
        pass

    server._server.handle_error = handle_error


def test_a_refresh_killed_at_any_moment_loses_nothing(tmp_path):
    rng = random.Random(SEED)
    # The kills: a plain refresh or one with --recheck killed at a fraction of the measured
    # duration of such a refresh, the fractions spread evenly over the whole run (one in each
    # slice, at a random point of it); a few killed a random moment (0-100 ms) after the
    # server answered the last page they needed, when they extract, group and store; and a
    # few 0-30 ms after the first file of the archive started to change (mid-transaction).
    plan = []
    for kind, n in (("plain", 12), ("recheck", 6)):
        plan += [(kind, "time", (i + rng.random()) / n) for i in range(n)]
    plan += [("plain", "after pages", rng.uniform(0, 0.1)) for _ in range(2)]
    plan += [(rng.choice(["plain", "recheck"]), "writing", rng.uniform(0, 0.03)) for _ in range(4)]
    rng.shuffle(plan)

    with FeedServer() as server:
        quiet(server)
        server.hits = log = RequestLog()
        archive = Archive(tmp_path / "feeds.yaml", tmp_path / "data")
        news = News(server, archive.config, rng, feed_delay=(0.1, 0.4), page_delay=(0.1, 0.35))
        for _ in range(9):
            news.add_outlet()
        news.advance(publish=(2, 4))
        finished_refresh(archive)
        archive.check("after the first refresh")
        archive.mark(rng, 5)
        news.speed_up_pages()
        # Unkilled runs of each kind, to know how long one takes.
        duration = {}
        for kind in ("plain", "recheck"):
            news.advance()
            _, duration[kind] = finished_refresh(archive, *(["--recheck"] if kind == "recheck" else []))
            archive.check(f"after the first {kind} refresh")
            news.speed_up_pages()
        say(f"durations {duration}")

        stages: Counter[str] = Counter()
        mid_write = wrote = kills = orphaned = 0
        finished_runs = 3
        step = 0
        while plan:
            step += 1
            assert step < 80, "too many rounds: kills keep missing the refresh"
            news.advance()
            if rng.random() < 0.4:
                news.edit_pages(rng.sample(range(news.next_item), 5))
            if rng.random() < 0.15:  # the marks journal grows past the size a refresh folds it at
                archive.grow_journal()
            if rng.random() < 0.2:  # a refresh allowed to finish, between kills
                kind = rng.choice(["plain", "recheck"])
                _, duration[kind] = finished_refresh(archive, *(["--recheck"] if kind == "recheck" else []))
                finished_runs += 1
                archive.check(f"after finished refresh {finished_runs}")
                archive.mark(rng, rng.randint(1, 6))
                news.speed_up_pages()
                continue
            for _ in range(2 if rng.random() < 0.25 else 1):  # now and then killed twice in a row
                kind, mode, value = plan[-1]
                feeds = {news.feed_path(n) for n in news.live}
                new_pages = {p for p in news.listed_pages() if server.url(p) not in archive.urls}
                old_pages = {news.page_path(n) for n in range(news.next_item)
                             if server.url(news.page_path(n)) in archive.urls}
                delays = {p: r.delay for p, r in server.routes.items()}

                files_before = archive_files(archive.data)
                if mode == "after pages" and not new_pages:
                    break  # nothing new to fetch: no such moment in this run
                if mode == "time":
                    kill_after = value * duration[kind]

                    def kill_at(started, kill_after=kill_after):
                        return started + kill_after
                elif mode == "writing":
                    def kill_at(started, offset=value, files_before=files_before, first=[]):
                        if not first:
                            if archive_files(archive.data) == files_before:
                                return None
                            first.append(time.monotonic())
                        return first[0] + offset
                else:
                    def kill_at(started, offset=value, new_pages=new_pages, delays=delays):
                        seen = log.since(started, time.monotonic())
                        if new_pages - {p for _, p in seen}:
                            return None
                        return max(t + delays.get(p, 0.0) for t, p in seen if p in new_pages) + offset

                before = leftovers(archive.data)
                mark = None
                if rng.random() < 0.5:
                    mark = (rng.uniform(0, duration[kind]), lambda: archive.mark(rng, rng.randint(1, 4)))
                killed_at, started, summary, orphans = killed_refresh(
                    archive, kill_at, *(["--recheck"] if kind == "recheck" else []), mark=mark)
                orphaned += orphans
                what = f"kill {kills + 1} ({kind}, {mode} {value:.2f})"
                if killed_at is None:  # it finished first: a finished refresh like any other
                    archive.reported |= set(summary["new_articles"])
                    say(f"{what}: the refresh finished first")
                    archive.check(f"{what}: finished first")
                    plan[-1] = (kind, mode, value * rng.uniform(0.6, 1.0))  # this run was shorter: earlier
                    continue
                plan.pop()
                kills += 1
                stage = stage_at(log, started, killed_at, feeds, new_pages, old_pages, delays)
                stages[stage] += 1
                cut = leftovers(archive.data) - before
                mid_write += bool(cut)
                wrote += archive_files(archive.data) != files_before
                say(f"{what} at {killed_at - started:.2f} s: {stage}"
                    + (f"; a write was cut short ({len(cut)} leftovers: {sorted(cut)[:2]})" if cut else ""))
                archive.check(f"after {what}, killed while {stage}")
                archive.mark(rng, rng.randint(0, 3))
                if not plan:
                    break
            # A refresh after the kill completes, stores what the killed one had not, and
            # leaves none of the killed writers' debris behind.
            news.speed_up_pages(served_only=False)
            finished_refresh(archive)
            finished_runs += 1
            archive.check(f"the refresh after kill {kills}")
            missing = news.listed_urls() - archive.urls
            assert not missing, f"after kill {kills} and a finished refresh, items the feeds list are missing: {sorted(missing)[:5]}"
            archive.no_temporary_files_left(f"the refresh after kill {kills}")
            news.speed_up_pages()

        print(f"{kills} kills by stage: {dict(stages)}; {wrote} after the refresh had begun writing to the "
              f"archive, {mid_write} leaving a write half done; {orphaned} worker processes outlived their "
              f"killed refresh; {finished_runs} finished refreshes; {len(archive.ids)} articles "
              f"({len(archive.reported)} reported), {len(archive.read)} read; the marks journal made due "
              f"for folding {archive.grown} times")
        assert kills >= 20
        worked = set(stages) - {"starting"}
        assert len(worked) >= 3, f"the kills hit too few stages of the work: {dict(stages)}"
        assert wrote >= 2, "too few kills landed while the refresh was writing to the archive"


# --- two writers: the reader marking while a refresh process stores ----------------------------

class User:
    """Someone at the reader's keyboard, and what their keys did to the marks: the model the
    archive (and the reader's own screens) must agree with."""

    def __init__(self, pilot, rng: random.Random):
        self.pilot, self.rng = pilot, rng
        self.read: dict[str, bool] = {}  # the read mark each key left on an article
        self.undo: list[dict[str, bool]] = []  # per triage action: the marks it replaced
        self.split: dict[str, str] = {}  # article -> the story x put it in
        self.keys: Counter[str] = Counter()
        self.marks_during_refresh = 0

    def read_ids(self) -> set[str]:
        return {i for i, value in self.read.items() if value}

    def did(self, ids, value: bool) -> None:
        self.undo.append({i: self.read.get(i, False) for i in ids})
        for i in ids:
            self.read[i] = value

    async def press(self, key: str, refreshing: bool = False) -> None:
        await self.pilot.press(key)
        await self.pilot.pause()
        self.keys[key] += 1
        self.marks_during_refresh += refreshing and key in ("R", "r", "enter", "u")

    async def read_story(self, ids, refreshing: bool) -> None:
        await self.press("R", refreshing)
        self.did(ids, True)

    async def undo_last(self, refreshing: bool) -> None:
        before = self.undo.pop()
        await self.press("u", refreshing)
        self.read.update(before)

    async def settle(self) -> None:
        await self.pilot.app.workers.wait_for_complete()
        await self.pilot.pause()

    async def act(self, refreshing: bool) -> None:
        from textual.widgets import DataTable

        from tui.ui.stories import StoriesScreen
        from tui.ui.story import StoryScreen
        from tui.ui.story_list import StoryList

        screen = self.pilot.app.screen
        roll = self.rng.random()
        if isinstance(screen, StoriesScreen):
            # To another story first: the next one down, back to the newest at the top, or
            # down to a story several outlets reported.
            keys = self.rng.choice([[], ["j"], ["j", "j"], ["k"], ["g"], ["g", "j"], ["g", "j", "j", "j"]])
            shared = [n for n, r in enumerate(screen.query_one(StoryList).rows[:12]) if r.size > 1]
            if shared and self.rng.random() < 0.2:
                keys = ["g"] + ["j"] * self.rng.choice(shared)
            for key in keys:
                await self.press(key)
            row = screen.current
            if roll < 0.45 and row is not None:
                await self.read_story(list(row.article_ids), refreshing)
            elif roll < 0.5 and self.undo:
                await self.undo_last(refreshing)
                await self.settle()
            elif row is not None:
                await self.press("enter")
                await self.settle()
        elif isinstance(screen, StoryScreen):
            # The reader shows each article's mark as the user left it: none lost meanwhile.
            shown = {a["id"]: a["read"] for a in screen.articles}
            expected = {i: self.read.get(i, False) for i in shown}
            assert shown == expected, f"the reader shows other read marks than the keys set: {shown} != {expected}"
            if not screen.query_one(DataTable).has_focus:
                await self.press("shift+tab")  # back from the reading pane to the articles
                return
            article = screen.current
            if roll < 0.15:
                await self.press(self.rng.choice(["j", "j", "k"]))
            elif roll < 0.27 and article is not None:
                value = not self.read.get(article["id"], False)
                await self.press("r", refreshing)
                self.did([article["id"]], value)
            elif roll < 0.45 and article is not None:
                was_read = self.read.get(article["id"], False)
                await self.press("enter", refreshing)
                if not was_read:  # opening an unread article reads it (and can be undone)
                    self.did([article["id"]], True)
                await self.settle()
            elif roll < 0.57:
                await self.read_story(list(screen.row.article_ids), refreshing)
            elif roll < 0.61 and self.undo:
                await self.undo_last(refreshing)
            elif roll < 0.75 and article is not None and len(screen.row.article_ids) > 1:
                await self.press("x")  # split it out into a story of its own: an index write
                self.split[article["id"]] = self.pilot.app.workspace.store.story_of(article["id"])
                await self.settle()
            else:
                await self.press("escape")  # back to the list, which reloads: new stories show
                await self.settle()
        else:
            await self.press("escape")
            await self.settle()


async def test_the_reader_marking_while_a_refresh_stores_loses_nothing(tmp_path):
    from tui.ui.app import ReaderApp
    from tui.ui.story_list import StoryList
    from tui.workspace import open_workspace

    rng = random.Random(SEED + 1)
    rounds = 8
    with FeedServer() as server:
        quiet(server)
        archive = Archive(tmp_path / "feeds.yaml", tmp_path / "data")
        news = News(server, archive.config, rng, feed_delay=(0.1, 0.3), page_delay=(0.15, 0.5), events=0.7)
        for _ in range(5):
            news.add_outlet()
        news.advance(publish=(2, 3))
        finished_refresh(archive)
        archive.check("after the first refresh")
        news.speed_up_pages()

        workspace = open_workspace(archive.config, archive.data)
        app = ReaderApp(workspace, watch=False)  # no refresh of its own: the other process writes
        async with app.run_test(size=(120, 40)) as pilot:
            user = User(pilot, rng)
            await user.settle()
            assert app.screen.query_one(StoryList).rows
            for round_ in range(1, rounds + 1):
                news.advance(publish=(1, 3))
                if round_ % 2 == 0:
                    # The journal is due for folding: the refresh folds it when it closes the
                    # archive, while the reader goes on marking.
                    archive.read = user.read_ids()
                    archive.grow_journal()
                with tempfile.TemporaryFile() as out:
                    proc = subprocess.Popen([command(), *archive.args("refresh", "--json")], stdout=out,
                                            stderr=subprocess.PIPE, env=cli_env())
                    try:
                        actions = 0
                        while proc.poll() is None or actions < 12:
                            await user.act(refreshing=proc.poll() is None)
                            actions += 1
                            assert actions < 2000, "the refresh does not end"
                        _, err = proc.communicate(timeout=60)
                    finally:
                        if proc.poll() is None:
                            proc.kill()
                            proc.wait()
                    assert proc.returncode == 0, f"round {round_}: the refresh failed: {err.decode()}"
                    out.seek(0)
                    summary = json.loads(out.read())
                new = set(summary["new_articles"])
                assert not new & archive.ids, f"round {round_}: reported as new but stored before"
                archive.reported |= new
                archive.read = user.read_ids()
                articles = archive.check(f"round {round_}")
                missing = news.listed_urls() - archive.urls
                assert not missing, f"round {round_}: items the feeds list are missing: {sorted(missing)[:5]}"
                moved = {a["id"]: s["id"] for s in json.loads(run_cli(*archive.args("stories", "--json")).stdout)
                         for a in s["articles"] if a["id"] in user.split}
                assert moved == user.split, f"round {round_}: articles split out were put back: {moved} != {user.split}"
                news.speed_up_pages()
                say(f"round {round_}: {len(new)} new, {len(articles)} articles, {len(archive.read)} read")
            await pilot.press("q")
        archive.read = user.read_ids()
        archive.check("after the reader quit")
        print(f"keys {dict(user.keys)}; {user.marks_during_refresh} triage keys while a refresh ran; "
              f"{len(user.split)} split out; {len(archive.read)} read of {len(archive.ids)}; "
              f"{len(archive.reported)} articles reported by {rounds + 1} refreshes")
        assert user.marks_during_refresh >= rounds, "too few marks were set while a refresh ran"
        assert archive.read and archive.read != archive.ids


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_the_worker_processes_of_a_stopped_refresh_leave_with_it(tmp_path, how):
    """systemd, `timeout` or a kill -9 stopping a refresh must not leave its workers running for ever."""
    with FeedServer() as server:
        items = [{"title": f"Yerevan council item {n}", "link": server.url(f"/p/{n}"),
                  "description": "Yerevan city council news."} for n in range(3)]
        server.add("/feed", body=rss(items))
        for n in range(3):
            server.add(f"/p/{n}", body=b"<html><body><p>Yerevan.</p></body></html>", content_type="text/html",
                       delay=20)
        config = tmp_path / "feeds.yaml"
        config.write_text(f"feeds:\n  - url: {server.url('/feed')}\n    regional: true\n")
        proc = subprocess.Popen([command(), "--config", str(config), "--data-dir", str(tmp_path / "data"),
                                 "refresh"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=cli_env(),
                                start_new_session=True)
        try:
            wait_until = time.monotonic() + 60
            while not any(server.hits[f"/p/{n}"] for n in range(3)) and time.monotonic() < wait_until:
                time.sleep(0.05)  # the feed was parsed (by the workers): now the pages are awaited
            assert len(session_processes(proc.pid)) > 1, "the refresh has started its workers"
            proc.send_signal(how)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        gone_by = time.monotonic() + 20  # a liveness bound, not a speed goal: they must leave at all
        while session_processes(proc.pid) and time.monotonic() < gone_by:
            time.sleep(0.1)
        left = session_processes(proc.pid)
        kill_leftovers(proc.pid)
        assert not left, f"{len(left)} processes of the stopped refresh still run"
        if how == signal.SIGTERM:  # stopped as Ctrl-C stops it: quietly, with the usual exit code
            assert proc.returncode == 128 + signal.SIGTERM and b"Traceback" not in err, err
