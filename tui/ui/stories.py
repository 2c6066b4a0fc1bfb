"""The home screen: one line per story, newest activity first."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from ..store import StoryRow
from .story import StoryScreen
from .story_list import StoryList

FILTERS = ("all", "unread", "starred")


class StoriesScreen(Screen):
    """The story list. The archive is read in a thread; the screen paints at once."""

    BINDINGS = [
        Binding("enter", "open_story", "Open", id="stories.open", tooltip="Open the story"),
        Binding("R,A", "story_read", "Story read", id="stories.read", tooltip="Mark the whole story read"),
        Binding("s", "star_story", "Star", id="stories.star", tooltip="Star or unstar the story"),
        Binding("u", "undo", "Undo", id="stories.undo", tooltip="Undo the last triage action"),
        Binding("f", "cycle_filter", "Filter", id="stories.filter", tooltip="Show all, unread or starred stories"),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[StoryRow]):
            super().__init__()
            self.rows = rows

    def __init__(self):
        super().__init__()
        self.rows: list[StoryRow] = []
        self.filter = "all"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading stories…", id="status")
        yield Static("", id="columns")
        yield StoryList(id="stories")
        yield Footer()

    def on_mount(self) -> None:
        self.load_stories()

    def on_screen_resume(self) -> None:
        if self.rows:  # back from a story: its marks may have changed
            self.load_stories()

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_stories(self) -> None:
        self.post_message(self.Loaded(self.app.workspace.store.story_rows()))

    @on(Loaded)
    def show_stories(self, message: Loaded) -> None:
        self.rows = message.rows
        self.show_rows()
        self.query_one(StoryList).focus()

    def show_rows(self) -> None:
        story_list = self.query_one(StoryList)
        if self.filter == "unread":
            shown = [r for r in self.rows if r.unread]
        elif self.filter == "starred":
            shown = [r for r in self.rows if r.starred]
        else:
            shown = self.rows
        story_list.set_rows(shown)
        articles = sum(r.size for r in self.rows)
        unread = sum(r.unread for r in self.rows)
        status = f"{len(self.rows)} stories · {articles} articles · {unread} unread"
        if self.filter != "all":
            status += f" · showing {self.filter} ({len(shown)})"
        if not self.rows:
            status = "No stories in this archive yet."
        self.query_one("#status", Static).update(Text(status))

    @on(StoryList.ColumnsChanged)
    def show_column_header(self, message: StoryList.ColumnsChanged) -> None:
        self.query_one("#columns", Static).update(Text(message.header))

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.query_one("#status", Static).update(Text(f"Could not load stories: {error}"))
            self.notify(str(error), title="Could not load stories", severity="error", markup=False)

    # -- keys -------------------------------------------------------------------
    @property
    def current(self) -> StoryRow | None:
        story_list = self.query_one(StoryList)
        return next((r for r in story_list.rows if r.id == story_list.current_id), None)

    def _refresh_row(self, row: StoryRow) -> None:
        """Recount one story's marks after a change (the rest of the list is unchanged)."""
        marks = self.app.workspace.store.marks.snapshot()
        row.unread = sum(1 for i in row.article_ids if i not in marks["read"])
        row.starred = any(i in marks["star"] for i in row.article_ids)
        self.show_rows()

    def action_open_story(self) -> None:
        if self.current:
            self.app.push_screen(StoryScreen(self.current))

    def action_story_read(self) -> None:
        row = self.current
        if row:
            self.app.triage.set("read", list(row.article_ids), True, "mark a story read")
            self._refresh_row(row)
            self.notify("story marked read", timeout=1.5)

    def action_star_story(self) -> None:
        row = self.current
        if row:
            starred = self.app.triage.toggle("star", list(row.article_ids), "star a story")
            self._refresh_row(row)
            self.notify("story starred" if starred else "story unstarred", timeout=1.5)

    def action_undo(self) -> None:
        what = self.app.triage.undo()
        self.notify(f"undone: {what}" if what else "nothing to undo", timeout=2)
        self.load_stories()

    def action_cycle_filter(self) -> None:
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]
        self.show_rows()
        self.notify(f"showing {self.filter} stories", timeout=1.5)
