"""The installed caucasus-reader command: help, version, locations, stories --json."""

from __future__ import annotations

import json

import pytest

from tui import __version__

from conftest import run_cli

COMMANDS = ["stories", "import-opml", "export-opml"]


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.decode().strip() == f"caucasus-reader {__version__}"


@pytest.mark.parametrize("cmd", [[], *[[c] for c in COMMANDS]])
def test_every_command_has_help(cmd):
    result = run_cli(*cmd, "--help")
    out = result.stdout.decode()
    assert result.returncode == 0 and out.startswith("usage: caucasus-reader")
    assert "--config" in out and "--data-dir" in out
    if not cmd:
        assert all(c in out for c in COMMANDS)


def test_first_run_creates_the_config_and_loads_the_seeds_in_xdg_places(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "share"),
           "HOME": str(tmp_path)}
    result = run_cli("stories", "--json", env=env)
    assert result.returncode == 0, result.stderr
    config = tmp_path / "cfg" / "caucasus-reader" / "feeds.yaml"
    assert config.exists() and f"created {config}" in result.stderr.decode()
    assert (tmp_path / "share" / "caucasus-reader" / "index.json").exists()
    [story] = json.loads(result.stdout)
    assert [a["seed"] for a in story["articles"]] == [True, True]
    # the second run says nothing about creating anything
    assert run_cli("stories", "--json", env=env).stderr == b""


def test_options_beat_environment_and_work_on_either_side_of_the_command(tmp_path, config_file):
    env = {"CAUCASUS_READER_CONFIG": str(tmp_path / "env.yaml"),
           "CAUCASUS_READER_DATA_DIR": str(tmp_path / "env-data")}
    before = run_cli("--config", str(config_file), "--data-dir", str(tmp_path / "a"), "stories", env=env)
    after = run_cli("stories", "--config", str(config_file), "--data-dir", str(tmp_path / "b"), env=env)
    assert before.returncode == after.returncode == 0
    assert (tmp_path / "a" / "index.json").exists() and (tmp_path / "b" / "index.json").exists()
    assert not (tmp_path / "env-data").exists() and not (tmp_path / "env.yaml").exists()
    by_env = run_cli("stories", env=env)
    assert by_env.returncode == 0 and (tmp_path / "env-data" / "index.json").exists()
    assert (tmp_path / "env.yaml").exists()


def test_stories_json_shape_and_marks(tmp_path, config_file):
    from tui.store import Store

    data = tmp_path / "data"
    args = ("--config", str(config_file), "--data-dir", str(data))
    stories = json.loads(run_cli(*args, "stories", "--json").stdout)
    [story] = stories
    assert list(story) == ["id", "title", "updated", "articles", "topic", "terms"]
    assert list(story["articles"][0]) == [
        "id", "url", "title", "feed", "seed", "published", "read", "starred", "versions"
    ]
    Store(data).set_mark("read", [a["id"] for a in story["articles"]])
    [story] = json.loads(run_cli(*args, "stories", "--json").stdout)
    assert all(a["read"] for a in story["articles"])
    assert json.loads(run_cli(*args, "stories", "--json", "--unread").stdout) == []
    text = run_cli(*args, "stories").stdout.decode()
    assert "Azerbaijan Cancels Russian Events Amid Rising Tensions" in text and "[seed]" in text


def test_titles_are_printed_as_data_not_terminal_commands(tmp_path, config_file):
    from tui.store import Store

    from conftest import article

    data = tmp_path / "data"
    Store(data).add_articles([article(1, title="\x1b]52;c;ZXZpbA==\x07Evil\x1b[31m red \u202eflip")])
    out = run_cli("--config", str(config_file), "--data-dir", str(data), "stories").stdout.decode()
    assert "Evil red flip" in out and "\x1b" not in out and "\u202e" not in out
    raw = json.loads(run_cli("--config", str(config_file), "--data-dir", str(data), "stories", "--json").stdout)
    assert any(a["title"].startswith("\x1b]52") for s in raw for a in s["articles"])  # JSON keeps the data


def test_an_unusable_data_folder_is_a_clear_error(tmp_path, config_file):
    blocker = tmp_path / "file"
    blocker.write_text("i am a file")
    result = run_cli("--config", str(config_file), "--data-dir", str(blocker / "sub"), "stories")
    assert result.returncode == 3
    assert result.stderr.decode() == f"caucasus-reader: error: cannot use the data folder {blocker / 'sub'}: Not a directory\n"
    assert "Traceback" not in result.stderr.decode()


def test_export_opml_to_stdout(config_file):
    result = run_cli("--config", str(config_file), "export-opml")
    assert result.returncode == 0 and b'xmlUrl="https://oc-media.org/feed/"' in result.stdout


def test_import_opml_of_a_missing_file(config_file, tmp_path):
    result = run_cli("--config", str(config_file), "import-opml", str(tmp_path / "nope.opml"))
    assert result.returncode == 2 and "cannot read it" in result.stderr.decode()
