"""An article's edits (key d) and two outlets' texts of one story side by side (key c)."""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from ..compare import Comparison
from ..diffing import Op, side_by_side, summarise, word_diff
from ..revisions import event_words
from ..text import terminal_safe

_SPACES = re.compile(r"\s+")
STYLE = {"=": "", "-": "red strike", "+": "green bold"}


def segments_text(segments, *, one_line: bool = False) -> Text:
    """(kind, text) pieces as styled text; the web's text is only ever data here."""
    out = Text()
    for kind, piece in segments:
        safe = terminal_safe(piece)
        out.append(_SPACES.sub(" ", safe) if one_line else safe, style=STYLE[kind])
    return out


def inline_paragraphs(ops: list[Op]) -> list[list[tuple[str, str]]]:
    """The ops cut at paragraph breaks: one list of (kind, text) per paragraph of the two texts merged."""
    paragraphs: list[list[tuple[str, str]]] = [[]]
    for kind, text in ops:
        pieces = text.split("\n\n")
        for n, piece in enumerate(pieces):
            if n:
                paragraphs.append([])
            if piece.strip("\n"):
                paragraphs[-1].append((kind, piece.strip("\n") if n or len(pieces) > 1 else piece))
    return [p for p in paragraphs if p]


class _Changes(VerticalScroll):
    """Blocks of text, some holding changes; n/p move between those."""

    def show(self, blocks: list[tuple[Static, bool]]) -> None:
        self.remove_children()
        self.mount_all([block for block, _ in blocks])
        for block, changed in blocks:
            block.set_class(changed, "changed")
        self.at = -1

    def jump(self, step: int) -> bool:
        changed = list(self.query(".changed"))
        if not changed:
            return False
        for block in changed:
            block.remove_class("current")
        self.at = (self.at + step) % len(changed)
        changed[self.at].add_class("current")
        self.scroll_to_widget(changed[self.at], animate=False, top=True)
        return True


class DiffScreen(Screen):
    """Two versions of one article: a summary line, then the text inline or side by side."""

    BINDINGS = [
        Binding("escape,d", "app.pop_screen", "Back", id="diff.back", tooltip="Back to the story"),
        Binding("n", "jump(1)", "Next change", id="diff.next", tooltip="Jump to the next change"),
        Binding("p,N", "jump(-1)", "Previous change", id="diff.previous", tooltip="Jump to the previous change"),
        Binding("t", "toggle_layout", "Inline/side by side", id="diff.layout",
                tooltip="Show the changes inline, or the two versions side by side"),
        Binding("left_square_bracket", "older", "Older edit", id="diff.older", tooltip="The edit before this one"),
        Binding("right_square_bracket", "newer", "Newer edit", id="diff.newer", tooltip="The edit after this one"),
        Binding("j", "scroll(1)", "Down", id="diff.down", show=False, tooltip="Scroll down"),
        Binding("k", "scroll(-1)", "Up", id="diff.up", show=False, tooltip="Scroll up"),
    ]

    def __init__(self, article: dict, versions: list[dict], events: list[dict]):
        super().__init__()
        self.article = article
        self.versions = versions
        self.events = events
        self.newer = len(versions) - 1  # the version shown against the one before it
        self.side: bool | None = None  # None: as the edit suits (side by side when most changed)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="diff-summary")
        yield _Changes(id="diff-body")
        yield Footer()

    def on_mount(self) -> None:
        self.render_edit()
        self.query_one(_Changes).focus()

    def render_edit(self) -> None:
        old, new = self.versions[self.newer - 1], self.versions[self.newer]
        ops = word_diff(old["text"], new["text"])
        summary = summarise(old["title"], old["text"], new["title"], new["text"], ops)
        side = summary.mostly_changed if self.side is None else self.side
        head = Text(terminal_safe(self.article["title"], one_line=True) + "\n", style="bold")
        head.append(f"version {self.newer} → {self.newer + 1} of {len(self.versions)} · "
                    f"{old['at'][:16].replace('T', ' ')} → {new['at'][:16].replace('T', ' ')} UTC\n", style="italic")
        head.append(terminal_safe(summary.line(), one_line=True), style="bold yellow")
        if summary.mostly_changed:
            head.append("\nmost of the text changed: the versions are shown side by side", style="dim")
        if summary.headline_changed:
            head.append("\n")
            head.append(terminal_safe(old["title"], one_line=True), style=STYLE["-"])
            head.append("  →  ")
            head.append(terminal_safe(new["title"], one_line=True), style=STYLE["+"])
        for event in self.events:
            head.append(f"\n{event['at'][:16].replace('T', ' ')}  {terminal_safe(event_words(event), one_line=True)}",
                        style="dim")
        self.query_one("#diff-summary", Static).update(head)
        blocks: list[tuple[Static, bool]] = []
        if side:
            for left, right in side_by_side(ops):
                changed = any(kind != "=" for kind, _ in left + right)
                row = Horizontal(Static(segments_text(left, one_line=True), classes="left"),
                                 Static(segments_text(right, one_line=True), classes="right"), classes="row")
                blocks.append((row, changed))
        else:
            for paragraph in inline_paragraphs(ops):
                blocks.append((Static(segments_text(paragraph), classes="para"),
                               any(kind != "=" for kind, _ in paragraph)))
        self.query_one(_Changes).show(blocks)
        self.shown_side = side

    def action_jump(self, step: int) -> None:
        if not self.query_one(_Changes).jump(step):
            self.notify("the text did not change in this edit", timeout=2)

    def action_toggle_layout(self) -> None:
        self.side = not self.shown_side
        self.render_edit()

    def action_older(self) -> None:
        if self.newer > 1:
            self.newer -= 1
            self.render_edit()
        else:
            self.notify("this is the first edit", timeout=2)

    def action_newer(self) -> None:
        if self.newer < len(self.versions) - 1:
            self.newer += 1
            self.render_edit()
        else:
            self.notify("this is the latest edit", timeout=2)

    def action_scroll(self, step: int) -> None:
        body = self.query_one(_Changes)
        (body.scroll_down if step > 0 else body.scroll_up)(animate=False)


