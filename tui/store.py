"""The archive: articles, stories, their texts and versions, and the user's marks.

One data folder holds several TinyDB files, split by how often they are read
and written, so that what the story list needs loads without article texts and
a keypress rewrites nothing large:

``index.json``      hot: per article what the lists show (title, outlet, date,
                    story, version count, which body shard) and the stories.
``catalog.json``    warm: per article what refresh and the reading pane need
                    (identity key, feed address, extraction method...).
``bodies/NNNNNN.json`` cold: texts and every version, in shards of a few MB,
                    filled in order, so new articles rewrite one small file.
``marks.json`` + ``marks.log``  read and starred marks (see :mod:`tui.marks`).

Every write happens under the data folder's lock, starts from what is on disk
(another process may have written since) and ends with atomic renames, bodies
first and the index last, so a reader never sees an article whose text is
missing.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from . import diffing, grouping, revisions
from .errors import ReaderError, StoreError
from .marks import MarkJournal
from .storage import RECOVERY_HINT, DataLock, ReaderDB, gc_paused, remove_stale_temp_files

FOREIGN_GONE_AFTER = 3600  # seconds: unsettled articles another machine (container) last wrote this long
# ago are taken to be a stopped refresh's (a running one writes every few seconds while articles come)
SCHEMA = 3  # 2: rechecks (per-feed entry signatures, fetch times); 3: story profiles in profiles.json
PROFILE_KEYS = ("profile", "names")  # what topics need of a story, kept out of the index the list reads
SHARD_BYTES = 4 * 1024 * 1024
GONE_AFTER = 3  # 404/410 answers in a row before scheduled rechecks give an article up
MOVED_SAME_ARTICLE = 0.5  # a redirected page still the article: this share of its words known
FEED_TEXT_IN_PAGE = 0.6  # a page that loads at last is the article when it has this share of the feed's words
SHARDS_KEPT = 8  # body shards kept decoded in memory
_SHARD_NAME = re.compile(r"^(\d{6})\.json$")
_MONTH_NAME = re.compile(r"^(\d{4}-\d{2})\.json$")


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def make_id(key: str, salt: int = 0) -> str:
    """A short, stable id for an identity key (an article's URL, a story's founder)."""
    data = key if not salt else f"{key}#{salt}"
    return hashlib.blake2b(data.encode("utf-8"), digest_size=6).hexdigest()


def normalise_date(value: str | None) -> str | None:
    """An ISO 8601 date or time as stored: times in UTC (so that text order is
    time order), dates as they are; None for anything unreadable."""
    if not value:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # feeds without an offset mean UTC
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def content_hash(title: str, text: str) -> str:
    return hashlib.blake2b(f"{title}\n{text}".encode("utf-8"), digest_size=10).hexdigest()


@dataclass
class NewArticle:
    """An article on its way into the archive.

    ``key`` is its identity: the canonical link when there is one, else the
    feed's GUID; the same key from two feeds is one article.
    """

    key: str
    title: str
    feed: str
    text: str = ""
    url: str | None = None
    feed_url: str | None = None
    published: str | None = None
    seed: bool = False
    method: str = "feed"
    note: str = ""  # how the text was obtained when it was not the usual way
    kept: list[str] = field(default_factory=list)  # the relevance terms that matched
    why: str = ""  # why it was kept, in words
    features: dict | None = None  # grouping.features(title, text), when computed elsewhere
    entry: str | None = None  # the feed entry's signature (see parse.FeedEntry.signature)
    page_url: str | None = None  # where fetching ``url`` ended up, after redirects
    page_title: str | None = None  # the headline the page itself gave, as extracted


@dataclass(frozen=True)
class Recheck:
    """A stored article whose page is to be fetched again."""

    article_id: str
    url: str
    feed_url: str | None
    method: str  # how its text was obtained ("feed", "feed-content": from the feed, not the page)
    page_url: str | None = None  # where the page was found last time (``url`` after redirects)
    page_title: str | None = None  # the headline the page gave last time


@dataclass
class CheckResult:
    """What fetching a stored article again found."""

    article_id: str
    at: str
    status: str = "ok"  # or "gone", "moved", "failed"; "unchecked": only the entry's signature to keep
    title: str = ""  # "" for a page fetched again: the headline follows the page's own (page_title)
    text: str = ""
    detail: str = ""  # for events: the status, the new address, the error
    entry: str | None = None  # the feed entry's signature, when a feed showed it ...
    feed_url: str | None = None  # ... and that feed's address: each feed's signature is its own
    method: str = ""  # how ``text`` was obtained (the extraction method), when it came from the page
    page_url: str | None = None  # where the page was found (also given with "moved")
    page_title: str | None = None  # the headline the page gave


def _note_event(body: dict[str, Any], at: str, kind: str, detail: str) -> None:
    """Add an event to an article's record; the same one seen again in a row stays one event."""
    last = body["events"][-1] if body["events"] else {}
    if (last.get("kind"), last.get("detail")) != (kind, detail):
        body["events"].append({"at": at, "kind": kind, "detail": detail})


_MIGRATIONS = {1: lambda store: store._migrate_1_to_2(), 2: lambda store: store._migrate_2_to_3()}  # N to N + 1


def _materialise(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Versions as kept (the newest in full, older ones as deltas from the next) as full texts."""
    out: list[dict[str, Any]] = []
    newer = None
    for version in reversed(stored):
        if "text" in version:
            text = version["text"]
        else:
            text = revisions.apply_delta(newer, version["delta"])
        out.append({"at": version["at"], "hash": version["hash"], "title": version["title"], "text": text})
        newer = text
    return out[::-1]


@dataclass(slots=True)
class StoryRow:
    """One line of the story list."""

    id: str
    title: str
    article_ids: list[str]
    outlets: list[str]
    unread: int
    starred: bool
    latest: str
    seed: bool
    edited: bool = False  # an article of it has more than one version
    topic: str | None = None  # the id of the topic it belongs to
    topic_title: str = ""

    @property
    def size(self) -> int:
        return len(self.article_ids)


@dataclass
class _Moves:
    """What one write does to stories beyond adding articles."""

    touched: set[str] = field(default_factory=set)  # stories to describe again
    moved: dict[str, str] = field(default_factory=dict)  # stored article -> its new story
    via: dict[str, str] = field(default_factory=dict)  # moved article -> the new one that showed it one event
    merged: dict[str, list[str]] = field(default_factory=dict)  # story -> the stories merged into it
    gone: set[str] = field(default_factory=set)  # stories merged away
    split: dict[str, set[str]] = field(default_factory=dict)  # story -> the stories it was split from
    pins: dict[str, dict] = field(default_factory=dict)  # new pins (article -> {story, at, by})
    leads: dict[str, str] = field(default_factory=dict)  # stories made on purpose -> their first article


def _describe(members: list[grouping.Doc]) -> dict[str, Any]:
    """What the stories table keeps of a story's members: lead, key terms, topic profile."""
    profile = grouping.profile(members)
    names: dict[str, str] = {}
    for doc in members:
        for term in profile:
            if term not in names and term in doc.names:
                names[term] = doc.names[term]
    days = sorted(d.day for d in members if d.dated) or sorted(d.day for d in members)
    return {
        "lead": grouping.representative(members),
        "terms": grouping.key_terms(members),
        "profile": profile,
        "names": names,
        "day": round(days[len(days) // 2], 2),
    }


def filed_at(hot: Mapping[str, Any]) -> str:
    """Where grouping files an article (the month its features are stored in): its date;
    for an undated one, the date its words point to (``"near"``), as a regroup places it."""
    return hot.get("near") or hot["date"]


def _split_out(pins: dict[str, dict]) -> set[str]:
    """The stories someone made by splitting an article out (``x``): no article joins
    them and they never merge, so the story it was split from does not come back to it."""
    return {p["story"] for article_id, p in pins.items()
            if p.get("by") == "you" and p.get("story") == make_id("story:apart:" + article_id)}


def _moved_into(pins: dict[str, dict]) -> set[str]:
    """The stories someone moved an article into (``m``)."""
    return {p["story"] for p in pins.values() if p.get("by") == "you"} - _split_out(pins)


def _running(pid: int) -> bool:
    """Whether a process of that id runs (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (someone else's: running)
        return True
    return True


def _started(pid: int) -> str:
    """When a process started (clock ticks since boot, from /proc; "" where not known):
    with its id, it tells a process from a later one given the same id."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _this_process() -> str:
    """Who stores unsettled articles: machine (or container), process id, start time."""
    return f"{socket.gethostname()} {os.getpid()} {_started(os.getpid())}"


def _gone(writer: str, last: str, now: str) -> bool:
    """Whether the refresh that wrote unsettled articles has ended. ``writer`` is its
    :func:`_this_process` (an older version's: its process id alone, on this machine),
    ``last`` the time of its last write."""
    host, pid, start = (writer.split(" ") + ["", ""])[:3] if " " in writer else (socket.gethostname(), writer, "")
    if host != socket.gethostname():  # another container sharing the folder, which cannot be asked
        return bool(last) and (grouping.day_number(now) - grouping.day_number(last)) * 86400 > FOREIGN_GONE_AFTER
    if not pid.isdigit() or int(pid) == os.getpid():  # ours, or an earlier process's given our id
        return True
    # Not running, or its id now another process's (one that started at another time).
    return not _running(int(pid)) or bool(start) and _started(int(pid)) not in ("", start)


def _spellings(stories: list[dict]) -> dict[str, str]:
    """How to write each name of these stories: the spelling most of them use (the
    shorter on a tie: "Azerbaijan" before "Azerbaijani"), whatever their order."""
    counts: dict[str, dict[str, int]] = {}
    for doc in stories:
        for term, word in doc.get("names", {}).items():
            counts.setdefault(term, {})[word] = counts.get(term, {}).get(word, 0) + 1
    return {term: max(words, key=lambda w: (words[w], -len(w), w)) for term, words in counts.items()}


def _settled_ids(now_in: dict[str, str], was_in: dict[str, str], weight: Mapping[str, int], pinned: set[str],
                 moved_into: set[str], free: Callable[[str], bool]) -> tuple[dict[str, str], dict[str, str]]:
    """After a settling or a regroup: the id each story takes, and each earlier id's heir (the story
    now holding most of its articles, by ``weight``). A story holding an article someone
    put there keeps its id; a story most of whose articles were in one someone moved an
    article into goes back to it; otherwise an earlier id goes to its heir only, the
    heir holding most of it first; a story that gets none takes a ``free`` id."""
    overlap: dict[tuple[str, str], int] = {}
    for article_id, new in now_in.items():
        key = (new, was_in[article_id])
        overlap[key] = overlap.get(key, 0) + weight[article_id]
    heir: dict[str, str] = {}  # earlier id -> the story holding most of it
    top: dict[str, tuple[int, str]] = {}  # story -> the earlier id most of it had
    for (new, old), count in sorted(overlap.items()):
        if old not in heir or count > overlap[(heir[old], old)]:
            heir[old] = new
        top[new] = max(top.get(new, (0, "")), (count, old))
    renamed: dict[str, str] = {}
    used: set[str] = set()
    for new in sorted(set(now_in.values()) & pinned):
        renamed[new] = new
        used.add(new)
    for new in sorted(set(now_in.values()) - set(renamed)):
        old = top[new][1]
        if old in moved_into and old in used:
            renamed[new] = old
    for (new, old), _count in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0])):
        if new not in renamed and old not in used and heir[old] == new:
            renamed[new] = old
            used.add(old)
    for new in sorted(set(now_in.values()) - set(renamed)):
        story_id, salt = new, 0
        while story_id in used or (story_id != new and not free(story_id)) or story_id in heir:
            story_id, salt = make_id("story:" + new, salt), salt + 1
        renamed[new] = story_id
        used.add(story_id)
    return renamed, heir


