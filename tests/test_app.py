"""The reader's first screen, driven with Textual's Pilot over a real archive."""

from __future__ import annotations

import io

from tui.store import Store
from tui.ui.app import ReaderApp
from tui.ui.stories import StoriesScreen
from tui.ui.story_list import StoryList
from tui.workspace import Workspace, open_workspace

from conftest import article

HOSTILE = "[@click=app.quit]click me[/] [bold]not bold[/bold] \x1b[31mred"


def make_workspace(tmp_path, config_file, extra=()):
    workspace = open_workspace(config_file, tmp_path / "data")
    workspace.store.add_articles(list(extra))
    return workspace


async def loaded(pilot) -> StoryList:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return pilot.app.screen.query_one(StoryList)


def help_text(app) -> str:
    """The help table as it is drawn, in plain text."""
    from rich.console import Console

    console = Console(width=100, record=True, file=io.StringIO())
    console.print(app.screen.table)
    return console.export_text()


def screen_lines(story_list: StoryList) -> list[str]:
    return [story_list.render_line(y).text for y in range(story_list.size.height)]


async def test_the_story_list_shows_the_archive_and_moves_with_the_keys(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file, [article(n) for n in range(40)])
    app = ReaderApp(workspace)
    async with app.run_test(size=(120, 20)) as pilot:
        stories = await loaded(pilot)
        expected = workspace.store.story_rows()
        assert [r.id for r in stories.rows] == [r.id for r in expected] and len(expected) == 41
        lines = screen_lines(stories)
        assert lines[0].startswith(" ◆  Azerbaijan Cancels")  # the seed story is the newest (29 June)
        assert lines[1].startswith("    Test article 27:")  # 28 June, unread
        header = app.screen.query_one("#columns").render().plain
        assert header.startswith("    Story") and header.rstrip().endswith("Latest")
        assert header.index("Latest") == lines[0].index("2025-06-29")  # columns line up
        assert str(app.screen.query_one("#status").render()) == "41 stories · 42 articles · 42 unread"
        assert stories.cursor == 0 and stories.has_focus
        await pilot.press("j", "j")
        assert stories.cursor == 2
        await pilot.press("k")
        assert stories.cursor == 1
        await pilot.press("G")
        assert stories.cursor == 40 and stories.scroll_offset.y > 0  # the list followed the cursor
        assert "Test article" in screen_lines(stories)[-1] or "Azerbaijan" in "".join(screen_lines(stories))
        await pilot.press("g")
        assert stories.cursor == 0 and stories.scroll_offset.y == 0
        await pilot.press("down", "pagedown")
        assert stories.cursor > 10
        await pilot.press("q")
    assert app.return_code == 0


async def test_the_seed_story_is_marked_and_titles_fit_the_width(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file)
    app = ReaderApp(workspace)
    async with app.run_test(size=(120, 12)) as pilot:
        stories = await loaded(pilot)
        [line] = [l for l in screen_lines(stories) if l.strip()]
        assert line.startswith(" ◆  Azerbaijan Cancels Russian Events Amid Rising Tensions")
        assert len(line) == stories.scrollable_content_region.width
        await pilot.resize_terminal(70, 12)
        await pilot.pause()
        [line] = [l for l in screen_lines(stories) if l.strip()]
        assert line.startswith(" ◆  Azerbaijan Cancels Russian Events A…")  # outlets give way first
        assert "Kyiv" not in line and len(line) == stories.scrollable_content_region.width


async def test_web_text_is_shown_as_typed_and_never_acts(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file, [article(1, title=HOSTILE)])
    app = ReaderApp(workspace)
    async with app.run_test(size=(160, 20)) as pilot:
        stories = await loaded(pilot)
        lines = screen_lines(stories)
        row = next(i for i, l in enumerate(lines) if "click me" in l)
        assert "[@click=app.quit]click me[/] [bold]not bold[/bold] red" in lines[row]
        await pilot.click(StoryList, offset=(8, row))  # on the would-be link
        await pilot.pause()
        assert app.is_running and stories.cursor == row  # a click moves the cursor, nothing more


async def test_fifty_thousand_stories_load_without_a_widget_per_row(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file)
    workspace.store.add_articles([article(n) for n in range(3000)])
    app = ReaderApp(workspace)
    async with app.run_test(size=(120, 30)) as pilot:
        stories = await loaded(pilot)
        assert len(stories.rows) == 3001
        assert len(list(app.screen.query("*"))) < 30  # rows are lines, not widgets
        await pilot.press("G")
        assert stories.current_id == stories.rows[-1].id


async def test_an_empty_archive_says_what_to_do(tmp_path, config_file):
    workspace = open_workspace(config_file, tmp_path / "data")
    empty = Workspace(config=workspace.config, store=Store(tmp_path / "empty"), notices=[])
    app = ReaderApp(empty)
    async with app.run_test() as pilot:
        stories = await loaded(pilot)
        assert stories.rows == []
        status = str(app.screen.query_one("#status").render())
        assert status == "No stories in this archive yet."
        await pilot.press("j", "G", "k")  # keys on an empty list do nothing, and nothing breaks
        assert stories.cursor == 0


