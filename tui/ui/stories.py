"""The home screen: one row per story, newest activity first."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from ..store import StoryRow
from ..text import terminal_safe

# (key, label, width); the title takes whatever width the others leave.
COLUMNS = (("marks", "", 2), ("title", "Story", None), ("articles", "Articles", 8),
           ("outlets", "Outlets", 20), ("unread", "Unread", 6), ("latest", "Latest", 10))
MIN_TITLE_WIDTH = 20


def story_cells(row: StoryRow) -> tuple[Text, ...]:
    """A story as table cells. Titles are web text: shown as typed, never as markup."""
    marks = ("★" if row.starred else " ") + ("◆" if row.seed else " ")
    return (
        Text(marks, style="bold yellow"),
        Text(terminal_safe(row.title, one_line=True), style="bold" if row.unread else "dim"),
        Text(str(row.size), justify="right"),
        Text(terminal_safe(", ".join(row.outlets), one_line=True)),
        Text(str(row.unread) if row.unread else "", justify="right"),
        Text(row.latest[:10]),
    )


class StoriesScreen(Screen):
    """Stories in a DataTable keyed by story id (one row each, no widget per row)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", id="stories.down", tooltip="Next story", show=False),
        Binding("k", "cursor_up", "Up", id="stories.up", tooltip="Previous story", show=False),
        Binding("g", "first", "Top", id="stories.top", tooltip="First story", show=False),
        Binding("G", "last", "Bottom", id="stories.bottom", tooltip="Last story", show=False),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[StoryRow]):
            super().__init__()
            self.rows = rows

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading stories…", id="status")
        table = DataTable(id="stories", cursor_type="row", zebra_stripes=True)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width or MIN_TITLE_WIDTH)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.load_stories()

    def on_resize(self) -> None:
        self.fit_title_column()

    def fit_title_column(self) -> None:
        """Give the title column the width the fixed columns leave (2 cells of padding each)."""
        table = self.query_one(DataTable)
        fixed = sum((width or 0) + 2 for _, _, width in COLUMNS)
        title = table.columns["title"]
        wanted = max(MIN_TITLE_WIDTH, self.size.width - fixed - 3)  # 3: scrollbar and border slack
        if title.width != wanted:
            title.width = wanted
            # DataTable has no public call to resize a column; this is the flag its own
            # add_column sets to have the layout recomputed.
            table._require_update_dimensions = True
            table.refresh()

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_stories(self) -> None:
        self.post_message(self.Loaded(self.app.workspace.store.story_rows()))

    @on(Loaded)
    def show_stories(self, message: Loaded) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for row in message.rows:
            table.add_row(*story_cells(row), key=row.id)
        articles = sum(r.size for r in message.rows)
        unread = sum(r.unread for r in message.rows)
        status = f"{len(message.rows)} stories · {articles} articles · {unread} unread"
        if not message.rows:
            status = "No stories yet. Add feeds to feeds.yaml, then run: caucasus-reader refresh"
        self.query_one("#status", Static).update(Text(status))
        table.focus()

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.query_one("#status", Static).update(Text(f"Could not load stories: {error}"))
            self.notify(str(error), title="Could not load stories", severity="error", markup=False)

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_first(self) -> None:
        self.query_one(DataTable).move_cursor(row=0)

    def action_last(self) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=table.row_count - 1)
