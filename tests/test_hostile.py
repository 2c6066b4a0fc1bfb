"""Hostile feeds and pages, served from 127.0.0.1, through the real command, the reader and a terminal.

Each hostile input must cause no crash, no freeze (the refresh ends), no
effect on the terminal, a clear message naming the feed that failed, and no
harm to the normal feed listed beside it. One refresh over one feeds.yaml
holding every hostile feed (and a normal one) is shared by the tests below:
the slowest input, a server trickling a byte a second, is cut by the default
60 s limit, so the whole run costs about a minute once. Then come property
tests (hypothesis) over the feed-to-store path.

The limits are the shipped defaults (`FetchLimits`): nothing in feeds.yaml or
on the command line lets a user change them, so nothing here does either.
"""

from __future__ import annotations

import base64
import json
import re
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tui.store import Store, make_id

from conftest import command, made_up_word, need_tool, run_cli
from feedserver import FeedServer, Route, rss

# --- what must never reach a terminal -----------------------------------------------------------

# In the decoded output: ESC and every other C0 control but tab and newline, DEL, the C1 controls
# (U+0080-U+009F: a terminal may read U+009B as CSI, U+009D as OSC), and the bidi embeddings,
# overrides and isolates that reorder what is shown. JSON escapes ("\u001b") are plain ASCII.
TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# A stored title is one line shown as is: none of the above, no line breaks, no zero-width space or BOM.
TITLE_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b\ufeff\u2028\u2029]")


def unsafe_in(text: str) -> list[str]:
    """The characters of ``text`` a terminal would act on (empty when it is safe)."""
    return sorted({f"U+{ord(ch):04X}" for ch in TERMINAL_UNSAFE.findall(text)})


# Each kind of hostile text. The words outside the escapes ("red", "clipboard"...) must survive as plain text.
MARKUP = ("[@click=app.quit]Click here[/] [link=https://evil.example/]a link[/link] [bold red]loud[/] "
          "unbalanced [/] [/bold]")
HOSTILE = {
    "markup": MARKUP,
    "csi": "\x1b[31mred\x1b[0m \x1b[2J\x1b[Hcleared \x1b[?1049halt \x1b[?1000hmouse \x1b[6n",
    "osc52": "\x1b]52;c;cHduZWQgY2xpcGJvYXJk\x07clipboard \x1b]52;p;cHJpbWFyeQ==\x1b\\primary",
    "osc8": "\x1b]8;;https://evil.example/\x1b\\hyperlink\x1b]8;;\x1b\\ \x1b]0;pwned title\x07named",
    "c0": "nul\x00 soh\x01 bel\x07 bs\x08 vt\x0b ff\x0c so\x0e si\x0f fs\x1c us\x1f del\x7f",
    "c1": "ind\x84 nel\x85 ri\x8d ss3\x8f dcs\x90q\x9c csi\x9b31m osc\x9d2;c1title\x9c",
    "bidi": "\u202eesrever\u202c lre\u202aemb\u202c rlo\u202ex\u202c lri\u2066iso\u2069 fsi\u2068first\u2069",
    "zerowidth": "zero\u200bwidth bom\ufeffhere zwnj\u200cjoin zwj\u200djoin wj\u2060join",
}
# What of the hostile text must never show, even as plain text: escape payloads.
NEVER_SHOWN = ("cHduZWQgY2xpcGJvYXJk", "pwned", "evil.example/\x1b")

from test_refresh import BODY  # noqa: E402  (an ordinary Georgian news text)
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title} | Outlet</title></head>
<body><nav><a href="/">Home</a> <a href="/politics">Politics</a></nav>
<article><h1>{title}</h1><p class="byline">By Staff Reporter</p>
{paragraphs}
</article>
<footer>Copyright Outlet. All rights reserved.</footer></body></html>"""


def page(title: str, paragraphs: list[str]) -> bytes:
    return PAGE.format(title=title, paragraphs="\n".join(f"<p>{p}</p>" for p in paragraphs)).encode("utf-8")


def words(n: int, count: int) -> str:
    """Made-up words of their own for each ``n``: different articles do not look alike."""
    return " ".join(made_up_word(n * 977 + k) for k in range(count))


def hostile_paragraphs(n: int, hostile: str) -> list[str]:
    """Three paragraphs of an article (about Tbilisi, words of its own) with ``hostile`` in each."""
    return [f"Tbilisi {words(n + p, 24)} {hostile} {words(n + p + 50, 20)}." for p in range(3)]


def gzip_bomb(megabytes: int) -> bytes:
    """``megabytes`` of zeros after the start of a feed, gzip-compressed to about a thousandth."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(b'<?xml version="1.0"?><rss version="2.0"><channel><title>')]
    zeros = bytes(1 << 20)
    parts += [packer.compress(zeros) for _ in range(megabytes)]
    parts.append(packer.flush())
    return b"".join(parts)


def atom(entries: list[str], title: str = "<title>Atom outlet</title>") -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f'{title}<id>urn:hostile</id><updated>2025-06-01T00:00:00Z</updated>'
            + "".join(entries) + "</feed>").encode("utf-8")


def xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- the hostile web, served from 127.0.0.1 -------------------------------------------------------

