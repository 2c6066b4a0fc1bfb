"""Feeds: each feed's health, so a broken source shows at a glance."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from ..text import terminal_safe


def _when(value) -> str:
    if not value:
        return "never"
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, timezone.utc).isoformat(timespec="seconds")
    return str(value)[:16].replace("T", " ")


class FeedsScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="feeds.back", tooltip="Back"),
        Binding("j", "cursor_down", "Down", id="feeds.down", show=False),
        Binding("k", "cursor_up", "Up", id="feeds.up", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="feeds-status")
        table = DataTable(id="feeds", cursor_type="row", zebra_stripes=True)
        for label in ("", "Feed", "Last success (UTC)", "Items", "Kept", "New", "Problem"):
            table.add_column(label)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        config = self.app.workspace.config
        states = self.app.workspace.store.feed_states()
        table = self.query_one(DataTable)
        broken = 0
        for feed in config.feeds:
            state = states.get(feed.url, {})
            error = state.get("last_error")
            if error and state.get("retry_at"):
                error += f" (next try {_when(state['retry_at'])} UTC)"
            broken += bool(error)
            mark = Text("✗", style="bold red") if error else Text("✓", style="green") if state else Text("·")
            table.add_row(
                mark,
                Text(terminal_safe(feed.name, one_line=True)),
                Text(_when(state.get("last_success"))),
                Text(str(state.get("items", "")), justify="right"),
                Text(str(state.get("kept", "")), justify="right"),
                Text(str(state.get("new", "")), justify="right"),
                Text(terminal_safe(error or state.get("warning") or "", one_line=True), style="red" if error else "dim"),
                key=feed.url,
            )
        never = sum(1 for f in config.feeds if f.url not in states)
        self.query_one("#feeds-status", Static).update(Text(
            f"{len(config.feeds)} feeds · {broken} with problems · {never} not fetched yet"
            f" · every {config.settings.refresh_interval // 60} min while the reader is open"))
        table.focus()

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()
