#!/usr/bin/env python3
"""`sync` against a gateway that never stops paging, or sends logs from the
future (issue 13, items 7 and 8): a run stops with an error when a page or a
"next" link repeats or past --max-pages, keeping what it stored consistent
with the saved position; the position never passes the run's end, and logs
dated in the future are stored and named in a warning."""
import json
import os
import sqlite3
import subprocess

from harness import BIN, check_sanitizers, expect, main
from sync_test import NOW, Env, Fake, make_logs

SOURCE_SQL = "SELECT position FROM sync_state WHERE source LIKE 'respan %'"


class Bounded(Env):
    def run(self, *args, timeout=30, **extra):
        """As Env.run, but a sync that does not stop fails the test instead of hanging it."""
        try:
            p = subprocess.run([BIN, "--db", self.db, *args], capture_output=True, env=self.env(**extra),
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"`{' '.join(args)}` did not stop within {timeout} s")
        out, err = p.stdout.decode(), p.stderr.decode()
        self.outputs.append(out + err)
        check_sanitizers(err, " ".join(args))
        return p.returncode, out, err

    def paging(self, **doc):
        self.fake._post("/_paging", doc)

    def position(self):
        con = sqlite3.connect(self.db)
        try:
            row = con.execute(SOURCE_SQL).fetchone()
            return row[0] if row else None
        finally:
            con.close()

    def rows(self):
        con = sqlite3.connect(self.db)
        try:
            return con.execute("SELECT count(*), max(ts_ms) FROM requests").fetchone()
        finally:
            con.close()


def with_gateway(logs):
    def wrap(fn):
        def run(d):
            fake = Fake(d, logs)
            try:
                env = Bounded(d, fake)
                fn(env)
                expect(not env.key_leaked(), "the API key appeared in the output")
            finally:
                fake.stop()
        run.__name__ = fn.__name__
        return run
    return wrap


LOGS = make_logs(120)


@with_gateway(LOGS)
def test_a_page_seen_before_stops_the_run(env):
    env.paging(mode="loop")  # page 1 again and again, each with a next link
    rc, out, err = env.run("sync", "--since", "2026-11-23")
    expect(rc == 2, f"exit {rc}, want 2: {out} {err}")
    expect("the gateway pages in a loop: page 2 has the same logs as page 1; stopped (2 pages stored" in err, err)
    expect("2 pages, 100 logs: 50 new, 50 duplicates" in out, out)
    expect(len(env.fake.calls()) == 2, f"{len(env.fake.calls())} calls")
    # what is stored agrees with the saved position: page 1's last log
    expect(env.position() == "2026-11-23T00:49:49.250Z", env.position())
    expect(env.rows()[0] == 50, env.rows())
    env.paging(mode=None)
    rc, out, err = env.run("sync")
    expect(rc == 0 and env.rows()[0] == 120, (rc, out, err, env.rows()))


@with_gateway(LOGS)
def test_a_next_link_seen_before_stops_the_run(env):
    env.paging(mode="stuck_next")  # the real pages, each giving the same next link
    rc, out, err = env.run("sync", "--since", "2026-11-23")
    expect(rc == 2, f"exit {rc}, want 2: {out} {err}")
    expect("the gateway pages in a loop: page 2 gives the same next link as page 1" in err, err)
    expect("2 pages, 100 logs: 100 new" in out, out)
    expect(env.position() == "2026-11-23T01:39:39.250Z" and env.rows()[0] == 100, (env.position(), env.rows()))


@with_gateway(LOGS[:5])
def test_endless_pages_stop_at_the_bound(env):
    env.paging(mode="endless")  # a new page of made-up logs every time, to no end
    rc, out, err = env.run("sync", "--since", "2026-11-23", "--max-pages", "30")
    expect(rc == 2, f"exit {rc}, want 2: {out} {err}")
    expect("stopped after 30 pages (1500 logs) in one run while the gateway still says there are more" in err, err)
    expect("run sync again to continue from 2026-11-23T10:00:00Z" in err, err)
    expect(len(env.fake.calls()) == 30, f"{len(env.fake.calls())} calls")
    expect(env.rows()[0] == 1500 and env.position() == "2026-11-23T10:00:00Z", (env.rows(), env.position()))
    rc, out, err = env.run("sync", "--max-pages", "0")
    expect(rc == 2 and "--max-pages must be 1 to" in err, (rc, err))


FUTURE = make_logs(20) + [dict(make_logs(1, prefix="future")[0], timestamp="2099-01-01T00:00:00Z"),
                          dict(make_logs(1, prefix="soon")[0], timestamp="2026-11-24T12:03:00Z")]


@with_gateway(FUTURE)
def test_a_log_from_the_future_is_stored_flagged_and_never_the_position(env):
    env.paging(ignore_range=True)  # a gateway that serves logs past the end asked for
    rc, out, err = env.run("sync", "--since", "2026-11-23")
    expect(rc == 0, (rc, out, err))
    expect("sync: warning: 1 log dated in the future (the furthest 2099-01-01T00:00:00Z): stored as sent"
           in err, err)
    expect("22 new" in out, out)
    # the position stops at the run's end (TOLLGATE_NOW), not at 2099 nor 3 minutes past now
    expect(f"position {NOW}" in out, out)
    expect(env.position() == NOW, env.position())
    env.paging(ignore_range=False)
    rc, out, err = env.run("sync")
    expect(rc == 0, err)
    last = json.loads(env.fake.calls()[-1]["body"])
    expect(last["start_time"] == "2026-11-24T11:50:00Z", last)


@with_gateway(LOGS[:10])
def test_a_position_already_in_the_future_is_brought_back(env):
    # a db an older tollgate left at 2099: every sync asked from there and got nothing
    rc, out, err = env.run("sync", "--since", "2026-11-23")
    expect(rc == 0, err)
    con = sqlite3.connect(env.db)
    con.execute("UPDATE sync_state SET position = '2099-01-01T00:00:00.000Z' WHERE source LIKE 'respan %'")
    con.commit()
    con.close()
    env.fake.add_logs(make_logs(5, start_hour=6, prefix="late"))  # 2026-11-23T06:00, after the 10 above
    rc, out, err = env.run("sync")
    expect(rc == 0 and "5 new, 10 duplicates" in out, (out, err))
    expect("sync: warning: the saved position 2099-01-01T00:00:00.000Z was in the future: synced the last 30"
           " days again instead" in err, err)
    last = json.loads(env.fake.calls()[-1]["body"])
    expect(last["start_time"] == "2026-10-25T12:00:00Z" and last["end_time"] == NOW, last)
    expect(env.position() == "2026-11-23T06:04:04.250Z", env.position())


if __name__ == "__main__":
    main("syncbounds", globals())