# Feeds that cannot be read, and what the refresh must say about each (a part of its message).
FEED_FAILURES = {
    "huge": "larger than 10 MB (50 MB announced); not read",
    "endless": "larger than 10 MB once decompressed; not read further",
    "bomb": "larger than 10 MB once decompressed; not read further",
    "trickle": "no complete answer within 60 s",
    "silent": "timed out (no data within the read timeout)",
    "loop": "redirect loop",
    "selfloop": "redirect loop",
    "chain": "more than 5 redirects",
    "tofile": "redirected to an address that is not fetched: file link refused",
    "tojavascript": "redirected to an address that is not fetched: javascript link refused",
    "todata": "redirected to an address that is not fetched: data link refused",
    "garbage": "the server broke the HTTP protocol",
    "teapot": "HTTP 418",
}
# Article pages that cannot be read: the article keeps the feed's text, with this in its note.
PAGE_FAILURES = {
    "huge": "larger than 5 MB (50 MB announced); not read",
    "endless": "larger than 5 MB once decompressed; not read further",
    "bomb": "larger than 5 MB once decompressed; not read further",
    "trickle": "no complete answer within 60 s",
    "silent": "timed out (no data within the read timeout)",
    "loop": "redirect loop",
    "chain": "more than 5 redirects",
    "tofile": "redirected to an address that is not fetched: file link refused",
    "tojavascript": "redirected to an address that is not fetched: javascript link refused",
    "todata": "redirected to an address that is not fetched: data link refused",
    "garbage": "the server broke the HTTP protocol",
}
# Feeds that must be read, hostile as they are.
READ_FEEDS = ("good", "hostile-xml", "hostile-controls", "hostile-atom", "pages", "schemes", "empty",
              "bigtitles", "bigtitles-hostile")
BIG_TITLES = {
    "words": "Baku " * 200_000,  # 1 MB of words
    "oneword": "Б" * 500_000,  # 1 MB of UTF-8, one word
    "hostile": ("[bold]\x1b[31m\u202e\x1b]52;c;aGk=\x07" + "x" * 10) * 30_000,  # 1 MB of escapes and markup
}


@dataclass
class HostileWeb:
    server: FeedServer
    tmp: Path
    config: Path
    data: Path
    secret: str  # in a local file the hostile links point at: must never be read
    urls: dict[str, str] = field(default_factory=dict)  # feed name -> its address
    first: object = None  # `refresh` (text), the CompletedProcess
    hits_after_first: dict = field(default_factory=dict)
    second: object = None  # `refresh --json --recheck`, after a good page was edited into hostile text
    stories: list = field(default_factory=list)  # `stories --json`, parsed
    stories_raw: bytes = b""
    stories_text: bytes = b""

    @property
    def args(self) -> tuple[str, ...]:
        return ("--config", str(self.config), "--data-dir", str(self.data))

    def articles(self) -> dict[str, dict]:
        """Every stored article by id, as `stories --json` printed it."""
        return {a["id"]: a for s in self.stories for a in s["articles"]}

    def details(self, url_or_key: str) -> dict:
        """What the story screen knows of one article (method, note, url...)."""
        store = Store(self.data)
        try:
            [found] = store.story_articles([make_id(url_or_key)])
            return found
        finally:
            store.close()


