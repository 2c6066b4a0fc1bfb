"""Snapshots of the main screens (pytest-textual-snapshot). After a deliberate
change of the look: `.venv/bin/python -m pytest tests/test_snapshots.py --snapshot-update`,
then look at the SVGs before committing them."""

from __future__ import annotations

import pytest

from tui.ui.app import ReaderApp
from tui.workspace import open_workspace

from conftest import article

SIZE = (120, 32)


@pytest.fixture
def app(tmp_path):
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds:\n  - url: https://oc-media.org/feed/\n    name: OC Media\n    regional: true\n")
    workspace = open_workspace(config, tmp_path / "data")
    store = workspace.store
    ids = store.add_articles([
        article(1, title="Border commission meets in Ijevan", feed="Azatutyun"),
        article(2, title="Ferry schedule between Alat and Aktau", feed="Report.az"),
        article(3, title="[bold]Markup[/bold] in a title stays \x1b[31mplain", feed="OC Media"),
    ])
    store.set_mark("read", [ids[0]])
    store.set_mark("star", [ids[1]])
    return ReaderApp(workspace, watch=False)


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    pilot.app.sub_title = "feeds.yaml"  # the real one shows a temporary path
    await pilot.pause()


def test_stories_screen(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_story_screen_with_reading_pane(snap_compare, app):
    async def open_seed_story(pilot):
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_seed_story)


def test_help_screen(snap_compare, app):
    async def help(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=help)


def test_feeds_screen(snap_compare, app):
    async def feeds(pilot):
        await settle(pilot)
        await pilot.press("F")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=feeds)
