"""Versions of one article, found by fetching it again from 127.0.0.1: exactly the real edits are kept."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tui import revisions
from tui import store as store_module
from tui.config import parse_config
from tui.refresh import Refresher
from tui.store import Store, make_id

from conftest import article as make_article
from conftest import run_cli
from feedserver import FeedServer, Route, rss

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title} | Lori Herald</title></head>
<body><nav><a href="/">Home</a> <a href="/region">Region</a></nav>
<article><h1>{title}</h1><p class="byline">By a staff reporter</p>
{paragraphs}
</article>
<footer>Lori Herald. All rights reserved.</footer></body></html>"""

TITLE = "Landslide cuts the Vanadzor road after two days of rain"
FIRST = [
    "A landslide blocked the road between Vanadzor and Dilijan on Monday morning after two days of heavy rain "
    "in Armenia's Lori and Tavush provinces, the emergency situations ministry said.",
    "Rescuers reached a minibus carrying 67 passengers that was caught at the edge of the slide near the "
    "village of Margahovit; all of them were taken to Vanadzor, where four were treated for light injuries.",
    "Road crews with two bulldozers began clearing the carriageway in the afternoon. The ministry said traffic "
    "would be diverted through Spitak until at least Wednesday, adding about forty minutes to the journey.",
    "Residents of Margahovit said the hillside above the road had been cracking for weeks and that they had "
    "asked the regional administration to inspect it in the spring, without an answer.",
    "The regional governor promised an inspection of the slopes along the whole road once the clearing is "
    "finished, and said the ministry would pay for temporary housing for three families whose houses were hit.",
]


def page(title: str, paragraphs: list[str]) -> bytes:
    return PAGE.format(title=title, paragraphs="\n".join(f"<p>{p}</p>" for p in paragraphs)).encode()


@pytest.fixture
def server():
    with FeedServer() as s:
        yield s