def serve_hostile_web(server: FeedServer, tmp: Path) -> HostileWeb:
    secret = "SECRET-" + made_up_word(4242).upper()
    secret_file = tmp / "secret.html"
    secret_file.write_text(f"<html><body><p>{secret} {BODY[0]}</p></body></html>")
    web = HostileWeb(server=server, tmp=tmp, config=tmp / "feeds.yaml", data=tmp / "data", secret=secret)
    bomb = gzip_bomb(512)  # 512 MB of zeros in about half a megabyte
    huge = b"<rss>" + b"x" * (50 * 1024 * 1024)
    endless = b"<p>" + b"endless " * 8000 + b"</p>"
    trickled = rss([{"title": "Trickled Tbilisi item", "link": "https://t.example/1", "description": "x" * 400}])
    garbage = (b"\x1b]52;c;Z2FyYmFnZQ==\x07\x9b31mHTTP/9 ok\x1b[2J\r\n"
               b"Content-Length: 0\r\n\r\n")
    teapot = b"HTTP/1.1 418 \x1b]0;pwned\x07\x9b31m\xe2\x80\xaeteapot\r\nContent-Length: 0\r\n\r\n"
    file_url = secret_file.as_uri()
    data_url = "data:text/html;base64," + base64.b64encode(f"<p>{secret}</p>".encode()).decode()
    javascript_url = f"javascript:fetch('{server.url('/js-was-run')}')"

    # Failing feeds and failing pages: the same misbehaviours, under /f/ and /p/.
    for kind, where in (("f", "feed"), ("p", "page")):
        base = f"/{kind}"
        server.add(f"{base}/huge", body=huge, content_type="text/html" if kind == "p" else "application/rss+xml")
        server.add(f"{base}/endless", endless=endless, content_type="text/html")
        server.add(f"{base}/bomb", raw_gzip=bomb, content_type="text/html")
        server.add(f"{base}/trickle", body=trickled, trickle=1.0)
        server.add(f"{base}/silent", body=trickled, delay=25)
        server.add(f"{base}/loop", redirect_to=server.url(f"{base}/loop-b"))
        server.add(f"{base}/loop-b", redirect_to=server.url(f"{base}/loop"))
        server.add(f"{base}/selfloop", redirect_to=server.url(f"{base}/selfloop"))
        for hop in range(9):
            server.add(f"{base}/chain" + (f"/{hop}" if hop else ""), redirect_to=server.url(f"{base}/chain/{hop + 1}"))
        server.add(f"{base}/chain/9", body=trickled)
        server.add(f"{base}/tofile", redirect_to=file_url)
        server.add(f"{base}/tojavascript", redirect_to=javascript_url)
        server.add(f"{base}/todata", redirect_to=data_url)
        server.add(f"{base}/garbage", raw_response=garbage)
        server.add(f"{base}/teapot", raw_response=teapot)

    # The normal feed beside them: two articles whose pages are fine.
    for n in (1, 2):
        server.add(f"/good/{n}", body=page(f"Parliament adopts amendments, part {n}", BODY), content_type="text/html")
    server.add("/good", body=rss([
        {"title": f"Parliament adopts amendments, part {n}", "link": server.url(f"/good/{n}"),
         "description": BODY[0], "pubDate": f"Tue, 0{n} Jun 2025 10:00:00 +0400"} for n in (1, 2)]))

    # Hostile titles and texts, in the feed and on the page. Legal XML (markup, bidi, zero-width)
    # is read by the fast reader; escapes and controls make the XML ill-formed: feedparser's turn.
    def hostile_items(kinds, prefix):
        items = []
        for n, kind in enumerate(kinds):
            text = HOSTILE[kind]
            server.add(f"/{prefix}/{kind}", content_type="text/html", body=page(
                f"{kind} page headline {text}", hostile_paragraphs(10 * n + len(prefix), text)))
            items.append({"title": f"{kind} {made_up_word(n + len(prefix)).title()} in Tbilisi {text}",
                          "link": server.url(f"/{prefix}/{kind}"),
                          "description": f"{kind} summary {text} " + hostile_paragraphs(10 * n + len(prefix), "")[0],
                          "content": f"<p>{kind} content {text}</p>"})
        return items

    legal = ("markup", "bidi", "zerowidth")
    server.add("/hostile-xml", body=rss(hostile_items(legal, "hx")))
    server.add("/hostile-controls", body=rss(hostile_items(HOSTILE, "hc")))
    server.add("/hostile-atom", content_type="application/atom+xml", body=atom([
        f'<entry><title type="html">{xml_text(f"atom {kind} " + HOSTILE[kind])}</title>'
        f'<id>urn:atom:{kind}</id><summary type="text">{xml_text(HOSTILE[kind])}</summary></entry>'
        for kind in legal]))

    # Articles whose pages misbehave (their text falls back to the feed's), and links never to fetch.
    server.add("/pages", body=rss([
        {"title": f"Page that is {kind}", "link": server.url(f"/p/{kind}"),
         "description": f"Feed text of the {kind} page about Yerevan."} for kind in PAGE_FAILURES]))
    scheme_links = {
        "file": file_url, "file-short": "file:/etc/passwd", "data": data_url, "javascript": javascript_url,
        "javascript-shouting": "  JaVaScRiPt:alert(document.cookie)", "vbscript": "vbscript:msgbox(1)",
        "controls-in-link": server.url("/p/\x1b[31mred\u202eevil\u200b"),
    }
    server.add("/schemes", body=rss([
        {"title": f"Link with a {name} address", "link": link, "description": f"Feed text about Baku ({name})."}
        for name, link in scheme_links.items()]))

    # Entries with every field missing.
    server.add("/empty", body=b'<?xml version="1.0"?><rss version="2.0"><channel><title>Empty outlet</title>'
               b"<item/><item></item><item><title/><link/><guid/><description/><pubDate/></item>"
               b"</channel></rss>")
    server.add("/empty-atom", content_type="application/atom+xml",
               body=atom(["<entry/>", "<entry><title/><link/><id/><updated/></entry>"], title=""))
    server.add("/empty-nochannel", body=b'<rss version="2.0"><channel><item/></channel></rss>')

    # 1 MB titles.
    server.add("/bigtitles", body=rss([
        {"title": BIG_TITLES[kind], "link": f"https://big.example/{kind}", "description": f"Big {kind} title, Baku."}
        for kind in ("words", "oneword")]))
    server.add("/bigtitles-hostile", body=rss([
        {"title": BIG_TITLES["hostile"], "link": "https://big.example/hostile", "description": "Big title, Baku."}]))

    feeds = {"good": "/good", "hostile-xml": "/hostile-xml", "hostile-controls": "/hostile-controls",
             "hostile-atom": "/hostile-atom", "pages": "/pages", "schemes": "/schemes", "empty": "/empty",
             "empty-atom": "/empty-atom", "empty-nochannel": "/empty-nochannel",
             "bigtitles": "/bigtitles", "bigtitles-hostile": "/bigtitles-hostile"}
    feeds.update({kind: f"/f/{kind}" for kind in FEED_FAILURES})
    lines = ["feeds:"]
    for name, path in feeds.items():
        web.urls[name] = server.url(path)
        lines += [f"  - url: {server.url(path)}", f"    name: {name}", "    regional: true"]
        if name in ("bigtitles", "bigtitles-hostile", "schemes", "empty", "empty-atom", "empty-nochannel"):
            lines.append("    extract: false")
    web.config.write_text("\n".join(lines) + "\n")
    return web


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The hostile web, one refresh over it, a second after a good page was edited into hostile text."""
    tmp = tmp_path_factory.mktemp("hostile")
    with FeedServer() as server:
        web = serve_hostile_web(server, tmp)
        web.first = run_cli(*web.args, "refresh", timeout=600)
        web.hits_after_first = dict(server.hits)
        # The slow pages answer at once from now on; the first good page is edited into hostile text.
        for kind in ("trickle", "silent"):
            server.routes[f"/p/{kind}"] = Route(status=410, body=b"gone")
        edited = [*BODY[:1], f"Edited: {MARKUP} {HOSTILE['osc52']} {HOSTILE['bidi']} {HOSTILE['csi']}", *BODY[1:]]
        server.routes["/good/1"] = Route(body=page("Parliament adopts amendments, part 1", edited),
                                         content_type="text/html")
        web.second = run_cli(*web.args, "refresh", "--json", "--recheck", timeout=600)
        listed = run_cli(*web.args, "stories", "--json")
        web.stories_raw = listed.stdout
        web.stories = json.loads(listed.stdout)
        web.stories_text = run_cli(*web.args, "stories").stdout
        yield web


# --- the command line ------------------------------------------------------------------------------

def test_the_refresh_ends_exits_zero_and_names_each_failing_feed_with_its_reason(web):
    result = web.first
    out, err = result.stdout.decode("utf-8"), result.stderr.decode("utf-8")
    assert result.returncode == 0, err
    assert "Traceback" not in err and err == ""
    for kind, reason in FEED_FAILURES.items():
        [line] = [l for l in out.splitlines() if l.startswith(f"  failed: {kind} (")]
        assert line.startswith(f"  failed: {kind} ({web.urls[kind]}): {reason}"), line
    failing = {l.split()[1] for l in out.splitlines() if l.startswith("  failed: ")}
    assert failing == set(FEED_FAILURES)  # no other feed failed
    read = len(web.urls) - len(FEED_FAILURES)
    assert out.splitlines()[-1].startswith(f"refresh: {read} feeds ok (0 unchanged), {len(FEED_FAILURES)} failed, ")


def test_each_failure_is_kept_in_the_feeds_health_and_the_feed_waits_instead_of_being_hammered(web):
    store = Store(web.data)
    states = store.feed_states()
    store.close()
    for kind, reason in FEED_FAILURES.items():
        state = states[web.urls[kind]]
        assert reason in state["last_error"] and state["failures"] == 1 and state["retry_at"]
    for name in READ_FEEDS:
        assert states[web.urls[name]]["last_error"] is None, name
    second = json.loads(web.second.stdout)
    outcome = {f["name"]: f for f in second["feeds"]}
    assert web.server.sent["/f/endless"] < 30 * 2**20  # the endless feed was left after 10 MB
    for kind, reason in FEED_FAILURES.items():
        assert outcome[kind]["outcome"] == "waiting" and reason in outcome[kind]["error"]
        path = f"/f/{kind}"
        assert web.server.hits[path] == web.hits_after_first[path] >= 1  # not fetched again
    assert {outcome[name]["outcome"] for name in READ_FEEDS} == {"unchanged"}


def test_the_normal_feed_beside_them_gets_its_articles_stored_with_their_page_text(web):
    for n in (1, 2):
        article = web.articles()[make_id(web.server.url(f"/good/{n}"))]
        assert article["title"] == f"Parliament adopts amendments, part {n}" and article["feed"] == "good"
        assert web.details(web.server.url(f"/good/{n}"))["method"].startswith("trafilatura")
    store = Store(web.data)
    try:
        assert "Rustaveli Avenue" in store.text(make_id(web.server.url("/good/2")))
    finally:
        store.close()


def test_hostile_titles_are_stored_one_line_and_safe_with_the_markup_kept_literally(web):
    titles = {}
    for article in web.articles().values():
        if article["feed"].startswith("hostile-"):
            kind = article["title"].split()[1 if article["feed"] == "hostile-atom" else 0]
            titles[(article["feed"], kind)] = article["title"]
    legal = ("markup", "bidi", "zerowidth")
    expected = {("hostile-xml", k) for k in legal} | {("hostile-atom", k) for k in legal}
    expected |= {("hostile-controls", k) for k in HOSTILE}
    assert set(titles) == expected
    for (feed, kind), title in titles.items():
        assert not TITLE_UNSAFE.search(title), (feed, kind, title)
        assert not any(payload in title for payload in NEVER_SHOWN), title
        assert " in Tbilisi " in title or feed == "hostile-atom"
    for feed in ("hostile-xml", "hostile-controls", "hostile-atom"):
        assert MARKUP in titles[(feed, "markup")]
    assert "clipboard" in titles[("hostile-controls", "osc52")] and "red" in titles[("hostile-controls", "csi")]
    assert "esrever" in titles[("hostile-xml", "bidi")] and "zerowidth" in titles[("hostile-xml", "zerowidth")]


def test_hostile_pages_are_extracted_like_any_other(web):
    store = Store(web.data)
    try:
        for kind in HOSTILE:
            url = web.server.url(f"/hc/{kind}")
            assert web.details(url)["method"].startswith("trafilatura"), kind
            text = store.text(make_id(url))
            assert "Tbilisi" in text and len(text) > 400, kind
        assert MARKUP in store.text(make_id(web.server.url("/hc/markup")))
    finally:
        store.close()


def test_pages_that_misbehave_leave_the_feed_text_and_say_why(web):
    store = Store(web.data)
    try:
        for kind, reason in PAGE_FAILURES.items():
            url = web.server.url(f"/p/{kind}")
            found = web.details(url)
            assert found["method"] == "feed-fallback", kind
            assert found["note"].startswith(f"the page could not be fetched: {reason}"), found["note"]
            assert store.text(make_id(url)) == f"Feed text of the {kind} page about Yerevan."
    finally:
        store.close()


def test_file_data_and_javascript_links_are_never_fetched(web):
    by_title = {a["title"]: a for a in web.articles().values() if a["feed"] == "schemes"}
    assert len(by_title) == 7
    for name in ("file", "file-short", "data", "javascript", "javascript-shouting", "vbscript"):
        article = by_title[f"Link with a {name} address"]
        assert article["url"] is None, name  # kept without a link: nothing to open, nothing to fetch
    assert web.server.hits["/js-was-run"] == 0
    link = by_title["Link with a controls-in-link address"]["url"]
    assert link == web.server.url("/p/%1B[31mred%E2%80%AEevil%E2%80%8B")  # percent-encoded, as a browser shows it
    store = Store(web.data)
    try:
        texts = [store.text(i) for i in web.articles()]
    finally:
        store.close()
    assert not any(web.secret in text for text in texts)  # the local file was never read
    everything = web.first.stdout + web.second.stdout + web.stories_raw + web.stories_text
    assert web.secret.encode() not in everything


def test_entries_with_every_field_missing_are_stored_under_a_made_up_title(web):
    by_feed = {}
    for article in web.articles().values():
        by_feed.setdefault(article["feed"], []).append(article)
    for name in ("empty", "empty-atom", "empty-nochannel"):
        articles = by_feed[name]
        assert articles and all(a["title"].startswith("(untitled item from ") for a in articles), articles
        assert all(a["url"] is None and a["published"] is None for a in articles)
    second = {f["name"]: f for f in json.loads(web.second.stdout)["feeds"]}
    assert all(second[name]["new"] == 0 for name in ("empty", "empty-atom", "empty-nochannel"))


def test_one_megabyte_titles_are_cut_to_a_headline_and_stored(web):
    big = {a["url"]: a["title"] for a in web.articles().values() if a["feed"].startswith("bigtitles")}
    assert set(big) == {f"https://big.example/{k}" for k in BIG_TITLES}
    for title in big.values():
        assert 500 < len(title) <= 1000 and title.endswith("…") and not TITLE_UNSAFE.search(title)
    assert big["https://big.example/words"].startswith("Baku Baku")
    assert big["https://big.example/oneword"].startswith("БББ")
    assert big["https://big.example/hostile"].startswith("[bold]xxxxxxxxxx[bold]")  # markup as text, escapes gone
    bodies = web.stories_raw + web.stories_text
    assert len(bodies) < 200_000  # the listings do not carry megabytes of headline


def test_what_the_commands_print_never_acts_on_the_terminal(web):
    outputs = {
        "refresh": web.first.stdout + web.first.stderr,
        "refresh --json --recheck": web.second.stdout + web.second.stderr,
        "stories --json": web.stories_raw,
        "stories": web.stories_text,
    }
    for name, output in outputs.items():
        text = output.decode("utf-8")
        assert not unsafe_in(text), (name, unsafe_in(text))
    assert MARKUP.encode() in web.stories_text  # shown, as typed


def test_diff_of_a_page_edited_into_hostile_text_shows_it_safely(web):
    second = json.loads(web.second.stdout)
    assert second["rechecked"].get("version") == 1, second["rechecked"]
    good = make_id(web.server.url("/good/1"))
    assert web.articles()[good]["versions"] == 2
    shown = run_cli(*web.args, "diff", good)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout.decode("utf-8")
    assert not unsafe_in(text), unsafe_in(text)
    assert f"{{+Edited: {MARKUP}" in text and "clipboard" in text  # the edit, shown as typed
    as_json = run_cli(*web.args, "diff", good, "--json")
    assert as_json.returncode == 0 and not unsafe_in(as_json.stdout.decode("utf-8")), unsafe_in(
        as_json.stdout.decode("utf-8"))
    # Two outlets compared (the other part, same story): the hostile sentence is what only one reports.
    compared = run_cli(*web.args, "diff", good, make_id(web.server.url("/good/2")))
    assert compared.returncode == 0, compared.stderr
    text = compared.stdout.decode("utf-8")
    assert not unsafe_in(text), unsafe_in(text)
    assert "[@click=app.quit]Click" in text


# --- the reader (Pilot): what it draws, and what it does when clicked ---------------------------

CSI = re.compile(r"\x1b\[[0-9;:?]*[ -/]*[@-~]")


def drawn_lines(app) -> list[str]:
    """The whole screen as the reader draws it, one string a line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def what_the_terminal_gets(app) -> str:
    """The bytes the reader would send the terminal for a full repaint of the screen."""
    return app.screen._compositor.render_full_update().render_segments(app.console)