class CompareScreen(Screen):
    """Two articles of one story: what both report, what only one does, and the facts that differ."""

    BINDINGS = [
        Binding("escape,c", "app.pop_screen", "Back", id="compare.back", tooltip="Back to the story"),
        Binding("n", "jump(1)", "Next section", id="compare.next", tooltip="Jump to the next section"),
        Binding("p", "jump(-1)", "Previous section", id="compare.previous", tooltip="Jump to the previous section"),
        Binding("j", "scroll(1)", "Down", id="compare.down", show=False, tooltip="Scroll down"),
        Binding("k", "scroll(-1)", "Up", id="compare.up", show=False, tooltip="Scroll up"),
    ]

    def __init__(self, a: dict, b: dict, found: Comparison):
        super().__init__()
        self.a, self.b, self.found = a, b, found

    def compose(self) -> ComposeResult:
        yield Header()
        head = Text()
        for label, article in (("A", self.a), ("B", self.b)):
            head.append(f"{label}: ", style="bold")
            head.append(terminal_safe(article["feed"], one_line=True), style="italic")
            head.append(" — " + terminal_safe(article["title"], one_line=True) + "\n")
        found = self.found
        head.append(f"{len(found.shared)} reported by both · {len(found.only_a)} only in A · "
                    f"{len(found.only_b)} only in B · {len(found.facts)} facts to check", style="bold yellow")
        yield Static(head, id="diff-summary")
        yield _Changes(id="diff-body")
        yield Footer()

    def on_mount(self) -> None:
        found = self.found
        blocks: list[tuple[Static, bool]] = [(self._title(f"Facts ({len(found.facts)})"), True)]
        for fact in found.facts:
            where = {"a": "only A", "b": "only B"}.get(fact.side, "A and B differ")
            line = Text(f"{where:<15}{fact.kind:<8}", style="red" if fact.side == "both-differ" else "yellow")
            line.append(terminal_safe(fact.value, one_line=True), style="bold")
            if fact.side == "both-differ":
                line.append("  " + terminal_safe(fact.detail, one_line=True))
            blocks.append((Static(line, classes="fact"), False))
        blocks.append((self._title(f"Both report ({len(found.shared)})"), True))
        for pair in found.shared:
            row = Horizontal(Static(Text(terminal_safe(pair.a, one_line=True)), classes="left"),
                             Static(Text(terminal_safe(pair.b, one_line=True)), classes="right"), classes="row")
            blocks.append((row, False))
        for label, only, style in (("Only A reports", found.only_a, "cyan"), ("Only B reports", found.only_b, "magenta")):
            blocks.append((self._title(f"{label} ({len(only)})"), True))
            for sentence in only:
                blocks.append((Static(Text("• " + terminal_safe(sentence, one_line=True), style=style),
                                      classes="para"), False))
        self.query_one(_Changes).show(blocks)
        self.query_one(_Changes).focus()

    @staticmethod
    def _title(text: str) -> Static:
        return Static(Text(text, style="bold underline"), classes="section")

    def action_jump(self, step: int) -> None:
        self.query_one(_Changes).jump(step)

    def action_scroll(self, step: int) -> None:
        body = self.query_one(_Changes)
        (body.scroll_down if step > 0 else body.scroll_up)(animate=False)
