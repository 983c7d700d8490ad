#!/usr/bin/env python3
"""The screens' totals never wrap (issue 13, item 4): a db whose spend adds up
past what 64 bits hold shows an error naming the limit in the status bar, never
a negative total, and the screens stay up."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: the shared harness
from harness import BIN, WAIT_S, expect, main  # noqa: E402
from screens_test import Tui  # noqa: E402

NOW = "2026-11-24T10:00:00Z"


class MoneyTui(Tui):
    def wait_for(self, text, timeout=WAIT_S):
        # the status bar holds the error where the keys' hint ("help") would be
        return super().wait_for("1 Overview" if text == "help" else text, timeout)


def test_totals_past_int64_are_an_error_not_a_negative_figure(d):
    # 46,500 logs at $100,000 for each of two developers in one hour: each
    # developer adds up, the screens' total would pass $9,223,372,036.85
    path = os.path.join(d, "big.jsonl")
    with open(path, "w") as f:
        for i in range(93000):
            f.write(json.dumps({"unique_id": f"big-{i}", "timestamp": "2026-11-24T09:00:00Z", "model": "m",
                                "customer_identifier": "alice" if i % 2 else "bob", "cost": 100000}) + "\n")
    p = subprocess.run([BIN, "--db", os.path.join(d, "t.db"), "import", path], capture_output=True,
                       env=dict(os.environ, TOLLGATE_NOW=NOW), timeout=180)
    expect(p.returncode == 0, p.stderr)
    t = MoneyTui(d, width=220)
    try:
        s = t.wait_for("would pass $9,223,372,036.85, the most tollgate can count")
        expect("-$" not in s, s)
        t.keys("2")
        s = t.wait_for("[2 Developers]")
        s = t.wait_for("would pass $9,223,372,036.85")
        expect("-$" not in s, s)
    finally:
        t.close()


if __name__ == "__main__":
    main("tuimoney", globals())
