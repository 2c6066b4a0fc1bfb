"""The caucasus-reader application."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.worker import Worker, WorkerState

from ..errors import ReaderError
from ..text import terminal_safe
from ..triage import Triage
from ..workspace import Workspace
from .help import HelpScreen
from .stories import StoriesScreen


class ReaderApp(App):
    """The reader. It owns the workspace; screens read and change it through the core."""

    TITLE = "caucasus-reader"
    CSS_PATH = "reader.tcss"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave caucasus-reader"),
        Binding("question_mark", "help", "Help", id="help", tooltip="List every key"),
        Binding("ctrl+r", "refresh", "Refresh", id="refresh", tooltip="Fetch the feeds now"),
        Binding("F", "feeds", "Feeds", id="feeds", tooltip="Each feed's health: last fetch, last error"),
    ]

    class RefreshProgress(Message):
        def __init__(self, done: int, total: int, new: int):
            super().__init__()
            self.done, self.total, self.new = done, total, new

    def __init__(self, workspace: Workspace, *, watch: bool = True):
        super().__init__()
        self.workspace = workspace
        self.triage = Triage(workspace.store)
        self.watch_feeds = watch
        self._offline_told = False
        self._refresher = None  # the refresh running in the background, if any

    def on_mount(self) -> None:
        self.sub_title = str(self.workspace.config.path)
        if self.workspace.config.settings.keys:
            self.set_keymap(self.workspace.config.settings.keys)  # settings.keys in feeds.yaml
        for notice in self.workspace.notices:
            self.notify(notice, markup=False)
        self.push_screen(StoriesScreen())
        if self.watch_feeds and self.workspace.config.feeds:
            self.set_interval(self.workspace.config.settings.refresh_interval, self.action_refresh)

    def _handle_exception(self, error: Exception) -> None:
        """An archive file found damaged, foreign or newer once the reader runs (a story's
        catalog entries, the marks journal): leave with the message naming it, as the
        commands do, instead of a traceback. The file is left as it is."""
        if not isinstance(error, ReaderError):
            super()._handle_exception(error)
            return
        if self._exception is None:  # Pilot re-raises it in tests
            self._exception = error
            self._exception_event.set()
        lines = str(error).splitlines() or [type(error).__name__]
        self.panic(Text("\n".join(f"caucasus-reader: error: {terminal_safe(line)}" for line in lines)))
        self._return_code = error.exit_code

    def action_feeds(self) -> None:
        from .feeds import FeedsScreen

        if not isinstance(self.screen, FeedsScreen):
            self.push_screen(FeedsScreen())

    def get_system_commands(self, screen):
        """The command palette offers every action that applies where the user is."""
        yield from super().get_system_commands(screen)
        from .help import key_label

        seen = {"quit"}  # Textual's palette has its own Quit
        keymap = self.workspace.config.settings.keys
        for binding in [*screen.BINDINGS, *self.BINDINGS]:
            if isinstance(binding, Binding) and binding.tooltip and binding.action not in seen:
                seen.add(binding.action)
                target = self if binding.action.startswith("app.") or binding in self.BINDINGS else screen
                action = binding.action.removeprefix("app.")
                yield SystemCommand(binding.tooltip, f"key: {key_label(binding, keymap)}",
                                    lambda t=target, a=action: t.run_action(a))

    def action_help(self) -> None:
        screen = self.screen
        sections = [("this screen", [b for b in screen.BINDINGS if isinstance(b, Binding)])]
        if isinstance(screen, StoriesScreen):
            from .story_list import StoryList

            sections.append(("moving", [b for b in StoryList.BINDINGS if isinstance(b, Binding)]))
        sections.append(("everywhere", list(self.BINDINGS)))
        self.push_screen(HelpScreen(sections, self.workspace.config.settings.keys))

    # -- refreshing in the background -----------------------------------------
    def action_refresh(self) -> None:
        if not self.workspace.config.feeds:
            self.notify("feeds.yaml lists no feeds", timeout=3)
            return
        if any(w.group == "refresh" and w.is_running for w in self.workers):
            return  # one at a time; the running one will report
        self.run_refresh()

    @work(thread=True, exclusive=True, exit_on_error=False, group="refresh")
    def run_refresh(self):
        from ..refresh import Refresher  # loads the fetcher only when a refresh runs

        def progress(p) -> None:
            self.post_message(self.RefreshProgress(p.done, p.total, p.new))

        self._refresher = Refresher(self.workspace.config, self.workspace.store, on_progress=progress)
        try:
            return self._refresher.run()
        finally:
            self._refresher = None

    async def action_quit(self) -> None:
        """q quits at once, even mid-refresh: the refresh keeps what it finished."""
        if self._refresher is not None:
            self._refresher.cancel()
        self.exit()

    @on(RefreshProgress)
    def show_refresh_progress(self, message: RefreshProgress) -> None:
        self.sub_title = f"refreshing {message.done}/{message.total} feeds · {message.new} new"

    @on(Worker.StateChanged)
    def refresh_finished(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "refresh" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.sub_title = str(self.workspace.config.path)
        if event.state == WorkerState.ERROR:
            self.notify(str(event.worker.error), title="Refresh failed", severity="error", markup=False)
            return
        summary = event.worker.result
        failed = [r for r in summary.reports if r.outcome == "failed"]
        offline = failed and len(failed) == len(summary.reports) and all(
            "could not be resolved" in (r.error or "") for r in failed)
        if offline:
            if not self._offline_told:
                self.notify("Offline: no feed could be reached. Reading what is stored.", timeout=6)
                self._offline_told = True
            return
        self._offline_told = False
        message = f"{len(summary.new_ids)} new articles"
        if failed:
            message += f"; {len(failed)} feeds failed"
        self.notify(message, title="Refreshed", timeout=4, markup=False)
        for screen in self.screen_stack:
            if isinstance(screen, StoriesScreen):
                screen.load_stories()  # keeps the cursor on the same story


def run_reader(workspace: Workspace) -> int:
    app = ReaderApp(workspace)
    try:
        app.run()
    finally:
        workspace.store.close()
    return app.return_code or 0