def test_exactly_the_real_edits_become_versions(server, tmp_path):
    link = server.url("/lori/landslide")
    server.add("/lori/landslide", body=page(TITLE, FIRST), content_type="text/html")

    def feed(title: str) -> bytes:
        return rss([{"title": title, "link": link, "guid": link, "description": FIRST[0],
                     "pubDate": "Mon, 03 Nov 2025 09:00:00 +0400"}])

    server.add("/feed", body=feed(TITLE))
    path = tmp_path / "feeds.yaml"
    path.write_text(f"feeds:\n  - url: {server.url('/feed')}\n    regional: true\n")
    config = parse_config(path.read_text(), path)
    store = Store(tmp_path / "data")
    article = make_id(link)
    assert Refresher(config, store, workers=2).run().new_ids == [article]

    def edit(paragraphs: list[str], title: str = TITLE, *, feed_title: str | None = None, status: int = 200):
        route = server.routes["/lori/landslide"]
        route.body, route.status = page(title, paragraphs), status
        if feed_title:
            server.routes["/feed"].body = feed(feed_title)
        return Refresher(config, store, workers=2, recheck_all=True).run().rechecked

    # Not edits: spaces and line breaks, typographic quotes and an entity, the same text again.
    spaced = [p.replace(" ", "  ").replace(", ", ",\n") for p in FIRST]
    assert edit(spaced) == {"same": 1}
    assert edit([p.replace("Armenia's", "Armenia’s") for p in FIRST]) == {"same": 1}
    assert len(store.versions(article)) == 1

    # 1. A headline edit (the feed entry changes with it, so the plain refresh finds it).
    new_title = "Landslide cuts Vanadzor–Dilijan road; minibus passengers rescued"
    server.routes["/lori/landslide"].body = page(new_title, FIRST)
    server.routes["/feed"].body = feed(new_title)
    summary = Refresher(config, store, workers=2).run()
    assert summary.rechecked == {"version": 1}
    # 2. A sentence added.
    added = FIRST[:2] + [FIRST[2] + " A second slide was reported near Fioletovo in the evening."] + FIRST[3:]
    assert edit(added, new_title) == {"version": 1}
    # 3. A number corrected.
    corrected = [p.replace("67 passengers", "38 passengers") for p in added]
    assert edit(corrected, new_title) == {"version": 1}
    # 4. A paragraph removed.
    shorter = corrected[:3] + corrected[4:]
    assert edit(shorter, new_title) == {"version": 1}
    # 5. A quote added.
    quoted = shorter + ["“We warned them in April that the whole slope was moving,” said Anahit Sargsyan, "
                        "who runs the village shop in Margahovit."]
    assert edit(quoted, new_title) == {"version": 1}
    # An extraction that suddenly finds almost nothing (a broken page, a paywall): an event, not a version.
    assert edit(["Subscribe to read the rest of this article."], new_title) == {"suspect": 1}
    assert edit(["Subscribe to read the rest of this article."], new_title) == {"suspect": 1}  # noted once
    # The page goes away: an event.
    assert edit(quoted, new_title, status=404) == {"gone": 1}

    versions = store.versions(article)
    assert len(versions) == 6
    assert [v["title"] for v in versions] == [TITLE] + [new_title] * 5
    assert "Fioletovo" in versions[2]["text"] and "Fioletovo" not in versions[1]["text"]
    assert "67 passengers" in versions[2]["text"] and "38 passengers" in versions[3]["text"]
    assert "Margahovit said the hillside" in versions[3]["text"] and "hillside" not in versions[4]["text"]
    assert "We warned them" in versions[5]["text"]
    assert len({v["hash"] for v in versions}) == 6
    assert [e["kind"] for e in store.events(article)] == ["suspect", "gone"]
    listed = [a for s in store.stories_json() for a in s["articles"] if a["id"] == article]
    assert listed[0]["versions"] == 6 and listed[0]["title"] == new_title

    # Kept compactly: only the newest version is stored whole.
    hot = store._articles.raw()[article]
    kept = store._shard(hot["shard"]).table("bodies").raw()[article]["versions"]
    assert ["text" in v for v in kept] == [False] * 5 + [True]
    assert sum(len(json.dumps(v)) for v in kept[:-1]) < len(json.dumps(kept[-1]))

    # The same edits through the real command, for scripts.
    data = ["--config", str(path), "--data-dir", str(tmp_path / "data")]
    result = run_cli(*data, "diff", article[:6], "--from", "3", "--to", "4", "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["from"] == 3 and shown["to"] == 4
    assert shown["summary"]["numbers_changed"] == [["67", "38"]]
    assert "67 → 38" in shown["summary"]["line"]
    plain = run_cli(*data, "diff", article, "--all", "--inline").stdout.decode()
    assert "[-67-]{+38+}" in plain and "{+ A second slide" in plain and "\x1b" not in plain
    assert "1 quote added" in plain and "the page is gone: HTTP 404" in plain
    outside = run_cli(*data, "diff", article, "--to", "9")
    assert outside.returncode == 1 and b"has versions 1 to 6" in outside.stderr
    backwards = run_cli(*data, "diff", article, "--from", "4", "--to", "2")
    assert backwards.returncode == 1 and b"older version than --to" in backwards.stderr
    coloured = run_cli(*data, "diff", article, "--colour", "always").stdout.decode()
    assert "\x1b[32m" in coloured and "{+" not in coloured


def test_the_recheck_schedule_thins_with_age():
    now = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)

    def due(changed_hours_ago: float, checked_minutes_ago: float | None) -> bool:
        changed = (now - timedelta(hours=changed_hours_ago)).isoformat()
        checked = None if checked_minutes_ago is None else (now - timedelta(minutes=checked_minutes_ago)).isoformat()
        return revisions.recheck_due(changed, checked, now)

    assert due(1, 16) and not due(1, 10)  # changing now: every 15 minutes
    assert due(10, 61) and not due(10, 30)  # within a day: hourly
    assert due(72, 5 * 60) and not due(72, 60)  # within a week: every few hours
    assert due(20 * 24, 25 * 60) and not due(20 * 24, 5 * 60)  # within a month: daily
    assert not due(40 * 24, 30 * 24 * 60)  # older: only a changed feed entry or --recheck
    assert due(1, None)


