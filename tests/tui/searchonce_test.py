#!/usr/bin/env python3
"""The Requests screen's text search finds a text resent on every turn in
every request that holds it, newest first, and marks the first one (issue 14,
item 2: the index holds each text once)."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: the shared harness
from harness import BIN, expect, main  # noqa: E402
from screens_test import Tui, search_index_complete  # noqa: E402

PHRASE = "Zebra quartz lighthouse protocol"
SYSTEM = "You are a careful coding agent. " + "lorem ipsum dolor sit amet " * 120 + PHRASE + " tail" * 200


def logs():
    out, messages = [], [{"role": "system", "content": SYSTEM}]
    for t in range(5):
        messages = messages + [{"role": "user", "content": f"step {t}: please fix module{t}.c"}]
        out.append({"unique_id": f"turn-{t + 1}", "timestamp": f"2026-11-20T10:0{t}:00Z", "model": "gpt-5.5",
                    "customer_identifier": "alice", "cost": 0.01, "thread_identifier": "t-1",
                    "prompt_messages": messages, "completion_message": {"role": "assistant", "content": f"done {t}"}})
        messages = messages + [out[-1]["completion_message"]]
    out.append({"unique_id": "other-1", "timestamp": "2026-11-21T10:00:00Z", "model": "gpt-5.5",
                "customer_identifier": "bob", "cost": 0.01,
                "prompt_messages": [{"role": "user", "content": "an unrelated question"}]})
    return out


def rows(screen):
    return [l for l in screen.splitlines() if l[:3] == "11-" and l[5] == " "]


def test_search_lists_every_request_that_resends_the_text(d):
    db = os.path.join(d, "t.db")
    p = subprocess.run([BIN, "--db", db, "import", "-"], capture_output=True,
                       input="".join(json.dumps(l) + "\n" for l in logs()).encode(),
                       env=dict(os.environ, TOLLGATE_NOW="2026-11-24T10:00:00Z"))
    expect(p.returncode == 0, p.stderr)
    t = Tui(d, width=200, height=30)
    try:
        t.keys("5")
        t.wait_for("LATNCY")
        t.wait_until(lambda s: search_index_complete(db), "indexed everything", timeout=60)
        t.keys("/", f'"{PHRASE}"', "Enter")
        s = t.wait_until(lambda s: len(rows(s)) == 5, "five rows", timeout=20)
        found = rows(s)
        times = [r[:11] for r in found]
        expect(times == sorted(times, reverse=True), s)  # newest first
        expect(found[-1].startswith("11-20 10:00") and "[first]" in found[-1], s)
        expect(sum("[first]" in r for r in found) == 1, s)
    finally:
        t.close()


if __name__ == "__main__":
    main("tuisearchonce", globals())
