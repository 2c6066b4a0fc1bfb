"""TinyDB plumbing: an atomic, schema-checked JSON storage, keyed tables, a data-folder lock.

Plain TinyDB rewrites its JSON file in place on every write, decodes it on every
read and numbers documents from a per-process counter. None of that survives an
archive of tens of thousands of articles shared by two processes, so:

* :class:`AtomicJSONStorage` keeps the decoded file in memory and re-reads it
  only when the file on disk changed (another process replaced it), writes a
  temporary file and renames it over the old one (a crash leaves the old or the
  new file, never half of one), refuses files that are damaged, foreign or from
  a newer schema, and can hold writes back until a transaction commits, so a
  batch of changes costs one rewrite.
* :class:`KeyedTable` keys documents by a string the store chooses (the article
  id), so ids never collide between processes, and adds bulk writes that cost
  one pass over the table instead of one per document.
* :class:`DataLock` serialises writers across processes (``flock``) and threads.
"""

from __future__ import annotations

import errno
import fcntl
import gc
import os
import threading
import time
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from .errors import StoreBusy, StoreError

FORMAT = "caucasus-reader"
META_TABLE = "_meta"
META_DOC = "1"

RECOVERY_HINT = (
    "It was left untouched. Restore it from a backup, or move the data folder "
    "aside to start afresh (caucasus-reader --data-dir PATH uses another folder)."
)


def _signature(path: Path) -> tuple[int, int, int] | None:
    """What identifies one version of a file: a rename-over changes the inode."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` so that readers and crashes see old or new, never a mix.

    ``mode`` sets the new file's permissions (to keep those of the file it replaces).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)


def remove_stale_temp_files(directory: Path) -> None:
    """Delete temporary files a killed writer left behind. Call only while holding the lock."""
    for entry in directory.glob(".*.tmp"):
        try:
            entry.unlink()
        except FileNotFoundError:
            pass


@contextmanager
def gc_paused():
    """Decoding a large file creates hundreds of thousands of containers; the
    cyclic collector would rescan them again and again while they are built."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class AtomicJSONStorage(Storage):
    """A TinyDB storage: one JSON file, decoded once, replaced atomically.

    ``kind`` names what the file holds (``index``, ``marks``...) and is checked
    on read together with the schema version, so a file from elsewhere or from
    a newer caucasus-reader is refused instead of being overwritten.
    """

    def __init__(self, path: str | os.PathLike, kind: str, schema: int):
        self.path = Path(path)
        self.kind = kind
        self.schema = schema
        self._cache: dict[str, dict[str, Any]] | None = None
        self._sig: tuple[int, int, int] | None = None
        self._holding = False
        self._pinned = False
        self._dirty = False
        self.schema_found: int | None = None  # the schema of the file as last read

    # -- reading ---------------------------------------------------------
    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._holding and self._pinned:
            return self._cache
        sig = _signature(self.path)
        if sig is None:
            self._cache, self._sig = None, None
        elif sig != self._sig or self._cache is None:
            self._cache = self._load()
            self._sig = sig
        self._pinned = self._holding  # inside a transaction, what was read stays put
        return self._cache

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        if not raw.strip():
            raise StoreError(f"{self.path} is empty, so it is damaged. {RECOVERY_HINT}")
        try:
            with gc_paused():
                data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise StoreError(
                f"{self.path} is damaged (not valid JSON: {exc}). {RECOVERY_HINT}"
            ) from exc
        self._check(data)
        return data

    def _check(self, data: Any) -> None:
        table = data.get(META_TABLE) if isinstance(data, dict) else None
        meta = table.get(META_DOC) if isinstance(table, dict) else None
        self._check_meta(meta)
        if not all(isinstance(table, dict) for table in data.values()):
            raise StoreError(f"{self.path} is damaged (a table is not an object). {RECOVERY_HINT}")
        self.schema_found = meta["schema"]

    def _check_meta(self, meta: Any) -> None:
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise StoreError(
                f"{self.path} is not a caucasus-reader {self.kind} file. {RECOVERY_HINT}"
            )
        if meta.get("kind") != self.kind:
            raise StoreError(
                f"{self.path} holds caucasus-reader {meta.get('kind')!r} data where "
                f"{self.kind!r} data belongs. {RECOVERY_HINT}"
            )
        found = meta.get("schema")
        if not isinstance(found, int) or isinstance(found, bool) or found < 1:
            raise StoreError(f"{self.path} has no valid schema version. {RECOVERY_HINT}")
        if found > self.schema:
            raise StoreError(
                f"{self.path} was written by a newer caucasus-reader (data schema {found}; "
                f"this version reads schema {self.schema} and older). Upgrade caucasus-reader "
                f"to use this data folder. {RECOVERY_HINT}"
            )

    def peek(self) -> None:
        """Check the file's kind and schema from its first bytes, without decoding it all.

        Files are written with their ``_meta`` table first, so a file written
        by a newer caucasus-reader is refused at open even when it is large and
        not otherwise read yet. Other damage is reported when the file is read.
        """
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(512)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        prefix = b'{"' + META_TABLE.encode() + b'":{"' + META_DOC.encode() + b'":'
        end = head.find(b"}", len(prefix))
        if not head.startswith(prefix) or end < 0:
            return  # damage shows, with its own message, when the file is read
        try:
            meta = orjson.loads(head[len(prefix): end + 1])
        except orjson.JSONDecodeError:
            return
        self._check_meta(meta)

    # -- writing ---------------------------------------------------------
    def write(self, data: dict[str, dict[str, Any]]) -> None:
        # _meta first, so that peek() can read it from the head of the file.
        meta = {META_DOC: {"format": FORMAT, "kind": self.kind, "schema": self.schema}}
        data.pop(META_TABLE, None)
        self._cache = {META_TABLE: meta, **data}
        if self._holding:
            self._dirty = True
            self._pinned = True
            return
        self._flush()

    def _flush(self) -> None:
        try:
            payload = orjson.dumps(self._cache)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.path, payload)
        except OSError as exc:
            self.forget()
            raise StoreError(
                f"cannot write {self.path}: {exc.strerror or exc}; it was left as it was"
            ) from exc
        except BaseException:
            self.forget()
            raise
        self._sig = _signature(self.path)
        self._dirty = False

    # -- transactions ----------------------------------------------------
    def hold(self) -> None:
        """Keep writes in memory until :meth:`commit` (call with the data lock held).

        The file is read (if another process changed it) on first use inside
        the transaction, so a transaction that never touches it costs nothing.
        """
        self._holding = True
        self._pinned = False

    def commit(self) -> None:
        self._holding = False
        if self._dirty:
            self._flush()

    def forget(self) -> None:
        """Drop the in-memory copy (after a failed transaction): the next read reloads."""
        self._holding = False
        self._pinned = False
        self._dirty = False
        self._cache = None
        self._sig = None

    def close(self) -> None:
        pass


