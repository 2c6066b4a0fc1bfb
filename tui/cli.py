"""The command line: ``caucasus-reader [--config PATH] [--data-dir PATH] [COMMAND]``.

This is the scripting interface (cron jobs and scripts depend on the command
names and JSON shapes: add, never rename). It is a thin layer over the core;
Textual is imported only when the reader itself starts.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import signal
import sys
from pathlib import Path

import orjson

from . import __version__, paths
from .errors import ReaderError
from .text import terminal_safe

PROG = "caucasus-reader"


def _global_options(parser: argparse.ArgumentParser, default) -> None:
    parser.add_argument(
        "--config", metavar="PATH", default=default,
        help=f"feeds.yaml to use (default: ${paths.CONFIG_ENV}, else ~/.config/caucasus-reader/feeds.yaml)",
    )
    parser.add_argument(
        "--data-dir", metavar="PATH", default=default,
        help=f"folder holding the archive (default: ${paths.DATA_ENV}, else ~/.local/share/caucasus-reader)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "A terminal news reader for the South Caucasus. Without a command it "
            "starts the reader; the commands below serve scripts and cron jobs."
        ),
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="start the reader on invented demo news served from inside the program: "
                             "no internet needed, nothing kept (--config and --data-dir are ignored)")
    _global_options(parser, None)
    # The global options are accepted after the command too; SUPPRESS keeps a
    # value given before the command from being reset by the subcommand.
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    stories = commands.add_parser(
        "stories", parents=[common], help="list stories and their articles",
        description="List stories, newest activity first, with their articles.",
    )
    stories.add_argument("--json", action="store_true", help="print JSON for scripts")
    stories.add_argument("--unread", action="store_true", help="only stories with unread articles")

    refresh = commands.add_parser(
        "refresh", parents=[common], help="fetch every feed once and store the new articles",
        description=(
            "Run one refresh: fetch every feed (politely, concurrently), keep the South Caucasus "
            "items, extract their text, store what is new. Exits 0 even when some feeds fail "
            "(each failure is listed); non-zero only when nothing can run. Safe to run from cron "
            "while the reader is open."
        ),
    )
    refresh.add_argument("--json", action="store_true", help="print the per-feed results as JSON")
    refresh.add_argument("--recheck", action="store_true",
                         help="also fetch every stored article's page again now, to catch edits "
                              "(otherwise recent articles are rechecked on a schedule that thins with age)")
    refresh.add_argument("--quiet", action="store_true",
                         help="print only the feeds that failed in this run (nothing when all went well): for cron")

    regroup = commands.add_parser(
        "regroup", parents=[common], help="group every stored article into stories again, from scratch",
        description=(
            "Rebuild all stories from the stored articles, as if each arrived anew in date order. "
            "Articles you moved or split out (and the seeds) stay where they were put; stories keep "
            "their ids where their articles stay together. Read and starred marks are untouched."
        ),
    )
    regroup.add_argument("--json", action="store_true",
                         help='print {"articles", "stories", "topics", "features_computed", "kept_by_you", "seconds"}')

    diff = commands.add_parser(
        "diff", parents=[common], help="show an article's edits, or compare two articles of a story",
        description=(
            "With one article: what changed between its last two versions (or the versions given). "
            "With two: what both report, what only one does, and the facts (numbers, dates, names, "
            "places) that differ. Colour on a terminal; [-removed-] and {+added+} marks otherwise."
        ),
    )
    diff.add_argument("article", metavar="ARTICLE", help="an article id (or its first characters)")
    diff.add_argument("other", metavar="OTHER", nargs="?", help="a second article to compare it with")
    diff.add_argument("--from", dest="older", type=int, metavar="N",
                      help="the older version to compare (1 is the first; negative counts from the newest)")
    diff.add_argument("--to", dest="newer", type=int, metavar="N", help="the newer version (default: the newest)")
    diff.add_argument("--all", action="store_true", help="every edit, oldest first (instead of --from/--to)")
    layout = diff.add_mutually_exclusive_group()
    layout.add_argument("--side-by-side", dest="side", action="store_true", default=None,
                        help="the versions in two columns (the default when most of the text changed)")
    layout.add_argument("--inline", dest="side", action="store_false", help="one text with the changes marked")
    diff.add_argument("--colour", "--color", choices=("auto", "always", "never"), default="auto",
                      help="colour the changes (auto: when printing to a terminal)")
    diff.add_argument("--json", action="store_true", help="print the diff or comparison as JSON")
    diff.add_argument("--any-story", action="store_true",
                      help="no note when the two articles are in different stories")

    ext = commands.add_parser(
        "extract", parents=[common], help="show the text the reader extracts from pages",
        description="Extract the article text from web pages or saved HTML files, as refresh would.",
    )
    ext.add_argument("targets", nargs="+", metavar="PATH_OR_URL", help="an HTML file or an http(s) address")
    ext.add_argument("--json", action="store_true",
                     help='print one JSON object keyed by each argument: {"title", "text", "published", "method"}')

    imp = commands.add_parser(
        "import-opml", parents=[common], help="add the feeds of an OPML file to feeds.yaml",
        description=(
            "Add the feeds listed in an OPML file (from newsboat, or any reader) to "
            "feeds.yaml. Feeds already listed are left as they are; comments are kept."
        ),
    )
    imp.add_argument("file", metavar="FILE", help="the OPML file, or - for standard input")

    exp = commands.add_parser(
        "export-opml", parents=[common], help="print the feeds of feeds.yaml as OPML",
        description="Write the feeds of feeds.yaml as OPML, readable by newsboat and other readers.",
    )
    exp.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output (- is standard output)")
    return parser


def _write(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


# Characters JSON may carry raw that a terminal acts on (C1 controls, bidi overrides and
# isolates, line separators): written as \uXXXX, they reach a script unchanged and a
# terminal as harmless text. They can only be inside strings, so escaping them is exact.
_JSON_UNSAFE = re.compile("[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _write_json(value) -> None:
    text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")
    _write(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8") + b"\n")


def cmd_stories(args) -> int:
    from .workspace import open_workspace

    workspace = open_workspace(args.config, args.data_dir)
    _tell(workspace.notices)
    store = workspace.store
    if args.json:
        stories = store.stories_json()
        if args.unread:
            stories = [s for s in stories if any(not a["read"] for a in s["articles"])]
        _write_json(stories)
        return 0
    rows = store.story_rows()
    if args.unread:
        rows = [r for r in rows if r.unread]
    out = []
    for row in rows:
        marks = ("★" if row.starred else " ") + ("●" if row.unread else " ")
        title = terminal_safe(row.title, one_line=True)
        detail = (
            f"{row.size} article{'s' if row.size != 1 else ''}, "
            f"{len(row.outlets)} outlet{'s' if len(row.outlets) != 1 else ''}, {row.unread} unread"
        )
        seed = "  [seed]" if row.seed else ""
        topic = f"  [topic: {terminal_safe(row.topic_title, one_line=True)}]" if row.topic else ""
        out.append(f"{marks} {row.latest[:10]:10}  {title}  ({detail}){seed}{topic}  {row.id}")
    if not out:
        out.append("no stories in this archive yet")
    _write(("\n".join(out) + "\n").encode("utf-8"))
    return 0


def cmd_refresh(args) -> int:
    from .refresh import Refresher
    from .workspace import open_workspace

    workspace = open_workspace(args.config, args.data_dir)
    _tell(workspace.notices)
    live = sys.stderr.isatty() and not args.quiet and not args.json

    def show(progress) -> None:
        sys.stderr.write(
            f"\r\x1b[2Krefresh: {progress.done}/{progress.total} feeds · {progress.new} new · "
            f"{progress.failed} failed"
        )
        sys.stderr.flush()

    summary = Refresher(workspace.config, workspace.store, on_progress=show if live else None,
                        recheck_all=args.recheck).run()
    workspace.store.close()
    if live:
        sys.stderr.write("\r\x1b[2K")
    if args.json:
        _write_json(summary.to_json())
        return 0
    offline = "the host name could not be resolved (offline?)"
    failed = [r for r in summary.reports if r.outcome == "failed"]
    if failed and all(r.error == offline for r in failed) and not any(
            r.outcome in ("updated", "unchanged") for r in summary.reports):
        # One line, not one per feed, for the commonest failure of all.
        print(f"  offline? no feed's host name could be resolved ({len(failed)} feeds); nothing was held back")
        if not args.quiet:
            print(summary.line())
        return 0
    for report in summary.reports:
        shown = args.quiet and report.outcome == "failed" or not args.quiet and (
            report.outcome in ("failed", "waiting") or report.warning)
        if shown:
            what = report.error if report.outcome != "updated" else report.warning
            label = report.outcome if report.outcome != "updated" else "warning"
            print(f"  {label}: {terminal_safe(report.feed.name, one_line=True)} "
                  f"({terminal_safe(report.feed.url, one_line=True)}): {terminal_safe(what, one_line=True)}")
    if not args.quiet:
        print(summary.line())
    return 0


def cmd_regroup(args) -> int:
    import time

    from .workspace import open_workspace

    workspace = open_workspace(args.config, args.data_dir)
    _tell(workspace.notices)
    live = sys.stderr.isatty() and not args.json

    def show(stage, done, total) -> None:
        if live:
            sys.stderr.write(f"\r\x1b[2Kregroup: {stage} {done}/{total}")
            sys.stderr.flush()

    started = time.monotonic()
    summary = workspace.store.regroup(progress=show)
    took = time.monotonic() - started
    workspace.store.close()
    if live:
        sys.stderr.write("\r\x1b[2K")
    if args.json:
        _write_json({**summary, "seconds": round(took, 2)})
        return 0
    kept = summary["kept_by_you"]
    n = lambda count, word: f"{count} {word}{'' if count == 1 else 's'}"  # noqa: E731
    print(f"regrouped {n(summary['articles'], 'article')} into {summary['stories']} "
          f"{'story' if summary['stories'] == 1 else 'stories'} and {n(summary['topics'], 'topic')} in {took:.1f} s"
          + (f"; {kept} articles stayed where you (or the seeds) put them" if kept else ""))
    return 0


def cmd_diff(args) -> int:
    from . import difftext
    from .compare import compare
    from .diffing import summarise, word_diff
    from .workspace import open_workspace

    workspace = open_workspace(args.config, args.data_dir)
    _tell(workspace.notices)
    store = workspace.store
    colour = args.colour == "always" or args.colour == "auto" and sys.stdout.isatty() and not args.json
    width = shutil.get_terminal_size((100, 24)).columns
    one = store.resolve_article(args.article)
    info = store.story_articles([one])[0]
    if args.other:
        two = store.resolve_article(args.other)
        other = store.story_articles([two])[0]
        if not args.any_story and store.story_of(one) != store.story_of(two):
            _tell([f"note: {one} and {two} are in different stories ({store.story_of(one)} and "
                   f"{store.story_of(two)}): perhaps not two outlets' reports of one event "
                   "(--any-story says you know; m in the reader moves an article)"])
        a, b = store.versions(one)[-1], store.versions(two)[-1]
        found = compare(a["title"], a["text"], b["title"], b["text"])
        if args.json:
            _write_json({"a": one, "b": two, **dataclasses.asdict(found)})
        else:
            _write(difftext.comparison(info, other, found, colour=colour, width=width).encode("utf-8"))
        return 0
    versions = store.versions(one)
    count = len(versions)
    pick = lambda n: n - 1 if n > 0 else count + n  # noqa: E731  (1-based, or from the end)
    newer = pick(args.newer) if args.newer is not None else count - 1
    older = pick(args.older) if args.older is not None else newer - 1
    pairs = [(n - 1, n) for n in range(1, count)] if args.all else [(older, newer)]
    name = terminal_safe(info["title"], one_line=True)
    if count < 2:
        if args.json:
            _write_json([] if args.all else None)
        else:
            print(f"'{name}' has one version (fetched {versions[0]['at'] if versions else '?'}): no edits to show")
            _print_events(store.events(one))
        return 0
    if not all(0 <= o < count and 0 <= n < count for o, n in pairs):
        raise ReaderError(f"'{name}' has versions 1 to {count} (or -1 to -{count}, counted from the newest)")
    if not all(o < n for o, n in pairs):
        raise ReaderError("--from must name an older version than --to")
    shown = []
    for o, n in pairs:
        old, new = versions[o], versions[n]
        ops = word_diff(old["text"], new["text"])
        summary = summarise(old["title"], old["text"], new["title"], new["text"], ops)
        if args.json:
            shown.append({"article": one, "from": o + 1, "to": n + 1, "from_at": old["at"], "to_at": new["at"],
                          "summary": {**dataclasses.asdict(summary), "line": summary.line()},
                          "ops": [list(op) for op in ops]})
        else:
            shown.append(f"version {o + 1} → {n + 1} of {count}  " + difftext.version_diff(
                old, new, ops, summary, colour=colour, side=args.side, width=width))
    if args.json:
        _write_json(shown if args.all else shown[0])
    else:
        _write("\n".join(shown).encode("utf-8"))
        _print_events(store.events(one))
    return 0


def _print_events(events: list[dict]) -> None:
    from .revisions import event_words

    for event in events:
        print(f"{event['at']}  {terminal_safe(event_words(event), one_line=True)}")


def cmd_extract(args) -> int:
    import asyncio

    from .extract import extract_page
    from .fetch import Fetcher, FetchLimits, check_url

    limits = FetchLimits()

    async def fetch_all(urls):
        async with Fetcher(limits) as fetcher:
            return await asyncio.gather(*(fetcher.get(u, max_bytes=limits.page_bytes) for u in urls))

    urls = [t for t in args.targets if not Path(t).exists() and "://" in t]
    fetched = dict(zip(urls, asyncio.run(fetch_all(urls)))) if urls else {}
    results = {}
    for target in args.targets:
        error = None
        html, base = None, None
        if target in fetched:
            page = fetched[target]
            html, base, error = page.body, page.final_url, page.error
        elif Path(target).is_file():
            try:
                html = Path(target).read_bytes()
            except OSError as exc:
                error = f"cannot read it: {exc.strerror or exc}"
        else:
            error = check_url(target) if "://" in target else "no such file"
        if html is not None and error is None:
            found = extract_page(html, base)
            results[target] = {"title": found.title, "text": found.text, "published": found.published,
                               "method": found.method}
        else:
            results[target] = {"title": None, "text": "", "published": None, "method": "failed", "error": error}
    if args.json:
        _write_json(results)
    else:
        out = []
        for target, found in results.items():
            out.append(f"== {terminal_safe(target, one_line=True)}")
            if found.get("error"):
                out.append(f"   could not extract: {terminal_safe(found['error'], one_line=True)}")
            else:
                out.append(f"   title: {terminal_safe(found['title'] or '(none)', one_line=True)}")
                out.append(f"   published: {found['published'] or '(not stated)'} · method: {found['method']}")
                out.append("")
                out.append(terminal_safe(found["text"]) or "(no text found)")
            out.append("")
        _write("\n".join(out).encode("utf-8"))
    return 0 if all(r["method"] != "failed" for r in results.values()) else 1


def cmd_import_opml(args) -> int:
    from .config import normalise_url
    from .opml import OpmlError, add_feeds_to_config, parse_opml
    from .workspace import open_config

    config, notices = open_config(args.config)
    _tell(notices)
    source = "standard input" if args.file == "-" else args.file
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except BrokenPipeError:
        # The reader of our output went away (| head): stop quietly, and point
        # stdout at /dev/null so the interpreter's final flush does not complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        raise OpmlError(f"{args.file}: cannot read it: {exc.strerror or exc}") from None
    feeds, skipped = parse_opml(data, source)
    _tell(skipped)
    added = add_feeds_to_config(config, feeds)
    for feed in added:
        print(f"added {terminal_safe(feed.url, one_line=True)}"
              + (f" ({terminal_safe(feed.name, one_line=True)})" if feed.name else ""))
    already = len({normalise_url(f.url) for f in feeds}) - len(added)
    print(
        f"{len(added)} feed{'s' if len(added) != 1 else ''} added to {config.path}; "
        f"{already} already listed; {len(skipped)} skipped"
    )
    return 0


def cmd_export_opml(args) -> int:
    from .opml import export_opml
    from .storage import atomic_write_bytes
    from .workspace import open_config

    config, notices = open_config(args.config)
    _tell(notices)
    data = export_opml(config)
    if args.output and args.output != "-":
        target = Path(args.output)
        if target.is_dir():
            raise ReaderError(f"{target} is a folder; give a file name to write the OPML to")
        atomic_write_bytes(target, data)
        print(f"wrote {len(config.feeds)} feeds to {target}", file=sys.stderr)
    else:
        _write(data)
    return 0


def cmd_reader(args) -> int:
    from .workspace import open_workspace

    workspace = open_workspace(args.config, args.data_dir)
    from .ui.app import run_reader  # Textual loads only here

    return run_reader(workspace)


def _tell(lines) -> None:
    for line in lines:
        print(f"{PROG}: {terminal_safe(line)}", file=sys.stderr)


COMMANDS = {
    None: cmd_reader,
    "stories": cmd_stories,
    "refresh": cmd_refresh,
    "extract": cmd_extract,
    "regroup": cmd_regroup,
    "diff": cmd_diff,
    "import-opml": cmd_import_opml,
    "export-opml": cmd_export_opml,
}


class _Terminated(KeyboardInterrupt):
    """SIGTERM (systemd, timeout, kill): stop as Ctrl-C does, keeping what finished."""


def _terminate(signum, frame) -> None:
    raise _Terminated()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.demo and args.command:
        parser.error("--demo starts the reader on the demo news; it takes no command")
    if args.command:  # the reader restores the terminal its own way
        signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.demo:
            from .demo import run_demo

            return run_demo(args.config, args.data_dir)
        return COMMANDS[args.command](args)
    except ReaderError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"{PROG}: error: {line}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader of our output went away (| head): stop quietly, and point
        # stdout at /dev/null so the interpreter's final flush does not complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        # A file the user named, a full disk, a permission: say which and why.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{PROG}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except _Terminated:
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
