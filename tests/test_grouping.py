"""Story grouping: the labelled corpus, the seeds, merges, corrections, regroup, topics.

The corpus (tests/data/stories) is invented for these tests; see
tests/stories_corpus.py. Quality targets are checked on its test events with
the thresholds chosen on its dev events (bench/grouping.py --tune).
"""

from __future__ import annotations

import json

import pytest
from stories_corpus import SEED_EVENT, bcubed, load, pairwise

from conftest import article, run_cli
from tui import grouping
from tui.store import NewArticle, Store, filed_at, make_id
from tui.workspace import SEED_STORY, load_seeds

CORPUS = load()
CORPUS_EVENT = {a.id: a.event for a in CORPUS}


def corpus_items(split: str) -> list[tuple[NewArticle, str]]:
    return [
        (NewArticle(key=f"corpus:{a.id}", title=a.title, feed=a.outlet, text=a.text, published=a.published), a.event)
        for a in CORPUS if a.split == split
    ]


def grouped(store: Store, labelled: list[tuple[NewArticle, str]]) -> tuple[dict, dict]:
    """Add the articles outlet by outlet and settle them, as refresh would; return (truth,
    found) by article id."""
    truth = {}
    by_outlet: dict[str, list] = {}
    for item, event in labelled:
        by_outlet.setdefault(item.feed, []).append((item, event))
    for outlet in sorted(by_outlet):
        batch = by_outlet[outlet]
        for article_id, (_, event) in zip(store.add_articles([i for i, _ in batch], provisional=True), batch):
            truth[article_id] = event
    store.settle(truth)
    found = {a["id"]: s["id"] for s in store.stories_json() for a in s["articles"]}
    return truth, found


def test_the_corpus_is_big_and_varied_enough():
    events = {a.event for a in CORPUS}
    assert len(CORPUS) >= 120 and len(events) >= 25
    assert sum(a.lang == "ru" for a in CORPUS) >= 20
    assert all(sum(a.lang == lang for a in CORPUS) >= 4 for lang in ("hy", "ka", "az"))
    assert {a.split for a in CORPUS} == {"dev", "test"}
    outlets_per_event = [len({a.outlet for a in CORPUS if a.event == e}) for e in events]
    assert min(outlets_per_event) >= 2


def test_no_article_of_another_event_joins_the_seed_story(store):
    """Not as refresh groups them, nor after `regroup`: the Sputnik arrests, two days
    after the culture ban and with the same actors, stay a story of their own."""
    load_seeds(store)
    truth, found = grouped(store, corpus_items("test") + corpus_items("dev"))
    for rebuilt in (False, True):
        if rebuilt:
            store.regroup()
        seed_story = [s for s in store.stories_json() if s["id"] == SEED_STORY][0]
        others = [a for a in seed_story["articles"] if not a["seed"] and truth[a["id"]] != SEED_EVENT]
        assert others == [], rebuilt
        joined = [a for a in seed_story["articles"] if not a["seed"]]
        assert len(joined) >= 5  # new coverage of the seed event meets the seeds


def test_reports_in_armenian_georgian_and_azerbaijani_meet_their_event_and_no_other(store):
    """Seven shipped feeds write in Armenian, Georgian or Azerbaijani. In each language the
    corpus has two events of one kind on one day (two fires, two crashes, two bridges), each
    reported twice in that language and once in English. Georgian has no capitals to find
    names by, and none of the three has the concepts: the places and numbers carry them.
    Other news of three of those cities on those days, in English, joins none of them: a
    shared city is not a shared event."""
    local = {a.event for a in CORPUS if a.lang in ("hy", "ka", "az")}
    assert len(local) == 6
    same_cities = {"kutaisi-wine-festival", "gyumri-theatre-reopens", "ganja-school-opened"}
    truth, found = grouped(store, [item for split in ("dev", "test") for item in corpus_items(split)
                                   if item[1] in local | same_cities])
    precision, _, _ = pairwise(truth, found)
    assert precision == 1.0  # not one story holds two events
    whole = [e for e in local if len({found[i] for i in truth if truth[i] == e}) == 1]
    assert len(whole) >= 5, sorted(local - set(whole))  # reports in two scripts meet (5 of 6 now)


def test_armenian_and_azerbaijani_names_are_keyed_as_in_english():
    for armenian, latin in [("Փաշինյանի", "Pashinyan"), ("Երևանում", "Yerevan"), ("Գյումրի", "Gyumri"),
                            ("Միրզոյանը", "Mirzoyan"), ("Մոսկվայից", "Moscow")]:
        assert grouping.name_key(armenian) == grouping.name_key(latin) is not None, armenian
    for azerbaijani, latin in [("Gəncə", "Ganja"), ("Şamaxı", "Shamakhi"), ("Naxçıvan", "Nakhchivan"),
                               ("Qəbələ", "Gabala"), ("Xankəndi", "Khankendi")]:
        assert grouping.name_key(azerbaijani, "az") == grouping.name_key(latin) is not None, azerbaijani


def test_the_language_of_an_article_is_told_by_its_letters():
    assert grouping.language("Azerbaijan cancels cultural events with Russia") == "xx"
    assert grouping.language("Баку отменил все культурные мероприятия") == "ru"
    assert grouping.language("Գյումրիում հրդեհ է բռնկվել տեքստիլ գործարանում") == "hy"
    assert grouping.language("ქუთაისთან მიკროავტობუსი სატვირთოს შეეჯახა") == "ka"
    assert grouping.language("Gəncədə Gəncəçay üzərində yeni körpü istifadəyə verilib") == "az"
    assert grouping.language("Ilham Aliyev met Nikol Pashinyan in Washington") == "xx"


def test_grouping_quality_on_the_held_out_events(store):
    """Pairwise and B-cubed F1 on the test events. The issue's target is 0.95; the floor
    here is what the current thresholds reach (see the README), so a regression fails."""
    truth, found = grouped(store, corpus_items("test"))
    _, _, pair_f1 = pairwise(truth, found)
    precision, _, b3_f1 = bcubed(truth, found)
    assert precision >= 0.95  # different events are kept apart
    assert pair_f1 >= 0.95 and b3_f1 >= 0.96, (pair_f1, b3_f1)  # 0.953 and 0.967 now (the README: with the seeds)


def test_regroup_quality_on_the_held_out_events(store):
    """`regroup` places every article in date order, then looks again at those left
    alone or in pairs: with the whole archive in, they meet reports that came later."""
    truth, _ = grouped(store, corpus_items("test"))
    store.regroup()
    found = {a["id"]: s["id"] for s in store.stories_json() for a in s["articles"]}
    _, _, pair_f1 = pairwise(truth, found)
    precision, _, b3_f1 = bcubed(truth, found)
    assert precision >= 0.95
    assert pair_f1 >= 0.95 and b3_f1 >= 0.96  # 0.953 and 0.967 now; without the second look: 0.89 and 0.93


