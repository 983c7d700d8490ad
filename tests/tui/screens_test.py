#!/usr/bin/env python3
"""The screens, driven in tmux (send-keys, capture-pane) on a db the test builds."""
import json
import re
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: the shared harness
from harness import BIN, WAIT_S, expect, main, wait_screen  # noqa: E402

HOSTILE = {
    "unique_id": "hostile-1", "timestamp": "2026-11-24T09:59:00Z", "model": "gpt-5.5",
    "customer_identifier": "mallory\u001b[38;5;196mRED", "organization_key_name": "k\u001b]2;PWNED\u0007",
    "prompt_tokens": 10, "completion_tokens": 5, "cost": 0.01,
    "prompt_messages": [{"role": "user",
                         "content": "copy this\u001b]52;c;ZXZpbA==\u0007 then \u001b[2J\u001b[H clear 山田 🚀"}],
    "completion_message": {"role": "assistant", "content": "done\u009b31m"},
}


class Tui:
    def __init__(self, d, width=80, height=24, env=None, record=None):
        self.dir = d
        self.db = os.path.join(d, "t.db")
        self.sock = f"tg-{os.getpid()}-{time.monotonic_ns()}"
        if not os.path.exists(self.db):
            self.prepare()
        envs = " ".join(f"{k}={v}" for k, v in {"TOLLGATE_NOW": "2026-11-24T10:00:00Z", "LANG": "C.UTF-8",
                                                  "TERM": "xterm-256color", **(env or {})}.items())
        cmd = f"env {envs} {BIN} --db {self.db}"
        if record:
            cmd = f"script -q -e -f -c '{cmd}' {record}"
        self.tmux("new-session", "-d", "-c", d, "-x", str(width), "-y", str(height), cmd)
        self.wait_for("help")

    def prepare(self):
        env = dict(os.environ, TOLLGATE_NOW="2026-11-24T10:00:00Z")
        subprocess.run([BIN, "--db", self.db, "demo", "--requests", "3000"], check=True, env=env,
                       capture_output=True)
        p = subprocess.run([BIN, "--db", self.db, "import", "-"], input=(json.dumps(HOSTILE) + "\n").encode(),
                           env=env, capture_output=True)
        expect(p.returncode == 0, p.stderr)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null", *args], capture_output=True, text=True,
                              timeout=30)

    def keys(self, *keys):
        self.tmux("send-keys", *keys)

    def screen(self, escapes=False):
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else [])).stdout

    def wait_for(self, text, timeout=WAIT_S):
        s = wait_screen(self.screen, lambda s: text in s, timeout)
        if s is None:
            raise AssertionError(f"{text!r} never appeared:\n{self.screen()}")
        return s

    def wait_until(self, predicate, what, timeout=WAIT_S):
        s = wait_screen(self.screen, predicate, timeout)
        if s is None:
            raise AssertionError(f"never {what}:\n{self.screen()}")
        return s

    def settled(self, timeout=WAIT_S):
        """The screen once two captures 0.2 s apart agree (the status line
        aside): not one caught mid-repaint."""
        deadline, last = time.time() + timeout, None
        while time.time() < deadline:
            s = self.screen()
            if last is not None and s.splitlines()[:-1] == last.splitlines()[:-1]:
                return s
            last = s
            time.sleep(0.2)
        raise AssertionError(f"the screen never settled:\n{self.screen()}")

    def close(self):
        self.keys("q")
        time.sleep(0.2)
        self.tmux("kill-server")
        self.kill_leftovers()

    def kill_leftovers(self):
        """`script` (the recorded runs) does not pass tmux's hang-up on to its
        child: end whatever still runs on this test's db, or it would outlive
        the suite."""
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if self.db.encode() in argv:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass


def tui_test(**kw):
    def wrap(fn):
        def run(d):
            t = Tui(d, **kw)
            try:
                fn(t)
            finally:
                t.close()
        run.__name__ = fn.__name__
        return run
    return wrap


@tui_test()
def test_overview_at_80x24(t):
    # the whole screen, not a capture taken while ncurses is still writing it
    s = t.wait_until(lambda s: all(h in s for h in ("TOP DEVELOPERS", "TOP KEYS", "TOP MODELS")), "painted")
    expect("Spend $" in s and "requests 3,001" in s and "cache hits" in s, s)
    expect("TOP KEYS" in s and "TOP MODELS" in s and "claude-sonn" in s, s)
    expect("30d |" in s.splitlines()[-1] or "30d |" in s, s)
    expect(all(len(line) <= 80 for line in s.splitlines()), s)


