"""One refresh cycle against feeds and pages served from 127.0.0.1, into a real archive."""

from __future__ import annotations

import json

import pytest

from tui.config import parse_config
from tui.refresh import Refresher
from tui.store import Store, make_id

from conftest import run_cli
from feedserver import FeedServer, Route, rss

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title} | Outlet</title></head>
<body><nav><a href="/">Home</a> <a href="/politics">Politics</a> <a href="/sport">Sport</a></nav>
<div class="cookie">We use cookies to improve your experience. Accept all cookies?</div>
<article><h1>{title}</h1><p class="byline">By Staff Reporter</p>
{paragraphs}
</article>
<aside><h3>Related</h3><ul><li><a href="/a">Another story about weather</a></li></ul></aside>
<footer>Copyright Outlet. All rights reserved.</footer></body></html>"""


def page(title: str, *paragraphs: str) -> bytes:
    return PAGE.format(title=title, paragraphs="\n".join(f"<p>{p}</p>" for p in paragraphs)).encode()


BODY = [
    "Georgia's parliament in Tbilisi voted on Tuesday to adopt amendments to the law on broadcasting, "
    "a move that opposition parties said would tighten control over independent television channels.",
    "The ruling Georgian Dream party argued the changes bring the country in line with European practice, "
    "while civil society groups gathered outside the building on Rustaveli Avenue in protest.",
    "Observers in Brussels said the vote would be examined as part of the assessment of Georgia's "
    "progress towards membership of the European Union later this year.",
]


def config_for(server: FeedServer, tmp_path, feeds_yaml: str):
    path = tmp_path / "feeds.yaml"
    path.write_text(feeds_yaml.replace("BASE", server.base))
    return parse_config(path.read_text(), path)


@pytest.fixture
def server():
    with FeedServer() as s:
        yield s


def refresh(config, store):
    return Refresher(config, store, workers=2).run()


def test_a_regional_feed_is_kept_whole_and_pages_are_extracted(server, tmp_path):
    server.add("/a1", body=page("Parliament adopts broadcasting amendments", *BODY), content_type="text/html")
    full = "<p>" + "</p><p>".join(BODY * 3) + "</p>"  # 9 paragraphs: an article, not a teaser
    server.add("/feed", body=rss([
        {"title": "Parliament adopts broadcasting amendments", "link": server.url("/a1"),
         "description": "Teaser only.", "pubDate": "Tue, 03 Jun 2025 10:00:00 +0400"},
        {"title": "Full text in the feed", "link": server.url("/a2"), "description": "x", "content": full,
         "pubDate": "Tue, 03 Jun 2025 11:00:00 GMT"},
        {"title": "Weather in Lisbon", "link": server.url("/a3"), "description": "Sunny all week in Portugal."},
    ]), etag='"1"')
    server.add("/a3", body=page("Weather in Lisbon", "Sunny all week in Portugal, say forecasters " * 10),
               content_type="text/html")
    config = config_for(server, tmp_path, "feeds:\n  - url: BASE/feed\n    name: Civil\n    regional: true\n")
    store = Store(tmp_path / "data")
    summary = refresh(config, store)
    assert summary.line().startswith("refresh: 1 feed ok (0 unchanged), 0 failed, 3 new articles")
    [report] = summary.reports
    assert (report.outcome, report.items, report.kept, report.new) == ("updated", 3, 3, 3)
    a1 = make_id(server.url("/a1"))
    text = store.text(a1)
    assert "Rustaveli Avenue" in text and "cookies" not in text and "Related" not in text and "Home" not in text
    stories = {a["id"]: a for s in store.stories_json() for a in s["articles"]}
    assert stories[a1]["published"] == "2025-06-03T06:00:00+00:00"
    details = store._details.raw()
    assert details[a1]["method"].startswith("trafilatura")
    assert details[make_id(server.url("/a2"))]["method"] == "feed-content"
    assert details[a1]["why"] == "from a regional feed"
    assert server.hits["/a2"] == 0  # the feed carried the full text: the page was not fetched


def test_a_general_feed_keeps_only_south_caucasus_items_and_says_why(server, tmp_path):
    server.add("/world", body=rss([
        {"title": "Pashinyan and Aliyev meet in Abu Dhabi for peace talks", "link": server.url("/p1"),
         "description": "The leaders of Armenia and Azerbaijan discussed the draft peace treaty."},
        {"title": "Atlanta braces for storms as Georgia governor Kemp declares emergency",
         "link": server.url("/p2"), "description": "Savannah and Atlanta residents told to prepare."},
        {"title": "Markets close higher in Tokyo", "link": server.url("/p3"), "description": "Nikkei up 2%."},
    ]))
    config = config_for(server, tmp_path, "feeds:\n  - url: BASE/world\n    name: Wire\n    extract: false\n")
    store = Store(tmp_path / "data")
    [report] = refresh(config, store).reports
    assert (report.items, report.kept, report.new) == (3, 1, 1)
    kept = store._details.raw()[make_id(server.url("/p1"))]
    assert {"Armenia", "Azerbaijan"} <= set(kept["kept"]) and kept["why"]
    assert not store.has_article(make_id(server.url("/p2")))
    assert server.hits["/p1"] == 0  # extract: false uses the feed's own text
    assert store.text(make_id(server.url("/p1"))) == "The leaders of Armenia and Azerbaijan discussed the draft peace treaty."


def test_unchanged_feeds_cost_no_parsing_and_new_items_are_added(server, tmp_path):
    items = [{"title": f"Yerevan item {i}", "link": f"https://outlet.example/{i}", "description": "Armenia news."}
             for i in range(3)]
    server.add("/etag", body=rss(items), etag='"a"')
    server.add("/same", body=rss(items[:2]))  # no validators: same bytes next time
    config = config_for(server, tmp_path, "feeds:\n  - url: BASE/etag\n    regional: true\n    extract: false\n"
                                          "  - url: BASE/same\n    regional: true\n    extract: false\n")
    store = Store(tmp_path / "data")
    first = refresh(config, store)
    assert len(first.new_ids) == 3  # /same repeats two of /etag's items: stored once
    second = refresh(config, store)
    assert [r.outcome for r in second.reports] == ["unchanged", "unchanged"] and second.new_ids == []
    assert server.requests["/etag"][-1]["If-None-Match"] == '"a"'
    server.routes["/etag"] = Route(body=rss(items + [{"title": "Yerevan item 3", "link": "https://outlet.example/3"}]),
                                   etag='"b"')
    third = refresh(config, store)
    assert len(third.new_ids) == 1 and store.article_count() == 4
    health = store.feed_states()[server.url("/etag")]
    assert health["status"] == 200 and health["items"] == 4 and health["new"] == 1 and health["last_error"] is None


def test_broken_feeds_are_reported_each_and_back_off_while_the_rest_go_on(server, tmp_path):
    server.add("/good", body=rss([{"title": "Baku item", "link": "https://outlet.example/b", "description": "d"}]))
    server.add("/missing", status=404, body=b"no")
    server.add("/busy", status=429, headers={"Retry-After": "3600"}, body=b"slow down")
    server.add("/html", body=b"<html><body>Just a web page</body></html>", content_type="text/html")
    server.add("/big", body=b"<rss>" + b"x" * (11 * 1024 * 1024))
    yaml = "feeds:\n" + "".join(f"  - url: BASE/{p}\n    regional: true\n    extract: false\n"
                                for p in ("good", "missing", "busy", "html", "big"))
    config = config_for(server, tmp_path, yaml)
    store = Store(tmp_path / "data")
    summary = refresh(config, store)
    outcome = {r.feed.url.rsplit("/", 1)[1]: (r.outcome, r.error) for r in summary.reports}
    assert outcome["good"] == ("updated", None)
    assert outcome["missing"][1].startswith("not found (HTTP 404)")
    assert outcome["busy"][1].startswith("too many requests (HTTP 429)")
    assert outcome["html"] == ("failed", "not a feed: the address serves a web page (HTML), not RSS or Atom")
    assert outcome["big"][1].startswith("larger than 10 MB")
    assert len(summary.new_ids) == 1
    states = store.feed_states()
    assert states[server.url("/busy")]["retry_at"] - states[server.url("/missing")]["retry_at"] > 3000
    hits = server.hits["/missing"]
    again = refresh(config, store)
    assert {r.outcome for r in again.reports if "good" not in r.feed.url} == {"waiting"}
    assert server.hits["/missing"] == hits  # not hammered
    assert "waiting until" in next(r.error for r in again.reports if r.feed.url.endswith("/missing"))


def test_feeds_of_every_flavour_and_their_missing_parts(server, tmp_path):
    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
      <title>Atom</title><id>urn:x</id><updated>2025-06-01T00:00:00Z</updated>
      <entry><title>Atom entry on Tbilisi</title><id>urn:1</id><link href="/rel/atom-1"/>
      <updated>2025-06-01T08:30:00+02:00</updated><summary>Georgia summary</summary></entry></feed>"""
    rdf = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>RDF</title><link>https://r.example/</link>
      <description>d</description></channel><item rdf:about="https://r.example/1"><title>RSS 1.0 item on Yerevan</title>
      <link>https://r.example/1</link></item></rdf:RDF>"""
    rss091 = b"""<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title><link>https://o.example/</link>
      <description>d</description><item><title>RSS 0.91 item on Baku</title><link>https://o.example/1</link>
      </item></channel></rss>"""
    odd = rss([
        {"description": "An item with no title and no link about Gyumri."},
        {"title": "Same GUID one", "guid": "dup", "description": "first"},
        {"title": "Same GUID two", "guid": "dup", "description": "second"},
        {"title": "Relative link", "link": "/news/relative", "description": "rel"},
        {"title": "Script link", "link": "javascript:alert(1)", "description": "never fetched"},
    ])
    cp1251 = rss([{"title": "Новости Тбилиси", "link": "https://ru.example/1", "description": "Грузия"}]
                 ).decode().encode("cp1251").replace(b'encoding="utf-8"', b'encoding="windows-1251"')
    for path, body in (("/atom", atom), ("/rdf", rdf), ("/rss091", rss091), ("/odd", odd), ("/cp1251", cp1251)):
        server.add(path, body=body, content_type="application/xml")
    yaml = "feeds:\n" + "".join(f"  - url: BASE{p}\n    regional: true\n    extract: false\n"
                                for p in ("/atom", "/rdf", "/rss091", "/odd", "/cp1251"))
    store = Store(tmp_path / "data")
    summary = refresh(config_for(server, tmp_path, yaml), store)
    assert [r.outcome for r in summary.reports] == ["updated"] * 5, [r.error for r in summary.reports]
    by_title = {a["title"]: a for s in store.stories_json() for a in s["articles"]}
    assert by_title["Atom entry on Tbilisi"]["url"] == server.url("/rel/atom-1")
    assert by_title["Atom entry on Tbilisi"]["published"] == "2025-06-01T06:30:00+00:00"
    assert "RSS 1.0 item on Yerevan" in by_title and "RSS 0.91 item on Baku" in by_title
    assert by_title["Relative link"]["url"] == server.url("/news/relative")
    assert by_title["Script link"]["url"] is None
    assert "Same GUID one" in by_title and "Same GUID two" not in by_title  # one GUID, one item
    assert any(t.startswith("An item with no title") for t in by_title)
    assert "Новости Тбилиси" in by_title