class KeyedTable(Table):
    """A TinyDB table whose documents are keyed by strings chosen by the caller."""

    document_id_class = str
    # Another process may change the file; a query cache would go stale unseen.
    default_query_cache_capacity = 0

    def _get_next_id(self):  # pragma: no cover - guarded by design
        raise TypeError(f"table {self.name!r} is keyed: insert Document(data, doc_id=key)")

    def raw(self) -> Mapping[str, dict[str, Any]]:
        """The stored documents by key, without copying them. Do not modify."""
        return self._read_table()

    def put_many(self, docs: Mapping[str, Mapping[str, Any]]) -> None:
        """Insert or replace many documents in one pass (one file write)."""
        if not docs:
            return

        def updater(table: dict) -> None:
            for key, doc in docs.items():
                table[key] = dict(doc)

        self._update_table(updater)

    def remove_keys(self, keys: Iterable[str]) -> None:
        """Delete documents by key in one pass; missing keys are ignored."""
        keys = list(keys)
        if not keys:
            return

        def updater(table: dict) -> None:
            for key in keys:
                table.pop(key, None)

        self._update_table(updater)

    def replace_all(self, docs: Mapping[str, Mapping[str, Any]]) -> None:
        """Make the table hold exactly ``docs`` (one file write)."""

        def updater(table: dict) -> None:
            table.clear()
            for key, doc in docs.items():
                table[key] = dict(doc)

        self._update_table(updater)


class ReaderDB(TinyDB):
    """TinyDB over :class:`AtomicJSONStorage` with keyed tables."""

    table_class = KeyedTable

    def __init__(self, path: Path, kind: str, schema: int):
        super().__init__(path, storage=AtomicJSONStorage, kind=kind, schema=schema)

    @property
    def file(self) -> AtomicJSONStorage:
        return self.storage  # type: ignore[return-value]


class DataLock:
    """A lock over one data folder, shared by threads and processes.

    ``flock`` excludes other processes; a re-entrant thread lock excludes the
    other threads of this one (``flock`` is per open file, so it would not).
    """

    def __init__(self, path: Path, timeout: float = 30.0):
        self.path = path
        self.timeout = timeout
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def __enter__(self) -> DataLock:
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise StoreBusy(f"timed out waiting for another thread to finish writing {self.path.parent}")
        try:
            if self._depth == 0:
                self._acquire_file()
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None
        finally:
            self._thread_lock.release()

    def _acquire_file(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot use {self.path.parent}: {exc.strerror or exc}") from exc
        deadline = time.monotonic() + self.timeout
        delay = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise StoreError(f"cannot lock {self.path}: {exc.strerror}") from exc
            if time.monotonic() >= deadline:
                os.close(fd)
                raise StoreBusy(
                    f"another caucasus-reader process has been writing to {self.path.parent} "
                    f"for over {self.timeout:.0f} s; try again when it has finished"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
