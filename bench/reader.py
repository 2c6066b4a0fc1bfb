"""Reader benchmark: the real `caucasus-reader` in a real terminal (tmux), 50,000 articles.

    .venv/bin/python bench/reader.py [--articles 50000] [--keep DIR] [--runs 5]

Builds the archive as bench/store.py does (same articles, same layout: DIR/data, so
`--keep DIR` reuses an archive made by either script), then prints:
  * start to first paint (the header drawn) and start to the story list
    (the status line "N stories · ..." drawn), min and median of --runs   target < 1.0 s
  * resident memory of the running reader with the list loaded, after G
    (end) and after g (top): VmRSS and VmHWM                              target < 400 MB
  * for comparison, a bare Textual app (a Static, q quits), same method.

Each launch is `tmux -L <own socket> new-session -d -x 120 -y 32 "env -u COLUMNS -u LINES ..."`,
timed from just before tmux is started, polling `tmux capture-pane -p` every 10 ms.
feeds.yaml holds `feeds: []`, so no refresh runs. The seed articles are loaded into the
archive before timing, so no run pays for that one-time write.
"""

from __future__ import annotations

import sys
from pathlib import Path

import argparse
import importlib.util
import os
import random
import shlex
import shutil
import statistics
import subprocess
import tempfile
import textwrap
import time
import uuid

POLL = 0.010
STATUS = "stories ·"

BARE_APP = textwrap.dedent("""
    from textual.app import App
    from textual.widgets import Static

    class Bare(App):
        BINDINGS = [("q", "quit", "Quit")]

        def compose(self):
            yield Static("bare textual app ready")

    Bare().run()
""")


def load_bench_store():
    """bench/store.py as a module (for fake_article), without running its main()."""
    spec = importlib.util.spec_from_file_location("bench_store", Path(__file__).resolve().parent / "store.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_archive(data: Path, articles: int) -> None:
    bench_store = load_bench_store()
    from tui.store import Store
    from tui.workspace import load_seeds

    rng = random.Random(42)  # as bench/store.py: the same archive
    store = Store(data)
    t = time.perf_counter()
    existing = store.article_count()
    batch = 1000
    for start in range(existing, articles, batch):
        store.add_articles([bench_store.fake_article(n, rng) for n in range(start, min(start + batch, articles))])
    built = time.perf_counter() - t
    load_seeds(store)  # what the reader's first start would do; done here so no timed run pays for it
    count = store.article_count()
    store.close()
    note = f"built in {built:.1f} s" if existing < articles else "reused"
    print(f"archive: {count:,} articles in {data} ({note})", flush=True)


class Tmux:
    def __init__(self):
        self.socket = f"cr-bench-{uuid.uuid4().hex[:8]}"
        self.session = "bench"

    def run(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=check, timeout=30)

    def start(self, command: str) -> None:
        self.run("new-session", "-d", "-s", self.session, "-x", "120", "-y", "32",
                 f"env -u COLUMNS -u LINES {command}", check=True)

    def screen(self) -> str | None:
        result = self.run("capture-pane", "-p", "-t", self.session)
        return result.stdout if result.returncode == 0 else None

    def alive(self) -> bool:
        return self.run("has-session", "-t", self.session).returncode == 0

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys, check=True)

    def pane_pid(self) -> int:
        return int(self.run("display", "-p", "-t", self.session, "#{pane_pid}", check=True).stdout.strip())

    def quit(self, timeout: float = 15) -> bool:
        """Press q; True once the session is gone (tmux closes it when the program exits)."""
        if self.alive():
            self.keys("q")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return True
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        self.run("kill-server")
        # tmux leaves its socket file behind when the server exits.
        socket_dir = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
        (socket_dir / self.socket).unlink(missing_ok=True)


def time_launch(command: str, ready: str, timeout: float = 60) -> tuple[float, float, Tmux]:
    """Seconds from just before tmux starts to the first non-empty pane and to `ready`.

    Returns the still-running session; the caller quits and kills it."""
    tmux = Tmux()
    t0 = time.perf_counter()
    tmux.start(command)
    first = None
    screen = ""
    while True:
        screen = tmux.screen()
        now = time.perf_counter() - t0
        if screen is None:
            tmux.kill()
            raise RuntimeError(f"the program exited before showing {ready!r}: {command}")
        if first is None and screen.strip():
            first = now
        if ready in screen:
            return first, now, tmux
        if now > timeout:
            tmux.kill()
            raise RuntimeError(f"{ready!r} never appeared in {timeout:.0f} s; the screen shows:\n{screen}")
        time.sleep(POLL)


