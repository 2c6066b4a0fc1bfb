"""The real caucasus-reader command in a real terminal (tmux)."""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest

from conftest import command, need_tool

pytestmark = pytest.mark.e2e


class Tmux:
    def __init__(self, tmux: str):
        self.tmux = tmux
        self.socket = f"cr-test-{uuid.uuid4().hex[:8]}"
        self.session = "reader"

    def run(self, *args: str, check=True) -> subprocess.CompletedProcess:
        return subprocess.run([self.tmux, "-L", self.socket, *args], capture_output=True, text=True,
                              check=check, timeout=30)

    def start(self, shell_command: str) -> None:
        # COLUMNS/LINES inherited from the test runner would override the pane's real size.
        self.run("new-session", "-d", "-s", self.session, "-x", "120", "-y", "32",
                 f"env -u COLUMNS -u LINES {shell_command}")

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session, check=False).stdout

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def alive(self) -> bool:
        return self.run("has-session", "-t", self.session, check=False).returncode == 0

    def kill(self) -> None:
        self.run("kill-server", check=False)


@pytest.fixture
def tmux():
    t = Tmux(need_tool("tmux"))
    yield t
    t.kill()


def test_the_reader_starts_lists_the_seed_story_and_quits(tmux, tmp_path):
    config = tmp_path / "feeds.yaml"
    data = tmp_path / "data"
    tmux.start(f"'{command()}' --config '{config}' --data-dir '{data}'; sleep 30")
    screen = tmux.wait_for("Azerbaijan Cancels Russian Events Amid Rising Tensions")
    assert "1 stories · 2 articles · 2 unread" in screen
    assert "Quit" in screen  # the footer shows the keys
    tmux.run("send-keys", "-t", tmux.session, "q")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and "Azerbaijan Cancels" in tmux.screen():
        time.sleep(0.2)
    assert "Azerbaijan Cancels" not in tmux.screen(), "the reader did not quit on q"
    assert config.exists() and (data / "index.json").exists()


def test_triage_in_the_real_terminal_persists_for_stories_json(tmux, tmp_path):
    import json

    from conftest import article, run_cli
    from tui.store import Store
    from tui.workspace import load_seeds

    config = tmp_path / "feeds.yaml"
    config.write_text("feeds: []\n")
    data = tmp_path / "data"
    store = Store(data)
    load_seeds(store)
    store.add_articles([article(n) for n in range(3)])
    tmux.start(f"'{command()}' --config '{config}' --data-dir '{data}'; sleep 30")
    tmux.wait_for("4 stories · 5 articles · 5 unread")
    keys = tmux.session
    tmux.run("send-keys", "-t", keys, "R")          # the seed story (newest) read
    tmux.wait_for("3 unread")
    tmux.run("send-keys", "-t", keys, "j", "s")     # the next story starred
    tmux.run("send-keys", "-t", keys, "j", "Enter")  # open the third story
    tmux.wait_for("Test article")
    tmux.run("send-keys", "-t", keys, "Enter")      # open its article: read
    time.sleep(0.5)
    tmux.run("send-keys", "-t", keys, "Escape")
    tmux.wait_for("2 unread")
    tmux.run("send-keys", "-t", keys, "q")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and "stories ·" in tmux.screen():
        time.sleep(0.2)
    stories = json.loads(run_cli("--config", str(config), "--data-dir", str(data), "stories", "--json").stdout)
    read = {a["title"] for s in stories for a in s["articles"] if a["read"]}
    starred = {a["title"] for s in stories for a in s["articles"] if a["starred"]}
    assert {a["title"] for a in stories[0]["articles"]} <= read  # the seed story
    assert starred == {a["title"] for a in stories[1]["articles"]}
    assert len(read) == 3
