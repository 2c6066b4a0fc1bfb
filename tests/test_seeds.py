"""The seed articles: shipped, parsed, loaded on first run into one story."""

from __future__ import annotations

import filecmp

from tui.resources import bundled
from tui.seeds import latest_stated_date, load_seed_files
from tui.store import Store
from tui.workspace import SEED_STORY, load_seeds

from conftest import REPO, need_shared


def test_the_repository_carries_the_shared_seeds_unchanged():
    shared = need_shared("seeds")
    names = sorted(p.name for p in shared.glob("*.txt"))
    assert names == sorted(p.name for p in (REPO / "seeds").glob("*.txt"))
    assert all(filecmp.cmp(shared / n, REPO / "seeds" / n, shallow=False) for n in names)


def test_seed_files_become_articles():
    seeds = {s.key: s for s in load_seed_files(bundled("seeds"))}
    kyiv = seeds["seed:000_9c0c7cfd9cf20dc3"]
    assert kyiv.title == "Azerbaijan Cancels Russian Events Amid Rising Tensions"
    assert kyiv.feed == "Kyiv Independent"
    assert kyiv.published is None  # it states no full date
    assert "killed 67 passengers" in kyiv.text and "**" not in kyiv.text
    assert not kyiv.text.rstrip().endswith("Kyiv Independent")
    other = seeds["seed:004_62a7350b6afba03a"]
    assert other.title == (
        "Azerbaijan has cancelled all cultural events organised by Russian state and private institutions"
    )
    assert other.published == "2025-06-29"
    assert "nine were arrested" in other.text
    assert all(s.seed and s.method == "seed" for s in seeds.values())


def test_latest_stated_date():
    assert latest_stated_date("on 27 June, then on 29 June 2025 and May 3, 2024") == "2025-06-29"
    assert latest_stated_date("in May, and since 2001") is None
    assert latest_stated_date("on 31 February 2025") is None


def test_seeds_load_once_into_one_story(tmp_path):
    store = Store(tmp_path)
    assert len(load_seeds(store)) == 2
    assert load_seeds(store) == []
    [story] = store.stories_json()
    assert story["id"] == SEED_STORY
    assert [a["seed"] for a in story["articles"]] == [True, True]
    assert {a["feed"] for a in story["articles"]} == {"Kyiv Independent", "unknown outlet"}
    assert story["updated"] == "2025-06-29"  # dated by its dated article, not by when it was loaded
