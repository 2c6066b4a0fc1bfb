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
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from .errors import StoreError
from .marks import MarkJournal
from .storage import RECOVERY_HINT, DataLock, ReaderDB, gc_paused, remove_stale_temp_files

SCHEMA = 1
SHARD_BYTES = 4 * 1024 * 1024
SHARDS_KEPT = 8  # body shards kept decoded in memory
_SHARD_NAME = re.compile(r"^(\d{6})\.json$")


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

    @property
    def size(self) -> int:
        return len(self.article_ids)


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
        except OSError as exc:
            where = "" if str(exc.filename or self.dir) == str(self.dir) else f"{exc.filename}: "
            raise StoreError(f"cannot use the data folder {self.dir}: {where}{exc.strerror or exc}") from exc
        self.lock = DataLock(self.dir / ".lock")
        self.index = ReaderDB(self.dir / "index.json", kind="index", schema=SCHEMA)
        self.catalog = ReaderDB(self.dir / "catalog.json", kind="catalog", schema=SCHEMA)
        self.feed_health = ReaderDB(self.dir / "feeds.json", kind="feeds", schema=SCHEMA)
        self.marks = MarkJournal(self.dir)
        self._shards: dict[int, ReaderDB] = {}
        self._txn_owner: int | None = None  # the thread inside writing(), if any
        self._held_shards: set[int] = set()  # body shards that thread has touched
        self._articles = self.index.table("articles")
        self._stories = self.index.table("stories")
        self._details = self.catalog.table("articles")
        self._swept = False  # temporary files of killed writers removed yet?
        # Fail now, with the file named, if anything is damaged or too new:
        # the files the list needs are read whole, the others checked by their head.
        self._articles.raw()
        self.marks.sync()
        self.catalog.file.peek()
        self.feed_health.file.peek()
        for path in (self.dir / "bodies").iterdir():
            if _SHARD_NAME.match(path.name):
                ReaderDB(path, kind="bodies", schema=SCHEMA).file.peek()

    def close(self) -> None:
        """Fold a long marks journal into its file; nothing else is pending."""
        try:
            with self.lock:
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
                self._swept = True
            held = [self.catalog.file, self.index.file, self.feed_health.file]
            try:
                for f in held:
                    f.hold()
                yield
                for number in sorted(self._held_shards):
                    self._shards[number].file.commit()
                for f in held:
                    f.commit()
            except BaseException:
                for f in held + [self._shards[n].file for n in self._held_shards]:
                    f.forget()
                raise
            finally:
                self._txn_owner = None
                self._held_shards.clear()
                self._trim_shard_cache()

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
        hot = self._articles.raw().get(article_id)
        if hot is None:
            raise KeyError(article_id)
        doc = self._shard(hot["shard"]).table("bodies").raw().get(article_id)
        return list(doc["versions"]) if doc else []

    def text(self, article_id: str) -> str:
        versions = self.versions(article_id)
        return versions[-1]["text"] if versions else ""

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

    def add_articles(self, items: Iterable[NewArticle], story: str | None = None) -> list[str]:
        """Store the articles the archive does not have yet; return their ids.

        Each starts its own story unless ``story`` names one to join (or, for a
        new id, to create with that id).
        """
        added: list[str] = []
        with self.writing():
            hot_docs: dict[str, dict] = {}
            detail_docs: dict[str, dict] = {}
            story_docs: dict[str, dict] = {}
            bodies: dict[int, dict[str, dict]] = {}
            shard_number, shard_fill = self._open_shard()
            stories = self._stories.raw()
            now = utc_now()
            for item in items:
                article_id, known = self._free_id(item.key)
                if known or article_id in hot_docs:
                    continue
                published = normalise_date(item.published)
                story_id = story or make_id("story:" + article_id)
                if story_id not in stories and story_id not in story_docs:
                    story_docs[story_id] = {"lead": article_id}
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
                    "date": published or now,
                    "dated": bool(published),
                    "story": story_id,
                    "seed": item.seed,
                    "versions": 1,
                    "shard": shard_number,
                }
                detail_docs[article_id] = {
                    "key": item.key,
                    "url": item.url,
                    "feed_url": item.feed_url,
                    "added": now,
                    "method": item.method,
                    "note": item.note,
                    "kept": list(item.kept),
                    "why": item.why,
                }
                added.append(article_id)
            for number, docs in bodies.items():
                self._shard(number).table("bodies").put_many(docs)
            self._details.put_many(detail_docs)
            self._stories.put_many(story_docs)
            self._articles.put_many(hot_docs)
        return added

    # -- marks -----------------------------------------------------------------
    def set_mark(self, kind: str, article_ids: Iterable[str], value: bool = True) -> None:
        """Mark articles read/unread or starred/unstarred, persisted before returning."""
        ids = list(dict.fromkeys(article_ids))
        known = self._articles.raw()
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise KeyError(f"no article with id {unknown[0]}")
        with self.lock:
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
            self._stories.remove_keys(emptied)
            self._articles.remove_keys(gone)
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
            return _story_rows(self._articles.raw(), self._stories.raw(), marks)
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
                }
                for row in _story_rows(articles, stories, marks)
            ]
        except (KeyError, TypeError, AttributeError) as exc:
            raise self._damaged(exc) from exc


def _story_rows(articles: dict, stories: dict, marks: dict[str, frozenset[str]]) -> list[StoryRow]:
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
        rows.sort(key=lambda r: r.latest, reverse=True)
    return rows