@tui_test()
def test_tables_and_tab(t):
    t.keys("2")
    t.wait_until(lambda s: "DEVELOPER " in s and "alice" in s and "SPEND" in s, "the developers table")
    t.keys("Tab")
    # the tab's name is drawn before the table under it: wait for both
    t.wait_until(lambda s: "[3 Keys]" in s and ("alice-laptop" in s or "alice-ci" in s), "the keys table")
    t.keys("4")
    t.wait_until(lambda s: "MODEL " in s and "claude-sonnet-4-5" in s, "the models table")


@tui_test()
def test_request_detail_and_back(t):
    t.keys("5")
    t.wait_for("LATNCY")
    t.keys("Down", "Down")
    before = t.settled()
    t.keys("Enter")
    t.wait_for("PROMPT")
    t.keys("g")  # the detail opens at the last user message; its fields are at the top
    # a capture can land mid-repaint: wait for the top of the detail whole
    t.wait_until(lambda s: "developer " in s and "cost $" in s, "the detail's fields and its cost")
    t.keys("NPage", "NPage", "NPage")
    t.keys("Escape")
    # a capture can land mid-repaint: wait for the list as it was (a list
    # that really moved never comes back and fails here)
    t.wait_until(lambda s: s.splitlines()[:-1] == before.splitlines()[:-1],
                 "the list as it was, cursor kept:\n" + before + "\n--- now:")


@tui_test()
def test_window_cycle_and_help(t):
    t.keys("w")
    s = t.wait_for(" all |")
    t.keys("w")
    t.wait_for(" 1h |")
    t.keys("?")
    s = t.wait_for("cycle the time window")
    expect("switch screen" in s, s)


@tui_test()
def test_resize(t):
    t.keys("5")
    t.wait_for("LATNCY")
    # the repaint follows SIGWINCH when the screens next look at the keyboard:
    # wait for it rather than a fixed time (0.5 s was too short once on a busy CI)
    t.tmux("resize-window", "-x", "200", "-y", "60")
    t.wait_until(lambda s: len([l for l in s.splitlines() if l.startswith("11-")]) > 40,
                 "filled 60 rows after growing")
    t.tmux("resize-window", "-x", "80", "-y", "24")
    s = t.wait_until(lambda s: len(s.splitlines()) <= 24 and "LATNCY" in s
                     and len([l for l in s.splitlines() if l.startswith("11-")]) < 24,
                     "repainted at 80x24")
    expect(all(len(l) <= 80 for l in s.splitlines()) and "LATNCY" in s, s)


@tui_test(env={"NO_COLOR": "1"})
def test_no_color(t):
    s = t.screen(escapes=True)
    expect("\x1b[36m" not in s and "\x1b[38;5;6m" not in s, repr(s[:300]))


def test_hostile_log_is_shown_as_text(d):
    raw = os.path.join(d, "raw.out")
    t = Tui(d, record=raw)
    try:
        t.keys("5")
        t.wait_until(lambda s: "mallory\\x" in s and "k\\x1b]2;PW" in s, "the hostile log's names as text")
        t.keys("Enter")
        s = t.wait_for("PROMPT")
        t.keys("NPage")
        s = t.wait_for("copy this")
        expect("\\x1b]52;c;ZXZpbA==\\x07" in s and "\\x1b[2J\\x1b[H" in s, s)
        expect("山田 🚀" in s, s)
    finally:
        # back out of the detail so q quits: under `script`, killing the tmux
        # server left script and tollgate running after the suite
        t.keys("Escape")
        t.keys("Escape")
        time.sleep(0.2)
        t.close()
    with open(raw, "rb") as f:
        out = f.read()
    for payload in (b"\x1b]52;", b"\x1b]2;PWNED", b"\x1b[38;5;196mRED", b"\xc2\x9b31m"):
        expect(payload not in out, f"{payload!r} reached the terminal")