def test_regroup_without_worker_processes_places_all_in_one(monkeypatch):
    """Where no worker process can be started (no forkserver, no semaphores), one run does it all."""
    import multiprocessing

    stored = [(a.id, {**grouping.features(a.title, a.text), "d": a.published, "u": True})
              for a in CORPUS if a.split == "dev" and a.published]
    assert len(grouping._parts(sorted(stored, key=lambda p: p[1]["d"]), 2)) == 2  # it would be cut
    one, _ = grouping.cluster(stored, processes=1)

    def no_workers(*args, **kwargs):
        raise ValueError("cannot find context for 'forkserver'")

    monkeypatch.setattr(multiprocessing, "get_context", no_workers)
    assert grouping.cluster(stored, processes=2)[0] == one


def test_regroup_in_runs_side_by_side_groups_as_one_run_does():
    """A large regroup places runs of time in worker processes, each after the weeks before
    it; on the corpus (cut in two, three and four) the stories are those of one run."""
    from tui.store import normalise_date

    stored = [(a.id, {**grouping.features(a.title, a.text), "d": normalise_date(a.published) or "2026-06-01",
                      "u": bool(normalise_date(a.published))}) for a in CORPUS]
    dated = sorted((p for p in stored if p[1]["u"]), key=lambda p: p[1]["d"])
    assert all(len(grouping._parts(dated, count)) == count for count in (2, 3, 4))  # it is cut

    def partition(found):
        stories: dict[str, set[str]] = {}
        for article_id, story_id in found.items():
            stories.setdefault(story_id, set()).add(article_id)
        return sorted(sorted(ids) for ids in stories.values())

    one, why_one = grouping.cluster(stored, processes=1)
    for processes in (2, 3, 4):
        found, why = grouping.cluster(stored, processes=processes)
        assert partition(found) == partition(one)
        assert set(found.values()) == set(one.values())  # named for the same first articles
        assert {i: w["by"] for i, w in why.items()} == {i: w["by"] for i, w in why_one.items()}
    # What you decided holds across a cut: an event's later report, in a later run, moved
    # into a story of yours (alone, or with a report of the run before), or split out.
    crossing = set()
    for count in (2, 3, 4):
        for context, start, end in grouping._parts(dated, count)[1:]:
            crossing |= ({CORPUS_EVENT[i] for i, _ in dated[context:start]}
                         & {CORPUS_EVENT[i] for i, _ in dated[start:end]})
    crossing = sorted(crossing)
    assert len(crossing) >= 3
    pins, fixed = {}, set()
    for n, event in enumerate(crossing):
        ids = [i for i, _ in dated if CORPUS_EVENT[i] == event]
        if n % 3 == 0:
            pins[ids[-1]] = f"yours:{event}"
        elif n % 3 == 1:
            pins[ids[-1]] = pins[ids[0]] = f"yours:{event}"
        else:
            pins[ids[-1]] = f"apart:{ids[-1]}"
            fixed.add(pins[ids[-1]])
    one, _ = grouping.cluster(stored, pins, processes=1, fixed=fixed)
    for processes in (2, 3, 4):
        found, _ = grouping.cluster(stored, pins, processes=processes, fixed=fixed)
        assert all(found[i] == story for i, story in pins.items()), processes
        assert all(list(found.values()).count(story) == 1 for story in fixed), processes
        assert partition(found) == partition(one), processes


def test_a_regroup_in_runs_side_by_side_shows_the_workers_progress_as_it_goes(monkeypatch):
    """Progress counts the articles the worker processes place, not only this process's
    run, never goes back, and ends at every dated article."""
    from datetime import datetime, timedelta

    from tui.store import normalise_date

    stored = []
    for copy in range(6):  # the corpus six times over, 40 days apart each time
        for a in CORPUS:
            when = normalise_date(a.published)
            if when:
                moved = (datetime.fromisoformat(when) + timedelta(days=40 * copy)).isoformat()
                stored.append((f"{a.id}#{copy}", {**grouping.features(a.title, a.text), "d": moved, "u": True}))
    dated = sorted(stored, key=lambda p: p[1]["d"])
    first_run = grouping._parts(dated, 2)[0][2]
    seen: list[int] = []
    grouping.cluster(stored, processes=2, progress=seen.append)
    assert seen == sorted(set(seen)) and seen[-1] == len(stored) > first_run
    # What a worker counts: its own run's articles, not the weeks before it it placed first.
    counts = [0]
    monkeypatch.setattr(grouping, "_PLACED", counts)
    grouping._place_part(dated[100:350], {}, set(), context=30)
    assert counts == [220]


LOOK_ALIKES = [
    # the same kind of event on the same day, or a week apart in the same streets
    ("angara-an24-crash-tynda", "kenya-cargo-crash"), ("van-earthquake", "iran-khoy-earthquake"),
    ("tbilisi-protest-march-29", "tbilisi-protest-april-5"), ("batumi-port-fire", "poti-port-fire"),
    ("yerevan-metro-strike", "yerevan-bus-strike"),
    # a day or two apart, with the same places and words
    ("poti-sugar-ship-aground", "kulevi-terminal-fuel-oil-spill"),
    ("az-jalilabad-chief-bribery-arrest", "az-masally-road-funds-embezzlement"),
    ("armavir-farmers-irrigation-protest", "jermuk-amulsar-road-blockade"),
    ("gudauri-avalanche-polish-skiers", "ushguli-road-avalanche-minibus"),
    ("debed-gorge-rockfall-minibus", "alaverdi-sanahin-landslide"),
    ("az-yevlakh-fuel-train-derailment", "az-kurdamir-level-crossing-crash"),
    ("north-south-pipeline-avalanche-kobi", "scp-excavator-leak-tsalka"),
    # the same kind of event in two countries: told apart by where their places lie
    ("armenia-central-bank-rate-cut", "nbg-refinancing-rate-cut-march"),
    ("azal-smoke-diversion-minvody", "aragats-air-hydraulic-landing-minvody"),
]


def test_look_alike_events_stay_apart(store):
    """Among all the corpus's events, grouped as refresh does. (Two pairs of the corpus
    are still made one story this way, see the README: they are not listed.)"""
    truth, found = grouped(store, corpus_items("test") + corpus_items("dev"))
    for one, other in LOOK_ALIKES:
        stories_one = {found[i] for i, e in truth.items() if e == one}
        stories_other = {found[i] for i, e in truth.items() if e == other}
        assert stories_one and stories_other, (one, other)
        assert not stories_one & stories_other, (one, other)


def test_a_story_keeps_its_id_as_it_grows_and_merges_keep_marks(store):
    event = [(i, e) for i, e in corpus_items("dev") if e == "azal-crash-aktau"]
    first = store.add_articles([event[0][0]])
    story = store.story_of(first[0])
    store.set_mark("read", first)
    store.add_articles([i for i, _ in event[1:]])
    members = [a for s in store.stories_json() if s["id"] == story for a in s["articles"]]
    assert len(members) >= 3
    assert store.is_marked("read", first[0])


