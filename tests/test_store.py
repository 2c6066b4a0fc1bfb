"""The archive: contents, marks, damaged files, crashes and two writers, on real files."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

import tui.storage
import tui.store
from tui.errors import StoreError
from tui.store import SCHEMA, Store, make_id

from conftest import article, run_cli


def test_articles_and_stories_round_trip(store):
    ids = store.add_articles([article(1), article(2), article(3)])
    assert len(ids) == 3 and store.article_count() == 3
    stories = store.stories_json()
    assert len(stories) == 3
    assert set(stories[0]) >= {"id", "title", "articles"}
    assert set(stories[0]["articles"][0]) >= {"id", "url", "title", "feed", "seed", "published", "read", "versions"}
    # newest activity first
    assert [s["articles"][0]["published"] for s in stories] == sorted(
        (s["articles"][0]["published"] for s in stories), reverse=True
    )
    assert store.text(ids[0]).startswith("Paragraph one of article 1.")
    assert store.versions(ids[0])[0]["title"] == article(1).title


def test_the_same_article_from_two_feeds_is_stored_once(store):
    first = store.add_articles([article(1)])
    again = store.add_articles([article(1, feed="Another outlet"), article(1)])
    assert again == [] and store.article_count() == 1
    [story] = store.stories_json()
    assert [(a["id"], a["feed"]) for a in story["articles"]] == [(first[0], "OC Media")]


def test_articles_can_share_a_story(store):
    store.add_articles([article(1), article(2)], story="shared")
    [row] = store.story_rows()
    assert row.id == "shared" and row.size == 2 and row.title == article(1).title


def test_marks_persist_and_other_instances_see_them(data_dir):
    one = Store(data_dir)
    a, b = one.add_articles([article(1), article(2)])
    one.set_mark("read", [a])
    two = Store(data_dir)
    assert two.is_marked("read", a) and not two.is_marked("read", b)
    two.set_mark("star", [b])
    two.set_mark("read", [a], False)
    assert one.is_marked("star", b)  # picked up from the journal's new tail
    assert not one.is_marked("read", a)
    assert [s["articles"][0]["read"] for s in Store(data_dir).stories_json()] == [False, False]


def test_marking_an_unknown_article_is_refused(store):
    with pytest.raises(KeyError):
        store.set_mark("read", ["000000000000"])


def test_folding_the_journal_keeps_every_mark_even_if_interrupted(data_dir):
    store = Store(data_dir)
    ids = store.add_articles([article(n) for n in range(50)])
    for i in ids[:30]:
        store.set_mark("read", [i])
    store.set_mark("read", ids[:5], False)
    expected = set(ids[5:30])
    journal = (data_dir / "marks.log").read_bytes()
    with store.lock:
        store.marks.fold()
    assert (data_dir / "marks.log").read_bytes() == b""
    assert Store(data_dir).marks.sets["read"] == expected
    # A crash after marks.json was replaced but before the journal was emptied
    # leaves both; replaying the journal over the folded file changes nothing.
    (data_dir / "marks.log").write_bytes(journal)
    assert Store(data_dir).marks.sets["read"] == expected


def test_a_torn_last_journal_line_is_ignored_then_cut(data_dir):
    store = Store(data_dir)
    a, b = store.add_articles([article(1), article(2)])
    store.set_mark("read", [a])
    with open(data_dir / "marks.log", "ab") as fh:
        fh.write(b'{"t":1,"ids":["' + b.encode())  # a writer killed mid-line
    reopened = Store(data_dir)
    assert reopened.marks.sets["read"] == {a}
    reopened.set_mark("star", [b])
    lines = (data_dir / "marks.log").read_bytes().splitlines()
    assert [json.loads(line) for line in lines][-1]["ids"] == [b]
    assert Store(data_dir).marks.sets == {"read": {a}, "star": {b}}


def test_a_damaged_journal_is_refused_and_kept(data_dir):
    store = Store(data_dir)
    [a] = store.add_articles([article(1)])
    store.set_mark("read", [a])
    log = data_dir / "marks.log"
    damaged = b"not json at all\n" + log.read_bytes()
    log.write_bytes(damaged)
    with pytest.raises(StoreError, match="marks.log is damaged"):
        Store(data_dir)
    assert log.read_bytes() == damaged


DAMAGE = {
    "empty": lambda raw: b"",
    "truncated": lambda raw: raw[: len(raw) // 2],
    "not json": lambda raw: b"\x00\x01 binary garbage",
    "foreign json": lambda raw: b'{"_default": {"1": {"hello": "world"}}}',
    "newer schema": lambda raw: raw.replace(b'"schema":%d' % SCHEMA, b'"schema":99'),
    "wrong kind": lambda raw: raw.replace(b'"kind":"index"', b'"kind":"catalog"'),
}
MESSAGES = {
    "empty": "is empty",
    "truncated": "is damaged",
    "not json": "is damaged",
    "foreign json": "is not a caucasus-reader index file",
    "newer schema": "written by a newer caucasus-reader (data schema 99",
    "wrong kind": "holds caucasus-reader 'catalog' data where 'index' data belongs",
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_or_newer_index_is_refused_and_left_untouched(tmp_path, damage):
    data = tmp_path / "data"
    store = Store(data)
    store.add_articles([article(1)])
    index = data / "index.json"
    broken = DAMAGE[damage](index.read_bytes())
    index.write_bytes(broken)
    with pytest.raises(StoreError, match=re.escape(MESSAGES[damage])):
        Store(data).story_rows()
    with pytest.raises(StoreError):
        store.add_articles([article(2)])  # an open store refuses too, and writes nothing
    result = run_cli("--config", str(tmp_path / "feeds.yaml"), "--data-dir", str(data), "stories", "--json")
    assert result.returncode == 3
    err = result.stderr.decode()
    assert MESSAGES[damage] in err and "left untouched" in err and "Traceback" not in err
    assert index.read_bytes() == broken


def test_the_story_list_does_not_read_article_texts(store, data_dir):
    [a] = store.add_articles([article(1)])
    shard = next((data_dir / "bodies").glob("*.json"))
    shard.write_bytes(b"garbage")
    fresh = Store(data_dir)
    assert [r.size for r in fresh.story_rows()] == [1]
    assert fresh.stories_json()[0]["articles"][0]["id"] == a
    with pytest.raises(StoreError, match="is damaged"):
        fresh.text(a)


def test_texts_fill_shards_in_order(store, data_dir, monkeypatch):
    monkeypatch.setattr(tui.store, "SHARD_BYTES", 2000)
    ids = store.add_articles([article(n, story_text="x" * 600) for n in range(10)])
    shards = sorted(p.name for p in (data_dir / "bodies").glob("*.json"))
    assert len(shards) >= 3
    more = store.add_articles([article(100, story_text="y" * 600)])
    numbers = sorted(int(p.stem) for p in (data_dir / "bodies").glob("*.json"))
    assert store._articles.raw()[more[0]]["shard"] == numbers[-1]  # filled in order, never an old shard
    assert all(p.stat().st_size < 2000 + 1400 for p in (data_dir / "bodies").glob("*.json"))
    fresh = Store(data_dir)
    assert all(fresh.text(i) == "x" * 600 for i in ids) and fresh.text(more[0]) == "y" * 600


def test_a_failed_transaction_writes_nothing(store, data_dir):
    store.add_articles([article(1)])
    before = {str(p): p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}
    with pytest.raises(RuntimeError):
        with store.writing():
            store.add_articles([article(2)])
            raise RuntimeError("boom")
    assert {str(p): p.read_bytes() for p in data_dir.rglob("*") if p.is_file()} == before
    assert store.article_count() == 1 and Store(data_dir).article_count() == 1


def test_leftover_temporary_files_are_cleaned_up(data_dir):
    Store(data_dir)
    leftover = data_dir / ".index.json.12345.1.tmp"
    leftover.write_bytes(b"half a write")
    store = Store(data_dir)
    store.story_rows()
    assert leftover.exists()  # readers leave it: only a lock holder can know its writer is gone
    store.add_articles([article(1)])
    assert not leftover.exists()


WRITER = textwrap.dedent(
    """
    import sys
    from tui.store import NewArticle, Store
    data, prefix, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = Store(data)
    for r in range(rounds):
        batch = [NewArticle(key=f"{prefix}-{r}-{i}", title=f"{prefix} {r} {i}", feed=prefix,
                            text="Tbilisi " * 200, published=f"2025-01-01T00:{r % 60:02d}:00+00:00")
                 for i in range(5)]
        ids = store.add_articles(batch)
        store.set_mark("read", ids[:2])
        print("done", *ids, flush=True)
    """
)


def _spawn(data: Path, prefix: str, rounds: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data), prefix, str(rounds)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_two_processes_writing_at_once_lose_nothing(data_dir):
    Store(data_dir)
    writers = [_spawn(data_dir, name, 40) for name in ("cron", "tui")]
    reported = []
    for proc in writers:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        reported += [line.split()[1:] for line in out.splitlines()]
    store = Store(data_dir)
    assert store.article_count() == 2 * 40 * 5
    read = store.marks.sets["read"]
    for ids in reported:
        assert all(store.has_article(i) for i in ids)
        assert set(ids[:2]) <= read and not set(ids[2:]) & read


def test_kill_9_at_random_moments_never_loses_acknowledged_work(data_dir):
    Store(data_dir)
    rng = random.Random(7)
    acknowledged: list[list[str]] = []
    for attempt in range(12):
        proc = _spawn(data_dir, f"k{attempt}", 1000)
        # Once the child is writing (its first batch acknowledged), kill it at a random moment:
        # a sleep from its start alone would, on a slow machine, often kill it before any work.
        first = proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        acknowledged += [line.split()[1:] for line in (first + out).splitlines() if line.startswith("done")]
        store = Store(data_dir)  # opens: no file is half-written
        read = store.marks.sets["read"]
        for ids in acknowledged:
            assert all(store.has_article(i) for i in ids)
            assert set(ids[:2]) <= read
        for path in data_dir.rglob("*.json"):
            json.loads(path.read_bytes())
    assert len(acknowledged) >= 12  # every child did real work before being killed


def test_a_write_that_dies_half_way_does_not_hide_its_articles(data_dir, monkeypatch):
    """Texts and catalog are written before the index; if the index write fails
    (disk full, kill), the same articles must still go in next time."""
    store = Store(data_dir)
    real = tui.storage.atomic_write_bytes

    def index_write_fails(path, data, mode=None):
        if path.name == "index.json":
            raise OSError(28, "No space left on device", str(path))
        real(path, data, mode)

    monkeypatch.setattr(tui.storage, "atomic_write_bytes", index_write_fails)
    with pytest.raises(StoreError, match="cannot write .*index.json: No space left on device"):
        store.add_articles([article(1), article(2)])
    monkeypatch.setattr(tui.storage, "atomic_write_bytes", real)
    assert store.article_count() == 0
    for fresh in (store, Store(data_dir)):
        assert len(fresh.add_articles([article(1), article(2)])) in (2, 0)
    assert Store(data_dir).article_count() == 2
    assert Store(data_dir).text(make_id("https://news.example/1")).startswith("Paragraph one")


def test_a_newer_catalog_or_text_shard_is_refused_when_the_archive_opens(data_dir):
    store = Store(data_dir)
    store.add_articles([article(1)])
    for path in (data_dir / "catalog.json", next((data_dir / "bodies").glob("*.json"))):
        original = path.read_bytes()
        path.write_bytes(original.replace(b'"schema":%d' % SCHEMA, b'"schema":7', 1))
        with pytest.raises(StoreError, match=f"{re.escape(str(path))} was written by a newer"):
            Store(data_dir)
        path.write_bytes(original)


@pytest.mark.parametrize("index", [b'{"_meta": []}', b'[1, 2]', b'{"_meta": {"1": {"format": "caucasus-reader", "kind": "index", "schema": true}}}'])
def test_odd_json_in_the_index_is_refused(data_dir, index):
    Store(data_dir).add_articles([article(1)])
    (data_dir / "index.json").write_bytes(index)
    with pytest.raises(StoreError, match="index.json"):
        Store(data_dir)


def test_an_article_entry_missing_fields_is_reported_as_damage(tmp_path):
    data = tmp_path / "data"
    args = ("--config", str(tmp_path / "feeds.yaml"), "--data-dir", str(data), "stories", "--json")
    assert run_cli(*args).returncode == 0  # the seeds are in: nothing left to write
    Store(data).add_articles([article(1)])
    index = data / "index.json"
    broken = re.sub(rb'"story":"[0-9a-f]+",', b"", index.read_bytes(), count=1)
    index.write_bytes(broken)
    with pytest.raises(StoreError, match="index.json is damaged"):
        Store(data).story_rows()
    result = run_cli(*args)
    assert result.returncode == 3 and "index.json is damaged" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode() and index.read_bytes() == broken


def test_journal_damage_names_the_right_byte_and_refuses_non_ids(data_dir):
    store = Store(data_dir)
    a, b = store.add_articles([article(1), article(2)])
    store.set_mark("read", [a])
    store.set_mark("read", [b])
    log = data_dir / "marks.log"
    good = log.read_bytes()
    log.write_bytes(good + b'{"t":1,"ids":[1,2],"read":true}\n')
    with pytest.raises(StoreError, match=f"entry at byte {len(good)}: ids is not a list of article ids"):
        Store(data_dir)


def test_times_are_compared_as_times_not_as_text(store):
    store.add_articles([
        article(1, published="2025-06-01T23:00:00+04:00"),  # 19:00 UTC
        article(2, published="2025-06-01T20:00:00Z"),
        article(3, published="2025-06-01T21:00:00"),  # no offset: UTC
        article(4, published="2025-06-02"),
        article(5, published="yesterday-ish"),
    ])
    stories = store.stories_json()
    published = {s["articles"][0]["title"][13]: s["articles"][0]["published"] for s in stories}
    assert published == {"1": "2025-06-01T19:00:00+00:00", "2": "2025-06-01T20:00:00+00:00",
                         "3": "2025-06-01T21:00:00+00:00", "4": "2025-06-02", "5": None}
    order = [s["articles"][0]["title"][13] for s in stories]
    assert order[0] == "5"  # undated: shown when first seen (now)
    assert order[1:] == ["4", "3", "2", "1"]


@contextmanager
def lock_held_by_another_process(path: Path):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
         "print('locked', flush=True); time.sleep(120)", str(path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait()


def test_readers_do_not_wait_for_a_writer_holding_the_lock(tmp_path, config_file):
    data = tmp_path / "data"
    args = ("--config", str(config_file), "--data-dir", str(data), "stories", "--json")
    assert run_cli(*args).returncode == 0  # first run: config and seeds in place
    with lock_held_by_another_process(data / ".lock"):
        # A reader that waited for the lock would hit the 30 s lock timeout, far past this one.
        result = run_cli(*args, timeout=20)
        assert result.returncode == 0, result.stderr
        assert len(json.loads(result.stdout)[0]["articles"]) == 2


def test_marking_does_not_wait_for_a_writer_holding_the_lock(data_dir):
    """A refresh's grouping may write for seconds; a keypress marking an article read does
    not wait for it (it would wait 30 s, and fail)."""
    store = Store(data_dir)
    [article_id] = store.add_articles([article(1)])
    with lock_held_by_another_process(data_dir / ".lock"):
        store.lock.timeout = store.marks_lock.timeout = 5.0
        store.set_mark("read", [article_id])
        assert Store(data_dir).is_marked("read", article_id)


def test_threads_reading_while_another_marks_lose_no_mark(data_dir):
    """The reader builds its list in a worker thread while the UI thread marks,
    and a cron job in another process marks too."""
    import threading

    store = Store(data_dir)
    ids = store.add_articles([article(n) for n in range(400)])
    other = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from tui.store import Store; s = Store(sys.argv[1]); "
         "[s.set_mark('star', [i]) for i in sys.argv[2:]]", str(data_dir), *ids[:200]],
        stderr=subprocess.PIPE, text=True,
    )
    stop = threading.Event()
    errors = []

    def keep_reading():
        while not stop.is_set():
            try:
                store.is_marked("read", ids[0])
                store.story_rows()
            except Exception as exc:  # noqa: BLE001 - any error here is the failure
                errors.append(exc)
                return

    reader = threading.Thread(target=keep_reading)
    reader.start()
    try:
        for article_id in ids:
            store.set_mark("read", [article_id])
    finally:
        stop.set()
        reader.join()
    assert other.wait(timeout=120) == 0, other.stderr.read()
    assert errors == []
    fresh = Store(data_dir).marks.snapshot()
    assert fresh["read"] == set(ids)
    assert fresh["star"] == set(ids[:200])
