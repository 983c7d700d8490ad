#!/usr/bin/env python3
"""The Overview's chart in the local zone, driven in tmux: a Tokyo lead's
day bars are Tokyo days (the report's --by day, the same numbers), the axis
and label say so; in UTC they are UTC days."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import BIN, expect, main  # noqa: E402
from screens_test import Tui  # noqa: E402

NOW = "2026-11-10T12:00:00Z"
# 10:00Z and 16:00Z on Nov 8: one UTC day ($6), two Tokyo days ($1 on the 8th, $5 on the 9th)
LOGS = [("2026-11-08T10:00:00Z", 1.0), ("2026-11-08T16:00:00Z", 5.0), ("2026-11-05T12:00:00Z", 0.5)]


def load(d):
    path = os.path.join(d, "logs.jsonl")
    with open(path, "w") as f:
        for i, (ts, cost) in enumerate(LOGS):
            f.write(json.dumps({"unique_id": f"c-{i}", "timestamp": ts, "model": "gpt-5.5", "prompt_tokens": 10,
                                "completion_tokens": 1, "cost": cost, "customer_identifier": "ana"}) + "\n")
    p = subprocess.run([BIN, "--db", os.path.join(d, "t.db"), "import", path], capture_output=True,
                       env=dict(os.environ, TOLLGATE_NOW=NOW))
    expect(p.returncode == 0, p.stderr)


def chart_label(d, tz):
    t = Tui(d, width=120, height=30, env={"TOLLGATE_NOW": NOW, "TZ": tz})
    try:
        s = t.wait_for("spend per day")  # the default window, 30 days, charts days
        label = next(l for l in s.splitlines() if l.startswith("spend per day"))
        return label, s
    finally:
        t.close()


def test_tokyo_days_on_the_chart(d):
    load(d)
    label, s = chart_label(d, "JST-9")
    expect("(local time)" in label and "the highest $5.00" in label, f"{label}\n{s}")
    bars = [l for l in s.splitlines()[5:10] if "█" in l or "▄" in l]
    expect(len(bars) == 5, f"the $5 day is the full five rows:\n{s}")
    expect(re.search(r"\|11-0[5-9]", s), s)
    label, s = chart_label(d, "UTC")
    expect("(UTC)" in label and "the highest $6.00" in label, f"{label}\n{s}")


if __name__ == "__main__":
    main("localchart", globals())
