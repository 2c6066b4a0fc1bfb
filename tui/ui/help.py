"""Help: every key, from the bindings themselves (so it cannot drift from them)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "Close", id="help.close")]

    def __init__(self, sections: list[tuple[str, list[Binding]]]):
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold yellow", no_wrap=True)
        table.add_column()
        for title, bindings in self.sections:
            table.add_row("", "")
            table.add_row("", title.upper())
            for binding in bindings:
                keys = ", ".join(k.replace("question_mark", "?").replace("ctrl+", "ctrl-") for k in binding.key.split(","))
                table.add_row(keys, binding.tooltip or binding.description)
        self.table = table
        with VerticalScroll(id="help"):
            yield Static(table)
            yield Static("\nesc closes this help", classes="hint")