# --- triage: every key changes what the store holds ------------------------------------------------

def marks(workspace):
    return Store(workspace.store.dir).marks.snapshot()  # a fresh reader of the files, as another process


async def test_story_list_keys_mark_star_undo_and_filter(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file, [article(n) for n in range(3)])
    app = ReaderApp(workspace, watch=False)
    async with app.run_test(size=(120, 20)) as pilot:
        stories = await loaded(pilot)
        seed = stories.rows[0]
        assert seed.seed and seed.unread == 2
        await pilot.press("R")
        assert marks(workspace)["read"] == set(seed.article_ids)
        await pilot.press("s")
        assert marks(workspace)["star"] == set(seed.article_ids)
        await pilot.press("u")  # undo the star
        assert marks(workspace)["star"] == set()
        await pilot.press("u")  # undo the read
        assert marks(workspace)["read"] == set()
        await pilot.press("A", "f")  # story read; filter: unread only
        assert app.screen.filter == "unread"
        assert seed.id not in [r.id for r in stories.rows] and len(stories.rows) == 3
        await pilot.press("f")
        assert app.screen.filter == "starred" and stories.rows == []
        await pilot.press("f")
        assert app.screen.filter == "all" and len(stories.rows) == 4


async def test_a_story_screen_reads_marks_and_goes_back(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file)
    app = ReaderApp(workspace, watch=False)
    async with app.run_test(size=(140, 30)) as pilot:
        stories = await loaded(pilot)
        await pilot.press("enter")
        await pilot.pause()
        from tui.ui.story import StoryScreen

        screen = app.screen
        assert isinstance(screen, StoryScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        first = screen.current
        text = str(screen.query_one("#text").render())
        assert text.startswith(first["title"]) and first["feed"] in text
        assert len(text) > 1500  # the article itself is in the reading pane
        await pilot.press("r")
        assert marks(workspace)["read"] == {first["id"]}
        await pilot.press("r")
        assert marks(workspace)["read"] == set()
        await pilot.press("j", "s")
        second = screen.current
        assert second["id"] != first["id"] and marks(workspace)["star"] == {second["id"]}
        await pilot.press("k", "enter")  # enter opens: the article counts as read
        assert first["id"] in marks(workspace)["read"]
        await pilot.press("tab", "shift+tab", "R")
        assert marks(workspace)["read"] == {first["id"], second["id"]}
        await pilot.press("u")
        assert marks(workspace)["read"] == {first["id"]}
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, StoriesScreen) and stories.rows[0].unread == 1


