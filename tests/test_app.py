"""The reader's first screen, driven with Textual's Pilot over a real archive."""

from __future__ import annotations

from textual.widgets import DataTable

from tui.ui.app import ReaderApp
from tui.workspace import open_workspace

from conftest import article

HOSTILE = "[@click=app.quit]click me[/] [bold]not bold[/bold] \x1b[31mred"


def make_workspace(tmp_path, config_file, extra=()):
    workspace = open_workspace(config_file, tmp_path / "data")
    workspace.store.add_articles(list(extra))
    return workspace


async def loaded(pilot) -> DataTable:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return pilot.app.screen.query_one(DataTable)


async def test_the_story_list_shows_the_archive_and_moves_with_the_keys(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file, [article(n) for n in range(5)])
    app = ReaderApp(workspace)
    async with app.run_test(size=(120, 30)) as pilot:
        table = await loaded(pilot)
        expected = workspace.store.story_rows()
        assert table.row_count == len(expected) == 6
        keys = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]
        assert keys == [r.id for r in expected]
        seed_row = keys.index(next(r.id for r in expected if r.seed))
        assert table.get_row_at(seed_row)[1].plain == "Azerbaijan Cancels Russian Events Amid Rising Tensions"
        assert "◆" in table.get_row_at(seed_row)[0].plain
        assert table.cursor_row == 0
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == 5
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("down")
        assert table.cursor_row == 1
        await pilot.press("q")
    assert app.return_code == 0


async def test_web_text_is_shown_as_typed_and_never_acts(tmp_path, config_file):
    workspace = make_workspace(tmp_path, config_file, [article(1, title=HOSTILE)])
    app = ReaderApp(workspace)
    async with app.run_test(size=(160, 20)) as pilot:
        table = await loaded(pilot)
        titles = [table.get_row_at(i)[1].plain for i in range(table.row_count)]
        assert "[@click=app.quit]click me[/] [bold]not bold[/bold] red" in titles
        row = titles.index("[@click=app.quit]click me[/] [bold]not bold[/bold] red")
        await pilot.click(DataTable, offset=(8, row + 1))  # on the would-be link
        await pilot.pause()
        assert app.is_running  # the "link" did not quit the app
    assert app.return_code in (0, None)


async def test_an_empty_archive_says_what_to_do(tmp_path):
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds: []\n")
    workspace = open_workspace(config, tmp_path / "data")
    workspace.store.set_mark("read", [a for r in workspace.store.story_rows() for a in r.article_ids])
    app = ReaderApp(workspace)
    async with app.run_test() as pilot:
        await loaded(pilot)
        status = str(app.screen.query_one("#status").render())
        assert "1 stories · 2 articles · 0 unread" in status
