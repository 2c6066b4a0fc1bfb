"""Files shipped with caucasus-reader: the default feeds.yaml and the seed articles.

In a wheel they live in ``tui/_bundled/`` (pyproject.toml copies them there);
in a source checkout (an editable install) they are read from the top level of
the repository, where they are maintained.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """The path of a shipped file or folder (``feeds.yaml``, ``seeds``)."""
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"caucasus-reader is missing its bundled {name}; reinstall the package"
    )