@pytest.mark.parametrize("newer,older", [
    ("", ""), ("a b c", ""), ("", "a b c"), ("The 38 passengers", "The 67 passengers"),
    ("One.\n\nTwo three.", "One.\n\nTwo, three and four.\n\nFive."),
])
def test_a_delta_rebuilds_the_older_text_exactly(newer, older):
    assert revisions.apply_delta(newer, revisions.delta(newer, older)) == older


def test_a_diff_names_an_unknown_article_and_compares_two(tmp_path, store):
    ids = store.add_articles([make_article(1), make_article(2)])
    data = ["--data-dir", str(store.dir)]
    missing = run_cli(*data, "diff", "ffffffffffff")
    assert missing.returncode == 1 and b"no article with id 'ffffffffffff'" in missing.stderr
    one = run_cli(*data, "diff", ids[0])
    assert one.returncode == 0 and b"has one version" in one.stdout
    assert run_cli(*data, "diff", ids[0], "--json").stdout.strip() == b"null"  # scripts get JSON
    beyond = run_cli(*data, "diff", ids[0], "--to", "0")
    assert beyond.returncode == 0  # one version: nothing to range over
    apart = run_cli(*data, "diff", ids[0], ids[1], "--json")  # scripts keep working; people are told
    assert apart.returncode == 0 and b"are in different stories" in apart.stderr
    both = run_cli(*data, "diff", ids[0], ids[1], "--json", "--any-story")
    assert both.returncode == 0 and both.stderr == b"" and both.stdout == apart.stdout
    assert set(json.loads(both.stdout)) == {"a", "b", "shared", "only_a", "only_b", "facts"}


async def test_in_the_reader_d_shows_the_edits_and_c_compares_the_seeds(tmp_path, config_file):
    from test_app import loaded, make_workspace

    from tui.store import CheckResult
    from tui.ui.app import ReaderApp
    from tui.ui.diffs import CompareScreen, DiffScreen
    from tui.ui.story import StoryScreen

    workspace = make_workspace(tmp_path, config_file)
    store = workspace.store
    old = "\n\n".join(FIRST)
    [article] = store.add_articles([make_article(1, title=TITLE, story_text=old)])
    hostile = "[@click=app.quit]quit[/] \x1b]52;c;ZXZpbA==\x07"
    new = old.replace("67 passengers", "38 passengers") + "\n\n" + hostile + " A late paragraph."
    assert store.record_checks([CheckResult(article, "2026-11-30T10:00:00+00:00", title=TITLE, text=new)]) == {
        "version": 1, "same": 0, "suspect": 0, "gone": 0, "moved": 0, "failed": 0, "filled": 0}
    app = ReaderApp(workspace, watch=False)
    async with app.run_test(size=(140, 40)) as pilot:
        stories = await loaded(pilot)
        row = next(r for r in stories.rows if article in r.article_ids)
        app.push_screen(StoryScreen(row))
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        head = str(screen.query_one("#diff-summary").render())
        assert "version 1 → 2 of 2" in head and "numbers: 67 → 38" in head
        blocks = list(screen.query("#diff-body .para"))
        assert len(blocks) == 6 and [b.has_class("changed") for b in blocks] == [False, True] + [False] * 3 + [True]
        shown = "".join(str(b.render()) for b in blocks)
        assert "[@click=app.quit]quit[/]" in shown and "\x1b" not in shown  # web text is data
        await pilot.press("n")
        assert blocks[1].has_class("current")
        await pilot.press("n")
        assert blocks[5].has_class("current") and not blocks[1].has_class("current")
        await pilot.press("t")  # side by side
        await pilot.pause()
        rows = list(app.screen.query("#diff-body .row"))
        assert rows and str(rows[1].query_one(".left").render()).count("67") == 1
        assert "38" in str(rows[1].query_one(".right").render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, StoryScreen)
        app.pop_screen()
        await pilot.pause()
        seeds = next(r for r in stories.rows if r.seed)
        app.push_screen(StoryScreen(seeds))
        await pilot.pause()
        await pilot.press("c")  # two articles: the other one is compared at once
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        found = app.screen.found
        assert any("Victory Day" in p.a and "Victory Day" in p.b for p in found.shared)
        text = " ".join(str(w.render()) for w in app.screen.query("#diff-body Static"))
        assert "Huseyn Safarov" in text and "67" in text
        assert app.is_running