@tui_test()
def test_custom_window_sort_and_chart(t):
    s = t.wait_for("spend per day")
    expect("█" in s, s)
    t.keys(":", "since 2026-11-23", "Enter")
    s = t.wait_for("2026-11-23T00:00..now |")
    expect("spend per hour" in s, s)
    t.keys(":", "until 2026-11-23T12:00", "Enter")
    t.wait_for("2026-11-23T00:00..2026-11-23T12:00 |")
    t.keys("2")
    t.wait_for("[2 Developers]")
    t.keys("s")
    s = t.wait_for("sorted by requests")
    reqs = [int(l.split()[-5].replace(",", "")) for l in s.splitlines()[2:-1] if l.strip() and l.split()[-5][0].isdigit()]
    expect(reqs and reqs == sorted(reqs, reverse=True), reqs)
    t.keys(":", "bogus", "Enter")
    t.wait_for("unknown command 'bogus'")
    t.keys("w")
    t.wait_for(" 30d |")


def search_index_complete(db):
    """The screens' indexer has stored its position at the newest request. The
    status line alone cannot tell: it is blank until the indexer's first report."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            position = con.execute("SELECT position FROM sync_state WHERE source = 'search index'").fetchone()
            newest = con.execute("SELECT max(id) FROM requests").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return False  # busy, or the indexer is still creating its table
    return position is not None and int(position[0]) >= newest


@tui_test()
def test_full_text_search(t):
    t.keys("5")
    t.wait_for("LATNCY")
    t.wait_until(lambda sc: search_index_complete(t.db), "indexed everything", timeout=60)
    t.wait_until(lambda sc: "search " not in sc.splitlines()[-1], "finished indexing", timeout=60)
    t.keys("/", '"山田 🚀"', "Enter")
    s = t.wait_for('30d | /"山田 🚀" |')
    expect(len(rows(s)) == 1 and "mallory" in rows(s)[0], s)
    t.keys("/", "C-u", '"copy this" dev:newbie', "Enter")
    s = t.wait_for('dev:newbie |')
    expect(rows(s) == [], s)
    t.keys("/", "C-u", "status:error rate limit", "Enter")
    s = t.wait_for("30d | /status:error rate limit |")
    expect(rows(s) and all(r.endswith(" 429") for r in rows(s)), s)
    t.keys("/", "C-u", "山田", "Enter")
    t.wait_for("free text needs 3 characters")


def rows(screen):
    return [l for l in screen.splitlines() if l[:2] == "11" and l[2] == "-"]


@tui_test()
def test_drill_down_and_back(t):
    t.keys("2")
    t.wait_for("DEVELOPER ")
    t.keys("Down", "Down")
    table = t.settled()
    name = [l for l in table.splitlines() if l and not l.startswith(("tollgate", "DEVELOPER", " "))][2].split()[0]
    t.keys("Enter")
    s = t.wait_for("/dev:" + name)
    expect(rows(s) and all(r[12:21].strip() == name[:9] for r in rows(s)), s)
    t.keys("Escape")
    t.wait_until(lambda s: "[2 Developers]" in s and s.splitlines()[:-1] == table.splitlines()[:-1],
                 "the table as it was, cursor kept:\n" + table + "\n--- now:")


@tui_test()
def test_filter_expression(t):
    t.keys("5")
    t.wait_for("LATNCY")
    t.keys("/")
    t.keys("status:error model:gemini", "Enter")
    s = t.wait_for("30d | /status:error model:gemini")  # the status bar, not the line being typed
    expect(rows(s) and all("gemini" in r and not r.endswith(" 200") for r in rows(s)), s)
    t.keys("/", "C-u", "cost>bad", "Enter")
    s = t.wait_for("cost> wants dollars")
    t.keys("/", "C-u", "Enter")
    # the open line editor's "/" also lacks the filter: wait for the rows themselves
    t.wait_until(lambda sc: "/status:error" not in sc and "LATNCY" in sc and any(r.endswith(" 200") for r in rows(sc)),
                 "cleared the filter")
    t.keys("3")
    t.wait_for("[3 Keys]")
    t.keys("/", "-ci", "Enter")
    s = t.wait_for("30d | /-ci")
    names = [l.split()[0] for l in s.splitlines()[2:-1] if l.strip()]
    expect(names and all(n.endswith("-ci") for n in names), names)


@tui_test()
def test_detail_next_thread_export(t):
    t.keys("5")
    t.wait_for("LATNCY")
    t.keys("Enter")
    s1 = t.wait_for("PROMPT")
    # which request is shown: its id line (the rest may still be painting when captured)
    shown = lambda sc: [l for l in sc.splitlines() if l.startswith("id ")]  # noqa: E731
    expect(shown(s1), s1)
    t.keys("n")
    t.wait_until(lambda sc: shown(sc) and shown(sc) != shown(s1), "moved to the next request")
    t.keys("p")
    t.wait_until(lambda sc: shown(sc) == shown(s1), "came back to the first request")
    thread = [l.split()[1] for l in s1.splitlines() if l.startswith("thread ")]
    t.keys("e")
    s = t.wait_for("exported to tollgate-")
    exported = [f for f in os.listdir(t.dir) if f.startswith("tollgate-") and f.endswith(".json")]
    expect(len(exported) == 1, exported)
    path = os.path.join(t.dir, exported[0])
    expect(oct(os.stat(path).st_mode & 0o777) == "0o600", oct(os.stat(path).st_mode))
    doc = json.load(open(path))
    expect(doc["unique_id"] in s1, doc["unique_id"])
    if thread:
        t.keys("t")
        s = t.wait_for("/thread:" + thread[0])
        expect(len(rows(s)) >= 1, s)


@tui_test()
def test_follow_shows_new_requests(t):
    t.keys("5")
    t.wait_for("LATNCY")
    t.keys("f")
    t.wait_for(" follow")
    log = {"unique_id": "fresh-1", "timestamp": "2026-11-24T09:59:59Z", "model": "brand-new-model",
           "customer_identifier": "newbie", "cost": 0.5}
    subprocess.run([BIN, "--db", t.db, "import", "-"], input=(json.dumps(log) + "\n").encode(), check=True,
                   capture_output=True)
    s = t.wait_for("brand-new-model", timeout=5)
    expect("newbie" in rows(s)[0], s)


def revoke_env(d):
    """A db with logs and the fake gateway's keys merged in, and the env for the TUI."""
    import keys_test
    fake = keys_test.Fake(d, [])
    return fake, stop_on_failure(fake, lambda: revoke_setup(d, fake)), keys_test.ADMIN


