"""Damaged, foreign or newer data files, through the real command.

Every kind of file in the data folder (index, catalog, feed health, a text
shard, a month of grouping features, the marks file and its journal) is
damaged five ways: cut in half, emptied, overwritten with bytes that are not
JSON, written by a newer caucasus-reader, replaced by another program's JSON.
Then `stories --json`, `refresh` (a feed on 127.0.0.1 with one new item) and
`regroup` run on a copy of the folder, and, for a sample, the reader in tmux.

A command that needs the file refuses it: exit 3, one message on stderr naming
the file and how to recover, no traceback, and not one byte of the data folder
changed (every file hashed before and after). A newer file is refused by every
command, since each file's head is checked when the archive opens. A command
that never reads the file (`stories` reads no feed health, texts or grouping
features; `regroup` no feed health or texts, the features being stored) goes
on; the damaged file is still left exactly as it was.

The journal is a log appended line by line: a torn last line is what a writer
killed mid-line leaves, so a cut journal keeps its whole lines and drops the
torn one (tests/test_store.py covers that), and an empty journal is what
folding it leaves. Those two are not damage; every other kind is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import command, need_tool, run_cli
from feedserver import FeedServer, rss
from test_e2e import Tmux
from tui.store import Store

MONTH = "2025-06"  # the month the served articles are dated in
FILES = {
    "index": "index.json",
    "catalog": "catalog.json",
    "feeds": "feeds.json",
    "profiles": "profiles.json",
    "bodies": "bodies/000001.json",
    "groups": f"groups/{MONTH}.json",
    "marks": "marks.json",
    "journal": "marks.log",
}
DAMAGES = ("truncated", "empty", "not json", "newer", "foreign")
COMMANDS = {
    "stories": ("stories", "--json"),
    "refresh": ("refresh",),
    "regroup": ("regroup",),
}
# The files each command reads whole (the others are checked by their head when the archive opens;
# the index, the marks and the small feeds file are read whole by every open).
READS = {
    "stories": {"index", "catalog", "feeds", "marks", "journal"},
    "refresh": set(FILES),  # the new article goes into the open text shard and its month's features
    "regroup": {"index", "catalog", "feeds", "profiles", "groups", "marks", "journal"},
}
NOT_DAMAGE = {("journal", "truncated"), ("journal", "empty")}
SAYS = {  # what the message says about each damage, beside the file's path and how to recover
    "truncated": "is damaged",
    "empty": "is empty",
    "not json": "is damaged",
    "newer": "was written by a newer caucasus-reader",
    "foreign": "is not a caucasus-reader",
}
JOURNAL_SAYS = {
    "not json": "is damaged (the bytes from byte 0 on are not a mark entry",
    "newer": "was it written by a newer caucasus-reader? Upgrade caucasus-reader",
    "foreign": "or was written by another program",
}
RECOVERY = ("left untouched", "Restore it from a backup", "--data-dir")


def item(n: int) -> dict:
    return dict(
        title=f"Protest number {n} on Rustaveli Avenue in Tbilisi", link=f"https://outlet.example/{n}",
        guid=f"https://outlet.example/{n}", pubDate=f"Mon, {2 + n:02d} Jun 2025 10:00:00 +0000",
        content=f"<p>Thousands gathered in Tbilisi, Georgia, on Rustaveli Avenue, protest number {n}.</p>"
                + "<p>" + "The crowd stayed into the night near parliament. " * 12 + "</p>",
    )


def schema_bumped(raw: bytes) -> bytes:
    newer, count = re.subn(rb'"schema":(\d+)', lambda m: b'"schema":%d' % (int(m.group(1)) + 97), raw, count=1)
    assert count == 1 and newer.startswith(b'{"_meta":'), raw[:120]
    return newer


def damaged(kind: str, how: str, raw: bytes, some_id: str) -> bytes:
    if how == "truncated":
        return raw[: len(raw) // 2]
    if how == "empty":
        return b""
    if how == "not json":  # zeroed blocks, as a power loss leaves them, then binary litter
        return b"\x00" * 32 + b"\xfe\xff binary garbage, not JSON"
    if kind == "journal":
        if how == "newer":  # an entry setting a mark this version does not know
            return raw + b'{"t":1790000000.0,"ids":["%s"],"archived":true}\n' % some_id.encode()
        return b'{"level":"info","msg":"listening","port":8080}\n{"level":"warn","msg":"slow client"}\n'
    if how == "newer":
        return schema_bumped(raw)
    return b'{"_default": {"1": {"hello": "world"}}}'  # a plain TinyDB database of another program


def snapshot(folder: Path) -> dict[str, str]:
    """Every file (by its hash) and folder under ``folder``."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A data folder made by a real refresh, with marks in both the marks file and its journal;
    then the feed gains an item, so that every refresh in the tests has an article to store."""
    root = tmp_path_factory.mktemp("damaged")
    with FeedServer() as server:
        url = server.add("/feed", body=rss([item(n) for n in range(3)]))
        config = root / "feeds.yaml"
        config.write_text(f"feeds:\n  - url: {url}\n    name: Test outlet\n    regional: true\n    extract: false\n")
        data = root / "data"
        made = run_cli("--config", str(config), "--data-dir", str(data), "refresh")
        assert made.returncode == 0, made.stderr.decode()
        store = Store(data)
        stories = store.stories_json()
        ids = [a["id"] for s in stories for a in s["articles"] if a["feed"] == "Test outlet"]
        assert len(ids) == 3, stories
        store.set_mark("read", ids[:1])
        with store.lock:
            store.marks.fold()  # marks.json holds this one ...
        store.set_mark("star", ids[1:2])  # ... the journal these
        store.set_mark("read", ids[2:3])
        store.set_mark("star", ids[2:3])
        for name in FILES.values():
            assert (data / name).is_file() and (data / name).stat().st_size, name
        assert (data / ".lock").is_file()
        server.add("/feed", body=rss([item(n) for n in range(4)]))
        yield {"root": root, "config": config, "data": data, "ids": ids}


def copy_of(world, tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    shutil.copytree(world["data"], data)
    config = tmp_path / "feeds.yaml"
    shutil.copy(world["config"], config)
    return config, data


def damage_file(world, data: Path, kind: str, how: str) -> Path:
    path = data / FILES[kind]
    path.write_bytes(damaged(kind, how, path.read_bytes(), world["ids"][0]))
    return path


def refused(kind: str, how: str, cmd: str) -> bool:
    if (kind, how) in NOT_DAMAGE:
        return False
    return how == "newer" or kind in READS[cmd]


def check_message(text: str, path: Path, kind: str, how: str) -> None:
    """The message names the damaged file, what is wrong with it, and how to recover."""
    flat = " ".join(text.split())
    assert str(path) in flat, text
    says = JOURNAL_SAYS[how] if kind == "journal" else SAYS[how]
    assert says in flat, text
    for words in RECOVERY:
        assert words in flat, text


CASES = [(kind, how, cmd) for kind in FILES for how in DAMAGES for cmd in COMMANDS]


@pytest.mark.parametrize(
    "kind,how,cmd", CASES,
    ids=[f"{k}-{h.replace(' ', '_')}-{c}-{'refused' if refused(k, h, c) else 'not_read'}" for k, h, c in CASES],
)
def test_a_damaged_file_is_refused_by_what_reads_it_and_never_touched(world, tmp_path, kind, how, cmd):
    config, data = copy_of(world, tmp_path)
    path = damage_file(world, data, kind, how)
    bad = path.read_bytes()
    before = snapshot(data)

    result = run_cli("--config", str(config), "--data-dir", str(data), *COMMANDS[cmd])
    out, err = result.stdout.decode(), result.stderr.decode()

    assert "Traceback" not in err and "Traceback" not in out
    assert path.read_bytes() == bad, f"{path} was changed"
    if refused(kind, how, cmd):
        assert result.returncode == 3, (result.returncode, out, err)
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("caucasus-reader: error: "), err
        check_message(err, path, kind, how)
        assert out == ""  # nothing half-done for a script to mistake for a result
        assert snapshot(data) == before  # not one byte of the folder written
    else:
        assert result.returncode == 0, (out, err)
        assert err == ""
        if cmd == "stories":
            stories = json.loads(out)
            read = {a["id"] for s in stories for a in s["articles"] if a["read"]}
            assert world["ids"][0] in read  # the marks file's mark
        elif cmd == "refresh":
            assert "1 new article" in out, out
        else:
            assert out.startswith("regrouped "), out


def test_zeroed_blocks_after_the_journals_entries_are_refused_not_cut(world, tmp_path):
    """A power loss can leave a journal's last blocks zeroed. That is not an entry a killed
    writer tore (those are cut at the next mark): it is refused, with where it starts."""
    config, data = copy_of(world, tmp_path)
    journal = data / "marks.log"
    good = journal.read_bytes()
    journal.write_bytes(good + b"\x00" * 512)
    result = run_cli("--config", str(config), "--data-dir", str(data), "stories", "--json")
    err = result.stderr.decode()
    assert result.returncode == 3 and "Traceback" not in err, err
    assert f"{journal} is damaged (the bytes from byte {len(good)} on are not a mark entry" in err
    assert journal.read_bytes() == good + b"\x00" * 512


def test_garbage_in_the_lock_file_is_ignored_and_left_alone(world, tmp_path):
    """The lock file holds no data: whatever is in it, the commands work and do not rewrite it."""
    config, data = copy_of(world, tmp_path)
    lock = data / ".lock"
    lock.write_bytes(b"\x00\xff not a lock, not JSON {")
    for cmd in COMMANDS.values():
        result = run_cli("--config", str(config), "--data-dir", str(data), *cmd)
        assert result.returncode == 0, result.stderr.decode()
        assert lock.read_bytes() == b"\x00\xff not a lock, not JSON {"


# -- the reader, in a real terminal ----------------------------------------------------------------

READER_CASES = {
    # the damage is found as the archive opens: the reader never starts, the message stays
    "truncated-index": ("index", "truncated", ()),
    "empty-marks": ("marks", "empty", ()),
    "not_json-journal": ("journal", "not json", ()),
    "newer-bodies": ("bodies", "newer", ()),
    # the list needs no catalog: opening a story reads it, and the reader leaves with the message
    "foreign-catalog-open_story": ("catalog", "foreign", ("Enter",)),
}


@pytest.fixture
def tmux():
    t = Tmux(need_tool("tmux"))
    yield t
    t.kill()


def start_reader(tmux: Tmux, config: Path, data: Path) -> None:
    tmux.start(f"'{command()}' --config '{config}' --data-dir '{data}'; echo \"exited with $?\"; sleep 60")


def joined_screen(tmux: Tmux) -> str:
    return tmux.run("capture-pane", "-p", "-J", "-t", tmux.session, check=False).stdout


@pytest.mark.e2e
@pytest.mark.parametrize("case", list(READER_CASES))
def test_the_reader_leaves_with_the_message_and_touches_nothing(world, tmp_path, tmux, case):
    kind, how, keys = READER_CASES[case]
    config, data = copy_of(world, tmp_path)
    path = damage_file(world, data, kind, how)
    before = snapshot(data)
    start_reader(tmux, config, data)
    if keys:
        tmux.wait_for("stories · 5 articles")  # the list came up: it does not need the file
        tmux.run("send-keys", "-t", tmux.session, *keys)
    tmux.wait_for("exited with")
    screen = joined_screen(tmux)
    assert "exited with 3" in screen, screen
    assert "Traceback" not in screen and "locals" not in screen, screen
    check_message(screen, path, kind, how)
    assert snapshot(data) == before


@pytest.mark.e2e
def test_the_reader_says_when_an_articles_text_cannot_be_read(world, tmp_path, tmux):
    """A text shard cut in half: the list and the story open (they need no text); the reading
    pane says why the text is missing instead of staying blank, and the file is not touched."""
    config, data = copy_of(world, tmp_path)
    damage_file(world, data, "bodies", "truncated")
    before = snapshot(data)
    start_reader(tmux, config, data)
    tmux.wait_for("stories · 5 articles")
    tmux.run("send-keys", "-t", tmux.session, "Enter")
    screen = " ".join(tmux.wait_for("Could not read this article's text").split())
    assert "000001.json is damaged" in screen, screen
    assert "Traceback" not in screen
    tmux.run("send-keys", "-t", tmux.session, "q")
    screen = tmux.wait_for("exited with")
    assert "exited with 0" in screen and "Traceback" not in screen, screen
    assert snapshot(data) == before
