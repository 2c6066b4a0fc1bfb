"""A story: its articles from every outlet, and the text of the one under the cursor."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ..compare import compare
from ..store import StoryRow
from ..text import quoted_title, terminal_safe
from .actions import open_in_browser
from .diffs import CompareScreen, DiffScreen


def group_reason(group: dict, titles: dict[str, str]) -> str:
    """Why an article is in its story, in words."""
    by = group.get("by")
    if by == "auto":
        shared = ", ".join(group.get("shared") or []) or "wording"
        other = titles.get(group.get("with", ""), "")
        like = f" with {quoted_title(other)}" if other else ""
        return f"shares {shared}{like} (similarity {group.get('score', 0):.2f})"
    if by == "you":
        return f"you put it here ({str(group.get('at', ''))[:10]}); grouping keeps it here"
    if by == "given":
        return "a seed article: this story is built around it"
    if by == "new":
        return "it started this story (nothing earlier was like it)"
    if by == "merged":
        other = titles.get(group.get("with", ""), "")
        like = quoted_title(other) if other else "a later article"
        return f"it started a story of its own; {like} showed that story and this one to be one event"
    return ""


def reading_text(article: dict, body: str, titles: dict[str, str] | None = None) -> Text:
    """The reading pane: a header of facts, then the paragraphs. All of it plain data."""
    safe = lambda value: terminal_safe(value, one_line=True)  # noqa: E731
    text = Text()
    text.append(safe(article["title"]) + "\n", style="bold")
    when = (article["published"] or "")[:16].replace("T", " ") or (
        f"undated (first seen {article['seen'][:16].replace('T', ' ')} UTC)")
    text.append(f"{safe(article['feed'])} · {when}\n", style="italic")
    if article["url"] and not article["url"].startswith("seed:"):
        text.append(safe(article["url"]) + "\n", style="underline")
    if article["why"]:
        text.append(f"Kept: {safe(article['why'])}\n", style="dim")
    grouped = group_reason(article.get("group") or {}, titles or {})
    if grouped:
        text.append(f"In this story: {safe(grouped)}\n", style="dim")
    if article["method"] == "feed-fallback":
        text.append(f"Text from the feed: {safe(article['note'])}\n", style="dim")
    text.append("\n")
    paragraphs = [terminal_safe(p).strip() for p in body.split("\n\n")]
    text.append("\n\n".join(p for p in paragraphs if p) or "(no text)")
    return text


class StoryScreen(Screen):
    """Articles on the left, the reading pane on the right; tab moves between them."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="story.back", tooltip="Back to the stories"),
        Binding("j", "cursor_down", "Down", id="story.down", show=False,
                tooltip="Next article (in the reading pane: scroll down)"),
        Binding("k", "cursor_up", "Up", id="story.up", show=False,
                tooltip="Previous article (in the reading pane: scroll up)"),
        Binding("enter", "open_article", "Read", id="story.open_article", show=False,
                tooltip="Read the article: it counts as read, the reading pane takes the keys"),
        Binding("r", "toggle_read", "Read/unread", id="story.read", tooltip="Toggle read on this article"),
        Binding("R,A", "story_read", "Story read", id="story.all_read", tooltip="Mark the whole story read"),
        Binding("s", "toggle_star", "Star", id="story.star", tooltip="Star or unstar this article"),
        Binding("u", "undo", "Undo", id="story.undo", tooltip="Undo the last triage action"),
        Binding("o", "open", "Open", id="story.open", tooltip="Open the article in the browser"),
        Binding("m", "move", "Move", id="story.move", tooltip="Move this article to another story"),
        Binding("x", "split", "Split out", id="story.split", tooltip="Take this article out into a story of its own"),
        Binding("d", "diff", "Edits", id="story.diff", tooltip="Show this article's edits: what changed between versions"),
        Binding("c", "compare", "Compare", id="story.compare",
                tooltip="Compare this article with another of the story: shared, only one, facts that differ"),
    ]

    class TextLoaded(Message):
        def __init__(self, article_id: str, body: str):
            super().__init__()
            self.article_id = article_id
            self.body = body

    def __init__(self, row: StoryRow):
        super().__init__()
        self.row = row
        self.articles: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.title_text(), id="story-title")
        with Vertical(id="story-body"):
            table = DataTable(id="articles", cursor_type="row", zebra_stripes=True)
            for label, key in (("", "mark"), ("Outlet", "feed"), ("Published", "time"), ("Versions", "v"),
                               ("Title", "title")):
                table.add_column(label, key=key)
            yield table
            with VerticalScroll(id="reader"):
                yield Static("", id="text")
        yield Footer()

    def title_text(self) -> Text:
        info = self.app.workspace.store.story_info(self.row.id)
        text = Text(terminal_safe(self.row.title, one_line=True), style="bold")
        if info["terms"]:
            text.append("  · " + terminal_safe(", ".join(info["terms"]), one_line=True), style="dim")
        if info["topic"]:
            text.append("  · topic: " + terminal_safe(info["topic"]["title"], one_line=True), style="italic")
        return text

    def on_mount(self) -> None:
        self.reload()
        self.query_one(DataTable).focus()

    # -- data ---------------------------------------------------------------
    def reload(self) -> None:
        store = self.app.workspace.store
        self.articles = store.story_articles(self.row.article_ids)
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for article in self.articles:
            mark = ("★" if article["starred"] else " ") + (" " if article["read"] else "●")
            when = (article["published"] or "undated")[:16].replace("T", " ")
            table.add_row(
                Text(mark, style="yellow"), Text(terminal_safe(article["feed"], one_line=True)), Text(when),
                Text(str(article["versions"]), justify="right"),
                Text(terminal_safe(article["title"], one_line=True), style="dim" if article["read"] else "bold"),
                key=article["id"],
            )
        if self.articles:
            table.move_cursor(row=min(cursor, len(self.articles) - 1))

    @property
    def current(self) -> dict | None:
        table = self.query_one(DataTable)
        return self.articles[table.cursor_row] if self.articles and table.cursor_row < len(self.articles) else None

    @on(DataTable.RowHighlighted)
    def highlighted(self) -> None:
        if self.current:
            self.load_text(self.current["id"])

    @work(thread=True, exclusive=True, exit_on_error=False, group="text")
    def load_text(self, article_id: str) -> None:
        self.post_message(self.TextLoaded(article_id, self.app.workspace.store.text(article_id)))

    @on(TextLoaded)
    def show_text(self, message: TextLoaded) -> None:
        article = next((a for a in self.articles if a["id"] == message.article_id), None)
        if article is not None and self.current and self.current["id"] == message.article_id:
            titles = {a["id"]: a["title"] for a in self.articles}
            self.query_one("#text", Static).update(reading_text(article, message.body, titles))
            self.query_one("#reader").scroll_home(animate=False)

    @on(Worker.StateChanged)
    def text_failed(self, event: Worker.StateChanged) -> None:
        """A text that cannot be read (its shard damaged, foreign or newer) is said so in the pane."""
        if event.worker.group == "text" and event.state == WorkerState.ERROR:
            error = terminal_safe(str(event.worker.error))
            self.query_one("#text", Static).update(Text(f"Could not read this article's text: {error}"))
            self.notify(error, title="Could not read the text", severity="error", markup=False)

    def action_open_article(self) -> None:
        self.opened()

    @on(DataTable.RowSelected)
    def opened(self) -> None:
        """Enter on an article: it counts as read, and the reading pane takes the keys."""
        article = self.current
        if article and not article["read"]:
            self.app.triage.set("read", [article["id"]], True, f"opened {quoted_title(article['title'])}")
            self.reload()
        self.query_one("#reader").focus()

    # -- keys -------------------------------------------------------------------
    def _step(self, down: bool) -> None:
        """j/k: the next/previous article, or a line when the reading pane has the keys."""
        reader = self.query_one("#reader")
        if reader.has_focus:
            (reader.scroll_down if down else reader.scroll_up)(animate=False)
        else:
            table = self.query_one(DataTable)
            (table.action_cursor_down if down else table.action_cursor_up)()

    def action_cursor_down(self) -> None:
        self._step(down=True)

    def action_cursor_up(self) -> None:
        self._step(down=False)

    def action_toggle_read(self) -> None:
        if self.current:
            read = self.app.triage.toggle("read", [self.current["id"]], f"read mark on {quoted_title(self.current['title'])}")
            self.reload()
            self.notify("marked read" if read else "marked unread", timeout=1.5)

    def action_story_read(self) -> None:
        self.app.triage.set("read", list(self.row.article_ids), True,
                            f"story read: {quoted_title(self.row.title)}")
        self.reload()
        self.notify("story marked read", timeout=1.5)

    def action_toggle_star(self) -> None:
        if self.current:
            starred = self.app.triage.toggle("star", [self.current["id"]], f"star on {quoted_title(self.current['title'])}")
            self.reload()
            self.notify("starred" if starred else "unstarred", timeout=1.5)

    def action_undo(self) -> None:
        what = self.app.triage.undo()
        self.reload()
        self.notify(f"undone: {what}" if what else "nothing to undo", timeout=2, markup=False)

    def action_open(self) -> None:
        if self.current:
            self.notify(open_in_browser(self.current["url"]), timeout=3, markup=False)

    # -- versions and comparisons ----------------------------------------------------
    def action_diff(self) -> None:
        article = self.current
        if article is None:
            return
        store = self.app.workspace.store
        versions, events = store.versions(article["id"]), store.events(article["id"])
        if len(versions) < 2:
            seen = f"; {len(events)} fetch problem{'s' * (len(events) != 1)} noted" if events else ""
            self.notify(f"no edits: {quoted_title(article['title'])} has one version{seen}", timeout=3, markup=False)
            return
        self.app.push_screen(DiffScreen(article, versions, events))

    def action_compare(self) -> None:
        article = self.current
        others = [a for a in self.articles if article and a["id"] != article["id"]]
        if not others:
            self.notify("the story has one article: nothing to compare it with", timeout=3)
            return

        def chosen(other_id: str | None) -> None:
            other = next((a for a in others if a["id"] == other_id), None)
            if other is not None:
                store = self.app.workspace.store
                mine, theirs = store.versions(article["id"])[-1], store.versions(other["id"])[-1]
                found = compare(mine["title"], mine["text"], theirs["title"], theirs["text"])
                self.app.push_screen(CompareScreen(article, other, found))

        if len(others) == 1:
            chosen(others[0]["id"])
        else:
            labels = [(a["id"], Text(terminal_safe(a["feed"], one_line=True) + " — "
                                     + terminal_safe(a["title"], one_line=True))) for a in others]
            question = f"Compare {quoted_title(article['title'])} with which article?"
            self.app.push_screen(ChoiceScreen(question, labels), chosen)

    # -- corrections ---------------------------------------------------------------
    def _moved(self, article: dict, story_id: str, what: str) -> None:
        self.row.article_ids = [i for i in self.row.article_ids if i != article["id"]]
        self.notify(f"{what}: {quoted_title(article['title'])}; regroup keeps it there", timeout=3, markup=False)
        if self.row.article_ids:
            self.reload()
        else:
            self.app.pop_screen()

    def action_split(self) -> None:
        article = self.current
        if article is None or len(self.row.article_ids) < 2:
            self.notify("the article is already alone in its story", timeout=2)
            return
        story_id = self.app.workspace.store.move_article(article["id"], None)
        self._moved(article, story_id, "split out")

    def action_move(self) -> None:
        article = self.current
        if article is None:
            return
        rows = [r for r in self.app.workspace.store.story_rows() if r.id != self.row.id]
        same_topic = [r for r in rows if self.row.topic and r.topic == self.row.topic]
        choices = same_topic + [r for r in rows if r not in same_topic]

        def chosen(story_id: str | None) -> None:
            if story_id:
                self.app.workspace.store.move_article(article["id"], story_id)
                self._moved(article, story_id, "moved")

        labels = [(r.id, Text(f"{r.latest[:10]}  " + terminal_safe(r.title, one_line=True)
                              + (f"  [{terminal_safe(r.topic_title, one_line=True)}]" if r.topic else "")))
                  for r in choices[:500]]
        self.app.push_screen(ChoiceScreen(f"Move {quoted_title(article['title'])} to which story?", labels), chosen)


class ChoiceScreen(ModalScreen[str | None]):
    """Pick one of a list (a story to move an article to, an article to compare with); esc cancels."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="choice.cancel")]

    def __init__(self, question: str, choices: list[tuple[str, Text]]):
        super().__init__()
        self.question = question
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-box"):
            yield Static(Text(self.question, style="bold"))
            yield OptionList(*[Option(label, id=key) for key, label in self.choices], id="choices")

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