def revoke_setup(d, fake):
    import keys_test
    fake.control(api_key=keys_test.ADMIN)
    fake._post("/_keys", keys_test.GATEWAY_KEYS)
    db = os.path.join(d, "t.db")
    path = os.path.join(d, "logs.jsonl")
    with open(path, "w") as f:
        for l in keys_test.logs():
            f.write(json.dumps(l) + "\n")
    env = dict(os.environ, RESPAN_BASE_URL=fake.base + "/api/", RESPAN_API_KEY=keys_test.ADMIN,
               TOLLGATE_RETRY_BASE_MS="20", TOLLGATE_HTTP_TIMEOUT_MS="1500", HOME=d, XDG_CONFIG_HOME=d + "/cfg",
               TOLLGATE_NOW="2026-11-24T10:30:00Z")
    subprocess.run([BIN, "--db", db, "import", path], env=env, check=True, capture_output=True)
    subprocess.run([BIN, "--db", db, "keys"], env=env, check=True, capture_output=True)
    tui_env = {k: env[k] for k in ("RESPAN_BASE_URL", "RESPAN_API_KEY", "TOLLGATE_RETRY_BASE_MS",
                                   "TOLLGATE_HTTP_TIMEOUT_MS", "XDG_CONFIG_HOME", "HOME", "USER")
               if k in env}
    tui_env["USER"] = "lead"
    return tui_env


def stop_on_failure(fake, build):
    """build(), stopping the fake gateway if it raises: a test's own finally
    is not reached when its setup fails, and the gateway would outlive it."""
    try:
        return build()
    except BaseException:
        fake.stop()
        raise


def tui_or_stop(d, env, fake):
    return stop_on_failure(fake, lambda: Tui(d, env=env))


def select_row(t, screen, tab, name):
    """Switches to a table screen and filters it down to name."""
    t.keys(screen)
    t.wait_for(tab)
    t.keys("/", "C-u", name, "Enter")
    t.wait_for(" | /" + name)


def select_key(t, name):
    select_row(t, "3", "[3 Keys]", name)


