"""feeds.yaml validation: every kind of mistake is named with its line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.config import load_config, parse_config
from tui.errors import ConfigError
from tui.resources import bundled

from conftest import run_cli

P = Path("feeds.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, P)
    return info.value.problems


def test_a_good_file_parses_with_defaults(config_file):
    config = load_config(config_file)
    assert [f.name for f in config.feeds] == ["OC Media", "RFE/RL"]
    assert config.feeds[0].regional is True and config.feeds[0].extract is True
    assert config.feeds[1].regional is False
    assert config.settings.refresh_interval == 15 * 60
    assert config.settings.retention_days is None
    assert config.keywords == ["Zangezur corridor"]


def test_the_shipped_feeds_yaml_is_valid_and_curated():
    config = load_config(bundled("feeds.yaml"))
    assert len(config.feeds) >= 15
    assert any(f.regional for f in config.feeds) and any(not f.regional for f in config.feeds)
    assert all(f.url.startswith(("http://", "https://")) for f in config.feeds)


def test_name_defaults_to_the_host():
    config = parse_config("feeds:\n  - url: https://civil.ge/feed\n", P)
    assert config.feeds[0].name == "civil.ge"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("feeds:\n  - url: https://a.example/rss\n    regionl: true\n",
         "feeds.yaml:3: feeds[1].regionl: unknown key (allowed here: extract, name, regional, url); did you mean 'regional'?"),
        ("feds: []\n", "feeds.yaml:1: feds: unknown key"),
        ("settings:\n  refresh: 10m\nfeeds: []\n", "feeds.yaml:2: settings.refresh: unknown key"),
    ],
)
def test_unknown_keys_are_named_with_their_line(text, expected):
    assert any(p.startswith(expected) for p in problems(text)), problems(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("feeds:\n  - url: https://a.example/rss\n    regional: yes please\n",
         "feeds.yaml:3: feeds[1].regional: expected true or false, found 'yes please'"),
        ("feeds:\n  - url: https://a.example/rss\n    extract: 1\n",
         "feeds.yaml:3: feeds[1].extract: expected true or false, found '1'"),
        ("feeds:\n  - url: [https://a.example/rss]\n", "feeds.yaml:2: feeds[1].url: expected text, found a list"),
        ("feeds:\n  - url:\n", "feeds.yaml:2: feeds[1].url: expected text, found nothing"),
        ("feeds: https://a.example/rss\n", "feeds.yaml:1: feeds: expected a list of feeds, found 'https://a.example/rss'"),
        ("feeds:\n  - https://a.example/rss\n", "feeds.yaml:2: feeds[1]: expected a mapping of keys to values"),
        ("settings:\n  refresh_interval: often\nfeeds: []\n",
         "feeds.yaml:2: settings.refresh_interval: expected minutes or a duration such as 90s, 15m, 2h (at most a week); found 'often'"),
        ("settings:\n  refresh_interval: .inf\nfeeds: []\n",
         "feeds.yaml:2: settings.refresh_interval: expected minutes or a duration such as 90s, 15m, 2h (at most a week); found '.inf'"),
        ("feeds:\n  - url: https://a.example/rss\n    regional: !!bool maybe\n",
         "feeds.yaml:3: feeds[1].regional: expected true or false, found 'maybe'"),
        ("feeds:\n  - url: https://a.example/rss\n    name: !custom x\n",
         "feeds.yaml:3: feeds[1].name: expected text, found 'x'"),
        ("settings:\n  refresh_interval: 10s\nfeeds: []\n",
         "feeds.yaml:2: settings.refresh_interval: must be at least 60 seconds"),
        ("settings:\n  retention_days: -3\nfeeds: []\n", "feeds.yaml:2: settings.retention_days: expected a whole number"),
        ("settings: [1, 2]\nfeeds: []\n", "feeds.yaml:1: settings: expected a mapping"),
        ("keywords: Zangezur\nfeeds: []\n", "feeds.yaml:1: keywords: expected a list of words or phrases"),
        ("keywords:\n  - {a: 1}\nfeeds: []\n", "feeds.yaml:2: keywords[1]: expected text, found a mapping"),
        ("- just\n- a list\n", "feeds.yaml:1: expected a mapping of keys to values, found a list"),
        ("settings:\n  keys: x\nfeeds: []\n", "feeds.yaml:2: settings.keys: expected a mapping of action ids to keys"),
        ("settings:\n  keys:\n    stories.read: [a]\nfeeds: []\n", "feeds.yaml:3: settings.keys.stories.read: expected text"),
    ],
)
def test_wrong_types_are_named_with_their_line(text, expected):
    assert any(p.startswith(expected) for p in problems(text)), problems(text)


@pytest.mark.parametrize(
    "url, why",
    [
        ("ftp://a.example/rss", "must start with http:// or https:// (found ftp)"),
        ("javascript:alert(1)", "must start with http:// or https:// (found javascript)"),
        ("file:///etc/passwd", "must start with http:// or https:// (found file)"),
        ("a.example/rss", "must start with http:// or https:// (found no scheme)"),
        ("https:///rss", "has no host name"),
        ("https://a.example:port/rss", "not a valid URL"),
        ("'https://a.example/my feed'", "contains spaces"),
    ],
)
def test_bad_urls_are_refused(url, why):
    found = problems(f"feeds:\n  - name: X\n    url: {url}\n")
    assert len(found) == 1 and found[0].startswith("feeds.yaml:3: feeds[1].url: ") and why in found[0], found


def test_duplicate_feeds_name_the_first_line_even_when_written_differently():
    text = (
        "feeds:\n"
        "  - url: https://oc-media.org/feed/\n"
        "  - url: HTTPS://OC-Media.org:443/feed/\n"
    )
    assert problems(text) == [
        "feeds.yaml:3: feeds[2].url: HTTPS://OC-Media.org:443/feed/ is already listed on line 2"
    ]


def test_a_key_written_twice_is_an_error_not_a_silent_override():
    text = "feeds:\n  - url: https://a.example/rss\n    regional: true\n    regional: false\n"
    assert problems(text) == ["feeds.yaml:4: feeds[1].regional: appears twice (first on line 3)"]


def test_missing_url():
    assert problems("feeds:\n  - name: Nameless\n") == [
        "feeds.yaml:2: feeds[1]: has no url (every feed needs one)"
    ]


def test_yaml_syntax_errors_give_line_and_column():
    found = problems("feeds:\n  - url: https://a.example/rss\n    name: [unclosed\n")
    assert len(found) == 1 and found[0].startswith("feeds.yaml:") and "YAML syntax error" in found[0]
    line = int(found[0].split(":")[1])
    assert line in (3, 4)


def test_empty_and_feedless_files():
    assert problems("") == ["feeds.yaml:1: the file is empty; it needs at least a 'feeds:' list"]
    assert problems("settings: {}\n")[0].startswith("feeds.yaml:1: feeds: missing")
    assert parse_config("feeds: []\n", P).feeds == []
    assert parse_config("feeds:\n", P).feeds == []


def test_every_problem_is_reported_at_once():
    text = (
        "feeds:\n"
        "  - url: ftp://x.example/\n"
        "  - url: https://ok.example/\n"
        "    colour: red\n"
        "settings:\n"
        "  retention_days: forever\n"
    )
    lines = [p.split(":")[1] for p in problems(text)]
    assert lines == ["2", "4", "6"]


def test_not_utf8(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_bytes(b"feeds:\n  - url: https://a.example/\n    name: caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [f"{path}:3: the file is not UTF-8 text"]


def test_the_command_reports_a_bad_file_without_a_traceback(tmp_path):
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - url: https://a.example/rss\n    regional: maybe\n")
    result = run_cli("--config", str(bad), "--data-dir", str(tmp_path / "d"), "stories")
    err = result.stderr.decode()
    assert result.returncode == 2
    assert f"{bad}:3: feeds[1].regional: expected true or false, found 'maybe'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "d").exists()  # nothing was touched before the config was accepted