async def test_notices_naming_a_title_show_its_brackets_as_typed(tmp_path, config_file):
    from test_app import loaded, make_workspace

    from tui.ui.app import ReaderApp
    from tui.ui.story import StoryScreen

    title = "Prices up [/] 5% [@click=app.quit]x[/]"
    workspace = make_workspace(tmp_path, config_file, [make_article(1, title=title)])
    app = ReaderApp(workspace, watch=False)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        stories = await loaded(pilot)
        app.push_screen(StoryScreen(next(r for r in stories.rows if r.title == title)))
        await pilot.pause()
        await pilot.press("d", "r", "u")  # one version; read; undo: each notice names the title
        await pilot.pause(0.3)
        shown = [n.message for n in app._notifications]
        assert any("has one version" in m and "[@click=app.quit]x[/]" in m for m in shown), shown
        assert any(m.startswith("undone: read mark on 'Prices up [/] 5%") for m in shown), shown
        assert app.is_running


def _one_feed(server, tmp_path, link: str, *, extra_items: int = 0, name: str = "/feed"):
    items = [{"title": TITLE, "link": link, "guid": link, "description": FIRST[0],
              "pubDate": "Mon, 03 Nov 2025 09:00:00 +0400"}]
    items += [{"title": f"Other item {n}", "link": server.url(f"/other/{n}"), "description": "Yerevan news",
               "pubDate": "Mon, 03 Nov 2025 08:00:00 +0400"} for n in range(extra_items)]
    return rss(items)


def _config(tmp_path, *feeds: str):
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n" + "".join(f"  - url: {f}\n    regional: true\n" for f in feeds))
    return parse_config(path.read_text(), path)


def _landslide_stored(server, tmp_path, path: str = "/lori/landslide", **route):
    """The landslide article served at ``path`` (``route``: its Route's fields), its feed read
    once: (config, store, article id)."""
    link = server.url(path)
    server.add(path, **{"body": page(TITLE, FIRST), "content_type": "text/html", **route})
    server.add("/feed", body=_one_feed(server, tmp_path, link))
    config, store = _config(tmp_path, server.url("/feed")), Store(tmp_path / "data")
    [article] = Refresher(config, store, workers=2).run().new_ids
    return config, store, article


def test_a_feed_text_is_not_replaced_by_a_page_that_is_not_the_article(server, tmp_path):
    config, store, article = _landslide_stored(server, tmp_path, "/r/landslide", body=b"overloaded", status=503)
    front = [f"Front page story {n}: news from Gyumri, Kapan and Ijevan, with more to follow." for n in range(8)]
    server.add("/", body=page("Lori Herald", front), content_type="text/html")
    server.routes["/r/landslide"] = Route(redirect_to=server.url("/"))
    for _ in range(2):
        assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"moved": 1}
    fresh = Store(tmp_path / "data")
    assert [v["text"] for v in fresh.versions(article)] == [FIRST[0]]
    assert [v["title"] for v in fresh.versions(article)] == [TITLE]


def test_a_feed_text_stored_because_the_page_failed_is_replaced_when_it_loads(server, tmp_path):
    config, store, article = _landslide_stored(server, tmp_path, body=b"overloaded", status=503)
    assert store.text(article) == FIRST[0]  # the feed's summary, for now
    server.routes["/lori/landslide"].body, server.routes["/lori/landslide"].status = page(TITLE, FIRST), 200
    assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"filled": 1}
    versions = Store(tmp_path / "data").versions(article)  # as written, not as remembered
    assert len(versions) == 1, "the extraction catching up is not an edit"
    assert "Margahovit" in versions[0]["text"] and store.text(article) == versions[0]["text"]
    assert [e["kind"] for e in Store(tmp_path / "data").events(article)] == ["filled"]
    [listed] = Store(tmp_path / "data").story_articles([article])
    assert listed["method"].startswith("trafilatura") and listed["note"] == ""
    # From now on it is an article like any other: the same page is the same, an edit a version.
    assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"same": 1}
    server.routes["/lori/landslide"].body = page(TITLE, [p.replace("67", "38") for p in FIRST])
    assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"version": 1}


