#!/usr/bin/env python3
"""Screen speed on a large db: first paint, the time each key takes to change
the screen, and resident memory, measured by driving the real binary in tmux
(so the figures include tmux's own delay of a few ms).
Usage: bench/ui_bench.py DB   (make the db with bench/run.sh first)
       bench/ui_bench.py DB --detail   only the detail of a 120 KB agent log (imported into DB)"""
import os
import statistics
import subprocess
import sys
import time

BIN = os.environ.get("TOLLGATE_BIN",
                     os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build/tollgate"))
SOCK = f"tg-bench-{os.getpid()}"


def tmux(*args):
    return subprocess.run(["tmux", "-L", SOCK, "-f", "/dev/null", *args], capture_output=True, text=True)


def screen():
    return tmux("capture-pane", "-p", "-e").stdout  # with attributes: a moved highlight counts


def wait(pred, timeout=30, what=""):
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        s = screen()
        if pred(s):
            return time.perf_counter() - start, s
        time.sleep(0.001)
    raise SystemExit(f"timed out {what}:\n" + screen())


def rss_kb():
    pids = subprocess.run(["pgrep", "-f", f"{BIN} --db"], capture_output=True, text=True).stdout.split()
    best = 0
    for pid in pids:
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"):
                    best = max(best, int(line.split()[1]))
        except OSError:
            pass
    return best


def press(keys, times):
    for k in keys:
        before = screen()
        tmux("send-keys", k)
        try:
            dt, _ = wait(lambda s: s != before, timeout=5)
        except SystemExit:
            dt = None  # the key changed nothing on screen (e.g. Home at the top)
        if dt is not None:
            times.setdefault(k, []).append(dt * 1000)


def detail_bench(db):
    """A Claude-Code-shaped log of about 120 KB (tests/tui/detail_test.py builds
    it): opening its detail, scrolling, folding, wrapping and searching it."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "tui"))
    from detail_test import agent_log  # noqa: E402
    import json
    lines = "".join(json.dumps(agent_log(t)) + "\n" for t in (1, 2)).encode()
    subprocess.run([BIN, "--db", db, "import", "-"], input=lines, capture_output=True)
    tmux("new-session", "-d", "-x", "120", "-y", "40", f"env LANG=C.UTF-8 TERM=xterm-256color TOLLGATE_NOW=2026-11-24T10:00:00Z {BIN} --db {db}")
    wait(lambda s: "TOP DEVELOPERS" in s, what="the overview")
    tmux("send-keys", "5")
    wait(lambda s: "LATNCY" in s, what="requests")
    tmux("send-keys", "/", "thread:thread-agent", "Enter")
    wait(lambda s: "/thread:thread-agent |" in s, what="the filter")
    times = {}
    for _ in range(5):
        press(["Enter"], times)  # open: read, decompress, parse, lay out, draw
        wait(lambda s: "now fix the failing test" in s, what="the detail")
        press(["g"] + ["Down"] * 20 + ["NPage"] * 10 + ["z", "z", "W", "Right", "W", "G", "g"], times)
        tmux("send-keys", "/", "NEEDLE-42", "Enter")
        wait(lambda s: "hit 1 of" in s, what="the search")
        press(["N", "Escape"], times)
        wait(lambda s: "LATNCY" in s, what="back")
    tmux("send-keys", "q")
    tmux("kill-server")
    print(f"detail of a {len(json.dumps(agent_log(2))) / 1000:.0f} KB agent log (120x40, tmux delay included):")
    for k, ts in times.items():
        print(f"  {k:8s} median {statistics.median(ts):6.1f} ms  max {max(ts):6.1f} ms  ({len(ts)})")


def main():
    db = sys.argv[1]
    if "--detail" in sys.argv[2:]:
        detail_bench(db)
        return
    subprocess.run([BIN, "--db", db, "import", "/dev/null"], capture_output=True)  # migrate to the current schema
    paints = []
    for _ in range(5):
        t0 = time.perf_counter()
        tmux("new-session", "-d", "-x", "120", "-y", "40", f"env LANG=C.UTF-8 TERM=xterm-256color {BIN} --db {db}")
        wait(lambda s: "TOP DEVELOPERS" in s)
        paints.append((time.perf_counter() - t0) * 1000)
        tmux("kill-server")
        time.sleep(0.2)
    tmux("new-session", "-d", "-x", "120", "-y", "40", f"env LANG=C.UTF-8 TERM=xterm-256color {BIN} --db {db}")
    wait(lambda s: "TOP DEVELOPERS" in s)
    keys = ["2", "3", "4", "5"] + ["Down"] * 40 + ["NPage"] * 10 + ["PPage"] * 10
    # Requests sorted by cost (s), paged through by keyset both ways, then back to time (S)
    keys += [("s", "s cost")] + [("Down", "Down cost")] * 10 + [("NPage", "NPage cost")] * 5
    keys += [("PPage", "PPage cost")] * 3 + [("S", "S time")]
    # tmux's End and Home are not the keys ncurses expects under TERM=xterm-256color: last, so a
    # stray escape cannot move the keys after them to another screen
    keys += ["Enter", "Escape", "w", "w", "1", "5", "End", "Home"]
    times = {}
    for k in keys:
        k, label = k if isinstance(k, tuple) else (k, k)
        before = screen()
        tmux("send-keys", k)
        try:
            dt, _ = wait(lambda s: s != before, timeout=5)
        except SystemExit:
            dt = None  # the key changed nothing on screen (e.g. Home at the top)
        if dt is not None:
            times.setdefault(label, []).append(dt * 1000)
    rss = rss_kb()
    tmux("send-keys", "q")
    tmux("kill-server")
    print(f"db: {db} ({os.path.getsize(db) / 1048576:.0f} MB)")
    print(f"first paint (process start to the Overview drawn): median {statistics.median(paints):.0f} ms, "
          f"max {max(paints):.0f} ms over {len(paints)} starts")
    everything = [t for ts in times.values() for t in ts]
    print(f"keys: {len(everything)} presses, median {statistics.median(everything):.1f} ms, "
          f"p95 {sorted(everything)[int(len(everything) * 0.95)]:.1f} ms, max {max(everything):.1f} ms")
    for k, ts in times.items():
        print(f"  {k:10s} median {statistics.median(ts):6.1f} ms  max {max(ts):6.1f} ms  ({len(ts)})")
    print(f"resident memory after the run: {rss / 1024:.1f} MB")


if __name__ == "__main__":
    main()
