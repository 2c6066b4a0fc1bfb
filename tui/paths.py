"""Where caucasus-reader keeps its configuration and its data.

Precedence, highest first: the ``--config`` / ``--data-dir`` options, the
``CAUCASUS_READER_CONFIG`` / ``CAUCASUS_READER_DATA_DIR`` environment
variables, then the platform's usual places (on Linux, XDG:
``~/.config/caucasus-reader/feeds.yaml`` and ``~/.local/share/caucasus-reader``).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "caucasus-reader"
CONFIG_ENV = "CAUCASUS_READER_CONFIG"
DATA_ENV = "CAUCASUS_READER_DATA_DIR"


def config_path(option: str | os.PathLike | None = None) -> Path:
    chosen = option or os.environ.get(CONFIG_ENV)
    if chosen:
        return Path(chosen).expanduser()
    return platformdirs.user_config_path(APP_NAME) / "feeds.yaml"


def data_dir(option: str | os.PathLike | None = None) -> Path:
    chosen = option or os.environ.get(DATA_ENV)
    if chosen:
        return Path(chosen).expanduser()
    return platformdirs.user_data_path(APP_NAME)