def test_moving_and_splitting_an_article_is_kept_by_regroup(store):
    labelled = [(i, e) for i, e in corpus_items("test") if e in ("shovi-landslide", "guria-floods")]
    truth, found = grouped(store, labelled)
    shovi = sorted(i for i, e in truth.items() if e == "shovi-landslide")
    guria_story = next(found[i] for i, e in truth.items() if e == "guria-floods")
    store.set_mark("star", [shovi[0]])
    assert store.move_article(shovi[0], guria_story) == guria_story
    apart = store.move_article(shovi[1], None)
    assert apart not in set(found.values())
    assert store.why_grouped(shovi[0])["by"] == "you"
    summary = store.regroup()
    assert summary["kept_by_you"] == 2
    assert store.story_of(shovi[0]) == guria_story
    assert store.story_of(shovi[1]) == apart
    assert [i for i in shovi if store.story_of(i) == apart] == [shovi[1]]  # its old story stays apart
    assert store.is_marked("star", shovi[0])
    with pytest.raises(KeyError):
        store.move_article(shovi[0], "no-such-story")


def test_regroup_rebuilds_the_same_stories_and_keeps_their_ids(store):
    load_seeds(store)
    truth, found = grouped(store, corpus_items("dev"))
    before = {a["id"]: s["id"] for s in store.stories_json() for a in s["articles"]}
    summary = store.regroup()
    after = {a["id"]: s["id"] for s in store.stories_json() for a in s["articles"]}
    assert summary["articles"] == len(before)
    assert pairwise(before, after)[2] >= 0.8  # arrival order changes a little, not much
    same = sum(after[i] == before[i] for i in before)
    assert same >= 0.8 * len(before)  # ids stay with their articles
    assert SEED_STORY in after.values()


def test_an_archive_from_before_grouping_is_grouped_on_the_next_add(data_dir):
    store = Store(data_dir)
    labelled = [(i, e) for i, e in corpus_items("dev") if e == "cop29-finance-deal"]
    store.add_articles([i for i, _ in labelled])
    # Remove what grouping stored, as an archive written by the previous version lacks it.
    for path in (data_dir / "groups").iterdir():
        path.unlink()
    index = json.loads((data_dir / "index.json").read_text())
    index["grouping"] = {}
    for doc in index["articles"].values():
        doc["story"] = "old-" + doc["title"][:10]
    index["stories"] = {}
    (data_dir / "index.json").write_text(json.dumps(index))
    fresh = Store(data_dir)
    assert fresh.needs_regroup()
    fresh.add_articles([article(1)])
    cop = {a.title for a, _ in labelled}
    stories = {s["id"] for s in fresh.stories_json() for a in s["articles"] if a["title"] in cop}
    assert len(stories) < len(cop) and not fresh.needs_regroup()  # grouped again, features stored
    assert any((data_dir / "groups").iterdir())


def test_an_archive_with_older_features_is_grouped_again_with_new_ones(data_dir):
    """Features change with the concepts they know: the next write regroups the
    archive with features computed afresh from the stored text."""
    store = Store(data_dir)
    labelled = [i for i, e in corpus_items("dev") if e == "cop29-finance-deal"]
    ids = store.add_articles(labelled)
    old = grouping.FEATURES_VERSION - 1
    for path in (data_dir / "groups").iterdir():
        month = json.loads(path.read_text())
        for doc in month["articles"].values():
            doc["v"] = old
            doc["w"] = {"stale": 1.0}
        path.write_text(json.dumps(month))
    index = json.loads((data_dir / "index.json").read_text())
    index["grouping"]["state"]["features"] = old
    (data_dir / "index.json").write_text(json.dumps(index))
    fresh = Store(data_dir)
    assert fresh.needs_regroup()
    fresh.add_articles([article(1)])
    assert not fresh.needs_regroup()
    stored = {}
    for path in (data_dir / "groups").iterdir():
        stored.update(json.loads(path.read_text())["articles"])
    assert all(stored[i]["v"] == grouping.FEATURES_VERSION and "stale" not in stored[i]["w"] for i in ids)
    assert all(len(stored[i]["w"]) > 20 for i in ids)  # computed from the stored text


def test_a_topic_writes_a_name_as_most_of_its_stories_do_whatever_their_order():
    """Two stories of one thread spell a name two ways: the title does not hang on which
    story was written last (it did: "Azerbaijani – Armenian" one run, "Azerbaijan –
    Armenian" the next)."""
    from tui.store import _spellings

    stories = [{"names": {"n:azerbaij": "Azerbaijani", "n:armen": "Armenian"}},
               {"names": {"n:azerbaij": "Azerbaijan", "n:armen": "Armenian"}},
               {"names": {"n:azerbaij": "Azerbaijan"}}]
    for order in (stories, stories[::-1], stories[1:] + stories[:1]):
        assert _spellings(order) == {"n:azerbaij": "Azerbaijan", "n:armen": "Armenian"}
    assert _spellings(stories[:2])["n:azerbaij"] == _spellings(stories[1::-1])["n:azerbaij"] == "Azerbaijan"