def test_revoke_from_the_keys_screen(d):
    fake, env, admin = revoke_env(d)
    t = tui_or_stop(d, env, fake)
    try:
        select_key(t, "alice-ci")
        t.keys("R")
        t.wait_for("Revoke the key alice-ci?")
        # the box is painted line by line: wait for the impact line, not the title alone
        t.wait_for("alice-ci (active)  owner alice  last used 2026-11-24T10:37")
        t.keys("alice-cj", "Enter")
        t.wait_for("not revoked")
        expect(not [c for c in fake.calls() if c["method"] == "PATCH"], "revoked on a typo")
        fake.control(script=[{"status": 503}] * 6)
        t.keys("R")
        t.wait_for("Revoke the key alice-ci?")
        t.keys("alice-ci", "Enter")
        s = t.wait_for("FAILED:", timeout=20)
        expect("HTTP 503" in s and not [l for l in s.splitlines()[2:-1] if "alice-ci" in l and re.search(r" revoked\b", l)], s)
        t.keys("R")
        t.wait_for("Revoke the key alice-ci?")
        t.keys("alice-ci", "Enter")
        s = t.wait_for("revoked alice-ci at respan (HTTP 200)", timeout=20)
        # the Keys table's STATUS column (it was "(revoked)" after the name)
        s = t.wait_until(lambda s: [l for l in s.splitlines()[2:-1] if "alice-ci" in l and re.search(r" revoked\b", l)],
                         "alice-ci shown revoked")
        patches = [c for c in fake.calls() if c["method"] == "PATCH"]
        expect(len(patches) == 7 and patches[-1]["path"].startswith("/api/temporary-keys/"), patches)
        expect(admin not in s, "the admin key reached the screen")
    finally:
        t.close()
        fake.stop()
    p = subprocess.run([BIN, "--db", t.db, "audit", "--format", "json"], capture_output=True, check=True)
    events = json.loads(p.stdout)["events"]
    expect([e["result"][:6] for e in events] == ["ok", "failed"] and events[0]["actor"] == "lead", events)


def test_pruned_body_shows_what_the_row_keeps(d):
    t = Tui(d)  # prepares the db
    t.close()
    env = dict(os.environ, TOLLGATE_NOW="2026-11-24T10:00:00Z")
    p = subprocess.run([BIN, "--db", t.db, "prune", "--bodies-older-than", "2026-11-25"], env=env,
                       capture_output=True)
    expect(p.returncode == 0 and b"dropped" in p.stdout, p.stdout + p.stderr)
    t = Tui(d)
    try:
        t.keys("5")
        t.wait_for("LATNCY")
        t.keys("Enter")
        s = t.wait_for("body pruned")
        expect("developer" in s and "cost" in s and "PROMPT" not in s, s)
        t.keys("Escape")
        t.wait_for("LATNCY")
    finally:
        t.close()


def test_needs_a_terminal(d):
    p = subprocess.run([BIN, "--db", os.path.join(d, "none.db"), "ui"], capture_output=True, timeout=30)
    expect(p.returncode == 2, p.returncode)
    db = os.path.join(d, "t.db")
    subprocess.run([BIN, "--db", db, "demo", "--requests", "10"], capture_output=True, check=True)
    p = subprocess.run([BIN, "--db", db], capture_output=True, stdin=subprocess.DEVNULL, timeout=30)
    expect(p.returncode == 2 and b"need a terminal" in p.stderr, p.stderr)


def third_key_env(d, **extra_env):
    """revoke_env with a third key of alice's (alice-spare), known to the gateway and seen in her logs."""
    import keys_test
    fake, env, admin = revoke_env(d)
    env.update(extra_env)
    return fake, env, stop_on_failure(fake, lambda: add_third_key(d, fake, env))


def add_third_key(d, fake, env):
    import keys_test
    spare = {"id": "1a1a1a1a-0000-4000-8000-000000000005", "name": "alice-spare", "prefix": "Pf5xYz5a",
             "owner": "alice@example.com", "created": "2026-10-01T09:00:00Z", "last_used": None}
    fake._post("/_keys", keys_test.GATEWAY_KEYS + [spare])
    log = dict(keys_test.logs()[1], unique_id="kl-spare", organization_key_id=spare["id"],
               organization_key_name="alice-spare")
    cli_env = dict(os.environ, **env, TOLLGATE_NOW="2026-11-24T10:30:00Z")
    db = os.path.join(d, "t.db")
    subprocess.run([BIN, "--db", db, "import", "-"], input=(json.dumps(log) + "\n").encode(), env=cli_env,
                   check=True, capture_output=True)
    subprocess.run([BIN, "--db", db, "keys"], env=cli_env, check=True, capture_output=True)
    return cli_env


def select_developer(t, name):
    select_row(t, "2", "[2 Developers]", name)


