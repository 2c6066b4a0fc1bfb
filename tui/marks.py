"""Read and star marks: an append-only journal folded into a TinyDB file now and then.

A keypress must persist in a few milliseconds however large the archive, and a
TinyDB write rewrites a whole table. So each mark is one line appended to
``marks.log`` (and flushed to disk) while the marks' lock is held; the lines are
replayed over ``marks.json`` (a TinyDB file) on open, and folded into it once
the journal grows. Every line sets values outright, so replaying lines that
were already folded (a crash between the fold and the truncation) changes
nothing. Other processes' marks are picked up by reading the journal's new
tail, or everything when the journal was folded under us.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import orjson

from .errors import StoreError
from .storage import RECOVERY_HINT, ReaderDB, _signature, atomic_write_bytes, fsync_dir

SCHEMA = 1
MARK_KINDS = ("read", "star")
FOLD_AFTER_BYTES = 512 * 1024


_ENTRY_START = b'{"t":'  # how every entry begins (orjson keeps the keys in order)


def _could_start_an_entry(torn: bytes) -> bool:
    """Whether bytes after the last newline are the start of an entry a writer was killed writing."""
    return torn[: len(_ENTRY_START)] == _ENTRY_START[: len(torn)]


class MarkJournal:
    """The current read and starred sets, and the means to change them durably.

    Safe to share between threads: the position in the journal and the sets
    change together under one mutex.
    """

    def __init__(self, directory: Path):
        self.base_path = directory / "marks.json"
        self.log_path = directory / "marks.log"
        self.db = ReaderDB(self.base_path, kind="marks", schema=SCHEMA)
        self.table = self.db.table("marks")
        self.sets: dict[str, set[str]] = {kind: set() for kind in MARK_KINDS}
        self._mutex = threading.RLock()
        self._loaded = False
        self._base_sig: tuple[int, int, int] | None = None
        self._log_ino: int | None = None
        self._log_offset = 0

    # -- keeping up with the files ----------------------------------------
    def sync(self) -> None:
        """Bring the in-memory sets up to date with the files (cheap when nothing changed)."""
        with self._mutex:
            base_sig = _signature(self.base_path)
            try:
                log_stat = os.stat(self.log_path)
            except FileNotFoundError:
                log_stat = None
            log_ino = log_stat.st_ino if log_stat else None
            log_size = log_stat.st_size if log_stat else 0
            if (
                not self._loaded
                or base_sig != self._base_sig
                or log_ino != self._log_ino
                or log_size < self._log_offset
            ):
                self._reload(base_sig, log_ino)
            elif log_size > self._log_offset:
                self._replay_tail()

    def snapshot(self) -> dict[str, frozenset[str]]:
        """The marks as they are now, safe to use while other threads mark."""
        with self._mutex:
            self.sync()
            return {kind: frozenset(ids) for kind, ids in self.sets.items()}

    def _reload(self, base_sig, log_ino) -> None:
        sets = {kind: set() for kind in MARK_KINDS}
        for key, doc in self.table.raw().items():
            if not isinstance(doc, dict):
                raise StoreError(f"{self.base_path} is damaged (entry {key} is not an object). {RECOVERY_HINT}")
            for kind in MARK_KINDS:
                if doc.get(kind):
                    sets[kind].add(key)
        self.sets = sets
        self._loaded = True
        self._base_sig = base_sig
        self._log_ino = log_ino
        self._log_offset = 0
        if log_ino is not None:
            self._replay_tail()

    def _replay_tail(self) -> None:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(self._log_offset)
                tail = fh.read()
        except FileNotFoundError:
            return
        end = tail.rfind(b"\n") + 1  # a torn last line (a killed writer) is not applied
        torn = tail[end:]
        if torn and not _could_start_an_entry(torn):
            # A killed writer leaves the start of an entry; zeroed blocks (a power
            # loss) or another program's bytes are damage, not a torn entry to cut.
            raise StoreError(
                f"{self.log_path} is damaged (the bytes from byte {self._log_offset + end} on are "
                f"not a mark entry: {torn[:16]!r}). {RECOVERY_HINT}"
            )
        position = 0
        while position < end:
            newline = tail.index(b"\n", position)
            line = tail[position:newline]
            if line.strip():
                try:
                    self._apply(orjson.loads(line))
                except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                    raise StoreError(
                        f"{self.log_path} is damaged (the entry at byte {self._log_offset + position}: "
                        f"{exc}). {RECOVERY_HINT}"
                    ) from exc
            position = newline + 1
        self._log_offset += end

    def _apply(self, record: dict) -> None:
        if not isinstance(record, dict) or "ids" not in record:
            raise ValueError("it is not a mark entry (it names no article ids): the file is damaged, "
                             "or was written by another program")
        ids = record["ids"]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise TypeError("ids is not a list of article ids")
        kinds = [kind for kind in MARK_KINDS if kind in record]
        if not kinds:
            others = ", ".join(repr(k[:40]) for k in [k for k in record if k not in ("t", "ids")][:3])
            if others:
                raise ValueError(f"the entry sets no mark this caucasus-reader knows (it sets {others}): "
                                 "was it written by a newer caucasus-reader? Upgrade caucasus-reader to use "
                                 "this data folder")
            raise ValueError("the entry sets no mark")
        for kind in kinds:
            if record[kind]:
                self.sets[kind].update(ids)
            else:
                self.sets[kind].difference_update(ids)

    # -- changing marks (call with the marks' lock held) --------------------
    def set(self, kind: str, ids: Iterable[str], value: bool) -> None:
        if kind not in MARK_KINDS:
            raise ValueError(f"unknown mark {kind!r}")
        ids = list(ids)
        if not ids:
            return
        record = {"t": round(time.time(), 3), "ids": ids, kind: bool(value)}
        line = orjson.dumps(record) + b"\n"
        with self._mutex:
            self.sync()
            created = not self.log_path.exists()
            try:
                fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    if os.fstat(fd).st_size > self._log_offset:
                        # Bytes past the last whole line: a writer was killed mid-line.
                        # That mark was never acknowledged; cut it so ours starts clean.
                        os.ftruncate(fd, self._log_offset)
                    os.write(fd, line)
                    os.fdatasync(fd)
                    ino = os.fstat(fd).st_ino
                finally:
                    os.close(fd)
                if created:
                    fsync_dir(self.log_path.parent)  # the new file's name must survive too
            except OSError as exc:
                raise StoreError(f"cannot save the mark in {self.log_path}: {exc.strerror or exc}") from exc
            self._log_ino = ino
            self._log_offset += len(line)
            self._apply(record)

    def needs_fold(self) -> bool:
        return self._log_offset > FOLD_AFTER_BYTES

    def fold(self) -> None:
        """Write the current sets into marks.json and start an empty journal."""
        with self._mutex:
            self.sync()
            docs: dict[str, dict[str, bool]] = {}
            for kind in MARK_KINDS:
                for key in self.sets[kind]:
                    docs.setdefault(key, {k: False for k in MARK_KINDS})[kind] = True
            self.table.replace_all(docs)
            atomic_write_bytes(self.log_path, b"")
            self._base_sig = _signature(self.base_path)
            self._log_ino = os.stat(self.log_path).st_ino
            self._log_offset = 0
