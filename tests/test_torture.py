"""Every file of the feed-torture corpus (../shared), served over HTTP, through `refresh`.

Needs ../shared/corpora/feed-torture beside the checkout: skipped where it is
missing, a failure in CI.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import need_shared, run_cli
from feedserver import FeedServer, Route

pytestmark = pytest.mark.shared
HEADER = re.compile(rb"^Header:\s*([A-Za-z-]+):\s*(.+?)\s*$", re.MULTILINE)


def route_for(body: bytes) -> Route:
    """Serve a corpus file with the HTTP headers its test comment asks for, if any."""
    head = body[:2000]
    headers = {name.decode().title(): value.decode("latin-1") for name, value in HEADER.findall(head)}
    content_type = headers.pop("Content-Type", "application/xml")
    headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "content-encoding")}
    return Route(body=body, content_type=content_type, headers=headers)


def test_every_torture_file_goes_through_refresh_without_a_crash(tmp_path):
    corpus = need_shared("corpora", "feed-torture")
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.name != "LICENSE")
    assert len(files) > 2000
    with FeedServer() as server:
        lines = ["feeds:"]
        for n, path in enumerate(files):
            url = server.add(f"/{n}/{path.name}", route_for(path.read_bytes()))
            lines += [f"  - url: {url}", f"    name: t{n}", "    regional: true", "    extract: false"]
        config = tmp_path / "feeds.yaml"
        config.write_text("\n".join(lines) + "\n")
        args = ("--config", str(config), "--data-dir", str(tmp_path / "data"))
        result = run_cli(*args, "refresh", "--json", timeout=900)
        assert result.returncode == 0, result.stderr.decode()[-3000:]
        assert b"Traceback" not in result.stderr
        summary = json.loads(result.stdout)
        outcomes = [f["outcome"] for f in summary["feeds"]]
        assert len(outcomes) == len(files)
        assert set(outcomes) <= {"updated", "failed"}
        failed = [f for f in summary["feeds"] if f["outcome"] == "failed"]
        assert all(f["error"] for f in failed), "every unusable feed says why"
        assert outcomes.count("updated") > len(files) // 2
        # What was stored reads back, and the archive is consistent.
        stories = json.loads(run_cli(*args, "stories", "--json", timeout=300).stdout)
        assert sum(len(s["articles"]) for s in stories) == len(summary["new_articles"]) + 2  # + the seeds
        # A second pass over the same bytes parses nothing and fails nothing new.
        again = json.loads(run_cli(*args, "refresh", "--json", timeout=900).stdout)
        assert {f["outcome"] for f in again["feeds"]} <= {"unchanged", "waiting"}
        print(f"\n{len(files)} files: {outcomes.count('updated')} read, {len(failed)} reported unusable, "
              f"{len(summary['new_articles'])} articles stored")