async def test_help_lists_the_keys_of_the_screen(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file)
    app = ReaderApp(workspace, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        from tui.ui.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        shown = help_text(app)
        for words in ("Mark the whole story read", "Undo the last triage action", "Fetch the feeds now", "Next story"):
            assert words in shown
        await pilot.press("escape")
        assert isinstance(app.screen, StoriesScreen)


async def test_ctrl_r_refreshes_in_the_background_and_the_list_follows(tmp_path):
    from feedserver import FeedServer, rss

    with FeedServer() as server:
        server.add("/feed", body=rss([{"title": "Fresh Tbilisi item", "link": "https://n.example/1",
                                       "description": "Georgia news"}]))
        config = tmp_path / "feeds.yaml"
        config.write_text(f"feeds:\n  - url: {server.url('/feed')}\n    regional: true\n    extract: false\n")
        workspace = open_workspace(config, tmp_path / "data")
        app = ReaderApp(workspace, watch=False)
        async with app.run_test(size=(120, 20)) as pilot:
            stories = await loaded(pilot)
            assert len(stories.rows) == 1
            await pilot.press("j", "ctrl+r")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert server.hits["/feed"] == 1
            assert [r.title for r in stories.rows] == [
                "Fresh Tbilisi item", "Azerbaijan Cancels Russian Events Amid Rising Tensions"]
            assert stories.current_id == stories.rows[1].id  # the cursor stayed on its story
            assert Store(tmp_path / "data").article_count() == 3


async def test_search_narrows_as_you_type_and_enter_searches_the_texts(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file, [
        article(1, title="Border commission meets in Ijevan"),
        article(2, title="Ferry schedule", story_text="The Caspian ferry from Alat to Aktau resumes."),
        article(3, title="Wine exports rise", feed="Agenda"),
    ])
    app = ReaderApp(workspace, watch=False)
    async with app.run_test(size=(120, 24)) as pilot:
        stories = await loaded(pilot)
        assert len(stories.rows) == 4
        await pilot.press("slash", *"ijevan")
        assert [r.title for r in stories.rows] == ["Border commission meets in Ijevan"]
        await pilot.press("escape")
        assert len(stories.rows) == 4 and app.screen.search_query == ""
        await pilot.press("slash", *"agenda")  # outlets count too
        assert [r.title for r in stories.rows] == ["Wine exports rise"]
        await pilot.press(*["backspace"] * 6, *"aktau")
        assert stories.rows == []  # not in any title...
        await pilot.pause(0.6)  # ...but in a text, found once typing pauses
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [r.title for r in stories.rows] == ["Ferry schedule"]
        assert "in titles, outlets and texts" in str(app.screen.query_one("#status").render())
        await pilot.press(*["backspace"] * 5, *"from alat", "enter")  # enter: at once
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [r.title for r in stories.rows] == ["Ferry schedule"]


async def test_the_feeds_screen_shows_health(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file)
    url = workspace.config.feeds[0].url
    workspace.store.save_feed_states({url: {"last_error": "not found (HTTP 404)", "retry_at": 2e9, "items": 0}})
    app = ReaderApp(workspace, watch=False)
    async with app.run_test(size=(140, 20)) as pilot:
        await loaded(pilot)
        await pilot.press("F")
        from textual.widgets import DataTable

        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        first = [cell.plain for cell in table.get_row_at(0)]
        assert first[0] == "✗" and first[1] == "OC Media" and first[6].startswith("not found (HTTP 404) (next try 2033")
        assert [c.plain for c in table.get_row_at(1)][2] == "never"
        assert "2 feeds · 1 with problems · 1 not fetched yet" in str(app.screen.query_one("#feeds-status").render())
        await pilot.press("escape")
        assert isinstance(app.screen, StoriesScreen)


async def test_keys_can_be_remapped_in_feeds_yaml(tmp_path):
    config = tmp_path / "feeds.yaml"
    config.write_text("settings:\n  keys:\n    stories.read: x\nfeeds: []\n")
    workspace = open_workspace(config, tmp_path / "data")
    app = ReaderApp(workspace, watch=False)
    async with app.run_test(size=(120, 20)) as pilot:
        stories = await loaded(pilot)
        await pilot.press("x")
        assert marks(workspace)["read"] == set(stories.rows[0].article_ids)


async def test_the_command_palette_offers_the_actions_of_the_screen(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file)
    app = ReaderApp(workspace, watch=False)
    async with app.run_test(size=(120, 20)) as pilot:
        await loaded(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Mark the whole story read", "Fetch the feeds now", "Each feed's health: last fetch, last error"} <= titles
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Mark the whole story read")
        result = command.callback()
        if hasattr(result, "__await__"):
            await result  # the palette awaits it the same way
        await pilot.pause()
        assert marks(workspace)["read"]


async def test_an_edited_story_is_marked_and_the_reading_pane_shows_web_text_as_typed(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file, [article(
        1, title="Hostile text", published="2025-07-01T00:00:00+00:00",
        story_text="[@click=app.quit]not a link[/] \x1b]52;c;ZXZpbA==\x07 and \u202eflipped\n\nSecond paragraph.")])
    articles = workspace.store._articles
    [edited_id] = [i for i, doc in articles.raw().items() if doc["title"] == "Hostile text"]
    with workspace.store.writing():  # a second version, as the edit detection of issue 6 will record it
        articles.put_many({edited_id: {**articles.raw()[edited_id], "versions": 2}})
    app = ReaderApp(workspace, watch=False)
    async with app.run_test(size=(120, 24)) as pilot:
        stories = await loaded(pilot)
        assert screen_lines(stories)[0].startswith(" ✎  Hostile text")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        pane = str(app.screen.query_one("#text").render())
        assert "[@click=app.quit]not a link[/]  and flipped\n\nSecond paragraph." in pane
        assert "\x1b" not in pane and "\u202e" not in pane
        assert app.is_running


async def test_under_the_unread_filter_the_cursor_moves_on_to_the_next_story(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file, [article(n) for n in range(5)])
    app = ReaderApp(workspace, watch=False)
    async with app.run_test(size=(120, 20)) as pilot:
        stories = await loaded(pilot)
        await pilot.press("f", "j", "j")
        expected_next = stories.rows[3].id
        await pilot.press("R")
        assert stories.cursor == 2 and stories.current_id == expected_next


async def test_j_and_k_scroll_the_reading_pane_once_it_has_the_keys(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file)
    app = ReaderApp(workspace, watch=False)
    async with app.run_test(size=(100, 16)) as pilot:
        await loaded(pilot)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        first = screen.current["id"]
        await pilot.press("enter")  # read it: the pane takes the keys
        await pilot.press("j", "j", "j")
        await pilot.pause()
        assert screen.current["id"] == first and screen.query_one("#reader").scroll_y == 3
        await pilot.press("k")
        await pilot.pause()
        assert screen.query_one("#reader").scroll_y == 2


async def test_help_shows_remapped_keys(tmp_path):
    config = tmp_path / "feeds.yaml"
    config.write_text("settings:\n  keys:\n    stories.read: x\nfeeds: []\n")
    app = ReaderApp(open_workspace(config, tmp_path / "data"), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        lines = help_text(app).splitlines()
        assert any(line.split() [:1] == ["x"] and "Mark the whole story read" in line for line in lines)
        assert any(line.strip().startswith("/") for line in lines)  # "slash" shown as a person writes it
