"""Shared test helpers: real files in temporary folders, the real installed command."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tui.store import NewArticle, Store

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def command() -> str:
    """The installed console script, from the environment running the tests."""
    found = shutil.which("caucasus-reader", path=str(Path(sys.executable).parent)) or shutil.which(
        "caucasus-reader"
    )
    if not found:
        pytest.fail("the caucasus-reader command is not installed; run the README's test command")
    return found


def need_shared(*parts: str) -> Path:
    """A path under ../shared. Missing: fail in CI (it must be there), skip elsewhere."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"needs {path} (the ../shared folder beside the checkout)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def need_tool(name: str) -> str:
    """An external program the tests drive. Missing: fail in CI (.ci/run installs it), skip elsewhere."""
    found = shutil.which(name)
    if not found:
        message = f"needs the {name} program (.ci/run installs it: apt-get install -y {name})"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def run_cli(*args: str, env: dict | None = None, input: bytes | None = None, timeout: float = 60):
    """Run the real command; return the CompletedProcess (text mode)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CAUCASUS_READER_")}
    full_env.update(env or {})
    return subprocess.run(
        [command(), *args],
        capture_output=True,
        env=full_env,
        input=input,
        timeout=timeout,
    )


def made_up_word(n: int) -> str:
    """A word of its own for each ``n`` (so made-up articles are different stories)."""
    digest = hashlib.blake2b(str(n).encode(), digest_size=8).digest()
    return "".join("bcdfghklmnprstvz"[b % 16] + "aeiou"[b % 5] for b in digest[:4])


def article(n: int, *, story_text: str = "", feed: str = "OC Media", **extra) -> NewArticle:
    """A made-up article, distinct for each ``n``: a different event, so a story of its own."""
    own = [made_up_word(n + 4099 * k) for k in range(8)]
    fields = dict(
        key=f"https://news.example/{n}",
        url=f"https://news.example/{n}",
        title=f"Test article {n}: {own[0].title()} {own[1]} {own[2]} in {own[5].title()}",
        feed=feed,
        feed_url="https://news.example/feed",
        published=f"2025-06-{1 + n % 28:02d}T{n % 24:02d}:00:00+00:00",
        text=story_text or (f"Paragraph one of article {n}. {own[0].title()} {own[1]} {own[2]} {own[3]}, "
                            f"{own[4]} {own[5]}.\n\n"
                            f"{own[6].title()} {own[7]} {own[4]}, {own[0]} {own[3]}."),
    )
    fields.update(extra)
    return NewArticle(**fields)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Store:
    s = Store(data_dir)
    yield s
    s.close()


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "# my feeds\n"
        "settings:\n"
        "  refresh_interval: 15m\n"
        "feeds:\n"
        "  - url: https://oc-media.org/feed/\n"
        "    name: OC Media\n"
        "    regional: true\n"
        "  # general news, filtered\n"
        "  - url: https://www.rferl.org/api/epiqq\n"
        "    name: RFE/RL\n"
        "keywords:\n"
        "  - Zangezur corridor\n",
        encoding="utf-8",
    )
    return path
