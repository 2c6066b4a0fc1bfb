"""``caucasus-reader --demo``: the reader on invented news, with no internet and no trace.

Five invented outlets (three regional, two general whose items the relevance
filter must sort) publish feeds and cluttered article pages from ``data/``,
served by :class:`~tui.demo.server.DemoServer` on 127.0.0.1 in a background
thread. The reader runs on a feeds.yaml and an archive in a temporary folder
(made where ``TMPDIR`` says, removed on exit), after one refresh that brings
in the first round of news; the next refresh (a minute later, or ctrl+r)
finds new items and edited articles.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from .server import DemoServer

__all__ = ["DemoServer", "run_demo"]


def run_demo(config: str | None = None, data_dir: str | None = None) -> int:
    """Run the reader on the demo; ``config`` and ``data_dir`` (the user's options) are ignored."""
    from ..refresh import Refresher
    from ..workspace import open_workspace

    for option, value in (("--config", config), ("--data-dir", data_dir)):
        if value:
            _say(f"--demo ignores {option} {value}: the demo keeps everything in a temporary folder")
    with tempfile.TemporaryDirectory(prefix="caucasus-reader-demo-") as folder, DemoServer() as server:
        _say(f"demo: news served at {server.base}; feeds.yaml and archive in {folder} (removed on exit)")
        config_path = Path(folder) / "feeds.yaml"
        config_path.write_text(server.feeds_yaml(), encoding="utf-8")
        workspace = open_workspace(config_path, Path(folder) / "data")
        _say("demo: fetching the demo feeds...")
        _say("demo: " + Refresher(workspace.config, workspace.store).run().line())
        from ..ui.app import run_reader  # Textual loads only here

        return run_reader(workspace)


def _say(line: str) -> None:
    print(f"caucasus-reader: {line}", file=sys.stderr, flush=True)