def test_a_page_that_cannot_be_fetched_falls_back_to_the_feed_text(server, tmp_path):
    server.add("/feed", body=rss([{"title": "Talks in Baku", "link": server.url("/gone"),
                                   "description": "Azerbaijan hosted talks on Monday."}]))
    config = config_for(server, tmp_path, "feeds:\n  - url: BASE/feed\n    regional: true\n")
    store = Store(tmp_path / "data")
    refresh(config, store)
    article_id = make_id(server.url("/gone"))
    details = store._details.raw()[article_id]
    assert details["method"] == "feed-fallback" and "not found (HTTP 404)" in details["note"]
    assert store.text(article_id) == "Azerbaijan hosted talks on Monday."


def test_the_refresh_command_lists_failures_and_exits_zero(server, tmp_path):
    server.add("/ok", body=rss([{"title": "Armenia item", "link": "https://x.example/1", "description": "d"}]))
    server.add("/down", status=500, body=b"")
    config = tmp_path / "feeds.yaml"
    config.write_text(f"feeds:\n  - url: {server.url('/ok')}\n    regional: true\n    extract: false\n"
                      f"  - url: {server.url('/down')}\n    name: Down Outlet\n")
    args = ("--config", str(config), "--data-dir", str(tmp_path / "data"))
    result = run_cli(*args, "refresh")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert f"  failed: Down Outlet ({server.url('/down')}): the server failed (HTTP 500)" in out
    assert out.splitlines()[-1].startswith("refresh: 1 feed ok (0 unchanged), 1 failed, 1 new article in ")
    stories = json.loads(run_cli(*args, "stories", "--json").stdout)
    assert any(a["title"] == "Armenia item" for s in stories for a in s["articles"])
    again = json.loads(run_cli(*args, "refresh", "--json").stdout)
    assert [f["outcome"] for f in again["feeds"]] == ["unchanged", "waiting"]


