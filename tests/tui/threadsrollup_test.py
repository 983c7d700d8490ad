#!/usr/bin/env python3
"""The Threads view on a window big enough to be read from the per-thread
rollup (core/query/threadlist.c: 40,000 requests or more) rather than by
grouping the window, driven in tmux on the real binary: its rows, order,
turns and costs equal grouping the requests in SQL, including the turns
stored after the rollup last counted (a new turn that lifts a thread to the
top, and a thread that has no rollup row yet)."""
import json
import os
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: the shared harness
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tests/tui: the tmux driver
from harness import BIN, expect, main  # noqa: E402
from screens_test import Tui  # noqa: E402

NOW = "2026-11-24T10:00:00Z"
NOW_MS = 1795514400000
WINDOW_MS = 30 * 86400000
ROLLUP_FROM = 40000  # GROUP_BELOW in core/query/threadlist.c


def run(db, *args, stdin=None):
    p = subprocess.run([BIN, "--db", db, *args], input=stdin, capture_output=True,
                       env=dict(os.environ, TOLLGATE_NOW=NOW))
    expect(p.returncode == 0, f"{args}: {p.stderr.decode(errors='replace')}")


def sql(db, query, *params):
    con = sqlite3.connect(db)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def grouped(db, limit):
    """The window's threads by cost, as plain SQL groups them."""
    return sql(db, "SELECT thread_id, sum(cost_nanos), count(*) FROM requests WHERE thread_id IS NOT NULL"
                   " AND ts_ms >= ? AND ts_ms < ? GROUP BY thread_id ORDER BY 2 DESC, 1 LIMIT ?",
               NOW_MS - WINDOW_MS, NOW_MS + 1, limit)


def turn(log_id, thread, cost, minute):
    return {"unique_id": log_id, "timestamp": f"2026-11-24T09:{minute:02d}:00Z", "model": "claude-sonnet-4-5",
            "customer_identifier": "tess", "organization_key_name": "tess-laptop", "prompt_tokens": 1000,
            "completion_tokens": 100, "cost": cost, "thread_identifier": thread,
            "prompt_messages": [{"role": "user", "content": f"turn {log_id} of {thread}"}]}


def thread_rows(screen):
    """(thread, turns, dollars) of each row of the Threads view."""
    out = []
    for line in screen.splitlines()[2:-1]:
        m = re.match(r"(\S+)\s+\S+\s+\$([0-9.,]+)~?\s+(\d+)\s", line)
        if m:
            out.append((m.group(1), int(m.group(3)), float(m.group(2).replace(",", ""))))
    return out


def test_threads_from_the_rollup_equal_grouping(d):
    db = os.path.join(d, "t.db")
    run(db, "demo", "--requests", "45000")
    in_window = sql(db, "SELECT count(*) FROM requests WHERE ts_ms >= ?", NOW_MS - WINDOW_MS)[0][0]
    expect(in_window >= ROLLUP_FROM, f"only {in_window} requests in the window: the view would group them")
    fourth = grouped(db, 4)[3][0]
    # a $5 turn lifts the fourth thread to the top; a new thread of $4 comes second
    logs = [turn("rollup-late-1", fourth, 5.0, 10), turn("rollup-late-2", "thr-only-in-the-tail", 2.5, 11),
            turn("rollup-late-3", "thr-only-in-the-tail", 1.5, 12)]
    run(db, "import", "-", stdin="".join(json.dumps(l) + "\n" for l in logs).encode())
    counted = int(sql(db, "SELECT position FROM sync_state WHERE source = 'threads live up to'")[0][0])
    newest = sql(db, "SELECT max(id) FROM requests")[0][0]
    expect(counted < newest, f"the rollup counted every request ({counted} of {newest}): no tail to add")
    want = grouped(db, 12)
    expect(want[0][0] == fourth and want[1][0] == "thr-only-in-the-tail", want[:3])
    t = Tui(d, width=120, height=20)
    try:
        t.keys("5")
        t.wait_for("LATNCY")
        t.keys("t")
        s = t.wait_until(lambda x: "threads by cost" in x and len(thread_rows(x)) >= 12, "twelve threads")
        shown = thread_rows(s)[:12]
        for (thread, turns, dollars), (want_thread, want_nanos, want_turns) in zip(shown, want):
            expect(thread == want_thread[:16] and turns == want_turns and abs(dollars - want_nanos / 1e9) < 0.006,
                   f"shown {(thread, turns, dollars)}, grouping gives {(want_thread, want_turns, want_nanos / 1e9)}"
                   f"\n{s}")
        t.keys("Enter")  # the top thread's requests, its late turn among them
        s = t.wait_for("/thread:" + fourth)
        expect("$5.00" in s, s)
    finally:
        t.close()


if __name__ == "__main__":
    main("threadsrollup", globals())
