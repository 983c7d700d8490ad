#!/usr/bin/env python3
"""The Requests screen (issue 15, item 2), driven in tmux on the real binary:
sorting by cost with keyset pages, the threads by cost, columns that grow with
the terminal, and filter errors and empty lists that say what is wrong."""
import json
import os
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: the shared harness
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tests/tui: the tmux driver
from harness import BIN, expect, main  # noqa: E402
from screens_test import Tui, tui_test  # noqa: E402

NOW_MS = 1795514400000  # 2026-11-24T10:00:00Z, TOLLGATE_NOW in screens_test.Tui


def rows(s):
    return [l for l in s.splitlines()[2:-1] if re.match(r"\d\d-\d\d \d\d:\d\d ", l)]


def dollars(cell):
    return float(cell.strip().rstrip("~").lstrip("$"))


def costs(s):
    """The COST column of each row (the 5th field from the right: TOKENS COST LATNCY ST)."""
    out = []
    for l in rows(s):
        m = re.search(r" (\$[0-9.,]+~?) +\S+ +\d{3}\b", l)
        if m:
            out.append(dollars(m.group(1).replace(",", "")))
    return out


def db_costs(db, limit, offset=0):
    con = sqlite3.connect(db)
    try:
        return [c / 1e9 for (c,) in con.execute(
            "SELECT cost_nanos FROM requests WHERE ts_ms >= ? ORDER BY cost_nanos DESC, id DESC LIMIT ? OFFSET ?",
            (NOW_MS - 30 * 86400000, limit, offset))]
    finally:
        con.close()


def near(a, b):
    return abs(a - b) < 0.006  # the screen shows cents


@tui_test()
def test_sort_by_cost_most_expensive_first(t):
    t.keys("5")
    t.wait_for("LATNCY")
    t.keys("s")
    s = t.wait_for("by cost")
    shown = costs(s)
    expect(len(shown) >= 15, s)
    expect(shown == sorted(shown, reverse=True), shown)
    want = db_costs(t.db, len(shown))
    expect(all(near(a, b) for a, b in zip(shown, want)), (shown, want))
    # the next page continues the order where this one ended (keyset, no repeats or gaps)
    t.keys("NPage")
    s2 = t.wait_until(lambda x: costs(x) and costs(x) != shown, "the next page")
    page2 = costs(s2)
    expect(page2 == sorted(page2, reverse=True), page2)
    # a page down from the first row starts the page one row further down the order
    want2 = db_costs(t.db, len(page2), 1)
    expect(all(near(a, b) for a, b in zip(page2, want2)), (page2, want2))
    # S goes back: time, newest first
    t.keys("S")
    t.wait_until(lambda x: "| by " not in x.splitlines()[-1] and "UTC↓" in x, "back to newest first")


@tui_test(width=120, height=30)
def test_threads_by_cost(t):
    t.keys("5")
    t.wait_for("LATNCY")
    t.keys("t")
    s = t.wait_for("threads by cost")
    expect("THREAD" in s and "TURNS" in s and "DURATION" in s and "FIRST PROMPT" in s, s)
    con = sqlite3.connect(t.db)
    try:
        top = con.execute("SELECT thread_id, sum(cost_nanos), count(*) FROM requests WHERE thread_id IS NOT NULL"
                          " AND ts_ms >= ? GROUP BY thread_id ORDER BY 2 DESC LIMIT 1",
                          (NOW_MS - 30 * 86400000,)).fetchone()
    finally:
        con.close()
    first = s.splitlines()[2]
    expect(first.startswith(top[0]) and f" {top[2]} " in first, (first, top))
    expect(near(dollars(re.search(r"\$[0-9.]+", first).group(0)), top[1] / 1e9), (first, top))
    t.keys("Enter")  # the thread's requests
    s = t.wait_for("/thread:" + top[0])
    expect(len(rows(s)) >= 1, s)


def wide_db(d):
    t = Tui.__new__(Tui)
    t.dir, t.db = d, os.path.join(d, "t.db")
    t.prepare()
    log = {"unique_id": "wide-1", "timestamp": "2026-11-24T09:59:30Z", "model": "gemini-3-pro-preview",
           "customer_identifier": "wendy", "organization_key_name": "wendy-laptop", "prompt_tokens": 10,
           "completion_tokens": 5, "cost": 0.01,
           "prompt_messages": [{"role": "system", "content": "You are terse."},
                               {"role": "user", "content": "first question"},
                               {"role": "assistant", "content": "an answer"},
                               {"role": "user", "content": "why is\nthe \u001b[31msky\u001b[0m blue?"}]}
    env = dict(os.environ, TOLLGATE_NOW="2026-11-24T10:00:00Z")
    p = subprocess.run([BIN, "--db", t.db, "import", "-"], input=(json.dumps(log) + "\n").encode(), env=env,
                       capture_output=True)
    expect(p.returncode == 0, p.stderr)


def test_columns_grow_full_model_names_and_a_preview(d):
    wide_db(d)
    t = Tui(d, width=160, height=30)
    try:
        t.keys("5")
        # the previews are read right after the rows are drawn
        s = t.wait_until(lambda x: "LAST USER MESSAGE" in x and "sky" in x, "the previews")
        row = next(l for l in rows(s) if "wendy" in l)
        expect("gemini-3-pro-preview " in row, row)
        # the last user message, on one line, its escape shown as text
        expect("why is the \\x1b[31msky\\x1b[0m blue?" in row, row)
        expect("first question" not in row, row)
        expect(all(len(l) <= 160 for l in s.splitlines()), s)
        # at 80 columns the columns fit as before, without a preview
        t.tmux("resize-window", "-x", "80", "-y", "24")
        s = t.wait_until(lambda x: "LATNCY" in x and "LAST USER MESSAGE" not in x, "repainted at 80 columns")
        expect(all(len(l) <= 80 for l in s.splitlines()), s)
    finally:
        t.close()


@tui_test()
def test_unknown_field_is_an_error_naming_the_fields(t):
    t.keys("5")
    t.wait_for("LATNCY")
    t.keys("/", "devv:hiro", "Enter")
    s = t.wait_for("unknown field devv:")
    expect("fields are dev key model status cost thread" in s, s)
    expect("/devv" not in s.splitlines()[-1], "the bad filter was applied: " + s)


@tui_test()
def test_empty_results_name_the_filter_that_emptied_them(t):
    t.keys("5")
    t.wait_for("LATNCY")
    t.keys("/", "cost>50", "Enter")
    s = t.wait_for("Nothing to show")
    expect("no request in this window matches cost>50" in s and "w changes" not in s, s)
    t.keys("/", "C-u", "dev:nobody", "Enter")
    s = t.wait_for("no developer matches 'nobody'")
    t.keys("/", "C-u", "dev:alice cost>50", "Enter")
    t.wait_until(lambda x: "matches cost>50 with the rest of the filter" in " ".join(l.strip() for l in x.splitlines()),
                 "the part of the filter named")
    t.keys("/", "C-u", "Enter")
    t.wait_until(lambda x: "/dev" not in x.splitlines()[-1] and "Nothing" not in x, "the filter cleared")
    t.keys(":", "since 2027-01-01", "Enter")
    t.wait_for("no requests in this window (w changes it)")


if __name__ == "__main__":
    main("requests", globals())
