"""The home screen: one line per story, newest activity first."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from ..store import StoryRow
from .story_list import StoryList


class StoriesScreen(Screen):
    """The story list. The archive is read in a thread; the screen paints at once."""

    class Loaded(Message):
        def __init__(self, rows: list[StoryRow]):
            super().__init__()
            self.rows = rows

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading stories…", id="status")
        yield Static("", id="columns")
        yield StoryList(id="stories")
        yield Footer()

    def on_mount(self) -> None:
        self.load_stories()

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_stories(self) -> None:
        self.post_message(self.Loaded(self.app.workspace.store.story_rows()))

    @on(Loaded)
    def show_stories(self, message: Loaded) -> None:
        story_list = self.query_one(StoryList)
        story_list.set_rows(message.rows)
        articles = sum(r.size for r in message.rows)
        unread = sum(r.unread for r in message.rows)
        status = f"{len(message.rows)} stories · {articles} articles · {unread} unread"
        if not message.rows:
            status = "No stories in this archive yet."
        self.query_one("#status", Static).update(Text(status))
        story_list.focus()

    @on(StoryList.ColumnsChanged)
    def show_column_header(self, message: StoryList.ColumnsChanged) -> None:
        self.query_one("#columns", Static).update(Text(message.header))

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.query_one("#status", Static).update(Text(f"Could not load stories: {error}"))
            self.notify(str(error), title="Could not load stories", severity="error", markup=False)
