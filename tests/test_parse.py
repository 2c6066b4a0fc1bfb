"""Feed parsing: the fast reader for plain feeds agrees with feedparser wherever it reads."""

from __future__ import annotations

import pytest

from tui.parse import _parse_with_feedparser, clean_link, html_to_text, parse_feed
from tui.simplefeed import read_simple

from conftest import need_shared
from feedserver import rss

BASE = "http://127.0.0.1/feeds/x.xml"

PLAIN_RSS = rss([
    {"title": "Talks in Baku &amp; beyond", "link": "https://o.example/1", "guid": "https://o.example/1",
     "pubDate": "Tue, 03 Jun 2025 10:00:00 +0400", "description": "<p>One</p><p>Two &amp; three</p>"},
    {"title": "No link, permalink GUID", "guid": "https://o.example/2", "description": "d"},
    {"title": "Relative", "link": "/news/3", "description": "", "content": "<p>Full <b>text</b></p>"},
])
PLAIN_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2025-06-01T00:00:00Z</updated>
<entry><title type="html">Yerevan &lt;b&gt;today&lt;/b&gt;</title><id>urn:1</id>
<link rel="alternate" href="https://a.example/1"/><link rel="enclosure" href="https://a.example/1.mp3"/>
<published>2025-06-01T08:30:00+02:00</published><content type="html">&lt;p&gt;Body&lt;/p&gt;</content></entry>
<entry><title>Id only</title><id>https://a.example/2</id><updated>2025-06-02T00:00:00Z</updated></entry>
</feed>"""


def fields(parsed):
    return [(e.key, e.title, e.url, e.published, e.updated, e.summary, e.content) for e in parsed.entries], parsed.title


@pytest.mark.parametrize("body", [PLAIN_RSS, PLAIN_ATOM], ids=["rss", "atom"])
def test_plain_feeds_take_the_fast_path_and_read_as_feedparser_reads_them(body):
    assert read_simple(body, "application/xml") is not None
    assert fields(parse_feed(body, BASE, "application/xml")) == fields(_parse_with_feedparser(body, BASE, "application/xml"))


def test_what_the_fast_reader_makes_of_a_plain_feed():
    entries = parse_feed(PLAIN_RSS, BASE, "application/rss+xml").entries
    assert [e.title for e in entries] == ["Talks in Baku & beyond", "No link, permalink GUID", "Relative"]
    assert [e.url for e in entries] == ["https://o.example/1", "https://o.example/2", "http://127.0.0.1/news/3"]
    assert entries[0].published == "2025-06-03T06:00:00+00:00" and entries[1].published is None
    assert entries[0].summary == "One\n\nTwo & three"
    assert entries[2].content == "Full text" and entries[2].summary == "Full text"


@pytest.mark.parametrize("body", [
    PLAIN_RSS.replace(b"<item>", b'<item xml:base="https://elsewhere.example/">', 1),
    PLAIN_RSS.replace(b"<title>Relative</title>", b"<title>Relative</title><dc:title xmlns:dc="
                      b'"http://purl.org/dc/elements/1.1/">Other</dc:title>'),
    PLAIN_RSS.replace(b"Tue, 03 Jun 2025 10:00:00 +0400", b"the third of June"),
    PLAIN_ATOM.replace(b'<content type="html">', b'<content type="xhtml">'),
    b"<rss version='2.0'><channel><title>x</title><item><title>unclosed</item></channel></rss>",
], ids=["xml:base", "dc:title", "odd date", "xhtml", "broken"])
def test_anything_unusual_is_left_to_feedparser(body):
    assert read_simple(body, "application/xml") is None
    assert isinstance(parse_feed(body, BASE, "application/xml").entries, list)


def test_a_charset_disagreement_is_left_to_feedparser():
    assert read_simple(PLAIN_RSS, "application/rss+xml; charset=windows-1251") is None
    assert read_simple(PLAIN_RSS, "application/rss+xml; charset=UTF-8") is not None


def test_the_two_readers_agree_on_every_torture_file_the_fast_one_reads():
    corpus = need_shared("corpora", "feed-torture")
    taken = 0
    for path in sorted(p for p in corpus.rglob("*") if p.is_file() and p.name != "LICENSE"):
        body = path.read_bytes()
        if read_simple(body, "application/xml") is None:
            continue
        taken += 1
        fast, slow = parse_feed(body, BASE, "application/xml"), _parse_with_feedparser(body, BASE, "application/xml")
        assert fields(fast) == fields(slow), path.relative_to(corpus)
    assert taken > 200


def test_html_to_text_and_links():
    assert html_to_text("<p>A&nbsp;b</p><script>alert(1)</script><p>c<br>d</p><!-- x -->") == "A b\n\nc\n\nd"
    assert clean_link("/a#frag", "https://x.example/feed") == "https://x.example/a"
    assert clean_link("javascript:alert(1)", "https://x.example/") is None
    assert clean_link("data:text/html,hi", "https://x.example/") is None