def test_the_extract_command_reads_files_and_addresses(server, tmp_path):
    saved = tmp_path / "article.html"
    saved.write_bytes(page("Saved article", *BODY))
    url = server.add("/live", body=page("Live article", *BODY), content_type="text/html")
    result = run_cli("extract", "--json", str(saved), url, "file:///etc/passwd")
    assert result.returncode == 1  # one of three failed
    found = json.loads(result.stdout)
    assert list(found) == [str(saved), url, "file:///etc/passwd"]
    for key in (str(saved), url):
        assert set(found[key]) >= {"title", "text", "published", "method"}
        assert "Rustaveli Avenue" in found[key]["text"] and "cookies" not in found[key]["text"]
    assert found["file:///etc/passwd"]["method"] == "failed"
    text = run_cli("extract", str(saved)).stdout.decode()
    assert text.startswith(f"== {saved}\n   title: ") and "Rustaveli Avenue" in text


def test_retention_drops_old_articles_only_when_asked(server, tmp_path):
    from datetime import datetime, timedelta, timezone

    recent = (datetime.now(timezone.utc) - timedelta(days=2)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    server.add("/feed", body=rss([
        {"title": "Old Tbilisi item", "link": "https://x.example/old", "pubDate": "Mon, 06 Jan 2020 10:00:00 GMT"},
        {"title": "Recent Tbilisi item", "link": "https://x.example/new", "pubDate": recent},
    ]))
    store = Store(tmp_path / "data")
    from tui.workspace import load_seeds

    load_seeds(store)
    keep_all = config_for(server, tmp_path, "feeds:\n  - url: BASE/feed\n    regional: true\n    extract: false\n")
    assert refresh(keep_all, store).removed == 0 and store.article_count() == 4
    server.routes["/feed"].etag = None
    limited = config_for(server, tmp_path, "settings:\n  retention_days: 30\n"
                                           "feeds:\n  - url: BASE/feed\n    regional: true\n    extract: false\n")
    summary = refresh(limited, store)
    assert summary.removed == 1 and "1 removed by retention" in summary.line()
    titles = {a["title"] for s in Store(tmp_path / "data").stories_json() for a in s["articles"]}
    assert "Old Tbilisi item" not in titles and "Recent Tbilisi item" in titles
    assert len(titles) == 3  # the seeds (from 2025, older than 30 days) are never dropped
    # The feed changes again: the expired item is not taken back in only to be dropped.
    server.routes["/feed"].body += b"\n"
    again = refresh(limited, store)
    assert again.new_ids == [] and again.removed == 0 and again.reports[0].new == 0


def test_one_link_in_two_feeds_is_fetched_and_counted_once(server, tmp_path):
    server.add("/shared", body=page("Shared story", *BODY), content_type="text/html")
    for name in ("a", "b"):
        server.add(f"/{name}", body=rss([{"title": "Shared story", "link": server.url("/shared"), "description": "t"}]))
    config = config_for(server, tmp_path, "feeds:\n  - url: BASE/a\n    regional: true\n"
                                          "  - url: BASE/b\n    regional: true\n")
    summary = refresh(config, Store(tmp_path / "data"))
    assert server.hits["/shared"] == 1 and len(summary.new_ids) == 1
    assert sorted(r.new for r in summary.reports) == [0, 1]


def test_hostile_markup_and_impossible_links_do_not_stop_the_refresh(server, tmp_path):
    server.add("/hostile", body=rss([
        {"title": "Unclosed comments about Baku", "link": "https://h.example/1", "description": "<!--" * 50000},
        {"title": "Unclosed scripts about Baku", "link": "https://h.example/2", "description": "<script " * 50000},
        {"title": "Bad port about Baku", "link": "http://127.0.0.1:70000/a", "description": "x"},
    ]))
    server.add("/good", body=rss([{"title": "Fine Yerevan item", "link": "https://g.example/1", "description": "d"}]))
    config = config_for(server, tmp_path, "feeds:\n  - url: BASE/hostile\n    regional: true\n"
                                          "  - url: BASE/good\n    regional: true\n    extract: false\n")
    store = Store(tmp_path / "data")
    summary = refresh(config, store)
    assert [r.outcome for r in summary.reports] == ["updated", "updated"]
    assert len(summary.new_ids) == 4
    bad_port = store._details.raw()[make_id("http://127.0.0.1:70000/a")]
    assert bad_port["method"] == "feed-fallback" and "invalid port" in bad_port["note"]


def test_quiet_refresh_prints_nothing_when_all_is_well(server, tmp_path):
    server.add("/ok", body=rss([{"title": "Armenia item", "link": "https://x.example/1", "description": "d"}]))
    config = tmp_path / "feeds.yaml"
    config.write_text(f"feeds:\n  - url: {server.url('/ok')}\n    regional: true\n    extract: false\n")
    result = run_cli("--config", str(config), "--data-dir", str(tmp_path / "data"), "refresh", "--quiet")
    assert result.returncode == 0 and result.stdout == b"" and result.stderr == b""


def test_a_refresh_stops_at_once_when_cancelled_and_keeps_what_finished(server, tmp_path):
    import threading

    server.add("/fast", body=rss([{"title": "Fast Baku item", "link": "https://f.example/1", "description": "d"}]))
    server.add("/slow", body=rss([{"title": "Slow", "link": "https://s.example/1"}]), delay=30)
    config = config_for(server, tmp_path, "feeds:\n  - url: BASE/fast\n    regional: true\n    extract: false\n"
                                          "  - url: BASE/slow\n    regional: true\n    extract: false\n")
    store = Store(tmp_path / "data")
    refresher = Refresher(config, store, workers=1)
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(summary=refresher.run()))
    thread.start()
    import time

    deadline = time.monotonic() + 10
    while server.hits["/slow"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # the fast feed is done; the slow one is on the wire
    refresher.cancel()
    thread.join(timeout=10)  # the slow server answers only after 30 s
    assert not thread.is_alive(), "cancel did not stop the refresh"
    summary = outcome["summary"]
    assert [r.outcome for r in summary.reports] == ["updated", "waiting"]
    assert store.has_article(make_id("https://f.example/1"))
    assert store.feed_states()[server.url("/slow")].get("failures", 0) == 0  # stopping is not the feed's fault
    # Its article was not placed again with the others (see Store.settle): the next refresh does it.
    assert store.unsettled() == [make_id("https://f.example/1")]
    server.add("/slow", body=rss([{"title": "Slow", "link": "https://s.example/1"}]))
    Refresher(config, store, workers=1).run()
    assert store.unsettled() == []


def test_a_refresh_groups_its_articles_as_one_write_would_whatever_order_the_feeds_answer(server, tmp_path,
                                                                                         monkeypatch):
    """Two rallies in Tbilisi days apart (the detentions, the law on rallies), eight reports
    on eight feeds answering in an order that, placed as they came, made one story of
    both. Stored feed by feed (a write each), they are placed again together at the end."""
    from email.utils import format_datetime
    from datetime import datetime

    from stories_corpus import load

    import tui.refresh
    from tui.store import NewArticle

    monkeypatch.setattr(tui.refresh, "FLUSH_EVERY_ARTICLES", 1)  # a write per feed, as a long refresh makes
    reports = {a.id: a for a in load() if a.event in ("rustaveli-rally-detentions", "georgia-rally-rules-amended")}
    order = ["georgia-rally-rules-amended/3", "rustaveli-rally-detentions/2", "georgia-rally-rules-amended/1",
             "rustaveli-rally-detentions/1", "rustaveli-rally-detentions/3", "georgia-rally-rules-amended/0",
             "rustaveli-rally-detentions/0", "georgia-rally-rules-amended/2"]
    assert sorted(order) == sorted(reports)
    feeds = "feeds:\n"
    for n, key in enumerate(order):  # in this order, 0.4 s apart
        a = reports[key]
        server.add(f"/f{n}", delay=0.4 * n, body=rss([{
            "title": a.title, "link": f"https://outlet.example/{key}", "description": a.text,
            "pubDate": format_datetime(datetime.fromisoformat(a.published))}]))
        feeds += f"  - url: BASE/f{n}\n    name: {a.outlet} {n}\n    regional: true\n    extract: false\n"
    store = Store(tmp_path / "data")
    summary = Refresher(config_for(server, tmp_path, feeds), store, workers=2).run()
    assert len(summary.new_ids) == 8

    def partition(store) -> list[list[str]]:
        stories: dict[str, list[str]] = {}
        for key in sorted(reports):
            stories.setdefault(store.story_of(make_id(f"https://outlet.example/{key}")), []).append(key)
        return sorted(stories.values())

    found = partition(store)
    assert all(len({key.split("/")[0] for key in keys}) == 1 for keys in found), found  # came as they came: one
    one_write = Store(tmp_path / "one")
    one_write.add_articles([NewArticle(key=f"https://outlet.example/{key}", title=a.title, feed=a.outlet,
                                       text=a.text, published=a.published) for key, a in reports.items()])
    assert found == partition(one_write)
    # Why each is there names an article of its story.
    for key in reports:
        why = store.why_grouped(make_id(f"https://outlet.example/{key}"))
        assert why["by"] in ("new", "auto", "merged")
        if why["by"] != "new":
            assert store.story_of(why["with"]) == store.story_of(make_id(f"https://outlet.example/{key}"))