def test_revoke_from_developers_takes_every_key(d):
    # R on a developer revokes all their keys: it was capped at two
    fake, env, cli_env = third_key_env(d)
    t = tui_or_stop(d, env, fake)
    try:
        select_developer(t, "alice")
        t.keys("R")
        s = t.wait_for("Revoke every key of alice?")
        expect(all(k in s for k in ("alice-laptop (active)", "alice-ci (active)", "alice-spare (active)")), s)
        t.keys("alice", "Enter")
        t.wait_for("3 revoked, 0 failed", timeout=20)
    finally:
        t.close()
        fake.stop()
    keys = json.loads(subprocess.run([BIN, "--db", t.db, "keys", "--offline", "--format", "json"], env=cli_env,
                                     capture_output=True, check=True).stdout)["keys"]
    alice = {k["name"]: k["status"] for k in keys if k["name"].startswith("alice")}
    expect(alice == {"alice-laptop": "revoked", "alice-ci": "revoked", "alice-spare": "revoked"}, alice)
    events = json.loads(subprocess.run([BIN, "--db", t.db, "audit", "--format", "json"], capture_output=True,
                                       check=True).stdout)["events"]
    expect(len(events) == 3 and all(e["result"] == "ok" and e["actor"] == "lead" for e in events), events)


def test_quit_waits_for_a_revocation_left_running(d):
    # Esc stops waiting, not the revocation; q waits for it, so its audit row is written
    fake, env, _ = third_key_env(d, TOLLGATE_HTTP_TIMEOUT_MS="10000")
    fake.control(script=[{"delay": 2.0}])
    t = tui_or_stop(d, env, fake)
    try:
        select_key(t, "alice-ci")
        t.keys("R")
        t.wait_for("Revoke the key alice-ci?")
        t.keys("alice-ci", "Enter")
        t.wait_for("revoking")
        t.keys("Escape")
        t.wait_for("still revoking in the background")
        t.keys("q")
        waited, deadline = False, time.time() + 20
        while t.tmux("has-session").returncode == 0 and time.time() < deadline:
            waited = waited or "waiting for the revocation to finish" in t.screen()
            time.sleep(0.05)
        expect(t.tmux("has-session").returncode != 0, "the screens did not quit")
        expect(waited, "quitting did not say what it waited for")
    finally:
        t.close()
        fake.stop()
    events = json.loads(subprocess.run([BIN, "--db", t.db, "audit", "--format", "json"], capture_output=True,
                                       check=True).stdout)["events"]
    expect(len(events) == 1 and events[0]["result"] == "ok" and "alice-ci" in events[0]["target"], events)


ODD_NAMES = ["Bob \"the builder\" O'Neil", "long-" + "n" * 200]


def test_drill_down_on_any_name(d):
    # the drill-down passes the name as a value: quotes and long names used to break or be cut at 127 bytes
    db = os.path.join(d, "t.db")
    logs = [{"unique_id": f"odd-{i}", "timestamp": f"2026-11-24T09:{i:02d}:00Z", "model": "gpt-5.5",
             "customer_identifier": ODD_NAMES[i % 2], "cost": 0.01} for i in range(5)]
    logs.append({"unique_id": "plain", "timestamp": "2026-11-24T09:30:00Z", "model": "gpt-5.5",
                 "customer_identifier": "Bob", "cost": 0.01})
    p = subprocess.run([BIN, "--db", db, "import", "-"], input="".join(json.dumps(l) + "\n" for l in logs).encode(),
                       env=dict(os.environ, TOLLGATE_NOW="2026-11-24T10:00:00Z"), capture_output=True)
    expect(p.returncode == 0, p.stderr)
    t = Tui(d)
    try:
        for name, part, count in ((ODD_NAMES[0], "builder", 3), (ODD_NAMES[1], "long-", 2)):
            select_developer(t, part)
            t.keys("Enter")
            s = t.wait_for("/dev:")
            expect(len(rows(s)) == count and all(r[12:21].strip() == name[:9].strip() for r in rows(s)), s)
            t.keys("Escape")
            t.wait_for("[2 Developers]")
    finally:
        t.close()


def test_a_missing_db_is_refused_not_created(d):
    typo = os.path.join(d, "typo.db")
    p = subprocess.run([BIN, "--db", typo, "ui"], capture_output=True, timeout=30)
    expect(p.returncode == 2 and b"no database at" in p.stderr, p.stderr)
    expect(not os.path.exists(typo), "the screens created the mistyped db")


if __name__ == "__main__":
    main("tui", globals())
