"""A plain `pip install` (a wheel) carries the default feeds.yaml and the seeds."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import REPO


def test_the_wheel_ships_feeds_and_seeds_and_finds_them(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(REPO)],
        check=True, capture_output=True, timeout=300,
    )
    [wheel] = tmp_path.glob("caucasus_reader-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    assert "tui/_bundled/feeds.yaml" in names
    assert {n for n in names if n.startswith("tui/_bundled/seeds/")} == {
        f"tui/_bundled/seeds/{p.name}" for p in (REPO / "seeds").glob("*.txt")
    }
    assert "tui/ui/reader.tcss" in names and "tui/data/gazetteer.yaml" in names
    assert any(n.endswith("entry_points.txt") and b"caucasus-reader = tui.cli:main" in
               zipfile.ZipFile(wheel).read(n) for n in names)
    site = tmp_path / "site"
    probe = (
        f"import sys; sys.path.insert(0, {str(site)!r}); import tui.resources as r; "
        "print(r.__file__); print(r.bundled('feeds.yaml')); print(r.bundled('seeds')); "
        "import tui.relevance as rel; print(rel.RelevanceFilter().judge('Protests in Tbilisi').kept)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    module, feeds, seeds, relevant = out.stdout.split()
    assert relevant == "True"  # the gazetteer was found inside the installed package
    assert module == str(site / "tui" / "resources.py")
    assert feeds == str(site / "tui" / "_bundled" / "feeds.yaml")
    assert seeds == str(site / "tui" / "_bundled" / "seeds")