def repeat_launch(command: str, ready: str, runs: int, label: str) -> tuple[list[float], list[float]]:
    firsts, readies = [], []
    for i in range(runs):
        first, ready_at, tmux = time_launch(command, ready)
        try:
            if not tmux.quit():
                raise RuntimeError(f"{label}: the session was still there 15 s after q")
        finally:
            tmux.kill()
        firsts.append(first)
        readies.append(ready_at)
        print(f"  {label} run {i + 1}: first paint {first * 1000:.0f} ms, ready {ready_at * 1000:.0f} ms", flush=True)
    return firsts, readies


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            children = []
        todo.extend(int(c) for c in children)
    return out


def find_reader(pane_pid: int) -> int:
    """The caucasus-reader python process: the pane's process or one of its children."""
    for pid in descendants(pane_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"caucasus-reader" in part for part in cmdline) and any(b"python" in part for part in cmdline[:2]):
            return pid
    raise RuntimeError(f"no caucasus-reader python process under pane pid {pane_pid}")


def memory(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024  # kB -> MiB
    return fields


def wait_change(tmux: Tmux, before: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = tmux.screen() or ""
        if screen != before:
            time.sleep(0.2)  # let it finish drawing
            return tmux.screen() or ""
        time.sleep(POLL)
    raise RuntimeError("the screen did not change after the key")


def measure_memory(command: str) -> list[tuple[str, dict[str, float], dict[str, float]]]:
    _, _, tmux = time_launch(command, STATUS)
    try:
        time.sleep(1.0)  # let the list settle (the worker thread has finished, the screen is drawn)
        pid = find_reader(tmux.pane_pid())
        tree = descendants(tmux.pane_pid())
        results = []

        def sample(label: str) -> None:
            total = {"VmRSS": 0.0, "VmHWM": 0.0}
            for p in tree:
                try:
                    for k, v in memory(p).items():
                        total[k] += v
                except OSError:
                    pass
            results.append((label, memory(pid), total))

        sample("list loaded")
        screen = tmux.screen() or ""
        tmux.keys("G")
        screen = wait_change(tmux, screen)
        sample("after G (end)")
        tmux.keys("g")
        wait_change(tmux, screen)
        sample("after g (top)")
        if not tmux.quit():
            raise RuntimeError("the reader was still running 15 s after q")
        return results
    finally:
        tmux.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--keep", metavar="DIR", help="build the archive in DIR/data (or reuse it) and keep it")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not shutil.which("tmux"):
        sys.exit("bench/reader.py needs tmux (apt-get install tmux)")
    reader = shutil.which("caucasus-reader", path=str(Path(sys.executable).parent)) or shutil.which("caucasus-reader")
    if not reader:
        sys.exit("caucasus-reader is not installed in this environment (pip install -e .)")

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cr-bench-tui-"))
    work.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="cr-bench-tui-cfg-"))
    try:
        data = work / "data"
        build_archive(data, args.articles)
        config = scratch / "feeds.yaml"
        config.write_text("feeds: []\n")
        bare = scratch / "bare.py"
        bare.write_text(BARE_APP)
        command = f"{shlex.quote(reader)} --config {shlex.quote(str(config))} --data-dir {shlex.quote(str(data))}"
        bare_command = f"{shlex.quote(sys.executable)} {shlex.quote(str(bare))}"
        print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
              flush=True)

        r_first, r_ready = repeat_launch(command, STATUS, args.runs, "reader")
        b_first, b_ready = repeat_launch(bare_command, "bare textual app ready", args.runs, "bare textual")
        mem = measure_memory(command)

        ms = lambda xs: f"{min(xs) * 1000:6.0f} / {statistics.median(xs) * 1000:6.0f} ms"  # noqa: E731
        print(f"\n{'measure (min / median of ' + str(args.runs) + ')':58} {'value':>18}  target")
        print(f"{'reader: start to first paint (header)':58} {ms(r_first):>18}")
        print(f"{'reader: start to story list (status line)':58} {ms(r_ready):>18}  < 1000 ms")
        print(f"{'bare Textual app: start to first paint':58} {ms(b_first):>18}")
        print(f"{'bare Textual app: start to its Static':58} {ms(b_ready):>18}")
        for label, own, total in mem:
            print(f"{'reader RSS, ' + label + ' (VmRSS / VmHWM)':58} "
                  f"{own['VmRSS']:6.0f} / {own['VmHWM']:6.0f} MB  < 400 MB")
        label, own, total = mem[-1]
        print(f"{'  (whole pane process tree, ' + label + ')':58} {total['VmRSS']:6.0f} / {total['VmHWM']:6.0f} MB")
        print("(MB = MiB; every time includes starting a tmux server, which a user's terminal does not pay)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
