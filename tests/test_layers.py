"""The core never imports textual or rich; only tui/ui does."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import tui

from conftest import REPO

CORE = sorted(
    f"tui.{m.name}" for m in pkgutil.iter_modules(tui.__path__) if m.name not in ("ui", "__main__")
)


def test_there_are_core_modules_to_check():
    assert {"tui.store", "tui.config", "tui.cli", "tui.marks", "tui.storage"} <= set(CORE)


def test_each_core_module_imports_without_textual_or_rich():
    probe = (
        "import importlib, sys\n"
        "name = sys.argv[1]\n"
        "importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    for name in CORE:
        result = subprocess.run([sys.executable, "-c", probe, name], capture_output=True, text=True,
                                cwd=REPO, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "", f"{name} pulls in {result.stdout.strip()}"


def test_the_probe_can_see_a_ui_import():
    result = subprocess.run([sys.executable, "-c", "import tui.ui.app, sys; print('textual' in sys.modules)"],
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.stdout.strip() == "True"
