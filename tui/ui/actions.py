"""Small actions shared by the screens."""

from __future__ import annotations

import webbrowser

from ..fetch import check_url
from ..text import terminal_safe


def open_in_browser(url: str | None) -> str:
    """Open an article's link; say what happened (only http(s) links are opened)."""
    if not url or check_url(url):
        return "this article has no web address to open"
    try:
        opened = webbrowser.open(url)
    except webbrowser.Error:
        opened = False
    shown = terminal_safe(url, one_line=True)
    return f"opened {shown}" if opened else f"no browser found; the address is {shown}"
