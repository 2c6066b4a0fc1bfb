"""`caucasus-reader --demo`: its news, its server's two rounds, and the real command in tmux."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

import tui.demo
from tui.config import parse_config
from tui.demo import DemoServer
from tui.demo.server import DATA
from tui.refresh import Refresher
from tui.store import Store, make_id

from conftest import command, need_tool, run_cli
from test_e2e import Tmux

IRRELEVANT = {
    "Georgia Ports Authority reports record container volumes at Savannah",
    "Atlanta braces for severe storms as Georgia governor declares emergency",
    "Tokyo stocks close higher as exporters rally on weaker yen",
    "Chile's copper output rises for a third month",
    "Токийская биржа закрылась ростом индекса Nikkei",
    "В Москве ожидается аномально тёплая погода",
    "Сборная Бразилии по футболу объявила состав на товарищеские матчи",
}
ROUND_TWO = {
    "Police detain 14 as protesters block parliament entrance in Tbilisi",
    "Armenia publishes protocol of border commission meeting",
    "AZAL: расписание рейсов полностью восстановлено",
}
OUTLETS = {"Kura Courier", "Aragats Daily", "Апшерон-Инфо", "Planet Desk", "Мир за сутки"}


def test_the_demo_news_ships_inside_the_package():
    assert DATA == Path(tui.demo.__file__).resolve().parent / "data"  # found wherever tui is installed
    for name in ("feeds.yaml", "round1/kura/feed.xml", "round1/aragats/atom.xml", "round1/absheron/rss.xml",
                 "round1/planet/atom.xml", "round1/mir/rss.xml", "round2/kura/batumi-port-deal.html"):
        assert (DATA / name).is_file(), name
    assert len(list(DATA.glob("round*/*/*.html"))) >= 20


def test_the_demo_feeds_yaml_is_valid_and_watches_every_minute(tmp_path):
    with DemoServer() as server:
        config = parse_config(server.feeds_yaml(), tmp_path / "feeds.yaml")
    assert config.settings.refresh_interval == 60
    assert {f.name for f in config.feeds} == OUTLETS
    assert sum(f.regional for f in config.feeds) == 3
    assert all(f.url.startswith(server.base + "/") for f in config.feeds)


def test_a_refresh_keeps_the_region_from_every_outlet_and_the_next_brings_round_two(tmp_path):
    store = Store(tmp_path / "data")
    with DemoServer() as server:
        config = parse_config(server.feeds_yaml(), tmp_path / "feeds.yaml")
        first = Refresher(config, store, workers=2).run()
        assert [r.outcome for r in first.reports] == ["updated"] * 5, [r.error for r in first.reports]
        articles = [a for s in store.stories_json() for a in s["articles"]]
        titles = {a["title"] for a in articles}
        assert {a["feed"] for a in articles} == OUTLETS
        assert len(articles) == 16
        assert not titles & IRRELEVANT  # Georgia the US state, Tokyo, Moscow weather: dropped
        general = {r.feed.name: (r.items, r.kept) for r in first.reports if not r.feed.regional}
        assert general == {"Planet Desk": (6, 2), "Мир за сутки": (5, 2)}
        russian = [t for t in titles if re.search("[а-яА-Я]", t)]
        assert len(russian) >= 5 and "Протест в Тбилиси: демонстранты заполнили проспект Руставели" in titles
        details = store._details.raw()
        for article in articles:
            assert details[article["id"]]["method"].startswith("trafilatura"), article["title"]
            text = store.text(article["id"])
            assert "cookie" not in text.lower() and "Read also" not in text and "Читайте также" not in text
        border = make_id(server.url("/aragats/border-commissions-next-section.html"))
        assert "a 12.4-kilometre section" in store.text(border)
        assert server.round == 1

        second = Refresher(config, store, workers=2).run()
        assert server.round == 2
        outcomes = {r.feed.name: (r.outcome, r.new) for r in second.reports}
        assert outcomes == {"Kura Courier": ("updated", 1), "Aragats Daily": ("updated", 1),
                            "Апшерон-Инфо": ("updated", 1), "Planet Desk": ("unchanged", 0),
                            "Мир за сутки": ("unchanged", 0)}
        batumi = make_id(server.url("/kura/batumi-port-deal.html"))
        new = {a["title"] for s in store.stories_json() for a in s["articles"] if a["id"] != batumi} - titles
        assert new == ROUND_TWO

        # Round 2 also edits two articles, and their feed entries changed with them (a new
        # headline; an updated time and summary), so this refresh fetched both again.
        assert second.rechecked == {"version": 2}, second.rechecked
        versions = store.versions(batumi)
        assert [v["title"] for v in versions] == ["Georgia signs $240m deal to expand Batumi port",
                                                  "Georgia signs $240m deal for deep-water container terminal at Batumi"]
        texts = [v["text"] for v in store.versions(border)]
        assert len(texts) == 2 and "a 12.4-kilometre section" in texts[0] and "a 14.2-kilometre section" in texts[1]
        # Fetching every page again finds nothing more: the same texts are not versions.
        recheck = Refresher(config, store, workers=2, recheck_all=True).run()
        assert recheck.rechecked == {"same": 19}, recheck.rechecked
        assert "19 articles rechecked (0 new versions)" in recheck.line()
        third = Refresher(config, store, workers=2).run()
        assert {r.outcome for r in third.reports} == {"unchanged"}  # ETags: nothing changed since
    store.close()


def test_the_server_serves_nothing_outside_its_data():
    with DemoServer() as server:
        assert server.answer("/../feeds.yaml") is None
        assert server.answer("/round1/kura/feed.xml") is None
        assert server.answer("/kura/../../__init__.py") is None
        body, content_type = server.answer("/kura/feed.xml")
        assert content_type.startswith("application/rss+xml") and server.base.encode() in body
        assert server.answer("/aragats/atom.xml")[1].startswith("application/atom+xml")


def test_demo_takes_no_command():
    result = run_cli("--demo", "stories")
    assert result.returncode == 2 and b"--demo" in result.stderr


@pytest.mark.e2e
def test_the_demo_command_shows_the_news_refreshes_and_leaves_nothing_behind(tmp_path):
    tmux = Tmux(need_tool("tmux"))
    temp = tmp_path / "tmp"  # TMPDIR: where the demo makes its temporary folder
    temp.mkdir()
    config, data = tmp_path / "mine.yaml", tmp_path / "mine"
    try:
        tmux.start(f"env TMPDIR='{temp}' '{command()}' --demo --config '{config}' --data-dir '{data}'; "
                   "echo demo-exit=$?; sleep 30")
        # The demo's 18 articles cover a handful of events: they arrive grouped into stories.
        tmux.wait_for("18 articles", timeout=60)
        tmux.wait_for("Tbilisi protesters rally", timeout=10)
        assert any(temp.iterdir())  # the demo's folder exists while it runs
        tmux.run("send-keys", "-t", tmux.session, "C-r")  # the second round: new items
        tmux.wait_for("21 articles", timeout=60)  # three new, joining their stories or starting new ones
        # Round two also edited the border article: its story is on top; d on it shows the edit.
        tmux.run("send-keys", "-t", tmux.session, "g")
        tmux.run("send-keys", "-t", tmux.session, "Enter")
        tmux.wait_for("Апшерон-Инфо", timeout=10)
        tmux.run("send-keys", "-t", tmux.session, "Down")
        tmux.run("send-keys", "-t", tmux.session, "Down")
        tmux.wait_for("Aragats Daily · 2026-11-18 15:10", timeout=10)  # the edited article in the reading pane
        tmux.run("send-keys", "-t", tmux.session, "d")
        tmux.wait_for("numbers: 12.4 → 14.2", timeout=10)
        for key in ("Escape", "Escape", "q"):  # apart: an escape and a key at once read as alt+key
            tmux.run("send-keys", "-t", tmux.session, key)
            time.sleep(0.5)
        tmux.wait_for("demo-exit=0", timeout=30)
        screen = tmux.run("capture-pane", "-p", "-J", "-t", tmux.session).stdout  # long lines joined
    finally:
        tmux.kill()
    assert "--demo ignores --config" in screen and "--demo ignores --data-dir" in screen
    folder = re.search(r"archive in (\S+) \(removed on exit\)", screen)
    assert folder and folder.group(1).startswith(str(temp))
    deadline = time.monotonic() + 5
    while any(temp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(temp.iterdir()), list(temp.iterdir())
    assert not config.exists() and not data.exists()
