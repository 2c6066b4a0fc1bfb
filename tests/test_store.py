"""The archive: contents, marks, damaged files, crashes and two writers, on real files."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import tui.store
from tui.errors import StoreError
from tui.store import Store

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
    assert store.versions(ids[0])[0]["title"] == "Test article 1 about Tbilisi"


def test_the_same_article_from_two_feeds_is_stored_once(store):
    first = store.add_articles([article(1)])
    again = store.add_articles([article(1, feed="Another outlet"), article(1)])
    assert again == [] and store.article_count() == 1
    assert store.article(first[0])["feed"] == "OC Media"


def test_articles_can_share_a_story(store):
    store.add_articles([article(1), article(2)], story="shared")
    [row] = store.story_rows()
    assert row.id == "shared" and row.size == 2 and row.title == "Test article 1 about Tbilisi"


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
    "newer schema": lambda raw: raw.replace(b'"schema":1', b'"schema":99'),
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
    assert len(list((data_dir / "bodies").glob("*.json"))) >= len(shards)
    fresh = Store(data_dir)
    assert all(fresh.text(i) == "x" * 600 for i in ids) and fresh.text(more[0]) == "y" * 600


def test_a_failed_transaction_writes_nothing(store, data_dir):
    store.add_articles([article(1)])
    before = {p.name: p.read_bytes() for p in data_dir.glob("*.json")}
    with pytest.raises(RuntimeError):
        with store.writing():
            store.add_articles([article(2)])
            raise RuntimeError("boom")
    assert {p.name: p.read_bytes() for p in data_dir.glob("*.json")} == before
    assert store.article_count() == 1


def test_leftover_temporary_files_are_cleaned_up(data_dir):
    Store(data_dir)
    leftover = data_dir / ".index.json.12345.1.tmp"
    leftover.write_bytes(b"half a write")
    Store(data_dir)
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
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        acknowledged += [line.split()[1:] for line in out.splitlines() if line.startswith("done")]
        store = Store(data_dir)  # opens: no file is half-written
        read = store.marks.sets["read"]
        for ids in acknowledged:
            assert all(store.has_article(i) for i in ids)
            assert set(ids[:2]) <= read
        for path in data_dir.rglob("*.json"):
            json.loads(path.read_bytes())
    assert len(acknowledged) > 12  # the children did real work before being killed