def assert_screen_is_safe(app) -> None:
    lines = drawn_lines(app)
    bad = [line for line in lines if TITLE_UNSAFE.search(line)]
    assert not bad, bad
    raw = what_the_terminal_gets(app)
    # Textual's own cursor moves and colours (CSI) are all the escapes it sends: no OSC 52
    # clipboard write, no OSC 8 link, no title, no C1 or bidi control from the web.
    rest = CSI.sub("", raw)
    assert not unsafe_in(rest.replace("\n", "")), unsafe_in(rest)
    assert "evil.example/\x1b" not in raw and "\x1b]" not in raw


async def settled(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def click_on(pilot, needle: str) -> bool:
    """Click the screen where ``needle`` is drawn; False when it is not on screen."""
    for y, line in enumerate(drawn_lines(pilot.app)):
        x = line.find(needle)
        if x >= 0:
            await pilot.click(offset=(x + 2, y))  # on "@click", where a link would be
            await pilot.pause()
            return True
    return False


async def test_the_reader_shows_hostile_text_as_typed_and_never_acts_on_it(web):
    from tui.ui.app import ReaderApp
    from tui.ui.stories import StoriesScreen
    from tui.ui.story import StoryScreen
    from tui.ui.story_list import StoryList
    from tui.workspace import open_workspace

    app = ReaderApp(open_workspace(web.config, web.data), watch=False)
    async with app.run_test(size=(220, 80)) as pilot:
        await settled(pilot)
        stories = app.screen.query_one(StoryList)
        rows = stories.rows
        assert len(rows) <= 70  # every story on one screen
        assert_screen_is_safe(app)
        listed = "\n".join(drawn_lines(app))
        assert "[@click=app.quit]Click here[/] [link=https://evil.example/]a link[/link]" in listed
        assert await click_on(pilot, "[@click=app.quit]")
        assert app.is_running and isinstance(app.screen, StoriesScreen)

        hostile = [i for i, row in enumerate(rows) if any(
            web.articles()[a]["feed"] in ("hostile-xml", "hostile-controls", "hostile-atom", "bigtitles",
                                          "bigtitles-hostile", "schemes") for a in row.article_ids)]
        panes = 0
        for index in hostile:
            stories.cursor = index
            await pilot.press("enter")
            await settled(pilot)
            screen = app.screen
            assert isinstance(screen, StoryScreen)
            for n, article in enumerate(screen.articles):
                screen.query_one("#articles").move_cursor(row=n)
                await settled(pilot)
                pane = str(screen.query_one("#text").render())
                assert not TERMINAL_UNSAFE.search(pane), (article["title"][:80], unsafe_in(pane))
                # Whole sequences go before the page is parsed: no payload litter such as "]52;c;".
                assert "]52;c;" not in pane, article["title"][:80]
                if article["url"] and article["url"].endswith("/markup"):
                    assert pane.count("[@click=app.quit]Click here[/]") >= 4  # the headline and the page
                assert_screen_is_safe(app)
                if await click_on(pilot, "[@click=app.quit]"):
                    assert app.is_running and app.screen is screen  # nothing ran, nothing opened
                panes += 1
            await pilot.press("escape")
            await settled(pilot)
        assert panes >= len(HOSTILE) + 6 + 3 + 7  # every hostile article was shown
        assert app.is_running and isinstance(app.screen, StoriesScreen)

        await pilot.press("F")  # each feed's health, its problem in words
        await settled(pilot)
        from textual.widgets import DataTable

        table = app.screen.query_one(DataTable)
        problems = {str(table.get_row_at(i)[1]): str(table.get_row_at(i)[6]) for i in range(table.row_count)}
        for kind, reason in FEED_FAILURES.items():
            assert problems[kind].startswith(reason), (kind, problems[kind])
        assert_screen_is_safe(app)
        await pilot.press("escape", "q")
    assert app.return_code == 0


async def test_a_background_refresh_in_the_reader_takes_hostile_feeds_in_its_stride(tmp_path):
    from tui.ui.app import ReaderApp
    from tui.ui.story_list import StoryList
    from tui.workspace import open_workspace

    with FeedServer() as server:
        web = serve_hostile_web(server, tmp_path)
        names = ("good", "hostile-controls", "hostile-xml", "empty", "schemes", "bomb", "loop", "garbage", "endless")
        config = tmp_path / "few.yaml"
        config.write_text("feeds:\n" + "".join(
            f"  - url: {web.urls[n]}\n    name: {n}\n    regional: true\n" for n in names))
        app = ReaderApp(open_workspace(config, tmp_path / "data"), watch=False)
        async with app.run_test(size=(200, 50)) as pilot:
            await settled(pilot)
            await pilot.press("ctrl+r")
            await settled(pilot)
            await settled(pilot)
            assert app.is_running
            rows = app.screen.query_one(StoryList).rows
            listed = app.workspace.store.story_articles([a for row in rows for a in row.article_ids])
            titles = " ".join(a["title"] for a in listed)  # every article's, whichever leads its story
            assert "Parliament adopts amendments" in titles and "[@click=app.quit]" in titles
            assert_screen_is_safe(app)
            messages = [n.message for n in app._notifications]
            assert any(m.endswith("; 4 feeds failed") for m in messages), messages
            await pilot.press("q")
        assert app.return_code == 0
        store = Store(tmp_path / "data")
        states = store.feed_states()
        store.close()
        for name in ("bomb", "loop", "garbage", "endless"):
            assert FEED_FAILURES[name] in states[web.urls[name]]["last_error"]


# --- the real command in a real terminal (tmux) -------------------------------------------------

def wait_until(tmux, ready, timeout: float = 30) -> str:
    """The screen, once ``ready(screen)`` holds (a failure, with the screen, if it never does)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = tmux.screen()
        if ready(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"the screen never got there; it shows:\n{tmux.screen()}")


@pytest.mark.e2e
def test_the_real_reader_in_a_terminal_shows_hostile_titles_as_typed_and_the_terminal_is_untouched(web):
    from test_e2e import Tmux

    tmux = Tmux(need_tool("tmux"))
    try:
        # A control first: the same escapes printed raw do reach this terminal, and are seen.
        tmux.run("new-session", "-d", "-s", "control", "-x", "80", "-y", "10", "sh")
        tmux.run("set-option", "-g", "set-clipboard", "on")
        tmux.run("send-keys", "-t", "control", r"printf '\033]52;c;Y29udHJvbA==\007\033]2;control-title\007'", "Enter")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not tmux.run("list-buffers", check=False).stdout.strip():
            time.sleep(0.2)
        assert tmux.run("list-buffers", "-F", "#{buffer_sample}").stdout.strip() == "control"
        assert tmux.run("display-message", "-p", "-t", "control", "#{pane_title}").stdout.strip() == "control-title"
        tmux.run("delete-buffer")

        tmux.start(f"'{command()}' --config '{web.config}' --data-dir '{web.data}'; echo EXIT=$?; sleep 30")
        title_before = tmux.run("display-message", "-p", "-t", tmux.session, "#{pane_title}").stdout.strip()
        tmux.wait_for(" stories · ")
        keys = tmux.session
        tmux.run("send-keys", "-t", keys, "/")
        tmux.wait_for("search titles and outlets")  # the search box is open
        tmux.run("send-keys", "-t", keys, "-l", "app.quit")  # search: the stories with the markup
        tmux.wait_for("matching 'app.quit'")
        screen = tmux.wait_for("[@click=app.quit]Click here[/]")
        assert "\x1b" not in screen
        cleared = lambda: wait_until(  # noqa: E731
            tmux, lambda shown: " matching " not in shown and "search titles and outlets" not in shown)
        tmux.run("send-keys", "-t", keys, "Escape")
        cleared()
        # Each story led by a hostile title: found by its own made-up word, shown as stored.
        led = [s["title"] for s in web.stories if s["title"].split()[0] in HOSTILE
               and any(a["feed"] == "hostile-controls" for a in s["articles"])]
        assert len(led) >= 3, led
        for title in led:
            word = title.split()[1]
            tmux.run("send-keys", "-t", keys, "/")
            tmux.wait_for("search titles and outlets")  # the search box is open
            tmux.run("send-keys", "-t", keys, "-l", word)
            tmux.wait_for(f"matching '{word}'")
            tmux.wait_for(" ".join(title.split()[:6]))
            tmux.run("send-keys", "-t", keys, "Escape")
            cleared()
        tmux.run("send-keys", "-t", keys, "g", "Enter")  # open the newest story: its reading pane
        tmux.wait_for("Kept: from a regional feed")
        tmux.run("send-keys", "-t", keys, "j", "k", "Escape")
        tmux.wait_for(" stories · ")
        assert tmux.alive()
        assert tmux.run("list-buffers", check=False).stdout.strip() == ""  # no clipboard write got through
        title_after = tmux.run("display-message", "-p", "-t", keys, "#{pane_title}").stdout.strip()
        assert title_after == title_before and "pwned" not in title_after and "c1title" not in title_after
        tmux.run("send-keys", "-t", keys, "q")
        tmux.wait_for("EXIT=0")  # the reader quit when asked, and only then
    finally:
        tmux.kill()


# --- property tests: any feed, through the parser into the archive --------------------------------

from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tui.parse import parse_feed  # noqa: E402
from tui.store import NewArticle  # noqa: E402

FEED_URL = "http://127.0.0.1:8/feeds/prop.xml"
PIECES = [*HOSTILE.values(), "[/]", "[", "]", "[@click=app.bell]", "\x1b", "\x9b", "\x9d", "\u202e", "\u200b",
          "&amp;", "&#27;", "&lt;b&gt;", "<b>", "</p><p>", "<!--", "]]>", "\r\n", "\n\n", " ", "\ufeff",
          "\U0001f600", "\u0301", "Tbilisi", "Ереван", "Բաքու", "თბილისი"]
unicode_text = st.text(st.characters(codec="utf-8"), max_size=40)  # any character, controls included
field_text = st.one_of(unicode_text,
                       st.lists(st.one_of(unicode_text, st.sampled_from(PIECES)), max_size=5).map("".join))
links = st.one_of(
    st.builds(lambda n: f"https://outlet.example/news/{n}", st.integers(0, 30)),
    st.builds(lambda n: f"/relative/{n}", st.integers(0, 30)),
    st.sampled_from(["javascript:alert(1)", "file:///etc/passwd", "data:text/html,<p>x</p>", "", " ",
                     "https://outlet.example/\x1b[31m\u202e", "http://[::1", "https://outlet.example:99999/x"]),
    unicode_text,
)
dates = st.one_of(st.sampled_from(["Tue, 03 Jun 2025 10:00:00 +0400", "2025-06-01T08:30:00Z", "yesterday",
                                   "Mon, 31 Feb 2025 25:61:00 GMT", "0000-00-00", ""]), unicode_text)
entries = st.fixed_dictionaries({}, optional={
    "title": field_text, "link": links, "guid": field_text, "description": field_text, "content": field_text,
    "pubDate": dates})
feeds = st.tuples(st.sampled_from(["rss", "atom"]), st.lists(entries, max_size=6))


ATOM_FIELDS = (  # an RSS-style item's fields, as Atom writes them
    ("title", '<title type="html">{}</title>'), ("guid", "<id>{}</id>"), ("link", '<link href="{}"/>'),
    ("pubDate", "<updated>{}</updated>"), ("description", '<summary type="html">{}</summary>'),
    ("content", '<content type="html">{}</content>'),
)


def feed_document(kind: str, items: list[dict]) -> bytes:
    """The items as an RSS 2.0 or Atom document, their text escaped as XML wants (and nothing more:
    characters XML cannot carry go in raw, as a broken feed sends them)."""
    if kind == "rss":
        return rss(items)
    out = []
    for item in items:
        parts = [form.format(xml_text(item[key]).replace('"', "&quot;")) for key, form in ATOM_FIELDS if key in item]
        out.append("<entry>" + "".join(parts) + "</entry>")
    return atom(out)


def as_article(entry) -> NewArticle:
    """An entry as a refresh stores it when the feed's own text is the article's (extract: false)."""
    return NewArticle(key=entry.key, title=entry.title, feed="Prop outlet", text=entry.feed_text, url=entry.url,
                      feed_url=FEED_URL, published=entry.published, method="feed", entry=entry.signature)


PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(feeds)
def test_any_feed_parses_and_stores_safe_titles_that_read_back_and_are_stored_once(feed):
    kind, items = feed
    body = feed_document(kind, items)
    parsed = parse_feed(body, FEED_URL, "application/xml")  # never raises, whatever the bytes
    event(f"{kind}, {'no entries' if not parsed.entries else 'entries stored'}"
          f"{', feedparser' if parsed.warning else ''}")
    assert parsed.problem is None or not parsed.entries
    assert len(parsed.entries) <= len(items)
    assert len({e.key for e in parsed.entries}) == len(parsed.entries)
    for entry in parsed.entries:
        assert entry.title.strip() and not TITLE_UNSAFE.search(entry.title), entry.title
        assert entry.url is None or (entry.url.startswith(("http://", "https://"))
                                     and not TITLE_UNSAFE.search(entry.url)), entry.url
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "data")
        try:
            new = store.add_articles([as_article(e) for e in parsed.entries])
            assert sorted(new) == sorted(make_id(e.key) for e in parsed.entries)
        finally:
            store.close()
        reopened = Store(Path(tmp) / "data")  # what was stored reads back, from the files
        try:
            listed = {a["id"]: a for s in reopened.stories_json() for a in s["articles"]}
            assert len(listed) == len(parsed.entries)
            for entry in parsed.entries:
                stored = listed[make_id(entry.key)]
                assert (stored["title"], stored["url"], stored["feed"]) == (entry.title, entry.url, "Prop outlet")
                assert stored["published"] == entry.published
                assert reopened.text(make_id(entry.key)) == entry.feed_text
            # The same feed again: parsed to the same entries, and nothing new is stored.
            again = parse_feed(body, FEED_URL, "application/xml")
            assert [(e.key, e.title, e.signature) for e in again.entries] == [
                (e.key, e.title, e.signature) for e in parsed.entries]
            assert reopened.stored_ids([make_id(e.key) for e in again.entries]) == set(listed)
            assert reopened.add_articles([as_article(e) for e in again.entries]) == []
            assert reopened.article_count() == len(parsed.entries)
        finally:
            reopened.close()


readable_words = st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=12)
markup_titles = st.lists(st.one_of(readable_words, st.sampled_from(
    ["[@click=app.quit]", "[/]", "[bold red]", "[link=https://evil.example/]", "[/link]", "[", "]", "[on red]x[/]",
     "\\[escaped]", "[/bold]", "[b]"])), min_size=1, max_size=8).map(" ".join)


@PROPERTY
@given(kind=st.sampled_from(["rss", "atom"]), titles=st.lists(markup_titles, min_size=1, max_size=5, unique=True))
def test_markup_in_titles_is_kept_literally_as_text(kind, titles):
    items = [{"title": t, "link": f"https://outlet.example/m/{n}", "description": "d"} for n, t in enumerate(titles)]
    parsed = parse_feed(feed_document(kind, items), FEED_URL, "application/xml")
    assert [e.title for e in parsed.entries] == titles  # nothing interpreted, nothing lost


@PROPERTY
@given(st.lists(st.one_of(unicode_text, st.sampled_from(PIECES)), max_size=8).map("".join))
def test_terminal_safe_text_has_nothing_a_terminal_acts_on(text):
    from tui.text import terminal_safe

    for one_line in (False, True):
        safe = terminal_safe(text, one_line=one_line)
        assert not unsafe_in(safe) and "\u200b" not in safe and "\ufeff" not in safe
        assert terminal_safe(safe, one_line=one_line) == safe  # what is safe stays as it is
    assert "\n" not in terminal_safe(text, one_line=True)


@pytest.mark.parametrize("stray", ["\x9d", "\x9e", "\x90", "\x1b]", "\x1bP"])
def test_an_unterminated_escape_costs_its_introducer_not_the_text_after_it(stray):
    from tui.text import terminal_safe, without_escapes

    text = f"Mojibake in Pa{stray}out, then the rest of the paragraph.\n\nA second paragraph."
    for cleaned in (terminal_safe(text), without_escapes(text)):
        assert "then the rest of the paragraph." in cleaned and "A second paragraph." in cleaned
    assert "\x9d" not in terminal_safe(text) and "\x1b" not in terminal_safe(text)


# --- JSON for scripts: what a terminal would act on is escaped ---------------------------------------

def test_diff_json_of_feed_text_edited_with_bidi_overrides_prints_them_escaped(tmp_path):
    with FeedServer() as server:
        server.add("/f", body=rss([{"title": "Baku item", "link": "https://x.example/1",
                                    "description": "First text about Baku."}]))
        config = tmp_path / "feeds.yaml"
        config.write_text(f"feeds:\n  - url: {server.url('/f')}\n    regional: true\n    extract: false\n")
        args = ("--config", str(config), "--data-dir", str(tmp_path / "data"))
        assert run_cli(*args, "refresh").returncode == 0
        server.routes["/f"] = Route(body=rss([{"title": "Baku item", "link": "https://x.example/1",
                                               "description": "Second text about Baku \u202eesrever\u202c."}]))
        assert run_cli(*args, "refresh").returncode == 0
        shown = run_cli(*args, "diff", make_id("https://x.example/1"), "--json")
        assert shown.returncode == 0 and "esrever" in shown.stdout.decode()
        assert not unsafe_in(shown.stdout.decode("utf-8")), unsafe_in(shown.stdout.decode("utf-8"))
