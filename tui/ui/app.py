"""The caucasus-reader application."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from ..workspace import Workspace
from .stories import StoriesScreen


class ReaderApp(App):
    """The reader. It owns the workspace; screens read and change it through the core."""

    TITLE = "caucasus-reader"
    CSS_PATH = "reader.tcss"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave caucasus-reader"),
    ]

    def __init__(self, workspace: Workspace):
        super().__init__()
        self.workspace = workspace

    def on_mount(self) -> None:
        self.sub_title = str(self.workspace.config.path)
        for notice in self.workspace.notices:
            self.notify(notice, markup=False)
        self.push_screen(StoriesScreen())


def run_reader(workspace: Workspace) -> int:
    app = ReaderApp(workspace)
    try:
        app.run()
    finally:
        workspace.store.close()
    return app.return_code or 0
