"""Help: every key, from the bindings themselves (so it cannot drift from them)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


_NAMES = {"question_mark": "?", "slash": "/", "escape": "esc", "space": "space", "pagedown": "PgDn",
          "pageup": "PgUp", "asterisk": "*"}


def key_label(binding: Binding, keymap: dict[str, str]) -> str:
    """The keys of a binding as a person writes them, remaps from feeds.yaml included."""
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    return ", ".join(_NAMES.get(k, k).replace("ctrl+", "ctrl-").replace("shift+", "shift-")
                     for k in keys.split(","))


EXTRA = [("tab, shift-tab", "Move between panes"), ("ctrl-p", "The command palette: every action that applies here")]


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "Close", id="help.close")]

    def __init__(self, sections: list[tuple[str, list[Binding]]], keymap: dict[str, str]):
        super().__init__()
        self.sections = sections
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold yellow", no_wrap=True)
        table.add_column()
        for title, bindings in self.sections:
            table.add_row("", "")
            table.add_row("", title.upper())
            for binding in bindings:
                table.add_row(key_label(binding, self.keymap), binding.tooltip or binding.description)
        for keys, what in EXTRA:
            table.add_row(keys, what)
        self.table = table
        with VerticalScroll(id="help"):
            yield Static(table)
            yield Static("\nesc closes this help", classes="hint")
