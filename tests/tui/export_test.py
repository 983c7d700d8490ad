#!/usr/bin/env python3
"""The screens' export (`e` in a request's detail) and what the screens draw
of hostile names, driven in tmux: an export never follows a symlink planted
under its name nor overwrites a file, is created 0600, and the status line
says where it went; bidi controls and zero-width characters in names and
prompts are drawn as escapes, never sent to the terminal raw."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tests/tui: the screens' driver
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: the harness
from harness import BIN, expect, main  # noqa: E402
from screens_test import Tui  # noqa: E402

NOW = "2026-11-24T10:00:00Z"
LOG = {"unique_id": "exp-1", "timestamp": "2026-11-24T09:59:00Z", "model": "gpt-5.5",
       "customer_identifier": "alice", "organization_key_name": "alice-laptop", "cost": 0.01,
       "prompt_messages": [{"role": "user", "content": "hello"}],
       "completion_message": {"role": "assistant", "content": "hi"}}
# "mallory" + RLO: a terminal would draw the rest of the line right to left
BIDI = {"unique_id": "bidi-1", "timestamp": "2026-11-24T09:58:00Z", "model": "gpt\u200b-5.5",
        "customer_identifier": "mallory\u202etxt.exe", "organization_key_name": "k\u2066ey\u2069\u200d",
        "cost": 0.02, "prompt_messages": [{"role": "user", "content": "look\u202eelsewhere\u2028next\ufeffline"}],
        "completion_message": {"role": "assistant", "content": "ok\u200f"}}
RAW_INVISIBLE = [c.encode() for c in ("\u202e", "\u2066", "\u2069", "\u200b", "\u200d", "\u2028", "\ufeff", "\u200f")]


def make_db(d, logs):
    db = os.path.join(d, "t.db")
    p = subprocess.run([BIN, "--db", db, "import", "-"], input="".join(json.dumps(l) + "\n" for l in logs).encode(),
                       env=dict(os.environ, TOLLGATE_NOW=NOW), capture_output=True)
    expect(p.returncode == 0, p.stderr)


def open_detail(t, first_line):
    t.keys("5")
    t.wait_for("LATNCY")
    t.keys("Enter")
    return t.wait_for(first_line)


def test_export_never_follows_a_planted_symlink(d):
    make_db(d, [LOG])
    victim = os.path.join(d, "victim.txt")
    with open(victim, "w") as f:
        f.write("precious\n")
    os.chmod(victim, 0o644)
    os.symlink(victim, os.path.join(d, "tollgate-exp-1.json"))
    t = Tui(d, width=120)
    try:
        open_detail(t, "PROMPT")
        t.keys("e")
        s = t.wait_for("exported to ")
        with open(victim) as f:
            expect(f.read() == "precious\n", "the symlink's target was overwritten")
        t.keys("e")  # a second export: a third name, the second kept
        s2 = t.wait_until(lambda sc: "tollgate-exp-1-3.json" in sc, "the second export")
    finally:
        t.keys("Escape")
        time.sleep(0.1)
        t.close()
    with open(victim) as f:
        expect(f.read() == "precious\n", "the symlink's target was overwritten")
    expect(oct(os.stat(victim).st_mode & 0o777) == "0o644", "the target's mode changed")
    expect(os.path.islink(os.path.join(d, "tollgate-exp-1.json")), "the planted link was replaced")
    status = [l for l in s.splitlines() if "exported to" in l][0]
    expect("tollgate-exp-1-2.json" in status and f"(in {os.path.realpath(d)})" in status, status)
    for name in ("tollgate-exp-1-2.json", "tollgate-exp-1-3.json"):
        path = os.path.join(d, name)
        expect(not os.path.islink(path), name)
        expect(oct(os.stat(path).st_mode & 0o777) == "0o600", oct(os.stat(path).st_mode))
        expect(json.load(open(path))["unique_id"] == "exp-1", name)
    expect("tollgate-exp-1-3.json" in s2, s2)


def test_bidi_and_zero_width_are_drawn_as_escapes(d):
    make_db(d, [LOG, BIDI])
    raw = os.path.join(d, "raw.out")
    t = Tui(d, width=120, record=raw)
    try:
        t.keys("2")
        s = t.wait_until(lambda sc: "DEVELOPER " in sc and "mallory" in sc, "the developers table")
        expect("mallory\\u202etxt.exe" in s, s)
        t.keys("5")
        s = t.wait_until(lambda sc: "LATNCY" in sc and "mallory" in sc, "the requests")
        expect("mallory\\u" in s and "k\\u2066" in s and "gpt\\u200b-5.5" in s, s)
        # the columns after the names still line up with the plain row's
        rows = [l for l in s.splitlines() if "alice" in l or "mallory" in l]
        expect(len(rows) == 2 and rows[0].index("$") == rows[1].index("$"), "\n".join(rows))
        t.keys("Down")
        t.keys("Enter")
        s = t.wait_until(lambda sc: "PROMPT" in sc and "look" in sc, "the hostile request's prompt")
        expect("mallory\\u202etxt.exe" in s, s)
        expect("look\\u202eelsewhere\\u2028next\\ufeffline" in s, s)
    finally:
        t.keys("Escape")
        t.keys("Escape")
        time.sleep(0.2)
        t.close()
    with open(raw, "rb") as f:
        out = f.read()
    for ch in RAW_INVISIBLE:
        expect(ch not in out, f"{ch!r} reached the terminal")


if __name__ == "__main__":
    main("export", globals())
