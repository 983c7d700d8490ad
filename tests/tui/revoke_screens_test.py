#!/usr/bin/env python3
"""Use after revocation on the screens (issue 13, item 3): the Keys screen marks
a revoked key that was tried since, and the Overview counts the refused
attempts apart from the error rate. Drives the real binary in tmux."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: the shared harness
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import expect, main  # noqa: E402
from revoke_trust_test import Env, log  # noqa: E402
from screens_test import Tui, select_key  # noqa: E402


def test_keys_screen_flags_a_revoked_key_tried_since(d):
    env = Env(d)
    t = None
    try:
        rc, out, err = env.run("keys", "revoke", "bob-laptop", "--yes")
        expect(rc == 0, out + err)
        env.import_logs([log(f"retry-{i}", 31 + i, "bob", "bob-laptop", 401, hour=10) for i in range(10)])
        os.rename(env.db, os.path.join(d, "t.db"))  # where the screens' harness looks
        for suffix in ("-wal", "-shm"):
            if os.path.exists(env.db + suffix):
                os.rename(env.db + suffix, os.path.join(d, "t.db" + suffix))
        t = Tui(d, width=100, env={"TOLLGATE_NOW": "2026-11-24T10:50:00Z"})
        s = t.wait_for("refused: revoked key 10")
        expect("errors 0.0%" in s, s)
        select_key(t, "bob-laptop")
        s = t.wait_for("revoked, 10 tried")  # the STATUS column
        line = [l for l in s.splitlines() if "bob-laptop" in l and "revoked, 10 tried" in l]
        expect(line, s)
        expect(not [l for l in s.splitlines() if "alice-laptop" in l and "tried" in l], s)
    finally:
        if t:
            t.close()
        env.finish()


if __name__ == "__main__":
    main("revokescreen", globals())
