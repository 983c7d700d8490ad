#!/usr/bin/env python3
"""Issue 16, items 3 and 4 on the screens, driven in tmux:
- the Keys screen's hygiene filter (h): only the dormant, shared, never-used or
  used-after-revocation keys, named in the status bar, an empty result saying
  which finding there is none of, listed by ?;
- the Overview's chart with the org budget's share of a bar as a line across
  it (budget/day, budget/hour), or saying it is above the chart, at 80x24 and
  200x60, with colours and with NO_COLOR."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import BIN, expect, main  # noqa: E402
import budget_test  # noqa: E402
import revoke_trust_test  # noqa: E402
from budgets_test import colours  # noqa: E402
from screens_test import Tui  # noqa: E402
from sync_test import Fake  # noqa: E402

DASH = "┈"
CHART_ROW = 5  # overview.c: the chart's top row, CHART_ROWS (5) high
CHART_ROWS = 5


def move_db(src, d):
    """Where the screens' harness looks: d/t.db."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(src + suffix):
            os.rename(src + suffix, os.path.join(d, "t.db" + suffix))


def keys_in(s):
    return {name for name in ("old-key", "team-key", "carol-new", "alice-key", "bob-key", "erin-key")
            if re.search(rf"^{name}\s", s, re.M)}


def test_keys_filter_dormant_shared_never_used(d):
    # budget_test's team history: old-key dormant (last used 45 days ago),
    # team-key shared by alice and bob, carol-new listed by the gateway, never used
    env = budget_test.Env(d, budget_test.team_history())
    fake = Fake(d, [])
    try:
        fake.control(api_key=budget_test.ADMIN)
        fake._post("/_keys", [{"id": "11111111-0000-4000-8000-00000000000" + str(i), "name": n, "prefix": "Pfx",
                               "owner": "carol", "created": "2026-10-01T09:00:00Z", "last_used": None}
                              for i, n in enumerate(["carol-new", "alice-key", "team-key"])])
        env.ok("keys", RESPAN_BASE_URL=fake.base + "/api/", RESPAN_API_KEY=budget_test.ADMIN)
    finally:
        fake.stop()
    move_db(env.db, d)
    t = Tui(d, width=120, height=30, env={"TOLLGATE_NOW": budget_test.NOW})
    try:
        t.keys("3")
        s = t.wait_until(lambda s: "[3 Keys]" in s and {"old-key", "team-key", "carol-new", "alice-key"} <= keys_in(s),
                         "every key")
        t.keys("h")
        s = t.wait_until(lambda s: "only dormant keys" in s and keys_in(s) == {"old-key"}, "only the dormant key")
        t.keys("h")
        s = t.wait_until(lambda s: "only shared keys" in s and keys_in(s) == {"team-key"}, "only the shared key")
        t.keys("h")
        s = t.wait_until(lambda s: "only never used keys" in s and keys_in(s) == {"carol-new"},
                         "only the never-used key")
        t.keys("h")
        s = t.wait_until(lambda s: "only used after revocation keys" in s and not keys_in(s), "no used-after-revocation")
        expect("no keys used after revocation" in s, s)
        t.keys("h")
        s = t.wait_until(lambda s: "only " not in s.splitlines()[-1] and len(keys_in(s)) >= 5, "every key again")
        t.keys("H")  # back: the last finding
        t.wait_until(lambda s: "only used after revocation keys" in s, "H goes back")
        t.keys("h", "?")
        s = t.wait_for("only the keys found dormant")
        expect(re.search(r"h H\s+only the keys found dormant", s), s)
    finally:
        t.close()


def test_keys_filter_used_after_revocation_and_none_dormant(d):
    env = revoke_trust_test.Env(d)
    t = None
    try:
        rc, out, err = env.run("keys", "revoke", "bob-laptop", "--yes")
        expect(rc == 0, out + err)
        env.import_logs([revoke_trust_test.log(f"retry-{i}", 31 + i, "bob", "bob-laptop", 401, hour=10)
                         for i in range(3)])
        move_db(env.db, d)
        t = Tui(d, width=100, env={"TOLLGATE_NOW": "2026-11-24T10:50:00Z"})
        t.keys("3")
        t.wait_until(lambda s: "[3 Keys]" in s and "bob-laptop" in s and "alice-laptop" in s, "the keys")
        t.keys("h")
        s = t.wait_for("no dormant keys (no request in 30 days)")
        expect("alice-laptop" not in s and "bob-laptop" not in s, s)
        t.keys("h", "h", "h")
        s = t.wait_until(lambda s: "only used after revocation keys" in s and "bob-laptop" in s, "bob-laptop alone")
        expect("alice-laptop" not in s and "team-shared" not in s and "dave-unused" not in s, s)
        expect("revoked, 3 tried" in s, s)
    finally:
        if t:
            t.close()
        env.finish()