def test_stories_json_carries_topic_and_terms_and_regroup_runs(tmp_path, config_file):
    data = tmp_path / "data"
    store = Store(data)
    labelled = [(i, e) for i, e in corpus_items("test") + corpus_items("dev")
                if e in ("azal-crash-aktau", "putin-apology-azal", "aliyev-skips-victory-parade")]
    store.add_articles([i for i, _ in labelled])
    args = ("--config", str(config_file), "--data-dir", str(data))
    result = run_cli(*args, "regroup", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["articles"] == len(labelled) + 2  # and the seeds
    stories = json.loads(run_cli(*args, "stories", "--json").stdout)
    for story in stories:
        assert story["topic"] is None or set(story["topic"]) == {"id", "title"}
        assert isinstance(story["terms"], list)
    crash = [s for s in stories if "Aktau" in s["title"]]
    assert crash and any("Aktau" in t or "AZAL" in t or "Azerbaijan Airlines" in t for t in crash[0]["terms"])
    text = run_cli(*args, "regroup")
    assert text.returncode == 0 and text.stdout.startswith(b"regrouped ")


def test_one_days_quakes_in_two_places_are_marked_down_by_their_names():
    """The Khoy and the Van earthquakes share their words (magnitude, aftershocks, felt in
    Yerevan) but hardly a name or number: their likeness keeps NAMES_FACTOR of itself.
    Two reports of one quake share their names, and keep all of theirs."""
    from tui.store import normalise_date

    by_id = {a.id: a for a in CORPUS}
    docs, dates = {}, {}
    for key in ("iran-khoy-earthquake/0", "iran-khoy-earthquake/2", "van-earthquake/0"):
        a = by_id[key]
        dates[key] = normalise_date(a.published)
        docs[key] = grouping.make_doc(key, {**grouping.features(a.title, a.text), "d": dates[key], "u": True}, "")
    months: dict[str, dict] = {}
    index = grouping.GroupIndex(lambda name: (months.setdefault(name, {}), None), lambda i: "s", months.keys)
    for key, doc in docs.items():
        index.add(grouping.month_of(dates[key]), doc)
    idf = grouping._Idf(list(index.months.values()), len(docs))

    def likeness(one: str, other: str) -> float:
        doc = docs[one]
        norm, anchor_norm, name_norm = grouping._norms(doc, idf)
        return grouping._similarity(doc, grouping._weigh(doc.weights, idf), norm, anchor_norm, name_norm,
                                    docs[other], idf)

    saved = grouping.NAMES_FACTOR
    try:
        apart, same = likeness("iran-khoy-earthquake/0", "van-earthquake/0"), likeness(
            "iran-khoy-earthquake/0", "iran-khoy-earthquake/2")
        grouping.NAMES_FACTOR = 1.0
        assert apart == pytest.approx(saved * likeness("iran-khoy-earthquake/0", "van-earthquake/0"))
        assert same == likeness("iran-khoy-earthquake/0", "iran-khoy-earthquake/2")
    finally:
        grouping.NAMES_FACTOR = saved


def test_names_meet_across_scripts():
    assert grouping.name_key("Екатеринбурге") == grouping.name_key("Yekaterinburg")
    assert grouping.name_key("Сафаровых") == grouping.name_key("Safarov")
    assert grouping.name_key("Тбилиси") == grouping.name_key("Tbilisi")
    assert grouping.name_key("Poti") != grouping.name_key("Batumi")
    ru = grouping.features("В Баку задержаны журналисты", "Полиция задержала двух журналистов в Баку.")
    en = grouping.features("Journalists detained in Baku", "Police detained two journalists in Baku.")
    shared = {t for t in ru["w"] if t in en["w"]}
    assert {"c:detain", "c:journalist", "g:Baku"} <= shared
    # The concepts are general news words, not only this corpus's.
    ru = grouping.features("ЦБ Армении снизил ставку",
                           "Центральный банк снизил ключевую ставку: инфляция замедлилась.")
    en = grouping.features("Armenia's central bank cuts its key rate",
                           "The central bank cut its key rate as inflation slowed.")
    assert {"c:central_bank", "c:interest_rate", "c:inflation", "g:Armenia"} <= {t for t in ru["w"] if t in en["w"]}
    # and narrow enough not to catch everyday words that share their beginnings
    everyday = grouping.features("Important: he pointed out",
                                 "Важно, как указал он, следовательно, заключение эксперта и поездка.")
    assert not [t for t in everyday["w"] if t.startswith("c:")]


def test_dates_are_compared_with_each_other_never_with_the_clock():
    text = "Floods hit Ozurgeti; the Natanebi river washed away two bridges in Guria."

    def dated(day: str) -> dict:
        return {**grouping.features("Floods in Guria wash away bridges", text), "d": day, "u": True}

    # Five years old, a day apart: one event, however long ago.
    story, _ = grouping.cluster([("a", dated("2020-01-01T08:00:00+00:00")), ("b", dated("2020-01-02T08:00:00+00:00"))])
    assert story["a"] == story["b"]
    # The same words two months apart: two floods.
    story, _ = grouping.cluster([("a", dated("2020-01-01T08:00:00+00:00")), ("b", dated("2020-03-01T08:00:00+00:00"))])
    assert story["a"] != story["b"]


async def test_in_the_reader_x_splits_an_article_out_and_m_moves_it(tmp_path, config_file):
    from test_app import loaded, make_workspace

    from tui.ui.app import ReaderApp
    from tui.ui.story import StoryScreen

    items = [i for i, e in corpus_items("test") if e == "shovi-landslide"]
    workspace = make_workspace(tmp_path, config_file, items)
    store = workspace.store
    story = store.story_of(make_id(items[0].key))
    app = ReaderApp(workspace, watch=False)
    async with app.run_test(size=(140, 40)) as pilot:
        stories = await loaded(pilot)
        row = next(r for r in stories.rows if r.id == story)
        app.push_screen(StoryScreen(row))
        await pilot.pause()
        screen = app.screen
        assert len(row.article_ids) >= 3, row  # the landslide's reports are one story
        assert "In this story:" in str(screen.query_one("#text").render())
        first = screen.current["id"]
        await pilot.press("x")
        await pilot.pause()
        assert store.story_of(first) != story and store.why_grouped(first)["by"] == "you"
        assert isinstance(app.screen, StoryScreen)
        second = app.screen.current["id"]
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("enter")  # the first story offered
        await pilot.pause()
        assert store.story_of(second) not in (story, None) and store.why_grouped(second)["by"] == "you"


def _event_items(event: str) -> list[NewArticle]:
    return [NewArticle(key=f"corpus:{a.id}", title=a.title, feed=a.outlet, text=a.text, published=a.published)
            for a in CORPUS if a.event == event]


def test_the_order_of_one_writes_articles_does_not_change_its_stories(tmp_path):
    """The report placed first in a write met the others only as they came; once the
    write is in, the articles left alone or in pairs are placed again."""
    reports = _event_items("yerevan-substation-fire-blackout")
    partitions = []
    for n, order in enumerate([(0, 1, 2, 3), (1, 2, 3, 0), (3, 1, 0, 2)]):
        store = Store(tmp_path / str(n))
        ids = dict(zip(order, store.add_articles([reports[k] for k in order])))
        stories: dict[str, set[int]] = {}
        for k, article_id in ids.items():
            stories.setdefault(store.story_of(article_id), set()).add(k)
        partitions.append(sorted(sorted(ks) for ks in stories.values()))
        store.close()
    # (Placed once each, in these orders they made two, three and three stories.)
    assert partitions[0] == partitions[1] == partitions[2]
    assert len(partitions[0]) < len(reports)


def _partition(store: Store, items: list[NewArticle]) -> list[list[str]]:
    stories: dict[str, list[str]] = {}
    for item in items:
        stories.setdefault(store.story_of(make_id(item.key)), []).append(item.key)
    return sorted(sorted(keys) for keys in stories.values())


def _events(keys: list[str]) -> set[str]:
    return {key.split(":")[1].split("/")[0] for key in keys}


RALLIES = ("rustaveli-rally-detentions", "georgia-rally-rules-amended")
# As feeds may answer: placed as they came, the reports of the two rallies made one story.
RALLY_ORDER = (("georgia-rally-rules-amended", 3), ("rustaveli-rally-detentions", 2),
               ("georgia-rally-rules-amended", 1), ("rustaveli-rally-detentions", 1),
               ("rustaveli-rally-detentions", 3), ("georgia-rally-rules-amended", 0),
               ("rustaveli-rally-detentions", 0), ("georgia-rally-rules-amended", 2))


def test_a_refreshs_writes_settle_as_one_write_would_whatever_their_order(tmp_path, monkeypatch):
    """A refresh stores its articles write by write as feeds answer, each placed among
    those before it and merging nothing; at its end all are placed again together."""
    items = {item.key: item for event in RALLIES for item in _event_items(event)}
    one_write = Store(tmp_path / "one")
    one_write.add_articles(list(items.values()))
    expected = _partition(one_write, list(items.values()))
    assert all(len(_events(keys)) == 1 for keys in expected)
    store = Store(tmp_path / "refresh")
    ids = [i for event, n in RALLY_ORDER for i in store.add_articles([items[f"corpus:{event}/{n}"]],
                                                                     provisional=True)]
    # Stopped here, the refresh leaves them to the next one, in this process or another.
    store = Store(tmp_path / "refresh")
    assert store.unsettled() == ids
    assert store.settle() > 0
    assert _partition(store, list(items.values())) == expected
    for article_id in ids:  # why each is there names an article of its story
        why = store.why_grouped(article_id)
        assert why["by"] == "new" or store.story_of(why["with"]) == store.story_of(article_id)
    assert store.settle(ids) == 0  # settled: a second call moves nothing
    assert store.unsettled() == []
    # Placed one by one as they came, without the settling, reports of both became one
    # story; each write's check of the stories it touched (GroupIndex.events_in) splits it.
    for check, mixed in ((False, True), (True, False)):
        if not check:
            monkeypatch.setattr(grouping, "SPLIT_BELOW", 0.0)
        as_they_came = Store(tmp_path / f"as-they-came-{check}")
        for event, n in RALLY_ORDER:
            as_they_came.add_articles([items[f"corpus:{event}/{n}"]])
        partition = _partition(as_they_came, list(items.values()))
        assert any(len(_events(keys)) == 2 for keys in partition) == mixed, partition
        monkeypatch.undo()


def test_settling_keeps_stories_ids_and_what_someone_decided(store):
    """Reports joining a story stored before the refresh leave it its id, even when one
    of them is older than its article; a story the refresh made keeps the id it was
    shown under; what someone did while the refresh ran stays done."""
    arrests = sorted(_event_items("sputnik-azerbaijan-arrests"), key=lambda i: i.published or "")
    strike = _event_items("rustavi-steel-strike")
    fire = _event_items("yerevan-substation-fire-blackout")
    [old] = store.add_articles(arrests[-1:])  # the latest report came in an earlier refresh
    [other] = store.add_articles(fire[:1])
    old_story = store.story_of(old)
    new_ids = store.add_articles(arrests[:-1] + strike, provisional=True)
    shown = {i: store.story_of(i) for i in new_ids}
    arrest_ids, strike_ids = new_ids[:len(arrests) - 1], new_ids[len(arrests) - 1:]
    assert {shown[i] for i in arrest_ids} == {old_story}
    # While the refresh runs, the last strike report is split out of its story, and the
    # fire report is moved into that story.
    apart = store.move_article(strike_ids[-1], None)
    strike_story = shown[strike_ids[0]]
    assert store.move_article(other, strike_story) == strike_story
    assert store.settle(new_ids) == 0
    assert {store.story_of(i) for i in arrest_ids + [old]} == {old_story}
    assert store.story_of(strike_ids[-1]) == apart
    assert {store.story_of(i) for i in strike_ids[:-1] + [other]} == {strike_story}
    rows = {row.id: row.title for row in store.story_rows()}
    assert rows[strike_story] in {i.title for i in strike}


def test_a_story_holding_an_article_from_before_the_refresh_keeps_that_articles_story_id():
    """Settled, a story holds an article shown before the refresh in story "old" and two of
    the refresh's, shown together in story "new": it is still "old" (the articles from
    before the refresh count most), and "new", whose id goes nowhere, has it as heir."""
    from tui.store import _settled_ids

    found = {"p": "settled", "a": "settled", "b": "settled"}
    was = {"p": "old", "a": "new", "b": "new"}
    renamed, heir = _settled_ids(found, was, {"p": 1, "a": 1, "b": 1}, set(), set(), lambda s: True)
    assert renamed["settled"] == "new"  # by count alone
    renamed, heir = _settled_ids(found, was, {"p": 4, "a": 1, "b": 1}, set(), set(), lambda s: True)
    assert renamed["settled"] == "old" and heir == {"old": "settled", "new": "settled"}


def _mixed_store(path, monkeypatch) -> tuple[Store, dict[str, NewArticle], str]:
    """An archive whose rally reports, stored as they came with the split check off,
    make one story of the two rallies: (store, items, that story)."""
    items = {item.key: item for event in RALLIES for item in _event_items(event)}
    monkeypatch.setattr(grouping, "SPLIT_BELOW", 0.0)
    store = Store(path)
    for event, n in RALLY_ORDER:
        store.add_articles([items[f"corpus:{event}/{n}"]])
    monkeypatch.undo()
    [mixed] = [keys for keys in _partition(store, list(items.values())) if len(_events(keys)) == 2] or [[]]
    assert mixed, "the two rallies were not one story: the test shows nothing"
    return store, items, store.story_of(make_id(mixed[0]))


def _wire_copy(items: dict[str, NewArticle]) -> NewArticle:
    """Another outlet's report of the rally arrests (the wire's text, the same day)."""
    report = items["corpus:rustaveli-rally-detentions/2"]
    return NewArticle(key="corpus:rustaveli-rally-detentions/wire", title="Arrests after Tbilisi march",
                      feed="Wire", text=report.text, published=report.published)


def test_a_story_holding_two_events_is_split_when_a_refresh_touches_it_and_by_regroup(tmp_path, monkeypatch):
    """Grouped by how alike its articles are on average, a story of two rallies falls
    in two: the next refresh bringing a report to it splits it, and so does a regroup.
    The part with most of its articles keeps its id; the other says where it came from."""
    import shutil

    store, items, mixed = _mixed_store(tmp_path / "data", monkeypatch)
    shutil.copytree(tmp_path / "data", tmp_path / "copy")
    members = [i for i in store._articles.raw() if store.story_of(i) == mixed]
    wire = _wire_copy(items)
    ids = store.add_articles([wire], provisional=True)
    assert store.story_of(ids[0]) == mixed  # (it joins the story of two rallies)
    store.settle(ids)
    partition = _partition(store, [*items.values(), wire])
    assert all(len(_events(keys)) == 1 for keys in partition), partition
    assert store.story_of(make_id("corpus:rustaveli-rally-detentions/0")) == mixed  # (4 of 6, and the wire's)
    others = {store.story_of(i) for i in members} - {mixed}
    assert len(others) == 1 and store.story_info(others.pop())["split_from"] == [mixed]
    for article_id in members + ids:  # why each is there names an article of its story
        why = store.why_grouped(article_id)
        assert why["by"] == "new" or store.story_of(why["with"]) == store.story_of(article_id), why
    _consistent(store)

    again = Store(tmp_path / "copy")
    again.regroup()
    partition = _partition(again, list(items.values()))
    assert all(len(_events(keys)) == 1 for keys in partition), partition


def test_a_write_splitting_a_story_leaves_its_id_with_the_articles_it_had(tmp_path):
    """A story of a rally-rules report and an arrests report (too small to check) takes
    in the other reports of both in one write, and is split: its id stays with the part
    holding most of its articles from before (then the larger), and the other part lists
    it in split_from; a story of the write's articles alone would list nothing."""
    items = {item.key: item for event in RALLIES for item in _event_items(event)}
    store = Store(tmp_path / "data")
    old = [i for key in ("corpus:georgia-rally-rules-amended/3", "corpus:rustaveli-rally-detentions/2")
           for i in store.add_articles([items[key]])]
    story = store.story_of(old[0])
    assert store.story_of(old[1]) == story  # (one story of two events, as they came)
    store.add_articles([item for key, item in items.items() if make_id(key) not in old])
    assert all(len(_events(keys)) == 1 for keys in _partition(store, list(items.values())))
    assert store.story_of(old[0]) == story
    assert store.story_info(store.story_of(old[1]))["split_from"] == [story]
    others = {store.story_of(make_id(k)) for k in items} - {story, store.story_of(old[1])}
    assert all(store.story_info(s)["split_from"] == [] for s in others)
    _consistent(store)


def test_a_refresh_finds_an_undated_articles_features_where_a_stopped_write_moved_them(tmp_path):
    """Settling moved a brief's features to its floods' month and stopped before the index
    said so: the next refresh's end finds them there, and files the brief as they are."""
    floods = _event_items("guria-floods")
    store = Store(tmp_path / "data")
    [brief] = store.add_articles([i for i in floods if not i.published], provisional=True)
    ids = store.add_articles([i for i in floods if i.published], provisional=True)
    hot = store._articles.raw()[brief]
    assert "near" not in hot  # (nothing dated it when it came)
    found = _filed(store, brief)
    moved_to = store._articles.raw()[ids[0]]["date"]
    with store.writing():  # (the features moved, the index entry not yet)
        store._month_db(found["month"]).table("articles").remove_keys([brief])
        store._month_db(grouping.month_of(moved_to)).table("articles").put_many(
            {brief: {k: v for k, v in found.items() if k != "month"} | {"d": moved_to}})
    store = Store(store.dir)
    store.settle()
    assert store.story_of(brief) == store.story_of(ids[0])
    assert store._articles.raw()[brief]["near"][:7] == moved_to[:7]
    _consistent(store)


def test_an_older_versions_unsettled_ids_are_kept_beside_this_ones():
    """An older version keeps {pid: [ids]} under "unsettled"; the same key under "pending"
    does not hide them."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "data")
        store.index.table("grouping").put_many({"unsettled": {"4242": ["a", "b"]},
                                                "pending": {"4242": {"ids": ["b", "c"], "at": ""}}})
        assert sorted(store.unsettled()) == ["a", "b", "c"]


def test_a_story_someone_moved_an_article_into_is_not_split(tmp_path, monkeypatch):
    store, items, mixed = _mixed_store(tmp_path / "data", monkeypatch)
    outside = [i for i in store._articles.raw() if store.story_of(i) != mixed]
    assert outside
    store.move_article(outside[0], mixed)  # (a rally-rules report, moved in by hand)
    wire = _wire_copy(items)
    store.settle(store.add_articles([wire], provisional=True))
    assert any(len(_events(keys)) == 2 for keys in _partition(store, [*items.values(), wire]))
    store.regroup()
    assert any(len(_events(keys)) == 2 for keys in _partition(store, [*items.values(), wire]))


def test_average_linkage_tells_two_events_from_one():
    """The check's own rule on likeness tables: two groups of two or more, alike across
    below SPLIT_BELOW, are two events; one tight group, or a lone stray, is one."""
    low, high = grouping.SPLIT_BELOW - 0.1, grouping.SPLIT_BELOW + 0.2

    def table(groups: list[int], across: float, within: float = 0.6) -> list[list[float]]:
        return [[0.0 if a == b else within if groups[a] == groups[b] else across for b in range(len(groups))]
                for a in range(len(groups))]

    assert grouping._events(table([0, 0, 0, 1, 1, 1], low), list(range(6))) == [[0, 1, 2], [3, 4, 5]]
    assert grouping._events(table([0, 1, 0, 1, 0], low), list(range(5))) == [[0, 2, 4], [1, 3]]
    assert grouping._events(table([0, 0, 0, 1, 1, 1], high), list(range(6))) == [list(range(6))]
    assert grouping._events(table([0, 0, 0, 0, 1], low), list(range(5))) == [list(range(5))]  # a stray stays
    assert grouping._events(table([0, 0, 1, 1, 2, 2], 0.05), list(range(6))) == [[0, 1], [2, 3], [4, 5]]


def _consistent(store: Store) -> None:
    """What a reader of the folder sees: every story has articles and a doc, its lead is
    one of them, no story merged away is live again."""
    fresh = Store(store.dir)
    members: dict[str, set[str]] = {}
    for article_id, hot in fresh._articles.raw().items():
        members.setdefault(hot["story"], set()).add(article_id)
    stories = fresh._stories.raw()
    assert set(stories) == set(members)
    for story_id, doc in stories.items():
        assert doc.get("lead") in members[story_id]
        assert not set(doc.get("merged", ())) & set(members), story_id
    # Each article's features are filed once, in the month of its date (or where its words date it).
    filed: dict[str, list[str]] = {}
    for path in (fresh.dir / "groups").glob("*.json"):
        for article_id, stored in fresh._month_db(path.stem).table("articles").raw().items():
            assert grouping.month_of(stored["d"]) == path.stem
            filed.setdefault(article_id, []).append(path.stem)
    for article_id, hot in fresh._articles.raw().items():
        assert filed.get(article_id) == [grouping.month_of(filed_at(hot))], article_id


@pytest.mark.parametrize("seed", range(4))
def test_refreshes_in_random_orders_leave_a_consistent_archive(tmp_path, seed):
    """Three refreshes of the dev events, each a write per feed in a random order; after each
    settling the archive is whole, a story seen before keeps its id unless merged (and then
    it is listed as merged), and settling again changes nothing."""
    import random

    rng = random.Random(seed)
    items = [item for item, _ in corpus_items("dev")]
    rng.shuffle(items)
    store = Store(tmp_path / "data")
    for part in range(3):
        by_feed: dict[str, list[NewArticle]] = {}
        for item in items[part::3]:
            by_feed.setdefault(item.feed, []).append(item)
        feeds = list(by_feed)
        rng.shuffle(feeds)
        seen = {i: hot["story"] for i, hot in store._articles.raw().items()}
        ids = [i for feed in feeds for i in store.add_articles(by_feed[feed], provisional=True)]
        store.settle(ids)
        _consistent(store)
        stories = store._stories.raw()
        for article_id, story_id in seen.items():
            now = store.story_of(article_id)
            # (it stayed, or its story was merged into this one, or this one split from it)
            came_from = [*stories[now].get("merged", ()), *stories[now].get("split_from", ())]
            assert now == story_id or story_id in came_from, (article_id, story_id, now)
        assert store.settle(ids) == 0


def test_a_stopped_refresh_is_settled_once_its_process_is_gone(tmp_path):
    """A refresh that stopped before its end leaves its articles unsettled; a running one's
    are left to it. A process is known by its machine (container), id and start time: an
    id given to a later process, or a container sharing the folder that wrote nothing for
    an hour, is a stopped refresh's; one of another container still writing is not."""
    import os
    import socket
    import subprocess
    import sys
    from datetime import datetime, timedelta, timezone

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, running = gone.stdout.strip(), os.getppid()
    started = open(f"/proc/{running}/stat").read().rsplit(")", 1)[1].split()[19]
    host = socket.gethostname()
    items = {item.key: item for event in RALLIES for item in _event_items(event)}
    store = Store(tmp_path / "data")
    ids = [i for event, n in RALLY_ORDER for i in store.add_articles([items[f"corpus:{event}/{n}"]],
                                                                     provisional=True)]
    assert len(ids) == 8
    now = datetime.now(timezone.utc)
    recent, old = (now - timedelta(minutes=5)).isoformat(), (now - timedelta(hours=2)).isoformat()
    store.index.table("grouping").put_many({"unsettled": {dead: ids[:1]}})  # an older version's: a process id alone
    store.index.table("grouping").put_many({"pending": {
        f"{host} {dead} 5": {"ids": ids[1:2], "at": recent},
        f"{host} {running} {int(started) + 1}": {"ids": ids[2:3], "at": recent},  # its id, given again
        f"elsewhere {running} {started}": {"ids": ids[3:4], "at": old},
        f"{host} {running} {started}": {"ids": ids[4:6], "at": recent},  # running
        f"elsewhere {dead} 5": {"ids": ids[6:], "at": recent},  # may be running
    }})
    store.settle()
    assert sorted(store.unsettled()) == sorted(ids[4:])
    _consistent(store)
    # A provisional write keeps its ids under this process's key, with its time.
    [more] = store.add_articles([NewArticle(key="more", title="A rally", feed="Wire", text="A rally in Tbilisi.",
                                            published="2025-03-01T10:00:00+00:00")], provisional=True)
    mine = [entry for key, entry in store._unsettled_by_process().items() if key.startswith(f"{host} {os.getpid()} ")]
    assert [entry["ids"] for entry in mine] == [[more]] and mine[0]["at"]
    store.settle()
    assert sorted(store.unsettled()) == sorted(ids[4:])


def test_settling_again_changes_nothing(store):
    truth, _ = grouped(store, corpus_items("dev"))
    stories = {i: store.story_of(i) for i in truth}
    assert store.settle(truth) == 0
    assert {i: store.story_of(i) for i in truth} == stories


def test_an_undated_brief_is_dated_by_the_reports_of_its_own_write(store):
    """The brief comes first in its feed, the dated reports of its flood after it, all in
    one write: the dated ones are placed first, and then they date it."""
    floods = _event_items("guria-floods")
    undated = [i for i in floods if not i.published]
    ids = store.add_articles(undated + [i for i in floods if i.published])
    assert len({store.story_of(i) for i in ids}) == 1


def test_an_undated_article_meets_its_story_however_long_ago_it_was_dated(store):
    """An undated brief is stored with the time it was found (years after these 2025
    floods here); its words date it, reading every month, and it meets its story there."""
    floods = _event_items("guria-floods")
    undated = [i for i in floods if not i.published]
    assert undated and len(floods) > len(undated)
    ids = store.add_articles([i for i in floods if i.published])
    story = store.story_of(ids[0])
    store = Store(store.dir)  # a new process: the archive's months are read, not at hand
    [brief] = store.add_articles(undated)
    assert store.story_of(brief) == story
    listed = {a["id"]: a for s in store.stories_json() for a in s["articles"]}
    assert listed[brief]["published"] is None and listed[ids[0]]["published"][:4] == "2025"
    store.regroup()  # where every month is at hand, the index finds its date
    assert store.story_of(brief) == store.story_of(ids[0])


def _filed(store: Store, article_id: str) -> dict:
    """An article's features as stored, and which month holds them."""
    for path in (store.dir / "groups").glob("*.json"):
        stored = store._month_db(path.stem).table("articles").raw().get(article_id)
        if stored is not None:
            return {**stored, "month": path.stem}
    return {}


def test_an_undated_article_is_filed_where_its_words_date_it_as_regroup_files_it(store):
    """Found years after its 2025 floods, the brief is listed as found then, but grouping
    files it among its flood's reports: there the later articles of those weeks meet it and
    its words count in those weeks' rarities, as a regroup places it. A refresh that met
    the brief before its flood's reports files it there once they are in."""
    floods = _event_items("guria-floods")
    undated = [i for i in floods if not i.published]
    dated = [i for i in floods if i.published]
    [brief] = store.add_articles(undated, provisional=True)  # alone: nothing dates it yet
    assert _filed(store, brief)["month"] == grouping.month_of(store._articles.raw()[brief]["date"])
    ids = store.add_articles(dated, provisional=True)
    store.settle([brief, *ids])
    hot = store._articles.raw()[brief]
    assert not hot["dated"] and hot["date"][:4] != "2025"  # listed when found
    filed = _filed(store, brief)
    assert filed["month"] == grouping.month_of(filed["d"]) == grouping.month_of(hot["near"])
    assert filed["month"] in {grouping.month_of(i.published) for i in dated}
    assert store.story_of(brief) == store.story_of(ids[0])
    _consistent(store)
    stories = {i: store.story_of(i) for i in [brief, *ids]}
    store.regroup()  # files it in the same place, and groups the same
    assert _filed(store, brief)["month"] == filed["month"]
    assert {i: store.story_of(i) for i in stories} == stories
    [later] = Store(store.dir).add_articles([NewArticle(key="later", title="Guria: flood damage counted",
                                                        feed="Wire", text=undated[0].text,
                                                        published=dated[-1].published)])
    assert Store(store.dir).story_of(later) == stories[brief]


def test_a_round_up_merging_two_look_alike_stories_is_split_and_they_keep_their_ids(store):
    """A dated round-up of two port fires matches both stories well enough to merge them;
    the same write's check tells the two fires apart again: each keeps its id, neither
    is listed as merged, and every article's "why" names an article of its own story."""
    batumi, poti = _event_items("batumi-port-fire"), _event_items("poti-port-fire")
    ids = store.add_articles([i for i in batumi + poti if i.published])
    one, other = store.story_of(ids[0]), store.story_of(ids[len(batumi)])
    merged = {s: store._stories.raw()[s].get("merged") for s in (one, other)}
    roundup = NewArticle(key="roundup", title="Fires at Batumi and Poti ports", feed="Roundup",
                         text=batumi[0].text + "\n\n" + poti[0].text, published=poti[0].published)
    [added] = store.add_articles([roundup])
    assert {store.story_of(i) for i in ids[:len(batumi)]} == {one}
    assert {store.story_of(i) for i in ids[len(batumi):]} == {other}
    assert store.story_of(added) in (one, other)
    assert {s: store._stories.raw()[s].get("merged") for s in (one, other)} == merged
    for article_id in [*ids, added]:
        why = store.why_grouped(article_id)
        assert why["by"] == "new" or store.story_of(why["with"]) == store.story_of(article_id), why
    _consistent(store)


def test_regroup_files_an_undated_article_where_its_index_entry_says_after_a_stopped_write(store):
    """A write stopped between the features' files and the index can leave an undated
    article's features where the index does not look; a regroup files both alike again."""
    floods = _event_items("guria-floods")
    ids = store.add_articles([i for i in floods if i.published])
    [brief] = store.add_articles([i for i in floods if not i.published])
    hot = store._articles.raw()[brief]
    assert hot["near"][:4] == "2025"
    with store.writing():  # (the index as it was before the write that dated it)
        store._put_articles({brief: {k: v for k, v in hot.items() if k != "near"}})
    store = Store(store.dir)
    store.regroup()
    _consistent(store)
    assert store.story_of(brief) == store.story_of(ids[0])


def test_regroup_twice_changes_nothing_with_undated_articles(tmp_path):
    """Undated articles are placed by id, not by where they were filed (which a regroup moves)."""
    items = [item for item, _ in corpus_items("test")]  # (half of them undated: placed by "d", a second
    items = [NewArticle(key=i.key, title=i.title, feed=i.feed, text=i.text,  # regroup moved one)
                        published=None if n % 2 == 0 else i.published) for n, i in enumerate(items)]
    store = Store(tmp_path / "data")
    store.settle(store.add_articles(items, provisional=True))
    store.regroup()
    before = {i: store.story_of(i) for i in store._articles.raw()}
    store.regroup()
    assert {i: store.story_of(i) for i in before} == before
    _consistent(store)


def test_an_undated_article_like_two_stories_does_not_merge_them(store, monkeypatch):
    """Without a date it may be a round-up of two look-alike events: it joins one story,
    and the two stay apart (a dated report matching both this well would merge them)."""
    batumi, poti = _event_items("batumi-port-fire"), _event_items("poti-port-fire")
    ids = store.add_articles([i for i in batumi + poti if i.published])
    one, other = store.story_of(ids[0]), store.story_of(ids[len(batumi)])
    assert one != other
    roundup = NewArticle(key="roundup", title="Fires at Batumi and Poti ports", feed="Roundup",
                         text=batumi[0].text + "\n\n" + poti[0].text, published=None)
    [added] = store.add_articles([roundup])
    assert store.story_of(added) in (one, other)
    assert store.story_of(ids[0]) != store.story_of(ids[len(batumi)])
    # The control: the same round-up, dated, does show the two to be one (and then the
    # check of the stories a write touched, off here, tells the two fires apart again).
    monkeypatch.setattr(grouping, "SPLIT_BELOW", 0.0)
    dated = NewArticle(key="roundup-dated", title=roundup.title, feed="Roundup", text=roundup.text,
                       published=poti[0].published)
    store.add_articles([dated])
    assert store.story_of(ids[0]) == store.story_of(ids[len(batumi)])


def test_a_daily_series_does_not_grow_one_story_for_weeks():
    """Reports that each resemble the day before's chain one into the next; a story
    still covers one event, so a report more than two weeks after its first starts another."""
    text = ("Protesters marched down Rustaveli Avenue in Tbilisi again on {day} March, the {n}th night "
            "in a row, waving EU flags outside parliament and demanding new elections.")
    series = [(f"day{n}", {**grouping.features(f"Tbilisi protest enters night {n}", text.format(day=n, n=n + 100)),
                            "d": f"2025-03-{n:02d}T20:00:00+00:00", "u": True}) for n in range(1, 31)]
    # Other news of that month, so that the series' words are as rare as a real archive makes them.
    background = [(f"other{n}", {**grouping.features(a.title, a.text), "d": f"2025-03-{n % 30 + 1:02d}T09:00:00+00:00",
                                 "u": True}) for n, a in enumerate(CORPUS)]
    story, _ = grouping.cluster(series + background)
    story = {i: s for i, s in story.items() if i.startswith("day")}
    # Each night's report meets the last: the first week's are one story, though in this
    # young archive the words they share are in a large share of the month's few articles.
    assert len({story[f"day{n}"] for n in range(1, 9)}) == 1
    days = {}
    for article_id, story_id in story.items():
        days.setdefault(story_id, []).append(int(article_id[3:]))
    assert max(max(d) - min(d) for d in days.values()) <= grouping.STORY_DAYS + 1


def test_a_lone_article_joins_the_story_a_later_report_links_it_to(store):
    """The piece on the Syunik deal (article 3) came in an earlier refresh than the
    reports it is closest to, and stands alone; the report closest to it, when it comes,
    matches both it and the main story, which is where it would have gone had it come last."""
    event = "peace-deal-initialled-washington"
    first, piece = (make_id(f"corpus:{event}/{n}") for n in (0, 3))
    earlier = [item for item, e in corpus_items("test") if e != event or item.key == f"corpus:{event}/3"]
    store.add_articles(earlier)
    assert [len(s["articles"]) for s in store.stories_json() if s["id"] == store.story_of(piece)] == [1]
    store.add_articles([item for item, e in corpus_items("test") if e == event and item.key != f"corpus:{event}/3"])
    found = {a["id"]: s["id"] for s in store.stories_json() for a in s["articles"]}
    assert found[piece] == found[first]
    # The reading pane no longer says it started this story, but which report joined the two.
    from tui.ui.story import group_reason

    why = store.why_grouped(piece)
    assert why["by"] == "merged" and found[why["with"]] == found[first]
    titles = {a["id"]: a["title"] for s in store.stories_json() for a in s["articles"]}
    assert titles[why["with"]][:30] in group_reason(why, titles)


def test_an_article_split_out_stays_out_when_new_reports_match_both(store):
    """A second outlet's copy of the split-out report matches it and its old story alike;
    the story of its own holds only the article split out into it, and the two stay apart."""
    items = [i for i, e in corpus_items("test") if e == "shovi-landslide"]
    ids = store.add_articles(items[:3])
    story = store.story_of(ids[0])
    assert store.story_of(ids[1]) == story
    apart = store.move_article(ids[1], None)
    copy = NewArticle(key="copy-of-1", title=items[1].title, feed="Another outlet", text=items[1].text,
                      published=items[1].published)
    [added] = store.add_articles([copy])
    assert store.story_of(added) != apart
    assert store.story_of(ids[1]) == apart and store.story_of(ids[0]) == story and apart != story
    store.regroup()  # and when everything is grouped again
    assert store.story_of(ids[1]) == apart and store.story_of(ids[0]) == store.story_of(ids[2]) != apart


def test_regroup_keeps_the_first_report_split_out_on_its_own(store):
    """The earliest report is placed first when everything is grouped again: the later
    ones, however like it, do not join the story of its own it was split out into."""
    items = sorted((i for i, e in corpus_items("test") if e == "shovi-landslide"), key=lambda i: i.published or "")
    ids = store.add_articles(items)
    story = store.story_of(ids[1])
    apart = store.move_article(ids[0], None)
    store.regroup()
    assert store.story_of(ids[0]) == apart
    assert [store.story_of(i) for i in ids[1:]].count(apart) == 0
    assert store.story_of(ids[1]) == store.story_of(ids[2]) == story


def test_an_article_moved_into_a_story_stays_with_it_after_regroup(store):
    """The story's id came from a later report (it was added first); regroup rebuilds the
    story around its earliest report, and the article moved in still goes with the rest."""
    reports = sorted(_event_items("kenya-cargo-crash"), key=lambda i: i.published or "")
    ids = store.add_articles(reports[-1:]) + store.add_articles(reports[:-1])
    story = store.story_of(ids[0])
    assert all(store.story_of(i) == story for i in ids)
    [stray] = store.add_articles(_event_items("rustavi-steel-strike")[:1])
    assert store.move_article(stray, story) == story
    store.regroup()
    assert {store.story_of(i) for i in ids + [stray]} == {story}