def _latest(docs: list[dict[str, Any]]) -> str:
    """A story's latest activity: its newest publication date, or when it was
    added if none of its articles is dated (an undated article found today
    does not make a year-old story new)."""
    dated = [d["date"] for d in docs if d["dated"]]
    return max(dated) if dated else max(d["date"] for d in docs)


class Store:
    """The archive in one data folder. Safe to share with other processes."""

    def __init__(self, data_dir: Path):
        self.dir = Path(data_dir)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            (self.dir / "bodies").mkdir(exist_ok=True)
            (self.dir / "groups").mkdir(exist_ok=True)
        except OSError as exc:
            where = "" if str(exc.filename or self.dir) == str(self.dir) else f"{exc.filename}: "
            raise StoreError(f"cannot use the data folder {self.dir}: {where}{exc.strerror or exc}") from exc
        self.lock = DataLock(self.dir / ".lock")
        # The marks have files of their own, and a lock of their own: a keypress does not
        # wait for a refresh's grouping to finish writing.
        self.marks_lock = DataLock(self.dir / ".marks-lock")
        self.index = ReaderDB(self.dir / "index.json", kind="index", schema=SCHEMA)
        self.catalog = ReaderDB(self.dir / "catalog.json", kind="catalog", schema=SCHEMA)
        self.feed_health = ReaderDB(self.dir / "feeds.json", kind="feeds", schema=SCHEMA)
        self.profiles = ReaderDB(self.dir / "profiles.json", kind="profiles", schema=SCHEMA)
        self.marks = MarkJournal(self.dir)
        self._shards: dict[int, ReaderDB] = {}
        self._txn_owner: int | None = None  # the thread inside writing(), if any
        self._held_shards: set[int] = set()  # body shards that thread has touched
        self._articles = self.index.table("articles")
        self._stories = self.index.table("stories")
        self._profiles = self.profiles.table("stories")  # story -> its topic profile (PROFILE_KEYS)
        self._pins = self.index.table("pins")  # article -> the story a user (or the seeds) put it in
        self._topics = self.index.table("topics")
        self._details = self.catalog.table("articles")
        # Grouping: the features of articles, in one file per month of their date.
        self._month_dbs: dict[str, ReaderDB] = {}
        self._held_months: set[str] = set()
        self._pending_story: dict[str, str] = {}  # stories decided in the open transaction
        self._pending_members: dict[str, set[str]] = {}  # the same, by story
        self._stored_members: dict[str, set[str]] | None = None  # the index's stories' members, in a transaction
        self._grouping_checked = False
        self._groups = grouping.GroupIndex(self._load_month, self._story_of, self._months, self._peek_month)
        self._swept = False  # temporary files of killed writers removed yet?
        # Fail now, with the file named, if anything is damaged or too new:
        # the files the list needs are read whole, the others checked by their head.
        self._articles.raw()
        self.marks.sync()
        self.catalog.file.peek()
        self.profiles.file.peek()
        self.feed_health.file.read()  # small: read whole, so any damage shows now
        for path in (self.dir / "bodies").iterdir():
            if _SHARD_NAME.match(path.name):
                ReaderDB(path, kind="bodies", schema=SCHEMA).file.peek()
        for path in (self.dir / "groups").iterdir():
            if _MONTH_NAME.match(path.name):
                ReaderDB(path, kind="features", schema=SCHEMA).file.peek()
        # Only an archive found sound is upgraded (and backed up): never a damaged one, again and again.
        self.migrated: tuple[int, Path] | None = None  # (schema upgraded from, its backup) when this open did it
        if (self.index.file.schema_found or SCHEMA) < SCHEMA:
            self._migrate()

    # -- upgrading an archive written by an older caucasus-reader ------------------
    def _migrate(self) -> None:
        """Bring an older archive up to :data:`SCHEMA`, after copying it whole into ``backups/``.

        The older version refuses the upgraded archive (it is "newer"); the
        backup is what to go back to, and the message at open says where it is.
        """
        with self.writing():
            self._articles.raw()  # re-read under the lock: another process may have done it
            found = self.index.file.schema_found or SCHEMA
            if found >= SCHEMA:
                return
            self._details.raw()  # the other file it changes, read whole: damage stops it before the backup
            earlier = sorted((self.dir / "backups").glob(f"schema-{found}-*"))
            if self.catalog.file.schema_found == SCHEMA and earlier:
                backup = earlier[-1]  # an upgrade killed half-way: its backup holds the archive as it was
            else:
                backup = self._backup(found)
            for step in range(found, SCHEMA):
                _MIGRATIONS[step](self)
            for db in (self.index, self.catalog):  # their schema is raised even when no entry changed
                db.file.write(dict(db.file.read() or {}))
        self.migrated = (found, backup)

    def _backup(self, schema: int) -> Path:
        """Copy every file of the archive (backups aside) into a new folder of ``backups/``."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        root = self.dir / "backups"
        final = root / f"schema-{schema}-{stamp}"
        number = 1
        while final.exists():
            number += 1
            final = root / f"schema-{schema}-{stamp}-{number}"
        partial = root / f".{final.name}.{os.getpid()}.partial"
        try:
            with self.marks_lock:  # (the marks are folded under their own lock: not half way through)
                for path in sorted(self.dir.rglob("*")):
                    relative = path.relative_to(self.dir)
                    if (relative.parts[0] == "backups" or path.name in (".lock", ".marks-lock")
                            or path.name.endswith(".tmp") or not path.is_file()):
                        continue
                    target = partial / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target)
            os.replace(partial, final)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)  # a half copy would only fill the disk
            raise StoreError(
                f"{self.dir} was written by an older caucasus-reader (data schema {schema}) and "
                f"needs upgrading, but its backup could not be made ({exc.strerror or exc}); "
                "nothing was changed. Free some space, or check the folder's permissions."
            ) from exc
        return final

    def _migrate_1_to_2(self) -> None:
        """Schema 2 re-fetches stored articles: say they were fetched now (or every recent
        one would be fetched at once), and keep entry signatures per feed."""
        now = utc_now()
        self._put_articles({i: {**hot, "checked": now} for i, hot in self._articles.raw().items()
                            if "checked" not in hot})
        upgraded = {}
        for article_id, more in self._details.raw().items():
            if "entries" in more:
                continue
            more = dict(more)
            entry, feed_url = more.pop("entry", None), more.get("feed_url")
            more["entries"] = {feed_url: entry} if entry and feed_url else {}
            upgraded[article_id] = more
        self._details.put_many(upgraded)

    def _migrate_2_to_3(self) -> None:
        """Schema 3 keeps the stories' topic profiles out of the index (a third of it, read by every open)."""
        self._put_stories({sid: dict(doc) for sid, doc in self._stories.raw().items()
                           if any(k in doc for k in PROFILE_KEYS)})

    # -- the stories table, in two files -------------------------------------------
    def _put_stories(self, docs: dict[str, dict]) -> None:
        """Store story docs: their topic profiles in profiles.json, the rest in the index."""
        listed, profiles = {}, {}
        for sid, doc in docs.items():
            listed[sid] = {k: v for k, v in doc.items() if k not in PROFILE_KEYS}
            if any(k in doc for k in PROFILE_KEYS):
                profiles[sid] = {k: doc[k] for k in PROFILE_KEYS if k in doc}
        self._stories.put_many(listed)
        self._profiles.put_many(profiles)

    def _remove_stories(self, story_ids: Iterable[str]) -> None:
        story_ids = list(story_ids)
        self._stories.remove_keys(story_ids)
        self._profiles.remove_keys(story_ids)

    def _replace_stories(self, docs: dict[str, dict]) -> None:
        self._stories.replace_all({})
        self._profiles.replace_all({})
        self._put_stories(docs)

    def _stories_with_profiles(self, which) -> dict[str, dict]:
        """The story docs ``which(doc)`` picks, with their topic profiles: what topics are made from."""
        profiles = self._profiles.raw()
        return {sid: {**doc, **profiles.get(sid, {})} for sid, doc in self._stories.raw().items() if which(doc)}

    def close(self) -> None:
        """Fold a long marks journal into its file; nothing else is pending."""
        try:
            with self.marks_lock:
                self.marks.sync()
                if self.marks.needs_fold():
                    self.marks.fold()
        except StoreError:
            pass  # the marks stay safe in the journal; folding can wait

    # -- transactions ------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[None]:
        """Group changes into one locked, all-or-nothing pass over the files.

        Each file is re-read if another process changed it, and is held in
        memory until the end; then texts are written first and the index last,
        so a reader sees an article only once its text is on disk.
        """
        with self.lock:
            if self._txn_owner is not None:  # nested: the outer pass commits
                yield
                return
            self._txn_owner = threading.get_ident()
            if not self._swept:  # only a lock holder may tell a dead writer's file from a live one's
                remove_stale_temp_files(self.dir)
                remove_stale_temp_files(self.dir / "bodies")
                remove_stale_temp_files(self.dir / "groups")
                self._swept = True
            held = [self.catalog.file, self.profiles.file, self.index.file, self.feed_health.file]
            try:
                for f in held:
                    f.hold()
                yield
                for number in sorted(self._held_shards):
                    self._shards[number].file.commit()
                for month in sorted(self._held_months):
                    self._month_dbs[month].file.commit()
                for f in held:
                    f.commit()
                self._groups.retoken(self._month_token)
            except BaseException:
                for f in (held + [self._shards[n].file for n in self._held_shards]
                          + [self._month_dbs[m].file for m in self._held_months]):
                    f.forget()
                self._groups.forget()
                raise
            finally:
                self._txn_owner = None
                self._held_shards.clear()
                self._held_months.clear()
                self._pending_story.clear()
                self._pending_members.clear()
                self._stored_members = None
                self._trim_shard_cache()

    # -- grouping features, by month ------------------------------------------
    def _month_db(self, month: str) -> ReaderDB:
        db = self._month_dbs.get(month)
        if db is None:
            db = ReaderDB(self.dir / "groups" / f"{month}.json", kind="features", schema=SCHEMA)
            self._month_dbs[month] = db
        if self._txn_owner == threading.get_ident() and month not in self._held_months:
            db.file.hold()
            self._held_months.add(month)
        return db

    def _month_token(self, month: str) -> object:
        """What says a month's features and the stories they are in are as last read."""
        self._articles.raw()
        return (self._month_db(month).file._sig, self.index.file._sig)

    def _load_month(self, month: str) -> tuple[dict, object]:
        features = self._month_db(month).table("articles").raw()
        return features, self._month_token(month)

    def _peek_month(self, month: str) -> dict:
        """A month's features, read without keeping them (or as already held)."""
        db = self._month_dbs.get(month)
        if db is None:
            db = ReaderDB(self.dir / "groups" / f"{month}.json", kind="features", schema=SCHEMA)
        return db.table("articles").raw()

    def _story_of(self, article_id: str) -> str | None:
        pending = self._pending_story.get(article_id)
        if pending is not None:
            return pending
        doc = self._articles.raw().get(article_id)
        return doc["story"] if doc else None

    def _months(self) -> list[str]:
        return sorted(m.group(1) for p in (self.dir / "groups").iterdir() if (m := _MONTH_NAME.match(p.name)))

    # -- bodies --------------------------------------------------------------
    def _shard(self, number: int) -> ReaderDB:
        db = self._shards.pop(number, None)
        if db is None:
            db = ReaderDB(self.dir / "bodies" / f"{number:06d}.json", kind="bodies", schema=SCHEMA)
        self._shards[number] = db  # most recently used last
        if self._txn_owner == threading.get_ident() and number not in self._held_shards:
            db.file.hold()
            self._held_shards.add(number)
        else:
            self._trim_shard_cache()
        return db

    def _trim_shard_cache(self) -> None:
        """Keep the decoded texts of a few shards only; the rest are re-read when needed."""
        for number in list(self._shards):
            if len(self._shards) <= SHARDS_KEPT:
                break
            if number not in self._held_shards:
                del self._shards[number]

    def _open_shard(self) -> tuple[int, int]:
        """The shard new texts go to, and how full it is (bytes)."""
        numbers = [
            int(m.group(1))
            for p in (self.dir / "bodies").iterdir()
            if (m := _SHARD_NAME.match(p.name))
        ]
        if not numbers:
            return 1, 0
        last = max(numbers)
        size = (self.dir / "bodies" / f"{last:06d}.json").stat().st_size
        return (last + 1, 0) if size >= SHARD_BYTES else (last, size)

    def versions(self, article_id: str) -> list[dict[str, Any]]:
        """Every stored version of an article, oldest first: {at, hash, title, text}."""
        doc = self._body(article_id)
        return _materialise(doc["versions"]) if doc else []

    def events(self, article_id: str) -> list[dict[str, Any]]:
        """What re-fetching an article met besides versions: {at, kind, detail}, oldest first.

        Kinds: "gone" (404/410), "moved" (redirected elsewhere), "suspect" (a
        fetch that returned far less text than the last version: a broken page
        or a paywall, not an edit), "failed" (the page could not be fetched).
        """
        doc = self._body(article_id)
        return list(doc.get("events", [])) if doc else []

    def _body(self, article_id: str) -> dict[str, Any] | None:
        hot = self._articles.raw().get(article_id)
        if hot is None:
            raise KeyError(article_id)
        return self._shard(hot["shard"]).table("bodies").raw().get(article_id)

    def text(self, article_id: str) -> str:
        doc = self._body(article_id)
        return doc["versions"][-1]["text"] if doc and doc["versions"] else ""

    # -- re-fetching: versions and events --------------------------------------
    def due_for_recheck(self, now: datetime | None = None, everything: bool = False) -> list[Recheck]:
        """The articles with a page whose schedule says look again now.

        ``everything``: all of them, those whose page went missing included
        (``refresh --recheck`` retries them).
        """
        now = now or datetime.now(timezone.utc)
        settled = (now - revisions.SETTLED).isoformat(timespec="seconds")  # unchanged since: never due
        details = self._details.raw()
        out = []
        for article_id, hot in self._articles.raw().items():
            changed = hot.get("changed") or hot["date"]
            if hot.get("seed") or not everything and (hot.get("gone") or changed < settled):
                continue
            more = details.get(article_id, {})
            url = more.get("url")
            if not url:
                continue
            if everything or revisions.recheck_due(changed, hot.get("checked"), now):
                out.append(self._recheck(article_id, more))
        return out

    def recheck_of(self, article_id: str) -> Recheck | None:
        """What fetching this article's page again needs to know (None: no page, or no such article)."""
        hot = self._articles.raw().get(article_id)
        more = self._details.raw().get(article_id, {})
        return self._recheck(article_id, more) if hot and more.get("url") else None

    def origin_feed(self, article_id: str) -> str | None:
        """The address of the feed the article was first stored from."""
        return self._details.raw().get(article_id, {}).get("feed_url")

    @staticmethod
    def _recheck(article_id: str, more: dict) -> Recheck:
        return Recheck(article_id, more["url"], more.get("feed_url"), more.get("method", ""),
                       more.get("page_url"), more.get("page_title"))

    def resolve_article(self, given: str) -> str:
        """The id of the article ``given`` names: its id, or the start of one that no other id shares."""
        listed = self._articles.raw()
        if given in listed:
            return given
        found = [i for i in listed if i.startswith(given)] if len(given) >= 4 else []
        if len(found) == 1:
            return found[0]
        if found:
            raise ReaderError(f"{given!r} is the start of {len(found)} article ids; give more of it")
        raise ReaderError(f"no article with id {given!r} in {self.dir} "
                          "(ids are listed by `caucasus-reader stories --json`)")

    def entry_signatures(self, article_ids: Iterable[str], feed_url: str) -> dict[str, str | None]:
        """The signature of each stored article's entry when ``feed_url`` last showed it (None: never seen).

        Each feed keeps its own: one article carried by two feeds, whose entries
        differ, is not an edit.
        """
        details = self._details.raw()
        return {i: details.get(i, {}).get("entries", {}).get(feed_url) for i in article_ids}

    def record_checks(self, results: Iterable[CheckResult]) -> dict[str, int]:
        """Apply what re-fetching found, in one write; count the outcomes.

        A result is stored as a new version only for a real change of title or
        text (:func:`diffing.same_content`); a fetch that returns far less than
        the last version is an event ("suspect"), never a version that deletes
        the article; 404/410 and redirects elsewhere are events too. An article
        first stored from its feed's text because its page failed takes the
        page's text once the page loads ("filled"), without a version: that is
        the extraction catching up, not an edit.
        """
        counts = {"version": 0, "same": 0, "suspect": 0, "gone": 0, "moved": 0, "failed": 0, "filled": 0}
        with self.writing():
            articles, details = self._articles.raw(), self._details.raw()
            hot_docs: dict[str, dict] = {}
            detail_docs: dict[str, dict] = {}
            features: dict[str, dict[str, dict]] = {}
            for result in results:
                hot = articles.get(result.article_id)
                if hot is None:
                    continue  # removed meanwhile
                more = detail_docs.get(result.article_id) or dict(details.get(result.article_id, {}))

                def remember_entry() -> None:
                    if result.entry is not None and result.feed_url:
                        more["entries"] = {**more.get("entries", {}), result.feed_url: result.entry}
                        detail_docs[result.article_id] = more

                if result.status == "unchecked":
                    remember_entry()
                    continue
                hot = hot_docs.get(result.article_id) or dict(hot)
                stored = self._shard(hot["shard"]).table("bodies").raw().get(result.article_id)
                if stored is None:
                    continue
                body = {**stored, "versions": list(stored["versions"]), "events": list(stored.get("events", []))}
                outcome = self._check_outcome(result, body, hot, more, features)
                counts[outcome] += 1
                if outcome not in ("failed", "gone", "suspect"):
                    # Only a check that read the page settles the entry's change: after a failed
                    # one, the changed entry is still news and the next refresh looks again.
                    remember_entry()
                hot["checked"] = result.at
                hot_docs[result.article_id] = hot
                if more != details.get(result.article_id):
                    detail_docs[result.article_id] = more
                if body["versions"] != stored["versions"] or body["events"] != stored.get("events", []):
                    self._shard(hot["shard"]).table("bodies").put_many({result.article_id: body})
            for month, docs in features.items():
                self._month_db(month).table("articles").put_many(docs)
            self._details.put_many(detail_docs)
            self._put_articles(hot_docs)
        return counts

    def _check_outcome(self, result: CheckResult, body: dict, hot: dict, more: dict, features: dict) -> str:
        """Fold one check into an article's body, index entry and details; return what it was."""
        latest = body["versions"][-1]
        if hot.get("versions") != len(body["versions"]):
            # A write killed between the texts and the index: the text has a version the list
            # does not show yet. Catch the list up, whatever this check finds.
            hot.update(title=latest["title"], versions=len(body["versions"]), changed=latest["at"])
        if result.status in ("gone", "failed"):
            _note_event(body, result.at, result.status, result.detail)
            if result.status == "gone":
                # One 404 can be a publishing hiccup: the schedule gives up only after several in a row.
                hot["misses"] = hot.get("misses", 0) + 1
                if hot["misses"] >= GONE_AFTER:
                    hot["gone"] = result.at
            return result.status
        hot.pop("misses", None)
        hot.pop("gone", None)
        # No headline given (a page fetched again): the page's own says whether it changed.
        title = result.title or revisions.headline(latest["title"], more.get("page_title"), result.page_title)
        fallback = more.get("method") == "feed-fallback" and bool(result.method)
        if result.status == "moved" or fallback:
            if not self._same_article(latest["text"], result.text, fallback):
                # Somewhere else altogether (a section front, the home page): an event, and the
                # address and headline to judge the next check by stay the article's.
                _note_event(body, result.at, result.status if result.status == "moved" else "suspect",
                            result.detail if result.status == "moved" else "the page that loaded does not hold the feed's text")
                return "moved" if result.status == "moved" else "suspect"
            if result.status == "moved":
                _note_event(body, result.at, "moved", result.detail)
        same = not fallback and diffing.same_content(latest["title"], latest["text"], title, result.text)
        reason = None if same or fallback else diffing.suspect_fetch(latest["text"], result.text)
        if reason:  # a broken page or paywall: nor are its address and headline kept to judge by
            _note_event(body, result.at, "suspect", reason)
            return "suspect"
        more.update({k: v for k, v in (("page_url", result.page_url), ("page_title", result.page_title)) if v})
        if fallback:
            # The page failed when the article was stored; now it loads: its text replaces the feed's.
            body["versions"][-1] = {**latest, "text": result.text, "hash": content_hash(latest["title"], result.text)}
            _note_event(body, result.at, "filled", "")
            more.update(method=result.method, note="")
            self._refeature(result.article_id, hot, latest["title"], result.text, features)
            return "filled"
        if same:
            return "moved" if result.status == "moved" else "same"
        older = {k: v for k, v in latest.items() if k != "text"}
        older["delta"] = revisions.delta(result.text, latest["text"])
        body["versions"][-1] = older
        body["versions"].append({"at": result.at, "hash": content_hash(title, result.text),
                                 "title": title, "text": result.text})
        hot.update(title=title, versions=len(body["versions"]), changed=result.at)
        self._refeature(result.article_id, hot, title, result.text, features)
        return "version"

    @staticmethod
    def _same_article(known: str, fetched: str, from_feed: bool) -> bool:
        """Whether a page found somewhere new (or loading at last) still holds the article.

        ``from_feed``: ``known`` is the feed's short text, which the page should contain;
        else ``known`` is the article's page text, which the new page should mostly repeat.
        """
        if not fetched:
            return False
        if from_feed:
            return not known.strip() or diffing.share_known(fetched, known) >= FEED_TEXT_IN_PAGE
        return diffing.share_known(known, fetched) >= MOVED_SAME_ARTICLE

    @staticmethod
    def _refeature(article_id: str, hot: dict, title: str, text: str, features: dict) -> None:
        """Grouping reads the newest text from now on; the article stays in its story."""
        stored = {**grouping.features(title, text), "d": filed_at(hot), "u": hot["dated"]}
        features.setdefault(grouping.month_of(filed_at(hot)), {})[article_id] = stored

    # -- adding ------------------------------------------------------------------
    def _free_id(self, key: str) -> tuple[str, bool]:
        """The id for ``key`` and whether the archive already has that article.

        The index is written last, so it alone says what the archive holds: a
        catalog entry or text without an index entry is what a write that died
        half-way left behind, and is overwritten.
        """
        listed = self._articles.raw()
        details = self._details.raw()
        salt = 0
        while True:
            article_id = make_id(key, salt)
            if article_id not in listed:
                return article_id, False
            if details.get(article_id, {}).get("key", key) == key:
                return article_id, True
            salt += 1  # a different key with the same short hash

    def add_articles(self, items: Iterable[NewArticle], story: str | None = None,
                     provisional: bool = False) -> list[str]:
        """Store the articles the archive does not have yet; return their ids.

        Each joins the story of the same event, or starts its own (see
        :mod:`tui.grouping`); ``story`` instead puts them all in that story
        (created with that id if new) and keeps them there. ``provisional``:
        more writes follow and :meth:`settle` will place them all again, so
        these merge no stories (a merge is not undone).
        """
        with self.writing():
            self._check_grouping()
            hot_docs: dict[str, dict] = {}
            detail_docs: dict[str, dict] = {}
            bodies: dict[int, dict[str, dict]] = {}
            features: dict[str, dict[str, dict]] = {}
            shard_number, shard_fill = self._open_shard()
            now = utc_now()
            moves = _Moves()
            computed: dict[str, dict] = {}
            near: dict[str, str] = {}
            placed: list[tuple[grouping.Doc, str, str]] = []  # the articles grouping placed
            fresh: dict[str, NewArticle] = {}  # the articles the archive does not have, by id
            for item in items:
                article_id, known = self._free_id(item.key)
                if not known:
                    fresh.setdefault(article_id, item)
            # As a regroup does: the dated articles in date order, then the undated ones,
            # each dated by the words it shares with the articles stored before it and with
            # this batch's, in one reading.
            dates = {i: normalise_date(item.published) for i, item in fresh.items()}
            order = list(fresh) if story else sorted(fresh, key=lambda i: (dates[i] or "\uffff", i))
            undated = [i for i in order if not dates[i]]
            for article_id in order:
                item = fresh[article_id]
                if not story and article_id == (undated or [None])[0]:
                    for i in undated:
                        computed[i] = fresh[i].features or grouping.features(fresh[i].title, fresh[i].text)
                    near = self._groups.dates_of([grouping.make_doc(i, {**computed[i], "d": now}, "")
                                                  for i in undated])
                published = dates[article_id]
                moment = published or now
                at = published or near.get(article_id) or now  # (an undated one lives where its words date it)
                stored = {**(item.features or computed.get(article_id) or grouping.features(item.title, item.text)),
                          "d": at, "u": bool(published)}
                doc = grouping.make_doc(article_id, stored, "")
                if story:
                    story_id, group = story, {"by": "given"}
                    moves.pins[article_id] = {"story": story, "at": now, "by": "given"}
                    moves.leads.setdefault(story, article_id)
                else:
                    story_id, group = self._place(doc, at, moves, at, merge=not provisional)
                    placed.append((doc, at, at))
                doc.story = story_id
                self._assign(article_id, story_id)
                month = grouping.month_of(at)
                self._groups.add(month, doc)
                features.setdefault(month, {})[article_id] = stored
                moves.touched.add(story_id)
                version = {
                    "at": now,
                    "hash": content_hash(item.title, item.text),
                    "title": item.title,
                    "text": item.text,
                }
                shard_fill += len(item.text) + len(item.title) + 100
                if shard_fill > SHARD_BYTES and bodies.get(shard_number):
                    shard_number += 1
                    shard_fill = 0
                bodies.setdefault(shard_number, {})[article_id] = {"versions": [version]}
                hot_docs[article_id] = {
                    "title": item.title,
                    "feed": item.feed,
                    # The list's date: publication, or when first seen for undated items.
                    "date": moment,
                    "dated": bool(published),
                    **({"near": at} if at != moment else {}),
                    "story": story_id,
                    "seed": item.seed,
                    "versions": 1,
                    "shard": shard_number,
                    "changed": now,  # the last version's time: the recheck schedule follows it
                    "checked": now,  # when its text was last fetched
                }
                detail_docs[article_id] = {
                    "key": item.key,
                    "entries": {item.feed_url: item.entry} if item.entry and item.feed_url else {},
                    "page_url": item.page_url,
                    "page_title": item.page_title,
                    "url": item.url,
                    "feed_url": item.feed_url,
                    "added": now,
                    "method": item.method,
                    "note": item.note,
                    "kept": list(item.kept),
                    "why": item.why,
                    "group": group,
                }
            added = list(fresh)
            # (The last article placed met every other already.)
            regrouped = self._look_again([] if provisional else placed[:-1], moves)
            if not provisional and not story:
                regrouped.update(self._split_mixed(moves, lambda i: regrouped.get(i) or (
                    detail_docs.get(i) or self._details.raw().get(i, {})).get("group")))
            for article_id, group in regrouped.items():
                more = detail_docs.get(article_id) or self._details.raw().get(article_id, {})
                detail_docs[article_id] = {**more, "group": group}
            for number, docs in bodies.items():
                self._shard(number).table("bodies").put_many(docs)
            for month, docs in features.items():
                self._month_db(month).table("articles").put_many(docs)
            self._details.put_many(self._merged_reasons(moves, detail_docs, now))
            for article_id, story_id in moves.moved.items():  # merged into another story
                if article_id in hot_docs:
                    hot_docs[article_id]["story"] = story_id
                else:
                    hot_docs[article_id] = {**self._articles.raw()[article_id], "story": story_id}
            self._put_articles(hot_docs)
            self._pins.put_many(moves.pins)
            self._save_stories(moves)
            if provisional and added:  # (kept until settled, should this refresh be stopped first)
                unsettled = self._unsettled_by_process()
                me = _this_process()
                unsettled[me] = {"ids": unsettled.get(me, {}).get("ids", []) + added, "at": now}
                self._put_unsettled(unsettled)
        return added

    def _place(self, doc: grouping.Doc, moment: str, moves: _Moves, near: str | None = None,
               merge: bool = True, new_id: str | None = None) -> tuple[str, dict]:
        """The story a new article joins (merging stories it shows to be one, unless not
        ``merge``), and why; a story it starts has ``new_id``, or one made from its id."""
        curated, apart = self._corrections(moves)  # (a story split out into holds only its article)
        placement = self._groups.place(doc, moment, curated=curated.__contains__, exclude=apart.__contains__,
                                       near=near)
        if placement.match is None:
            return new_id or make_id("story:" + doc.id), {"by": "new"}
        match = placement.match
        story_id = match.story
        for other in placement.merge if merge else ():
            story_id = self._merge(story_id, other, moves, via=doc.id)
        group = {"by": "auto", "score": round(match.score, 3), "with": match.best, "shared": match.shared}
        return story_id, group

    def _unsettled_by_process(self) -> dict[str, dict]:
        """{process (see _this_process): {"ids": its unsettled articles, "at": its last write}}."""
        table = self.index.table("grouping").raw()
        found = {key: dict(entry) for key, entry in table.get("pending", {}).items()}
        for key, ids in table.get("unsettled", {}).items():  # (an older version's, maybe running beside)
            entry = found.setdefault(key, {"ids": [], "at": ""})
            entry["ids"] = entry["ids"] + [i for i in ids if i not in entry["ids"]]
        return found

    def _put_unsettled(self, by_process: dict[str, dict]) -> None:
        """(Under "pending": a version before process keys reads "unsettled", {pid: [ids]},
        and would fail on these; it leaves them to this one.)"""
        self.index.table("grouping").put_many({"pending": by_process})
        self.index.table("grouping").remove_keys(["unsettled"])

    def unsettled(self) -> list[str]:
        """The articles of provisional writes not settled yet (a refresh running now, or
        one stopped before its end)."""
        return [i for entry in self._unsettled_by_process().values() for i in entry["ids"]]

    def settle(self, article_ids: Iterable[str] = ()) -> int:
        """Place these articles again, all together, as one write in date order would.

        A refresh stores its articles as they come, in writes cut by time, each
        placed among the articles stored before it and merging no stories
        (``provisional``); so where they ended up hangs on which feed answered
        first. At its end, they leave their stories and are placed again: the
        dated ones in date order, then the undated ones, each near the date its
        words point to; only now may stories merge. Then each story takes the
        id most of its articles had (each id once), as after a regroup; an
        article someone put in a story stays there, and so do the articles of
        a story someone moved one into. The provisional articles of a refresh
        stopped before its end (in this process, or in one no longer running)
        are settled too. Returns how many articles changed story.
        """
        with self.writing():
            self._check_grouping()
            articles = self._articles.raw()
            live = self._live_pins()
            leftover = self._unsettled_by_process()
            now = utc_now()
            done = [key for key, entry in leftover.items() if _gone(key, entry["at"], now)]
            if done:
                self._put_unsettled({key: entry for key, entry in leftover.items() if key not in done})
            docs: dict[str, tuple[grouping.Doc, str]] = {}
            refound: dict[str, str] = {}  # undated articles whose features were not where their entry says
            for article_id in itertools.chain(article_ids, *(leftover[key]["ids"] for key in done)):
                hot = articles.get(article_id)
                if hot is not None and article_id not in live:
                    doc = self._groups.month(grouping.month_of(filed_at(hot))).docs.get(article_id)
                    moment = filed_at(hot)
                    if doc is None and not hot["dated"]:  # (a write stopped after moving its features)
                        doc, moment = self._refound(article_id) or (None, moment)
                        if doc is not None:
                            refound[article_id] = moment
                    if doc is not None:
                        docs[article_id] = (doc, moment)
            if not docs:
                return 0
            before = {article_id: doc.story for article_id, (doc, _) in docs.items()}
            self._groups.remove(before)
            for article_id, (doc, _) in docs.items():
                doc.story = ""  # in no story while placed again
                self._assign(article_id, "")
            moves = _Moves()
            dated = sorted((pair for pair in docs.values() if pair[0].dated), key=lambda p: (p[1], p[0].id))
            undated = sorted((pair for pair in docs.values() if not pair[0].dated), key=lambda p: p[0].id)
            placed: list[tuple[grouping.Doc, str, str]] = []
            found: dict[str, dict] = {}
            near: dict[str, str] = {}
            listed = self._stories.raw()
            free = self._free_story(moves)
            refiled: dict[str, tuple[str, str]] = {}  # undated articles dated anew: {id: (from, to)}
            for doc, moment in dated + undated:
                if doc is (undated[0][0] if undated else None):
                    near = self._groups.dates_of([d for d, _ in undated])
                if not doc.dated and near.get(doc.id, moment) != moment:
                    refiled[doc.id] = (moment, near[doc.id])
                    moment = near[doc.id]
                    doc.day = grouping.day_number(moment)
                new_id, salt = make_id("story:" + doc.id), 1
                while not free(new_id):
                    new_id, salt = make_id("story:" + doc.id, salt), salt + 1
                story_id, found[doc.id] = self._place(doc, moment, moves, moment, new_id=new_id)
                doc.story = story_id
                self._assign(doc.id, story_id)
                self._groups.add(grouping.month_of(moment), doc)
                moves.touched.add(story_id)
                placed.append((doc, moment, moment))
            found.update(self._look_again(placed[:-1], moves))
            found.update(self._split_mixed(moves, lambda i: found.get(i)
                                           or self._details.raw().get(i, {}).get("group")))
            self._refile(refiled)
            # Each story now takes an id its articles had: an earlier story's id goes to the
            # story holding most of its articles (those from before this refresh counting
            # most), so the stories you saw before it keep their ids; an earlier story
            # whose id goes nowhere was merged into that story.
            stories = ({self._pending_story[i] for i in before} | set(moves.moved.values())
                       | {story_id for story_id in {*before.values(), *moves.touched} if self._members(story_id)})
            now_in = {i: story_id for story_id in stories for i in self._members(story_id)}
            was_in = {i: before.get(i) or articles[i]["story"] for i in now_in}
            heavy = len(now_in) + 1
            renamed, heir = _settled_ids(now_in, was_in, {i: 1 if i in before else heavy for i in now_in},
                                         {p["story"] for p in live.values()}, _moved_into(live), free)
            by_story: dict[str, list[str]] = {}
            for article_id, story_id in now_in.items():
                by_story.setdefault(story_id, []).append(article_id)
            for story_id, new_id in renamed.items():
                if new_id != story_id:
                    for article_id in by_story[story_id]:
                        self._assign(article_id, new_id)
                    self._groups.move(by_story[story_id], new_id)
            moves.merged = {}
            for old_id, story_id in heir.items():
                if old_id in listed and not self._members(old_id):
                    moves.merged.setdefault(renamed[story_id], []).append(old_id)
            moves.split = {}  # (an article from before this refresh left a story that lives on)
            for article_id, old_id in was_in.items():
                if article_id not in before and old_id != self._story_of(article_id) and self._members(old_id):
                    moves.split.setdefault(self._story_of(article_id), set()).add(old_id)
            mentioned = (set(was_in.values()) | set(renamed) | set(renamed.values()) | moves.touched | moves.gone)
            moves.touched, moves.gone = set(), set()
            for story_id in mentioned:  # (a story merged away, or renamed away, is gone)
                (moves.touched if self._members(story_id) else moves.gone).add(story_id)
            details = self._details.raw()
            self._details.put_many(self._merged_reasons(
                moves, {i: {**details.get(i, {}), "group": group} for i, group in found.items()}, now))
            changed = {i: self._story_of(i) for i in now_in if self._story_of(i) != articles[i]["story"]}
            hot_docs = {i: {**articles[i], "story": s} for i, s in changed.items()}
            for article_id, after in {**refound, **{i: after for i, (_, after) in refiled.items()}}.items():
                hot_docs[article_id] = {**hot_docs.get(article_id, articles[article_id]), "near": after}
            self._put_articles(hot_docs)
            self._save_stories(moves)
            return len(changed)

    def _refound(self, article_id: str) -> tuple[grouping.Doc, str] | None:
        """An undated article's features found in whichever month holds them, and their date
        (a write that moved them stopped before its index entry said where)."""
        for month in self._months():
            stored = self._peek_month(month).get(article_id)
            if stored is not None:
                doc = self._groups.month(month).docs.get(article_id)
                return (doc, stored["d"]) if doc is not None else None
        return None

    def _refile(self, refiled: Mapping[str, tuple[str, str]]) -> None:
        """Move the features of undated articles dated anew ({id: (old date, new date)})
        to the month of the new date (the index already holds them there)."""
        taken: dict[str, list[str]] = {}
        put: dict[str, dict[str, dict]] = {}
        for article_id, (before, after) in refiled.items():
            table = self._month_db(grouping.month_of(before)).table("articles")
            stored = table.raw().get(article_id)
            if stored is None:
                continue
            taken.setdefault(grouping.month_of(before), []).append(article_id)
            put.setdefault(grouping.month_of(after), {})[article_id] = {**stored, "d": after}
        for month, docs in put.items():
            self._month_db(month).table("articles").put_many(docs)
        for month, ids in taken.items():
            self._month_db(month).table("articles").remove_keys(
                [i for i in ids if grouping.month_of(refiled[i][1]) != month])

    def _merged_reasons(self, moves: _Moves, detail_docs: dict[str, dict], now: str) -> dict[str, dict]:
        """``detail_docs``, plus the new reason of each article that had started a story
        merged away since: the article that showed the two to be one."""
        details = self._details.raw()
        for article_id, via in moves.via.items():
            more = detail_docs.get(article_id) or details.get(article_id)
            if (via and more is not None and (more.get("group") or {}).get("by") == "new"
                    and self._story_of(via) == self._story_of(article_id)):  # (not split apart again since)
                detail_docs[article_id] = {**more, "group": {"by": "merged", "with": via, "at": now}}
        return detail_docs

    def _corrections(self, moves: _Moves) -> tuple[set[str], set[str]]:
        """What people (and the seeds) decided, this write's included: the stories holding
        an article put there on purpose, and those an article was split out into."""
        pins = self._live_pins() | moves.pins
        return {p.get("story") for p in pins.values()}, _split_out(pins)

    def _look_again(self, placed: list[tuple[grouping.Doc, str, str]], moves: _Moves) -> dict[str, dict]:
        """Place again the articles of ``placed`` left in small stories (doc, date, near date).

        An article placed early met those after it only as they came. Returns
        the new reasons of the articles that moved.
        """
        curated, apart = self._corrections(moves)
        found = {}
        for doc, moment, near in placed:
            own = doc.story
            if own in curated or len(self._members(own)) > grouping.LOOK_AGAIN:
                continue
            placement = self._groups.place(doc, moment, curated=curated.__contains__, near=near,
                                           exclude=lambda s: s == own or s in apart)
            match = placement.match
            if match is not None and self._merge(match.story, own, moves, via=doc.id) != own:
                found[doc.id] = {"by": "auto", "score": round(match.score, 3), "with": match.best,
                                 "shared": match.shared}
        return found

    def _free_story(self, moves: _Moves) -> Callable[[str], bool]:
        """Whether a story id may be given to a new story: no article is in it, and it was
        not merged away (an id listed as merged never comes back)."""
        retired = {m for doc in self._stories.raw().values() for m in doc.get("merged", ())}
        return lambda story_id: not self._members(story_id) and story_id not in moves.gone and story_id not in retired

    def _split_mixed(self, moves: _Moves, reason_of: Callable[[str], dict | None]) -> dict[str, dict]:
        """Split the stories this write touched that hold two events (see
        :meth:`grouping.GroupIndex.events_in`). Stories holding the seeds or your
        corrections are kept whole. Returns the new reasons of the articles whose reason
        named an article now in the other part (``reason_of``: an article's reason so far)."""
        curated, apart = self._corrections(moves)
        articles = self._articles.raw()
        free = self._free_story(moves)
        found: dict[str, dict] = {}
        for story_id in sorted(moves.touched - moves.gone - curated - apart):
            ids = self._members(story_id)
            if not 4 <= len(ids) <= grouping.SPLIT_MOST:
                continue
            for month in {grouping.month_of(filed_at(articles[i])) for i in ids if i in articles}:
                self._groups.month(month)
            docs = sorted(self._groups.members(story_id), key=lambda d: (d.day, d.id))
            if len(docs) != len(ids):  # (not every member at hand: left as it is)
                continue
            # The part holding most of the story's articles from before this write keeps its id
            # (then the larger part; then the one with the first article).
            older = {i for i in ids if i in articles and articles[i]["story"] == story_id}
            parts = sorted(self._groups.events_in(docs), key=lambda p: (sum(d.id in older for d in p), len(p)),
                           reverse=True)
            for part in parts[1:]:
                # A story merged into this one by this write, whose articles are most of this
                # part's, takes its id back (the merge is undone); else a new id.
                was = Counter(articles[d.id]["story"] for d in part if d.id in articles)
                back = next((old for old, _ in was.most_common(1) if old in moves.merged.get(story_id, ())), None)
                new_id = back or next((n for n in (make_id("story:" + d.id) for d in part) if free(n)), None)
                salt = 1
                while new_id is None or not (new_id == back or free(new_id)):
                    new_id, salt = make_id("story:" + part[0].id, salt), salt + 1
                for doc in part:
                    self._assign(doc.id, new_id)
                    moves.moved[doc.id] = new_id
                self._groups.move([d.id for d in part], new_id)
                moves.touched.add(new_id)
                if back:  # (with the stories merged into it before, whose articles went with it)
                    moves.merged[story_id].remove(back)
                    moves.gone.discard(back)
                    left = set(ids) - {d.id for d in part}
                    for other in [m for m in moves.merged[story_id] if m in was]:
                        if not any(articles.get(i, {}).get("story") == other for i in left):
                            moves.merged[story_id].remove(other)
                            moves.merged.setdefault(back, []).append(other)
                elif any(d.id in older for d in part):  # (a part of this write's articles alone is new)
                    moves.split.setdefault(new_id, set()).add(story_id)
            for part in parts if len(parts) > 1 else ():
                here = {d.id for d in part}
                for doc in part:
                    if (reason_of(doc.id) or {}).get("with", doc.id) not in here:
                        found[doc.id] = {"by": "new"} if doc is part[0] else self._groups.why_in(doc, part)
        return found

    def _merge(self, one: str, other: str, moves: _Moves, via: str = "") -> str:
        """Make two stories one (see :func:`grouping.survivor`); return the id that stays."""
        if one == other:
            return one
        pinned, fixed = self._corrections(moves)
        members = {sid: self._members(sid) for sid in (one, other)}
        keep = grouping.survivor(one, other, {sid: len(ids) for sid, ids in members.items()}, pinned, fixed)
        if keep is None:
            return one
        gone = other if keep == one else one
        for article_id in members[gone]:
            moves.moved[article_id] = keep
            moves.via[article_id] = via
            self._assign(article_id, keep)
        self._groups.move(members[gone], keep)
        moves.merged.setdefault(keep, []).append(gone)
        moves.merged[keep] += moves.merged.pop(gone, [])
        moves.touched.discard(gone)
        moves.gone.add(gone)
        moves.touched.add(keep)
        return keep

    def _put_articles(self, docs: dict[str, dict]) -> None:
        self._articles.put_many(docs)
        self._stored_members = None

    def _live_pins(self) -> dict[str, dict]:
        """The pins of the articles the archive still has (a removed article's pin is moot)."""
        articles = self._articles.raw()
        return {i: p for i, p in self._pins.raw().items() if i in articles}

    def _members(self, story_id: str) -> list[str]:
        """Every article of a story, across the whole archive."""
        if self._stored_members is None:  # one pass over the index, kept while it is unchanged
            self._stored_members = {}
            for article_id, doc in self._articles.raw().items():
                self._stored_members.setdefault(doc["story"], set()).add(article_id)
        pending = self._pending_story
        found = {i for i in self._stored_members.get(story_id, ()) if pending.get(i, story_id) == story_id}
        return sorted(found | self._pending_members.get(story_id, set()))

    def _assign(self, article_id: str, story_id: str) -> None:
        """Put an article in a story, in the open transaction ("": in none)."""
        before = self._pending_story.get(article_id)
        if before is not None:
            self._pending_members[before].discard(article_id)
        self._pending_story[article_id] = story_id
        self._pending_members.setdefault(story_id, set()).add(article_id)

    def _save_stories(self, moves: _Moves) -> None:
        """Describe the stories that changed (a representative headline, key terms) and link topics."""
        stories = self._stories.raw()
        articles = self._articles.raw()
        docs = {}
        for story_id in moves.touched - moves.gone:
            doc = dict(stories.get(story_id, {}))
            for month in {grouping.month_of(filed_at(articles[i])) for i in self._members(story_id) if i in articles}:
                self._groups.month(month)  # (every member is described, in whichever month)
            members = self._groups.members(story_id)
            if members:
                lead = doc.get("lead") if doc.get("lead_kept") else None
                doc.update(_describe(members))
                if story_id in moves.leads and not lead:  # a story made on purpose (the seeds'):
                    lead = moves.leads[story_id]  # its first article's headline names it for good
                    doc["lead_kept"] = True
                if lead:
                    doc["lead"] = lead
            if moves.split.get(story_id):
                doc["split_from"] = sorted(set(doc.get("split_from", [])) | moves.split[story_id])
            merged = moves.merged.get(story_id)
            if merged:
                doc["merged"] = sorted(set(doc.get("merged", [])) | set(merged)
                                       | {m for g in merged for m in stories.get(g, {}).get("merged", [])})
            docs[story_id] = doc
        self._remove_stories(moves.gone)
        self._put_stories(docs)
        self._link_topics(docs)

    def _link_topics(self, changed: Iterable[str]) -> None:
        listed = self._stories.raw()
        changed = [c for c in changed if c in listed]
        if not changed:
            self._name_topics(set())  # still drop topics no story is in any more
            return
        days = [listed[c].get("day", 0) for c in changed]  # only stories this near can share a topic
        low, high = min(days) - grouping.TOPIC_DAYS, max(days) + grouping.TOPIC_DAYS
        stories = self._stories_with_profiles(lambda doc: low <= doc.get("day", 0) <= high)
        decided = grouping.link_topics(stories, changed)
        updates = {sid: {**stories[sid], "topic": tid} for sid, tid in decided.items()
                   if stories[sid].get("topic") != tid}
        self._put_stories(updates)
        self._name_topics({tid for tid in decided.values() if tid})

    def _name_topics(self, topic_ids: set[str]) -> None:
        """Title the topics given; drop topics no story is in any more."""
        stories = self._stories_with_profiles(lambda doc: bool(doc.get("topic")))
        by_topic: dict[str, list[dict]] = {}
        for doc in stories.values():
            if doc.get("topic"):
                by_topic.setdefault(doc["topic"], []).append(doc)
        docs = {}
        for tid in topic_ids & by_topic.keys():
            docs[tid] = {"title": grouping.topic_title([d.get("profile", {}) for d in by_topic[tid]],
                                                       _spellings(by_topic[tid])),
                         "stories": len(by_topic[tid])}
        self._topics.put_many(docs)
        self._topics.remove_keys([tid for tid in self._topics.raw() if tid not in by_topic])

    # -- regrouping and corrections --------------------------------------------
    def grouping_state(self) -> dict[str, Any]:
        return dict(self.index.table("grouping").raw().get("state", {}))

    def needs_regroup(self) -> bool:
        """Whether stored articles lack grouping features (an archive from before grouping)."""
        state = self.grouping_state()
        return bool(self._articles.raw()) and state.get("features") != grouping.FEATURES_VERSION

    def _check_grouping(self) -> None:
        """Once per process: an archive from before grouping (or older features) is regrouped first."""
        if self._grouping_checked:
            return
        if self.needs_regroup():
            self.regroup()
        elif not self.grouping_state():
            self.index.table("grouping").put_many({"state": {"features": grouping.FEATURES_VERSION}})
        self._grouping_checked = True

    def regroup(self, progress=None) -> dict[str, int]:
        """Group every article again from scratch, keeping what users (and the seeds) decided.

        Stories keep their ids where their articles mostly stay together, so
        open stories, topics and scripts that remember ids are not thrown off.
        Articles whose features are missing or out of date get them computed
        from their stored text. Returns counts for a summary line.
        """
        with self.writing():
            articles = self._articles.raw()
            live = self._live_pins()
            pins = {i: p["story"] for i, p in live.items()}
            fixed = _split_out(live)
            stored: dict[str, dict] = {}
            for month in self._months():
                for article_id, doc in self._month_db(month).table("articles").raw().items():
                    if article_id in articles and doc.get("v") == grouping.FEATURES_VERSION:
                        stored[article_id] = doc
            missing = [i for i in articles if i not in stored]
            fresh: dict[str, dict[str, dict]] = {}
            for n, article_id in enumerate(missing):
                hot = articles[article_id]
                versions = self.versions(article_id)
                latest = versions[-1] if versions else {"title": hot["title"], "text": ""}
                doc = {**grouping.features(latest["title"], latest["text"]), "d": filed_at(hot), "u": hot["dated"]}
                stored[article_id] = doc
                fresh.setdefault(grouping.month_of(filed_at(hot)), {})[article_id] = doc
                if progress and n % 200 == 0:
                    progress("features", n, len(missing))
            # Where an article's date moved to another month, its old entry goes.
            for month in self._months():
                table = self._month_db(month).table("articles")
                stale = [i for i, d in table.raw().items() if i not in articles or (
                    i in stored and grouping.month_of(stored[i]["d"]) != month)]
                table.remove_keys(stale)
            for month, docs in fresh.items():
                self._month_db(month).table("articles").put_many(docs)
            dates: dict[str, str] = {}
            found, why = grouping.cluster(
                stored.items(), pins, new_story=lambda i: make_id("story:" + i),
                progress=(lambda n: progress("grouping", n, len(stored))) if progress else None, fixed=fixed,
                dates=dates,
            )
            # An undated article is filed where the regroup placed it: where its words date it
            # (and its index entry says so, whatever a stopped write left).
            refiled = {i: (stored[i]["d"], when) for i, when in dates.items() if when != stored[i]["d"]}
            self._refile(refiled)
            for article_id, (_, when) in refiled.items():
                stored[article_id] = {**stored[article_id], "d": when}
            near = {i: when for i, when in dates.items() if filed_at(articles[i]) != when}
            # Each story takes the id most of its articles had (see _settled_ids, as after a refresh).
            retired = {m for doc in self._stories.raw().values() for m in doc.get("merged", ())}
            renamed, _ = _settled_ids(found, {i: d["story"] for i, d in articles.items()}, dict.fromkeys(found, 1),
                                      set(pins.values()), _moved_into(live), lambda s: s not in retired)
            hot_docs = {i: {**d, "story": renamed[found[i]]} for i, d in articles.items()
                        if d["story"] != renamed[found[i]] or i in near}
            for article_id, when in near.items():
                hot_docs[article_id]["near"] = when
            details = self._details.raw()
            detail_docs = {}
            for article_id, reason in why.items():
                if reason.get("by") == "pinned":
                    reason = details.get(article_id, {}).get("group") or {"by": "you"}
                detail_docs[article_id] = {**details.get(article_id, {}), "group": reason}
            self._details.put_many(detail_docs)
            self._put_articles(hot_docs)
            self._groups.forget()
            members: dict[str, list[grouping.Doc]] = {}
            for article_id, sid in found.items():
                story_id = renamed[sid]
                members.setdefault(story_id, []).append(grouping.make_doc(article_id, stored[article_id], story_id))
            old = self._stories.raw()
            # A story split from another: two or more of its articles left one that lives on
            # (as the check splits; a lone article that moved is not a split).
            left = Counter((renamed[found[i]], hot["story"]) for i, hot in articles.items()
                           if hot["story"] != renamed[found[i]] and hot["story"] in members)
            came_from: dict[str, set[str]] = {}
            for (story_id, old_id), count in left.items():
                if count >= 2:
                    came_from.setdefault(story_id, set()).add(old_id)
            docs = {}
            for story_id, docs_of in members.items():
                kept = old.get(story_id, {})
                doc = {k: v for k, v in kept.items() if k in ("merged", "split_from", "topic", "topic_by", "lead_kept")}
                split_from = sorted(i for i in set(doc.pop("split_from", [])) | came_from.get(story_id, set())
                                    if i in members and i != story_id)  # (those that live on)
                if split_from:
                    doc["split_from"] = split_from
                if any(m in members for m in doc.get("merged", ())):  # (a story merged away, whole again)
                    doc["merged"] = [m for m in doc["merged"] if m not in members]
                doc.update(_describe(docs_of))
                if kept.get("lead_kept") and kept.get("lead") in {d.id for d in docs_of}:
                    doc["lead"] = kept["lead"]
                docs[story_id] = doc
            self._replace_stories(docs)
            if progress:
                progress("topics", 0, len(docs))
            self._link_topics(list(docs))
            self.index.table("grouping").remove_keys(["unsettled", "pending"])  # (all placed together now)
            self.index.table("grouping").put_many({"state": {"features": grouping.FEATURES_VERSION,
                                                             "regrouped": utc_now()}})
            topics = len({d.get("topic") for d in self._stories.raw().values() if d.get("topic")})
        return {"articles": len(articles), "stories": len(members), "topics": topics,
                "features_computed": len(missing), "kept_by_you": len(pins)}

    def move_article(self, article_id: str, story_id: str | None) -> str:
        """Put an article in another story (None: a story of its own); later grouping keeps it there.

        Returns the story it is now in.
        """
        with self.writing():
            articles = self._articles.raw()
            hot = articles.get(article_id)
            if hot is None:
                raise KeyError(f"no article with id {article_id}")
            if story_id is None:
                story_id = make_id("story:apart:" + article_id)
            elif story_id not in self._stories.raw():
                raise KeyError(f"no story with id {story_id}")
            old = hot["story"]
            now = utc_now()
            self._put_articles({article_id: {**hot, "story": story_id}})
            self._pins.put_many({article_id: {"story": story_id, "at": now, "by": "you", "from": old}})
            details = self._details.raw()
            self._details.put_many({article_id: {**details.get(article_id, {}), "group": {"by": "you", "at": now}}})
            self._groups.forget()  # rebuilt from what was just written
            for sid in (old, story_id):
                ids = [i for i, d in self._articles.raw().items() if d["story"] == sid]
                if ids:
                    docs = self._features_of(ids)
                    doc = {**self._stories.raw().get(sid, {}), **_describe(
                        [grouping.make_doc(i, docs[i], sid) for i in ids if i in docs])}
                    self._put_stories({sid: doc})
                else:
                    self._remove_stories([sid])
            self._link_topics([sid for sid in (old, story_id) if sid in self._stories.raw()])
        return story_id

    def _features_of(self, article_ids: Iterable[str]) -> dict[str, dict]:
        articles = self._articles.raw()
        out = {}
        for article_id in article_ids:
            hot = articles.get(article_id)
            if hot is None:
                continue
            doc = self._month_db(grouping.month_of(filed_at(hot))).table("articles").raw().get(article_id)
            if doc is not None:
                out[article_id] = doc
        return out

    def story_of(self, article_id: str) -> str | None:
        doc = self._articles.raw().get(article_id)
        return doc["story"] if doc else None

    def why_grouped(self, article_id: str) -> dict[str, Any]:
        """Why an article is in its story: {"by": auto|new|given|you, "score", "with", "shared"...}."""
        return dict(self._details.raw().get(article_id, {}).get("group") or {})

    def story_info(self, story_id: str) -> dict[str, Any]:
        """A story's key terms, topic, what was merged into it and what it was split from."""
        doc = self._stories.raw().get(story_id, {})
        topic = doc.get("topic")
        return {
            "terms": list(doc.get("terms", [])),
            "topic": {"id": topic, "title": self._topics.raw().get(topic, {}).get("title", "")} if topic else None,
            "merged": list(doc.get("merged", [])),
            "split_from": list(doc.get("split_from", [])),
        }


    # -- marks -----------------------------------------------------------------
    def set_mark(self, kind: str, article_ids: Iterable[str], value: bool = True) -> None:
        """Mark articles read/unread or starred/unstarred, persisted before returning."""
        ids = list(dict.fromkeys(article_ids))
        known = self._articles.raw()
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise KeyError(f"no article with id {unknown[0]}")
        with self.marks_lock:
            self.marks.set(kind, ids, value)

    def is_marked(self, kind: str, article_id: str) -> bool:
        return article_id in self.marks.snapshot()[kind]

    # -- reading -----------------------------------------------------------------
    # -- feeds -------------------------------------------------------------------
    def feed_states(self) -> dict[str, dict[str, Any]]:
        """Per feed URL: validators (ETag...), health (last success, last error...), backoff."""
        return dict(self.feed_health.table("feeds").raw())

    def save_feed_states(self, states: dict[str, dict[str, Any]]) -> None:
        with self.writing():
            self.feed_health.table("feeds").put_many(states)

    # -- retention -----------------------------------------------------------------
    def remove_articles(self, article_ids: Iterable[str]) -> int:
        """Delete articles, their texts and empty stories; return how many went."""
        with self.writing():
            articles = self._articles.raw()
            gone = [i for i in dict.fromkeys(article_ids) if i in articles]
            if not gone:
                return 0
            by_shard: dict[int, list[str]] = {}
            for i in gone:
                by_shard.setdefault(articles[i]["shard"], []).append(i)
            going = set(gone)
            stories_left = {d["story"] for k, d in articles.items() if k not in going}
            emptied = [articles[i]["story"] for i in gone if articles[i]["story"] not in stories_left]
            for number, ids in by_shard.items():
                self._shard(number).table("bodies").remove_keys(ids)
            self._details.remove_keys(gone)
            self._remove_stories(emptied)
            self._articles.remove_keys(gone)
            self._stored_members = None
        return len(gone)

    def articles_older_than(self, cutoff: str) -> list[str]:
        """Ids of articles dated before ``cutoff`` (ISO 8601), seeds excepted."""
        return [i for i, d in self._articles.raw().items() if d["date"] < cutoff and not d["seed"]]

    def stored_ids(self, article_ids: Iterable[str]) -> set[str]:
        """Which of these ids the archive holds (one look at the index for all)."""
        listed = self._articles.raw()
        return {i for i in article_ids if i in listed}

    def has_article(self, article_id: str) -> bool:
        return article_id in self._articles.raw()

    def article_count(self) -> int:
        return len(self._articles.raw())

    def _damaged(self, exc: Exception) -> StoreError:
        return StoreError(
            f"{self.index.file.path} is damaged (an entry lacks a field or has the wrong type: "
            f"{type(exc).__name__} {exc}). {RECOVERY_HINT}"
        )

    def story_rows(self) -> list[StoryRow]:
        """The story list, newest activity first. Reads no article text."""
        marks = self.marks.snapshot()
        try:
            return _story_rows(self._articles.raw(), self._stories.raw(), marks, self._topics.raw())
        except (KeyError, TypeError, AttributeError) as exc:
            raise self._damaged(exc) from exc

    def search_text(self, query: str, cancelled=lambda: False) -> set[str]:
        """Ids of articles whose latest text contains ``query`` (case-insensitive).

        Reads every text shard once, so it takes seconds on a large archive:
        run it off the UI thread; ``cancelled()`` is checked between shards.
        """
        needle = query.casefold()
        found: set[str] = set()
        if not needle:
            return found
        for path in sorted((self.dir / "bodies").iterdir()):
            if cancelled():
                break
            if not _SHARD_NAME.match(path.name):
                continue
            shard = ReaderDB(path, kind="bodies", schema=SCHEMA)
            for article_id, doc in shard.table("bodies").raw().items():
                versions = doc.get("versions") or []
                if versions and needle in versions[-1].get("text", "").casefold():
                    found.add(article_id)
        return found

    def story_articles(self, article_ids: Iterable[str]) -> list[dict[str, Any]]:
        """What the story screen shows of each article (no text), in the order given."""
        articles, details = self._articles.raw(), self._details.raw()
        marks = self.marks.snapshot()
        out = []
        for i in article_ids:
            hot, more = articles.get(i), details.get(i, {})
            if hot is None:
                continue  # removed meanwhile (retention in another process)
            out.append({
                "id": i, "title": hot["title"], "feed": hot["feed"], "seed": hot["seed"],
                "published": hot["date"] if hot["dated"] else None, "seen": hot["date"],
                "versions": hot["versions"], "url": more.get("url"), "why": more.get("why", ""),
                "kept": more.get("kept", []), "method": more.get("method", ""), "note": more.get("note", ""),
                "read": i in marks["read"], "starred": i in marks["star"],
                "group": more.get("group") or {},
            })
        return out

    def stories_json(self) -> list[dict[str, Any]]:
        """The public shape printed by ``caucasus-reader stories --json``."""
        # One reading of each file, so a writer in another process cannot make
        # the rows and the articles disagree half-way.
        articles, stories = self._articles.raw(), self._stories.raw()
        details = self._details.raw()
        marks = self.marks.snapshot()
        read, starred = marks["read"], marks["star"]
        try:
            return [
                {
                    "id": row.id,
                    "title": row.title,
                    "updated": row.latest,
                    "articles": [
                        {
                            "id": i,
                            "url": details.get(i, {}).get("url"),
                            "title": articles[i]["title"],
                            "feed": articles[i]["feed"],
                            "seed": articles[i]["seed"],
                            "published": articles[i]["date"] if articles[i]["dated"] else None,
                            "read": i in read,
                            "starred": i in starred,
                            "versions": articles[i]["versions"],
                        }
                        for i in row.article_ids
                    ],
                    "topic": {"id": row.topic, "title": row.topic_title} if row.topic else None,
                    "terms": list(stories.get(row.id, {}).get("terms", [])),
                }
                for row in _story_rows(articles, stories, marks, self._topics.raw())
            ]
        except (KeyError, TypeError, AttributeError) as exc:
            raise self._damaged(exc) from exc


