#!/usr/bin/env python3
"""Developers, Keys, Models, the Overview, the windows, the revoke box and the
first run (issue 15, items 3-6), driven in tmux on the real binary."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: the shared harness
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tests/tui: the tmux driver
from harness import BIN, expect, main  # noqa: E402
from screens_test import Tui, revoke_env, select_developer, select_key, tui_or_stop, tui_test  # noqa: E402

BLOCKS = "█▏▎▍▌▋▊▉"


def table_rows(s):
    return [l for l in s.splitlines()[2:-1] if l.strip()]


def import_logs(db, logs, now="2026-11-24T10:00:00Z"):
    env = dict(os.environ, TOLLGATE_NOW=now)
    p = subprocess.run([BIN, "--db", db, "import", "-"], input="".join(json.dumps(l) + "\n" for l in logs).encode(),
                       env=env, capture_output=True)
    expect(p.returncode == 0, p.stderr)


def test_last_is_the_real_last_request(d):
    # a developer last active at 09:58, two minutes before "now": the rollup
    # bucket of 09:00 made LAST say 1h
    t = Tui.__new__(Tui)
    t.dir, t.db = d, os.path.join(d, "t.db")
    t.prepare()
    import_logs(t.db, [{"unique_id": f"late-{i}", "timestamp": f"2026-11-24T09:{10 + i * 24:02d}:00Z",
                        "model": "gpt-5.5", "customer_identifier": "latecomer", "organization_key_name": "late-key",
                        "prompt_tokens": 10, "completion_tokens": 5, "cost": 0.5} for i in range(3)])
    t = Tui(d)
    try:
        for tab, screen in (("[2 Developers]", "2"), ("[3 Keys]", "3")):
            t.keys(screen)
            t.wait_for(tab)
            name = "latecomer" if screen == "2" else "late-key"
            t.keys("/", "C-u", name, "Enter")
            s = t.wait_until(lambda x: any(l.startswith(name) for l in table_rows(x)), name)
            row = next(l for l in table_rows(s) if l.startswith(name))
            if screen == "2":
                expect(row.split()[-1] == "2m", row)
            else:  # LAST USE, to the minute, and IDLE
                expect("11-24 09:58" in row and " 0d" in row, row)
    finally:
        t.close()


def test_keys_shows_every_gateway_key_with_owner_and_status(d):
    fake, env, _ = revoke_env(d)
    t = tui_or_stop(d, env, fake)
    try:
        t.keys("3")
        # the header is drawn before the rows: wait for a row too (under load
        # a capture in between read the Overview's rows under the Keys header)
        s = t.wait_until(lambda x: "[3 Keys]" in x and "OWNER" in x and "STATUS" in x and "carol-new" in x,
                         "the keys table")
        header = s.splitlines()[1]
        expect(all(h in header for h in ("KEY", "OWNER", "STATUS", "SPEND", "LAST USE", "IDLE")), header)
        # carol-new: listed by the gateway, never used
        row = next((l for l in table_rows(s) if l.startswith("carol-new")), None)
        expect(row is not None, s)
        expect(" carol@exa" in row and " active " in row and " never " in row, row)
        # old-key: seen in logs, not listed by the gateway
        row = next(l for l in table_rows(s) if l.startswith("old-key"))
        expect("unknown" in row or "not at gateway" in row, row)
    finally:
        t.close()
        fake.stop()


def test_sort_by_any_column(d):
    fake, env, _ = revoke_env(d)
    t = tui_or_stop(d, env, fake)
    try:
        t.keys("3")
        t.wait_until(lambda x: "[3 Keys]" in x and "OWNER" in x, "the keys table")
        seen = []
        for _ in range(12):
            t.keys("s")
            s = t.wait_until(lambda x: "sorted by" in x.splitlines()[-1], "a sort")
            what = re.search(r"sorted by ([a-z0-9 ]+)", s.splitlines()[-1]).group(1).strip()
            seen.append(what)
            if what == "owner":
                owners = [l.split()[1] for l in table_rows(s)]
                expect(owners == sorted(owners), owners)
                break
        expect("owner" in seen and "requests" in seen, seen)
    finally:
        t.close()
        fake.stop()


@tui_test(width=160, height=30)
def test_share_bars_scale_with_the_width(t):
    t.keys("2")
    s = t.wait_until(lambda x: "SHARE" in x and "%" in x, "the developers table")
    top = table_rows(s)[0]
    pct = int(re.search(r"(\d+)%", top).group(1))
    bar = re.search(f"[{BLOCKS}]+", top).group(0)
    expect(pct >= 10 and len(bar) >= 3, top)  # 15% was a single '#' of 8
    expect(all(len(l) <= 160 for l in s.splitlines()), s)


@tui_test()
def test_overview_names_do_not_run_into_the_bars(t):
    s = t.wait_until(lambda x: all(h in x for h in ("TOP DEVELOPERS", "TOP KEYS", "TOP MODELS")), "painted")
    tops = s.splitlines()[s.splitlines().index(next(l for l in s.splitlines() if "TOP DEVELOPERS" in l)) + 1:-1]
    for line in tops:
        expect(not re.search(f"[^ {BLOCKS}][{BLOCKS}#]", line), line)


@tui_test()
def test_named_windows_previous_period_and_axis(t):
    t.wait_for("spend per day")
    t.keys("w", "w")
    s = t.wait_for(" 1h |")
    s = t.wait_for("spend per minute")
    expect(re.search(r"\|\d\d:\d\d", s), s)  # the time axis
    t.keys("w")
    s = t.wait_for(" today |")
    expect(re.search(r"Spend \$[0-9.]+ \([+-]\d+% vs \$[0-9.]+\)|Spend \$[0-9.]+ \(same vs", s), s)
    expect("errors" in s and "(was " in s, s)
    t.keys("w", "w", "w", "w", "w")  # 24h, week, 7d, month, last-month
    t.wait_for(" last-month |")
    t.keys(":", "since 2026-13-01", "Enter")
    s = t.wait_for("month 13 in '2026-13-01' is not 1 to 12")
    expect("unknown command" not in s, s)
    t.keys(":", "since 2026-11-31", "Enter")
    t.wait_for("day 31 in '2026-11-31' is not 1 to 30")
    t.keys(":", "since 2026-11-20", "Enter")
    t.wait_for("2026-11-20T00:00..now |")
    t.keys(":", "until 2026-11-10", "Enter")
    t.wait_for("before it starts")
    t.keys("1")  # clears the message: the window is unchanged
    t.wait_for("2026-11-20T00:00..now |")
    t.keys(":", "since month", "Enter")
    t.wait_for("2026-11-01T00:00..now |")


def test_first_run_says_how_to_get_logs_in(d):
    db = os.path.join(d, "t.db")
    p = subprocess.run([BIN, "--db", db, "import", "/dev/null"], capture_output=True)
    expect(p.returncode == 0, p.stderr)
    t = Tui(d)
    try:
        s = t.wait_for("No logs yet")
        expect(all(c in s for c in ("tollgate collect", "tollgate sync", "tollgate import", "tollgate demo")), s)
        expect("http://127.0.0.1:8787/api/" in s, s)
    finally:
        t.close()


def test_revoke_box_without_a_gateway_says_so_before_any_typing(d):
    env = {"HOME": d, "XDG_CONFIG_HOME": os.path.join(d, "cfg"), "RESPAN_API_KEY": "", "LITELLM_MASTER_KEY": ""}
    t = Tui(d, env=env)
    try:
        select_key(t, "alice-ci")
        t.keys("R")
        s = t.wait_for("no gateway configured")
        expect("RESPAN_API_KEY" in s and "Type alice-ci" not in s, s)
        t.keys("x")
        t.wait_for("not revoked: no gateway configured")
    finally:
        t.close()


def test_revoke_box_fits_its_content_and_keeps_a_reason(d):
    fake, env, admin = revoke_env(d)
    t = tui_or_stop(d, env, fake)
    try:
        select_key(t, "alice-ci")
        t.keys("R")
        s = t.wait_for("Revoke the key alice-ci?")
        s = t.wait_for("requests")
        expect("this key" in s and "these keys" not in s, s)
        spend = re.search(r"30 days (\$[0-9.,]+), (\d+) requests", s)
        expect(spend and spend.group(1) == "$5.00", s)  # 10 logs of $0.50, never cut to "$5."
        t.keys("alice-ci left the team", "Enter")
        t.wait_for("revoked alice-ci at respan (HTTP 200)", timeout=20)
    finally:
        t.close()
        fake.stop()
    events = json.loads(subprocess.run([BIN, "--db", t.db, "audit", "--format", "json"], capture_output=True,
                                       check=True).stdout)["events"]
    expect(events[0]["reason"] == "left the team", events)


def test_revoke_box_for_a_developer_counts_the_keys(d):
    fake, env, _ = revoke_env(d)
    t = tui_or_stop(d, env, fake)
    try:
        t.tmux("resize-window", "-x", "70", "-y", "24")
        select_developer(t, "alice")
        t.keys("R")
        s = t.wait_for("Revoke every key of alice?")
        s = t.wait_for("at once")
        expect("these 2 keys" in s, s)
        # at 70 columns each key's line is wrapped, not cut: both amounts are whole
        expect(len(re.findall(r"30 days \$[0-9]+\.[0-9]{2}, \d+ requests", s)) == 2, s)
        t.keys("Escape")
        t.wait_for("not revoked")
    finally:
        t.close()
        fake.stop()


if __name__ == "__main__":
    main("tables", globals())
