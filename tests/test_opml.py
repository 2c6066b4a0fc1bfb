"""OPML: export, import (keeping feeds.yaml's comments), and a round trip through newsboat."""

from __future__ import annotations

import subprocess

import pytest

from tui.config import load_config
from tui.opml import OpmlError, add_feeds_to_config, export_opml, parse_opml

from conftest import need_tool, run_cli

# What newsboat 2.21 writes with `newsboat -e` (its layout, our feeds).
NEWSBOAT_EXPORT = b"""<?xml version="1.0"?>
<opml version="1.0">
  <head>
    <title>newsboat - Exported Feeds</title>
  </head>
  <body>
    <outline type="rss" xmlUrl="https://civil.ge/feed" htmlUrl="" title="Civil.ge"/>
    <outline type="rss" xmlUrl="https://jam-news.net/feed/" htmlUrl="" title=""/>
  </body>
</opml>
"""


def test_export_then_import_restores_every_feed_and_flag(config_file, tmp_path):
    config = load_config(config_file)
    feeds, skipped = parse_opml(export_opml(config))
    assert skipped == []
    assert [(f.url, f.name, f.regional, f.extract) for f in feeds] == [
        (f.url, f.name, f.regional, f.extract) for f in config.feeds
    ]
    empty = tmp_path / "empty.yaml"
    empty.write_text("feeds: []\nsettings:\n  refresh_interval: 20m\n")
    added = add_feeds_to_config(load_config(empty), feeds)
    again = load_config(empty)
    assert len(added) == 2
    assert [(f.url, f.name, f.regional, f.extract) for f in again.feeds] == [
        (f.url, f.name, f.regional, f.extract) for f in config.feeds
    ]
    assert again.settings.refresh_interval == 20 * 60


def test_import_reads_newsboat_and_nested_folders_and_keeps_comments(config_file):
    nested = b"""<opml version="2.0"><body>
      <outline text="Caucasus">
        <outline text="Agenda" type="rss" xmlURL="https://agenda.ge/en/rss"/>
        <outline text="Bad" xmlUrl="javascript:alert(1)"/>
      </outline></body></opml>"""
    feeds, skipped = parse_opml(NEWSBOAT_EXPORT)
    more, skipped = parse_opml(nested, "nested.opml")
    assert [f.url for f in more] == ["https://agenda.ge/en/rss"]
    assert skipped == ["nested.opml: skipped Bad: 'javascript:alert(1)' must start with http:// or https:// (found javascript)"]
    before = config_file.read_text()
    added = add_feeds_to_config(load_config(config_file), feeds + more + feeds)
    assert [f.url for f in added] == ["https://civil.ge/feed", "https://jam-news.net/feed/", "https://agenda.ge/en/rss"]
    after = config_file.read_text()
    assert after.startswith(before.split("keywords:")[0])  # comments and order kept
    assert "# general news, filtered" in after and "Zangezur corridor" in after
    config = load_config(config_file)
    assert [f.name for f in config.feeds] == ["OC Media", "RFE/RL", "Civil.ge", "jam-news.net", "Agenda"]
    assert config.keywords == ["Zangezur corridor"]


def test_a_file_without_feeds_key_gets_one(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text("settings:\n  refresh_interval: 45m\nfeeds:\n")
    add_feeds_to_config(load_config(path), parse_opml(NEWSBOAT_EXPORT)[0])
    assert [f.url for f in load_config(path).feeds] == ["https://civil.ge/feed", "https://jam-news.net/feed/"]


@pytest.mark.parametrize("data", [b"<html><body/></html>", b"not xml", b""])
def test_non_opml_is_refused_clearly(data):
    with pytest.raises(OpmlError, match="not"):
        parse_opml(data, "x.opml")


def test_commands_round_trip_through_real_newsboat(config_file, tmp_path):
    newsboat = need_tool("newsboat")
    exported = tmp_path / "ours.opml"
    result = run_cli("--config", str(config_file), "export-opml", "-o", str(exported))
    assert result.returncode == 0, result.stderr
    urls, cache = tmp_path / "urls", tmp_path / "cache.db"
    urls.write_text("")
    subprocess.run([newsboat, "-u", str(urls), "-c", str(cache), "-i", str(exported)], check=True,
                   capture_output=True, timeout=60)
    assert urls.read_text().split() == [f.url for f in load_config(config_file).feeds]
    # newsboat's own export, read back by us into a fresh feeds.yaml
    back = subprocess.run([newsboat, "-u", str(urls), "-c", str(cache), "-e"], check=True,
                          capture_output=True, timeout=60).stdout
    fresh = tmp_path / "fresh.yaml"
    fresh.write_text("feeds: []\n")
    result = run_cli("--config", str(fresh), "import-opml", "-", input=back)
    assert result.returncode == 0, result.stderr
    assert b"2 feeds added" in result.stdout
    assert [f.url for f in load_config(fresh).feeds] == [f.url for f in load_config(config_file).feeds]


def test_an_inline_feed_list_keeps_its_feeds(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text('feeds: [{url: "https://a.org/f", regional: true}]  # mine\nsettings: {refresh_interval: 5m}\n')
    added = add_feeds_to_config(load_config(path), parse_opml(NEWSBOAT_EXPORT)[0])
    assert len(added) == 2
    config = load_config(path)
    assert [(f.url, f.regional) for f in config.feeds] == [
        ("https://a.org/f", True), ("https://civil.ge/feed", False), ("https://jam-news.net/feed/", False)
    ]
    assert config.settings.refresh_interval == 300 and "# mine" in path.read_text()


def test_import_writes_through_a_symlink_and_keeps_permissions(tmp_path, config_file):
    config_file.chmod(0o600)
    link = tmp_path / "link.yaml"
    link.symlink_to(config_file)
    add_feeds_to_config(load_config(link), parse_opml(NEWSBOAT_EXPORT)[0])
    assert link.is_symlink() and oct(config_file.stat().st_mode & 0o777) == "0o600"
    assert "https://civil.ge/feed" in config_file.read_text()


def test_opml_flags_in_other_spellings_and_repeats():
    data = b"""<opml version="2.0"><body>
      <outline xmlUrl="https://a.example/f" regional="yes" extract="0"/>
      <outline xmlUrl="https://a.example/f" regional="yes"/></body></opml>"""
    feeds, _ = parse_opml(data)
    assert (feeds[0].regional, feeds[0].extract) == (True, False)


def test_import_counts_each_feed_once(config_file, tmp_path):
    opml = tmp_path / "twice.opml"
    opml.write_bytes(NEWSBOAT_EXPORT.replace(b"</body>", b'<outline xmlUrl="https://civil.ge/feed"/></body>'))
    result = run_cli("--config", str(config_file), "import-opml", str(opml))
    assert result.stdout.decode().splitlines()[-1].endswith("2 feeds added to " + str(config_file) + "; 0 already listed; 0 skipped")


def test_export_to_standard_output_with_dash_and_clear_errors_for_bad_targets(config_file, tmp_path):
    dash = run_cli("--config", str(config_file), "export-opml", "-o", "-")
    assert dash.returncode == 0 and dash.stdout.startswith(b"<?xml")
    for target, message in ((tmp_path, "is a folder"), (tmp_path / "no" / "x.opml", "No such file or directory")):
        result = run_cli("--config", str(config_file), "export-opml", "-o", str(target))
        err = result.stderr.decode()
        assert result.returncode != 0 and message in err and "Traceback" not in err