def test_a_link_that_always_redirected_has_not_moved_but_a_new_address_has(server, tmp_path):
    link = server.url("/r/landslide")  # a tracking link that redirects to the article
    server.add("/r/landslide", redirect_to=server.url("/lori/landslide"))
    server.add("/lori/landslide", body=page(TITLE, FIRST), content_type="text/html")
    server.add("/feed", body=_one_feed(server, tmp_path, link))
    config, store = _config(tmp_path, server.url("/feed")), Store(tmp_path / "data")
    [article] = Refresher(config, store, workers=2).run().new_ids
    for _ in range(2):
        assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"same": 1}
    assert store.events(article) == []
    # The outlet renames the article's address when it edits the headline: moved, and the edit kept.
    new_title = "Landslide closes the Vanadzor road for a week"
    server.add("/lori/landslide-closes-road", body=page(new_title, FIRST), content_type="text/html")
    server.routes["/r/landslide"].redirect_to = server.url("/lori/landslide-closes-road")
    assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"version": 1}
    assert [e["kind"] for e in store.events(article)] == ["moved"]
    assert [v["title"] for v in store.versions(article)] == [TITLE, new_title]
    assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"same": 1}
    # Now it leads to the front page: moved, and that page's text is not a version of the article.
    front = [f"Front page story {n}: news from Gyumri, Kapan and Ijevan, with more to follow." for n in range(8)]
    server.add("/", body=page("Lori Herald", front), content_type="text/html")
    server.routes["/r/landslide"].redirect_to = server.url("/")
    for _ in range(2):  # and stays so: the front page never becomes a version of the article
        assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"moved": 1}
    assert [v["title"] for v in store.versions(article)] == [TITLE, new_title]
    assert [e["kind"] for e in store.events(article)] == ["moved", "moved"]


def test_one_article_in_two_feeds_with_different_entries_is_not_fetched_again_and_again(server, tmp_path):
    link = server.url("/lori/landslide")
    server.add("/lori/landslide", body=page(TITLE, FIRST), content_type="text/html")
    server.add("/a", body=_one_feed(server, tmp_path, link))
    other = rss([{"title": TITLE + " (wire)", "link": link, "guid": link, "description": "A wire summary."}])
    server.add("/b", body=other)
    config, store = _config(tmp_path, server.url("/a"), server.url("/b")), Store(tmp_path / "data")
    assert len(Refresher(config, store, workers=2).run().new_ids) == 1
    for n in range(1, 4):  # both feeds change (new items), the article's two entries do not
        server.routes["/a"].body = _one_feed(server, tmp_path, link, extra_items=n)
        server.routes["/b"].body = other.replace(b"</channel>", f"<item><title>x{n}</title></item></channel>".encode())
        summary = Refresher(config, store, workers=2).run()
        assert {r.outcome for r in summary.reports} == {"updated"}
        assert summary.rechecked == {}, f"round {n}: an unchanged entry was taken for an edit"
    # Only a real change of one feed's entry fetches it again.
    server.routes["/b"].body = other.replace(b"A wire summary.", b"A longer wire summary.")
    assert Refresher(config, store, workers=2).run().rechecked == {"same": 1}


def test_a_page_only_headline_edit_is_found_by_the_schedule(server, tmp_path):
    config, store, article = _landslide_stored(server, tmp_path)
    new_title = "Landslide on the Vanadzor road: 67 rescued from a minibus"
    server.routes["/lori/landslide"].body = page(new_title, FIRST)  # the feed keeps the old headline
    assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"version": 1}
    assert [v["title"] for v in store.versions(article)] == [TITLE, new_title]
    assert store.story_articles([article])[0]["title"] == new_title


