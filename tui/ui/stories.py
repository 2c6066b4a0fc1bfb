"""The home screen: one line per story, newest activity first."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static
from textual.worker import Worker, WorkerState

from ..store import StoryRow
from ..text import quoted_title
from .story import StoryScreen
from .story_list import StoryList

FILTERS = ("all", "unread", "starred")
TEXT_SEARCH_PAUSE = 0.4  # seconds of no typing before the texts are searched



class StoriesScreen(Screen):
    """The story list. The archive is read in a thread; the screen paints at once."""

    BINDINGS = [
        Binding("enter", "open_story", "Open", id="stories.open", tooltip="Open the story"),
        Binding("R,A", "story_read", "Story read", id="stories.read", tooltip="Mark the whole story read"),
        Binding("s", "star_story", "Star", id="stories.star", tooltip="Star or unstar the story"),
        Binding("u", "undo", "Undo", id="stories.undo", tooltip="Undo the last triage action"),
        Binding("f", "cycle_filter", "Filter", id="stories.filter", tooltip="Show all, unread or starred stories"),
        Binding("slash", "search", "Search", id="stories.search",
                tooltip="Search as you type: titles and outlets at once, the texts when you pause"),
        Binding("escape", "clear_search", "Clear search", id="stories.clear", show=False,
                tooltip="Clear the search"),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[StoryRow]):
            super().__init__()
            self.rows = rows

    class TextHits(Message):
        def __init__(self, query: str, ids: set[str]):
            super().__init__()
            self.search, self.ids = query, ids

    def __init__(self):
        super().__init__()
        self.rows: list[StoryRow] = []
        self.filter = "all"
        self.search_query = ""  # what the search box holds
        self.text_hits: set[str] | None = None  # articles whose text matched, once searched
        self._text_timer = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading stories…", id="status")
        yield Static("", id="columns")
        yield StoryList(id="stories")
        yield Input(placeholder="search titles and outlets; enter: texts too; esc: clear", id="search")
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
        if self.search_query:
            needle = self.search_query.casefold()
            hits = self.text_hits or set()
            shown = [r for r in shown if needle in r.title.casefold()
                     or any(needle in o.casefold() for o in r.outlets) or hits.intersection(r.article_ids)]
        story_list.set_rows(shown)
        articles = sum(r.size for r in self.rows)
        unread = sum(r.unread for r in self.rows)
        status = f"{len(self.rows)} stories · {articles} articles · {unread} unread"
        if self.filter != "all":
            status += f" · showing {self.filter} ({len(shown)})"
        if self.search_query:
            where = "titles, outlets and texts" if self.text_hits is not None else "titles and outlets"
            status += f" · {len(shown)} matching {self.search_query!r} in {where}"
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
            self.app.triage.set("read", list(row.article_ids), True, f"story read: {quoted_title(row.title)}")
            self._refresh_row(row)
            self.notify("story marked read", timeout=1.5)

    def action_star_story(self) -> None:
        row = self.current
        if row:
            starred = self.app.triage.toggle("star", list(row.article_ids), f"story star: {quoted_title(row.title)}")
            self._refresh_row(row)
            self.notify("story starred" if starred else "story unstarred", timeout=1.5)

    def action_undo(self) -> None:
        what = self.app.triage.undo()
        self.notify(f"undone: {what}" if what else "nothing to undo", timeout=2, markup=False)
        self.load_stories()

    def action_cycle_filter(self) -> None:
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]
        self.show_rows()
        self.notify(f"showing {self.filter} stories", timeout=1.5)

    # -- search ---------------------------------------------------------------------
    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#search")
    def narrow(self, event: Input.Changed) -> None:
        """Titles and outlets narrow at once; the texts follow once typing pauses
        (reading every text takes a moment on a large archive)."""
        self.search_query = event.value.strip()
        self.text_hits = None
        self.show_rows()
        if self._text_timer is not None:
            self._text_timer.stop()
        if self.search_query:
            self._text_timer = self.set_timer(TEXT_SEARCH_PAUSE, lambda q=self.search_query: self.run_text_search(q))

    @on(Input.Submitted, "#search")
    def search_texts(self, event: Input.Submitted) -> None:
        """Enter: search the texts now, and give the keys back to the list."""
        if self._text_timer is not None:
            self._text_timer.stop()
        if self.search_query:
            self.run_text_search(self.search_query)
        self.query_one(StoryList).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="search")
    def run_text_search(self, query: str) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        ids = self.app.workspace.store.search_text(query, cancelled=lambda: worker.is_cancelled)
        if not worker.is_cancelled:
            self.post_message(self.TextHits(query, ids))

    @on(TextHits)
    def show_text_hits(self, message: TextHits) -> None:
        if message.search == self.search_query:
            self.text_hits = message.ids
            self.show_rows()

    def action_clear_search(self) -> None:
        """Esc clears a search (from the box or the list)."""
        box = self.query_one("#search", Input)
        if box.display or self.search_query:
            box.value = ""
            box.display = False
            self.search_query, self.text_hits = "", None
            self.show_rows()
            self.query_one(StoryList).focus()
