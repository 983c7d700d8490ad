#!/usr/bin/env python3
"""The Budgets screen (key 6) and the Overview's budget line, driven in tmux at
80x24 and 200x60, with colours (capture-pane -e: the tiers' SGR colours) and
with NO_COLOR (none, the tier still written out)."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import BIN, expect, main  # noqa: E402
from screens_test import Tui  # noqa: E402

NOW = "2026-11-24T10:00:00Z"
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def prepare(d):
    """The screens' demo db, and budgets: the org over, one developer near
    (90% of his November), one far from it, a key and a model."""
    t = Tui.__new__(Tui)
    t.db = os.path.join(d, "t.db")
    t.prepare()
    env = dict(os.environ, TOLLGATE_NOW=NOW, XDG_CONFIG_HOME=os.path.join(d, "cfg"))
    out = subprocess.run([BIN, "--db", t.db, "report", "--since", "2026-11-01", "--format", "json"], env=env,
                         capture_output=True, check=True).stdout
    rows = [r for r in json.loads(out)["rows"] if re.fullmatch(r"[a-z]+", r["name"])]  # not the hostile log's
    near, far = rows[0], rows[-1]
    for args in (["org", "1/month"], [near["name"], f"{near['cost'] / 0.9:.2f}/month"],
                 [far["name"], "100000/month"], ["key:alice-laptop", "5000/week"], ["model:gpt-5.5", "2/day"]):
        subprocess.run([BIN, "--db", t.db, "budget", "set", *args], env=env, check=True, capture_output=True)
    return near["name"], far["name"]


def colours(text):
    """The foreground colours used (30-37), from capture-pane -e."""
    found = set()
    for m in SGR.finditer(text):
        for part in m.group(1).split(";"):
            if part.isdigit() and 30 <= int(part) <= 37:
                found.add(int(part))
    return found


def budgets_screen(d, width, height, no_color=False):
    near, far = prepare(d)
    env = {"XDG_CONFIG_HOME": os.path.join(d, "cfg")}
    if no_color:
        env["NO_COLOR"] = "1"
    t = Tui(d, width=width, height=height, env=env)
    try:
        t.keys("6")
        s = t.wait_until(lambda s: "[6 Budgets]" in s and "BUDGET" in s and near in s and "Keys:" in s,
                         "the budgets table")
        lines = s.splitlines()
        expect(all(len(l) <= width for l in lines), s)
        org = next(l for l in lines if l.startswith("org "))
        expect(" over" in org and "/mo" in org, org)
        expect(" warn" in next(l for l in lines if l.startswith(f"developer {near}")), s)
        expect(" ok" in next(l for l in lines if l.startswith(f"developer {far}")), s)
        expect("key alice-laptop" in s and "model gpt-5.5" in s and "/wk" in s and "/d " in s, s)
        return t, s, t.screen(escapes=True)
    except Exception:
        t.close()
        raise


def test_budgets_80x24_colours(d):
    t, s, raw = budgets_screen(d, 80, 24)
    try:
        expect("FORECAST" in s and "USED" in s, s)
        expect("RANGE" not in s and "LAST 30 DAYS" not in s, "narrow: the wide columns are left out\n" + s)
        expect({31, 32, 33} <= colours(raw), f"tier colours missing: {colours(raw)}\n{raw}")
    finally:
        t.close()


def test_budgets_80x24_no_color(d):
    t, s, raw = budgets_screen(d, 80, 24, no_color=True)
    try:
        expect(colours(raw) == set(), f"colours with NO_COLOR: {colours(raw)}\n{raw}")
        expect("over" in s and "warn" in s, s)
    finally:
        t.close()


def test_budgets_200x60_colours_range_and_sparkline(d):
    t, s, raw = budgets_screen(d, 200, 60)
    try:
        expect("RANGE (90%)" in s and "RUNS OUT" in s and "LAST 30 DAYS" in s, s)
        org = next(l for l in s.splitlines() if l.startswith("org "))
        expect(re.search(r"\$[\d,.]+ - \$[\d,.]+", org), org)
        expect(any(c in org for c in "▁▂▃▄▅▆▇█"), "no sparkline: " + org)
        expect({31, 32, 33} <= colours(raw), colours(raw))
    finally:
        t.close()


def test_budgets_200x60_no_color(d):
    t, s, raw = budgets_screen(d, 200, 60, no_color=True)
    try:
        expect(colours(raw) == set() and "LAST 30 DAYS" in s, raw)
    finally:
        t.close()


def test_overview_budget_line_and_help(d):
    near, _ = prepare(d)
    t = Tui(d, width=120, height=30, env={"XDG_CONFIG_HOME": os.path.join(d, "cfg")})
    try:
        s = t.wait_until(lambda s: "Budget $" in s and "closest:" in s, "the overview's budget line")
        line = next(l for l in s.splitlines() if l.startswith("Budget $"))
        expect("this month" in line and "over" in line and near in line, line)
        t.keys("?")
        s = t.wait_for("the Budgets screen")
        expect("6 " in s, s)
    finally:
        t.close()


def test_no_budgets_says_how(d):
    t = Tui(d, env={"XDG_CONFIG_HOME": os.path.join(d, "cfg")})
    try:
        t.keys("6")
        s = t.wait_for("No budgets yet")
        expect("tollgate budget set alice 200/month" in s, s)
    finally:
        t.close()


if __name__ == "__main__":
    main("budgetscreens", globals())