def test_a_page_is_given_up_after_several_404s_and_recheck_retries_it(server, tmp_path):
    config, store, article = _landslide_stored(server, tmp_path)
    later = datetime.now(timezone.utc) + timedelta(minutes=20)
    assert [d.article_id for d in store.due_for_recheck(later)] == [article]
    server.routes["/lori/landslide"].status = 404
    for n in range(1, store_module.GONE_AFTER + 1):
        assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"gone": 1}
        given_up = store.due_for_recheck(later + timedelta(hours=n)) == []
        assert given_up == (n == store_module.GONE_AFTER), f"after {n} 404s"
    assert [e["kind"] for e in store.events(article)] == ["gone"]  # one event for the run of them
    server.routes["/lori/landslide"].status = 200  # it was a publishing glitch after all
    assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"same": 1}
    assert [d.article_id for d in store.due_for_recheck(later + timedelta(hours=5))] == [article]


def _as_schema_1(data, article: str, feed_url: str) -> dict:
    """Make an archive what schema 1 wrote: no fetch times, one entry signature whatever the feed."""
    index, catalog = json.loads((data / "index.json").read_text()), json.loads((data / "catalog.json").read_text())
    for doc in (index, catalog):
        doc["_meta"]["1"]["schema"] = 1
    for hot in index["articles"].values():
        hot.pop("checked")
    more = catalog["articles"][article]
    more["entry"] = more.pop("entries")[feed_url]
    profiles = data / "profiles.json"  # (and the stories' profiles in the index)
    for sid, profile in json.loads(profiles.read_text())["stories"].items():
        index["stories"][sid].update(profile)
    profiles.unlink()
    (data / "index.json").write_text(json.dumps(index))
    (data / "catalog.json").write_text(json.dumps(catalog))
    return more


def test_an_archive_from_schema_1_is_backed_up_upgraded_and_not_fetched_all_at_once(server, tmp_path):
    config, _, article = _landslide_stored(server, tmp_path)
    data = tmp_path / "data"
    more = _as_schema_1(data, article, server.url("/feed"))
    before = {p.relative_to(data): p.read_bytes() for p in data.rglob("*") if p.is_file() and p.name not in (".lock", ".marks-lock")}

    result = run_cli("--config", str(tmp_path / "feeds.yaml"), "--data-dir", str(data), "refresh", "--json")
    assert result.returncode == 0, result.stderr
    assert b"upgraded the archive" in result.stderr and b"from data schema 1" in result.stderr
    assert json.loads(result.stdout)["rechecked"] == {}, "an upgraded archive is not fetched all at once"
    [backup] = (data / "backups").iterdir()
    assert str(backup).encode() in result.stderr
    kept = {p.relative_to(backup): p.read_bytes() for p in backup.rglob("*") if p.is_file()}
    assert kept == before, "the backup is the archive exactly as it was"
    index = json.loads((data / "index.json").read_text())
    assert index["_meta"]["1"]["schema"] == store_module.SCHEMA
    # Schema 3: the stories' topic profiles live apart from the index every open reads.
    assert not any("profile" in doc for doc in index["stories"].values())
    profiles = json.loads((data / "profiles.json").read_text())["stories"]
    assert set(profiles) == set(index["stories"]) and all("profile" in p for p in profiles.values())
    upgraded = Store(data)
    assert upgraded.migrated is None  # once only
    assert upgraded.entry_signatures([article], server.url("/feed"))[article] == more["entry"]
    assert upgraded.versions(article)[0]["text"] == Store(data).text(article)


