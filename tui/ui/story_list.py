"""A story list that renders only the lines on screen (Textual's line API).

A DataTable builds and measures every row up front; at 50,000 stories that is
seconds of frozen UI. This widget keeps the rows as plain data and turns a row
into a line of segments only when that line is painted, with a small cache of
the lines it painted last.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..store import StoryRow
from ..text import terminal_safe

# (key, label, width, right-aligned); the title takes the width the others leave.
COLUMNS = (
    ("marks", "", 2, False),
    ("title", "Story", 0, False),
    ("articles", "Articles", 8, True),
    ("outlets", "Outlets", 20, False),
    ("unread", "Unread", 6, True),
    ("latest", "Latest", 10, False),
)
GAP = 2
MIN_TITLE = 16


def column_widths(width: int) -> dict[str, int]:
    """Each column's width; on a narrow terminal the outlets go first, then the title shrinks."""
    widths = {key: w for key, _, w, _ in COLUMNS}
    fixed = sum(widths.values()) + GAP * (len(COLUMNS) - 1)
    if width - fixed < MIN_TITLE + 14:
        fixed -= widths["outlets"] + GAP
        widths["outlets"] = 0
    widths["title"] = max(MIN_TITLE, width - fixed)
    return widths


def fit(text: str, width: int, right: bool = False) -> str:
    """``text`` cropped (with an ellipsis) or padded to exactly ``width`` cells."""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    pad = " " * (width - cell_len(text))
    return pad + text if right else text + pad


def row_texts(row: StoryRow) -> dict[str, str]:
    """A story's cells as display-safe plain strings (web text is never markup)."""
    return {
        "marks": ("★" if row.starred else " ") + ("◆" if row.seed else "✎" if row.edited else " "),
        "title": terminal_safe(row.title, one_line=True),
        "articles": str(row.size),
        "outlets": terminal_safe(", ".join(row.outlets), one_line=True),
        "unread": str(row.unread) if row.unread else "",
        "latest": row.latest[:10],
    }


class StoryList(ScrollView, can_focus=True):
    """Stories, one line each, with a cursor. Keyed by story id."""

    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", id="stories.down", tooltip="Next story", show=False),
        Binding("up,k", "cursor_up", "Up", id="stories.up", tooltip="Previous story", show=False),
        Binding("pagedown,space", "page_down", "Page down", id="stories.page_down", show=False),
        Binding("pageup", "page_up", "Page up", id="stories.page_up", show=False),
        Binding("home,g", "first", "Top", id="stories.top", tooltip="First story", show=False),
        Binding("end,G", "last", "Bottom", id="stories.bottom", tooltip="Last story", show=False),
    ]
    COMPONENT_CLASSES = {
        "story-list--cursor",
        "story-list--unread",
        "story-list--read",
        "story-list--marks",
        "story-list--dim",
    }
    DEFAULT_CSS = """
    StoryList {
        overflow-x: hidden;
    }
    StoryList > .story-list--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
    StoryList:blur > .story-list--cursor { background: $block-cursor-blurred-background; text-style: none; }
    StoryList > .story-list--unread { text-style: bold; }
    StoryList > .story-list--read { color: $text-muted; }
    StoryList > .story-list--marks { color: $warning; }
    StoryList > .story-list--dim { color: $text-muted; }
    """

    cursor = reactive(0, always_update=True, init=False)

    class ColumnsChanged(Message):
        """The list's width changed; ``header`` is the matching column header line."""

        def __init__(self, header: str):
            super().__init__()
            self.header = header

    class Highlighted(Message):
        def __init__(self, story_id: str | None):
            super().__init__()
            self.story_id = story_id

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.rows: list[StoryRow] = []
        self._lines: LRUCache[tuple, Strip] = LRUCache(1024)
        self._header_width = -1

    # -- data -------------------------------------------------------------
    def set_rows(self, rows: list[StoryRow]) -> None:
        """Show ``rows``, keeping the cursor on the same story when it is still there."""
        current = self.current_id
        self.rows = rows
        self._lines.clear()
        self.virtual_size = Size(self.size.width, len(rows))
        # Same story if it is still shown; else the same place (the next story: a
        # story marked read under the unread filter leaves, and work goes on below).
        index = next((i for i, r in enumerate(rows) if r.id == current), self.cursor) if current else 0
        self.cursor = min(index, max(len(rows) - 1, 0))
        self.refresh()

    @property
    def current_id(self) -> str | None:
        return self.rows[self.cursor].id if 0 <= self.cursor < len(self.rows) else None

    # -- painting ----------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width  # less the scrollbar
        if width != self._header_width:  # a scrollbar came or went, or the terminal resized
            self._header_width = width
            self.post_message(self.ColumnsChanged(self.header_line(width)))
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        selected = index == self.cursor
        key = (index, width, selected, self.has_focus)
        strip = self._lines.get(key)
        if strip is None:
            strip = self._paint(self.rows[index], width, selected)
            self._lines[key] = strip
        return strip

    def _paint(self, row: StoryRow, width: int, selected: bool) -> Strip:
        base = self.rich_style
        text_style = base + self.get_component_rich_style(
            "story-list--unread" if row.unread else "story-list--read"
        )
        styles = {
            "marks": base + self.get_component_rich_style("story-list--marks"),
            "title": text_style,
            "outlets": base + self.get_component_rich_style("story-list--dim"),
            "latest": base + self.get_component_rich_style("story-list--dim"),
        }
        if selected:
            cursor = self.get_component_rich_style("story-list--cursor")
            styles = {k: v + cursor for k, v in styles.items()}
            base, text_style = base + cursor, text_style + cursor
        widths = column_widths(width)
        texts = row_texts(row)
        segments: list[Segment] = []
        for key, _, _, right in COLUMNS:
            if not widths[key]:
                continue
            if segments:
                segments.append(Segment(" " * GAP, base))
            segments.append(Segment(fit(texts[key], widths[key], right), styles.get(key, text_style)))
        return Strip(segments).adjust_cell_length(width, base)

    def header_line(self, width: int) -> str:
        widths = column_widths(width)
        return (" " * GAP).join(
            fit(label, widths[key], right) for key, label, _, right in COLUMNS if widths[key]
        )

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.rows))
        self._lines.clear()

    # -- the cursor --------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        top = self.scroll_offset.y
        height = max(self.scrollable_content_region.height, 1)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)
        self.refresh()
        self.post_message(self.Highlighted(self.current_id))

    def _move(self, to: int) -> None:
        if self.rows:
            self.cursor = max(0, min(to, len(self.rows) - 1))

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_page_down(self) -> None:
        self._move(self.cursor + max(self.scrollable_content_region.height - 1, 1))

    def action_page_up(self) -> None:
        self._move(self.cursor - max(self.scrollable_content_region.height - 1, 1))

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self.rows) - 1)

    def on_click(self, event: events.Click) -> None:
        self._move(self.scroll_offset.y + event.y)

    def on_focus(self) -> None:
        self._lines.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._lines.clear()
        self.refresh()