def _story_rows(articles: dict, stories: dict, marks: dict[str, frozenset[str]],
                topics: dict | None = None) -> list[StoryRow]:
    """Group articles into story rows. This runs on every start over the whole
    archive, so the common case (a story of one article) takes a short path."""
    read, starred = marks["read"], marks["star"]
    with gc_paused():  # tens of thousands of new objects, none of them cyclic
        members: dict[str, list[str]] = {}
        for article_id, doc in articles.items():
            ids = members.get(doc["story"])
            if ids is None:
                members[doc["story"]] = [article_id]
            else:
                ids.append(article_id)
        rows = []
        for story_id, ids in members.items():
            lead = stories.get(story_id, {}).get("lead")
            if len(ids) == 1:
                doc = articles[ids[0]]
                rows.append(StoryRow(
                    story_id, articles[lead]["title"] if lead in articles else doc["title"], ids,
                    [doc["feed"]], 0 if ids[0] in read else 1, ids[0] in starred,
                    doc["date"], doc["seed"], doc["versions"] > 1,
                ))
                continue
            ids.sort(key=lambda i: articles[i]["date"])
            docs = [articles[i] for i in ids]
            rows.append(StoryRow(
                story_id,
                articles[lead]["title"] if lead in articles else docs[0]["title"],
                ids,
                sorted({d["feed"] for d in docs}),
                sum(1 for i in ids if i not in read),
                any(i in starred for i in ids),
                _latest(docs),
                any(d["seed"] for d in docs),
                any(d["versions"] > 1 for d in docs),
            ))
        if topics:
            for row in rows:
                topic = stories.get(row.id, {}).get("topic")
                if topic:
                    row.topic, row.topic_title = topic, topics.get(topic, {}).get("title", "")
        rows.sort(key=lambda r: r.latest, reverse=True)
    return rows