@pytest.mark.parametrize("damage", ["truncated catalog", "newer feeds file"])
def test_an_old_archive_with_a_damaged_file_is_neither_upgraded_nor_backed_up(server, tmp_path, damage):
    config, _, article = _landslide_stored(server, tmp_path)
    data = tmp_path / "data"
    _as_schema_1(data, article, server.url("/feed"))
    if damage == "truncated catalog":
        raw = (data / "catalog.json").read_bytes()
        (data / "catalog.json").write_bytes(raw[: len(raw) // 2])
    else:
        raw = (data / "feeds.json").read_bytes()
        (data / "feeds.json").write_bytes(raw.replace(b'"schema":%d' % store_module.SCHEMA, b'"schema":99'))
    before = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    for _ in range(2):  # a cron job trying again and again
        result = run_cli("--data-dir", str(data), "stories", "--json")
        assert result.returncode == 3 and b"Traceback" not in result.stderr
    assert not (data / "backups").exists()
    assert {p: p.read_bytes() for p in data.rglob("*") if p.is_file()} == before


def test_a_version_whose_index_entry_a_crash_lost_is_listed_at_the_next_check(server, tmp_path):
    config, _, article = _landslide_stored(server, tmp_path)
    data = tmp_path / "data"
    index_before = (data / "index.json").read_bytes()
    new_title = "Landslide closes the Vanadzor road for a week"
    server.routes["/lori/landslide"].body = page(new_title, FIRST)
    assert Refresher(config, Store(data), workers=2, recheck_all=True).run().rechecked == {"version": 1}
    # A kill after the texts were written and before the index was: the old index, the new texts.
    (data / "index.json").write_bytes(index_before)
    assert Store(data).story_articles([article])[0]["versions"] == 1
    assert Refresher(config, Store(data), workers=2, recheck_all=True).run().rechecked == {"same": 1}
    [listed] = Store(data).story_articles([article])
    assert listed["versions"] == 2 and listed["title"] == new_title


def test_a_page_headline_retouched_in_punctuation_or_a_paywall_between_is_no_edit(server, tmp_path):
    own = "Vanadzor 'road of life' cut by a landslide"  # the page's headline is not the feed's
    config, store, article = _landslide_stored(server, tmp_path, body=page(own, FIRST))
    quoted = "Vanadzor \u2018road of life\u2019 cut by a landslide"
    server.routes["/lori/landslide"].body = page(quoted, FIRST)
    assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"same": 1}
    server.routes["/lori/landslide"].body = page(quoted, FIRST)
    assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"same": 1}
    server.routes["/lori/landslide"].body = page("Subscribe to the Lori Herald", ["Subscribe to read on."])
    assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"suspect": 1}
    server.routes["/lori/landslide"].body = page(quoted, FIRST)  # the paywall's headline is not news
    assert Refresher(config, store, workers=2, recheck_all=True).run().rechecked == {"same": 1}
    assert len(store.versions(article)) == 1


def test_a_changed_entry_whose_page_failed_is_looked_at_again_next_time(server, tmp_path):
    config, store, article = _landslide_stored(server, tmp_path)
    link = server.url("/lori/landslide")
    server.routes["/lori/landslide"].status = 503
    server.routes["/feed"].body = _one_feed(server, tmp_path, link).replace(
        FIRST[0].encode(), b"Corrected: " + FIRST[0].encode())
    assert Refresher(config, store, workers=2).run().rechecked == {"failed": 1}
    server.routes["/lori/landslide"].status = 200
    server.routes["/lori/landslide"].body = page(TITLE, ["Corrected: " + FIRST[0]] + FIRST[1:])
    server.routes["/feed"].body += b" "  # the feed is read again, its entries as they were
    assert Refresher(config, store, workers=2).run().rechecked == {"version": 1}


def test_an_upgrade_killed_half_way_keeps_pointing_at_the_backup_of_the_old_archive(server, tmp_path):
    config, _, article = _landslide_stored(server, tmp_path)
    data = tmp_path / "data"
    _as_schema_1(data, article, server.url("/feed"))
    old_index = (data / "index.json").read_bytes()
    original = {p.relative_to(data): p.read_bytes() for p in data.rglob("*") if p.is_file() and p.name not in (".lock", ".marks-lock")}
    first = Store(data).migrated[1]
    # Killed after the catalog was upgraded and before the index was: the index is schema 1 again.
    (data / "index.json").write_bytes(old_index)
    again = Store(data)
    assert again.migrated is not None and again.migrated[1] == first, "the backup of the old archive, not a new one"
    assert [p.name for p in (data / "backups").iterdir()] == [first.name]
    kept = {p.relative_to(first): p.read_bytes() for p in first.rglob("*") if p.is_file()}
    assert kept == original
