"""Keyboard triage as the core sees it: marks that can be undone.

The reader calls these; each change is persisted by the store before the call
returns, and remembered here so that ``undo`` can put back exactly what the
marks were before (per article: a story marked read may have had some read
articles already, which undo must leave read).
"""

from __future__ import annotations

from dataclasses import dataclass

from .store import Store


@dataclass(frozen=True)
class Change:
    kind: str  # "read" or "star"
    on: tuple[str, ...]  # ids to set
    off: tuple[str, ...]  # ids to clear


class Triage:
    def __init__(self, store: Store, depth: int = 200):
        self.store = store
        self.depth = depth
        self._undo: list[tuple[str, list[Change]]] = []

    def is_marked(self, kind: str, article_id: str) -> bool:
        return self.store.is_marked(kind, article_id)

    def set(self, kind: str, ids: list[str], value: bool, what: str) -> None:
        """Mark ``ids`` (persisted now) and remember how to undo it, as ``what``."""
        ids = [i for i in ids if self.store.has_article(i)]  # a refresh may have removed some
        if not ids:
            return
        before = self.store.marks.snapshot()[kind]
        was_on = tuple(i for i in ids if i in before)
        was_off = tuple(i for i in ids if i not in before)
        self.store.set_mark(kind, ids, value)
        self._undo.append((what, [Change(kind, was_on, was_off)]))
        del self._undo[: -self.depth]

    def toggle(self, kind: str, ids: list[str], what: str) -> bool:
        """Set the mark on all of ``ids`` unless all have it, then clear it; return the new value."""
        marked = self.store.marks.snapshot()[kind]
        value = not all(i in marked for i in ids if self.store.has_article(i))
        self.set(kind, ids, value, what)
        return value

    def undo(self) -> str | None:
        """Put back the marks of the last change; return what it was, or None."""
        if not self._undo:
            return None
        what, changes = self._undo.pop()
        for change in changes:
            if change.on:
                self.store.set_mark(change.kind, change.on, True)
            if change.off:
                self.store.set_mark(change.kind, change.off, False)
        return what