def demo_db(d):
    """The screens' demo db; its busiest day of the last 30 in dollars."""
    t = Tui.__new__(Tui)
    t.db = os.path.join(d, "t.db")
    t.prepare()
    env = dict(os.environ, TOLLGATE_NOW="2026-11-24T10:00:00Z", XDG_CONFIG_HOME=os.path.join(d, "cfg"))
    out = subprocess.run([BIN, "--db", t.db, "report", "--by", "day", "--since", "30d", "--format", "json"],
                         env=env, capture_output=True, check=True).stdout
    return max(r["cost"] for r in json.loads(out)["rows"]), env


def set_org_budget(d, env, per_day):
    """A monthly org budget of per_day a day (November has 30)."""
    db = os.path.join(d, "t.db")
    subprocess.run([BIN, "--db", db, "budget", "set", "org", f"{per_day * 30:.2f}/month"], env=env, check=True,
                   capture_output=True)


def chart(d, width, height, no_color):
    env = {"XDG_CONFIG_HOME": os.path.join(d, "cfg")}
    if no_color:
        env["NO_COLOR"] = "1"
    t = Tui(d, width=width, height=height, env=env)
    s = t.wait_until(lambda s: "spend per day" in s and "budget/day" in s and "TOP MODELS" in s, "the chart")
    return t, s


def per_in(label, unit):
    m = re.search(rf"budget/{unit} \$([\d,.]+)", label)
    expect(m, label)
    return float(m.group(1).replace(",", ""))


def budget_line_on_the_chart(d, width, height, no_color):
    busiest, env = demo_db(d)
    per_day = round(busiest / 2, 2)  # halfway up the busiest bar: the third row of five from the bottom
    set_org_budget(d, env, per_day)
    t, s = chart(d, width, height, no_color)
    try:
        lines = s.splitlines()
        expect(all(len(l) <= width for l in lines), s)
        marked = [i for i, l in enumerate(lines) if l.count(DASH) >= 3]
        expect(marked == [CHART_ROW + 2], f"the budget line on row {marked}, not {CHART_ROW + 2}:\n{s}")
        expect("█" in lines[CHART_ROW] and "█" in lines[CHART_ROW + 1], "the busiest bar rises above it\n" + s)
        label = next(l for l in lines if l.startswith("spend per day"))
        expect(abs(per_in(label, "day") - per_day) < 0.006, f"{per_day}: {label}")
        expect("above the chart" not in label, label)
        raw = t.screen(escapes=True)
        if no_color:
            expect(colours(raw) == set(), f"colours with NO_COLOR: {colours(raw)}")
        return t, busiest
    except Exception:
        t.close()
        raise


def test_overview_budget_line_80x24(d):
    t, _ = budget_line_on_the_chart(d, 80, 24, no_color=False)
    t.close()


def test_overview_budget_line_80x24_no_color(d):
    t, _ = budget_line_on_the_chart(d, 80, 24, no_color=True)
    t.close()


def test_overview_budget_line_200x60_no_color(d):
    t, _ = budget_line_on_the_chart(d, 200, 60, no_color=True)
    t.close()


def test_overview_budget_line_200x60_and_per_hour(d):
    t, busiest = budget_line_on_the_chart(d, 200, 60, no_color=False)
    try:
        t.keys(":", "since 24h", "Enter")
        s = t.wait_until(lambda s: "spend per hour" in s and "budget/hour" in s, "the hourly chart")
        label = next(l for l in s.splitlines() if l.startswith("spend per hour"))
        per_day = round(busiest / 2, 2)
        expect(abs(per_in(label, "hour") - per_day / 24) < 0.006, f"{per_day / 24}: {label}")
    finally:
        t.close()


def test_overview_budget_above_the_chart(d):
    for width, height, no_color in ((80, 24, True), (200, 60, False)):
        sub = os.path.join(d, f"{width}")
        os.mkdir(sub)
        busiest, env = demo_db(sub)
        set_org_budget(sub, env, round(busiest * 3, 2))
        t, s = chart(sub, width, height, no_color)
        try:
            label = next(l for l in s.splitlines() if l.startswith("spend per day"))
            expect(re.search(r"budget/day \$[\d,.]+, above the chart", label), label)
            expect(not [l for l in s.splitlines() if l.count(DASH) >= 3], "a line drawn above the chart\n" + s)
        finally:
            t.close()


def test_overview_without_an_org_budget_has_no_line(d):
    _, env = demo_db(d)
    subprocess.run([BIN, "--db", os.path.join(d, "t.db"), "budget", "set", "alice", "10/month"], env=env,
                   check=True, capture_output=True)
    t = Tui(d, env={"XDG_CONFIG_HOME": os.path.join(d, "cfg")})
    try:
        s = t.wait_until(lambda s: "spend per day" in s and "TOP MODELS" in s and "closest" in s, "the chart")
        expect("budget/" not in s and not [l for l in s.splitlines() if l.count(DASH) >= 3], s)
    finally:
        t.close()


if __name__ == "__main__":
    main("hygienescreens", globals())
