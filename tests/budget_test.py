#!/usr/bin/env python3
"""Budgets, forecasts, key hygiene and `tollgate check`, through the real
binary, on a known history with the clock pinned (TOLLGATE_NOW): spend to date
exact to the cent, the straight line of a steady burn, a spike's wider range,
the tiers, dormant / shared / never-used keys (the gateway's list from the
fake gateway on 127.0.0.1), check's exit status, --notify and --webhook sent
once per new finding, and the config file edited in place (0600)."""
import http.server
import json
import os
import stat
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

from harness import BIN, check_sanitizers, expect, main
from sync_test import Fake

NOW = "2026-11-16T00:00:00Z"  # a Monday at midnight: Nov 1-15 are 15 whole days of 30
NOW_DT = datetime(2026, 11, 16, tzinfo=timezone.utc)
ADMIN = "admin-secret-key-9f8e7d6c5b4a3210"


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def log(uid, when, dev, key, cost, model="gpt-5.5"):
    return {"unique_id": uid, "timestamp": iso(when), "model": model, "customer_identifier": dev,
            "organization_key_name": key, "prompt_tokens": 100, "completion_tokens": 10, "cost": cost}


def steady_history():
    """alice: $1 every hour since 2026-10-19 (four weeks before now)."""
    out = []
    t = NOW_DT - timedelta(days=28)
    i = 0
    while t < NOW_DT:
        out.append(log(f"a{i}", t, "alice", "alice-key", 1.0))
        t += timedelta(hours=1)
        i += 1
    return out


def team_history():
    """On top of alice's steady burn: carol's cents, bob near his budget,
    erin over hers, a dormant key, a key shared by alice and bob."""
    out = steady_history()
    out += [log("c0", datetime(2026, 10, 31, 23, 59, 59, tzinfo=timezone.utc), "carol", "carol-key", 5.0),
            log("c1", datetime(2026, 11, 1, tzinfo=timezone.utc), "carol", "carol-key", 0.1),
            log("c2", datetime(2026, 11, 10, 12, tzinfo=timezone.utc), "carol", "carol-key", 0.2),
            log("c3", datetime(2026, 11, 15, 23, 59, 59, tzinfo=timezone.utc), "carol", "carol-key", 0.3)]
    out += [log(f"d{i}", datetime(2026, 11, 2, tzinfo=timezone.utc) + timedelta(minutes=i), "dan", "dan-key", 0.003)
            for i in range(999)]
    out += [log("b1", datetime(2026, 11, 3, tzinfo=timezone.utc), "bob", "bob-key", 85.0),
            log("e1", datetime(2026, 11, 4, tzinfo=timezone.utc), "erin", "erin-key", 105.0),
            log("o1", datetime(2026, 10, 2, tzinfo=timezone.utc), "bob", "old-key", 2.0),
            log("s1", datetime(2026, 11, 5, tzinfo=timezone.utc), "alice", "team-key", 1.0),
            log("s2", datetime(2026, 11, 6, tzinfo=timezone.utc), "bob", "team-key", 1.0)]
    return out


class Env:
    def __init__(self, d, logs):
        self.dir = d
        self.db = os.path.join(d, "b.db")
        self.cfg = os.path.join(d, "cfg")
        self.config = os.path.join(self.cfg, "tollgate", "config")
        path = os.path.join(d, "logs.jsonl")
        with open(path, "w") as f:
            for l in logs:
                f.write(json.dumps(l) + "\n")
        rc, _, err = self.run("import", path)
        expect(rc == 0, err)

    def env(self, **extra):
        e = dict(os.environ, HOME=self.dir, XDG_CONFIG_HOME=self.cfg, TOLLGATE_NOW=NOW,
                 TOLLGATE_RETRY_BASE_MS="20", TOLLGATE_HTTP_TIMEOUT_MS="2000")
        e.update(extra)
        return e

    def run(self, *args, **extra):
        p = subprocess.run([BIN, "--db", self.db, *args], capture_output=True, env=self.env(**extra), timeout=120)
        out, err = p.stdout.decode(), p.stderr.decode()
        check_sanitizers(err, " ".join(args))
        return p.returncode, out, err

    def ok(self, *args, **extra):
        rc, out, err = self.run(*args, **extra)
        expect(rc == 0, f"{args}: exit {rc}: {err}")
        return out

    def budgets(self):
        doc = json.loads(self.ok("budget", "list", "--format", "json"))
        return {(b["scope"], b["name"]): b for b in doc["budgets"]}

    def check(self, *args, **extra):
        rc, out, err = self.run("check", "--format", "json", *args, **extra)
        expect(rc in (0, 1), f"check: exit {rc}: {err}")
        return rc, json.loads(out), err


def env_with(logs):
    def wrap(fn):
        def run(d):
            fn(Env(d, logs()))
        run.__name__ = fn.__name__
        return run
    return wrap


@env_with(steady_history)
def test_steady_burn_forecast_is_the_straight_line(env):
    env.ok("budget", "set", "alice", "1000/month")
    b = env.budgets()[("developer", "alice")]
    # 15 days of $24 in November; straight line: 360 / 15 x 30 = 720, and no range
    expect(b["spent"] == 360.0 and b["forecast"] == 720.0, b)
    expect(b["forecast_low"] == 720.0 and b["forecast_high"] == 720.0, b)
    expect(b["per_day"] == 24.0 and b["tier"] == "ok" and not b["forecast_over"], b)
    expect(abs(b["days_left"] - 640 / 24) < 0.05, b)  # $640 left at $24 a day


def spiky_history():
    out = steady_history()
    out.append(log("spike", NOW_DT - timedelta(hours=30), "alice", "alice-key", 200.0))
    return out


@env_with(spiky_history)
def test_a_spike_widens_the_range(env):
    env.ok("budget", "set", "alice", "1000/month")
    b = env.budgets()[("developer", "alice")]
    expect(b["spent"] == 560.0, b)
    expect(b["forecast_low"] < b["forecast"] < b["forecast_high"], b)
    expect(b["forecast_high"] - b["forecast_low"] > 100, b)


@env_with(team_history)
def test_spend_to_date_is_exact_and_tiers(env):
    env.ok("budget", "set", "carol", "10/month")
    env.ok("budget", "set", "dan", "10/month")
    env.ok("budget", "set", "bob", "100/month")
    env.ok("budget", "set", "erin", "100/month")
    env.ok("budget", "set", "alice", "10000/month")
    b = env.budgets()
    # Oct 31 23:59:59 is not November; 0.1 + 0.2 + 0.3 is 0.6, not 0.6000000000000001
    expect(b[("developer", "carol")]["spent"] == 0.6, b[("developer", "carol")])
    expect(b[("developer", "dan")]["spent"] == 2.997, b[("developer", "dan")])
    expect(b[("developer", "bob")]["tier"] == "warn" and b[("developer", "bob")]["percent"] == 86.0,
           b[("developer", "bob")])  # $85 + $1 on the shared key
    expect(b[("developer", "erin")]["tier"] == "over", b[("developer", "erin")])
    expect(b[("developer", "alice")]["tier"] == "ok", b[("developer", "alice")])
    # the CSV and the report agree to the cent
    rc, out, _ = env.run("report", "--by", "developer", "--since", "2026-11-01", "--budget", "--format", "json")
    rows = {r["name"]: r for r in json.loads(out)["rows"]}
    expect(rows["carol"]["period_to_date"] == 0.6 and rows["carol"]["budget"] == 10.0, rows["carol"])
    # alice's one request on the shared key sits in her 4-week shape, not in the last 7 days' level
    expect(720 < rows["alice"]["forecast"] < 722 and rows["bob"]["budget_tier"] == "warn", rows)
    rc, out, _ = env.run("report", "--budget", "--format", "csv")
    header, *lines = out.strip().splitlines()
    expect(header.endswith(",budget,budget_period,period_to_date,budget_percent,budget_tier,forecast,"
                           "forecast_low,forecast_high"), header)
    carol = next(l for l in lines if l.startswith("carol,"))
    expect(",10.000000,month,0.600000,6.0,ok," in carol, carol)
    out = env.ok("report", "--budget")
    expect("BUDGET" in out and "MTD" in out and "FORECAST" in out and "$10.00/mo" in out, out)
    rc, _, err = env.run("report", "--by", "day", "--budget")
    expect(rc == 2 and "--budget goes with" in err, err)


@env_with(team_history)
def test_check_finds_budgets_and_keys(env):
    fake = Fake(env.dir, [])
    try:
        fake.control(api_key=ADMIN)
        fake._post("/_keys", [{"id": "11111111-0000-4000-8000-00000000000" + str(i), "name": n, "prefix": "Pfx",
                               "owner": "carol", "created": "2026-10-01T09:00:00Z", "last_used": None}
                              for i, n in enumerate(["carol-new", "alice-key", "team-key"])])
        env.ok("budget", "set", "bob", "100/month")
        env.ok("budget", "set", "erin", "100/month")
        env.ok("budget", "set", "org", "5000/month")
        env.ok("budget", "set", "key:alice-key", "100/week")
        # the gateway's reader skips the [budgets] section (it refused the file before)
        rc, doc, err = env.check("--refresh-keys", RESPAN_BASE_URL=fake.base + "/api/", RESPAN_API_KEY=ADMIN)
    finally:
        fake.stop()
    expect(rc == 1, err)
    found = {(f["kind"], f.get("name") or f.get("key")) for f in doc["findings"]}
    for want in [("budget_over", "erin"), ("budget_warn", "bob"), ("budget_forecast", "alice-key"),
                 ("key_dormant", "old-key"), ("key_shared", "team-key"), ("key_never_used", "carol-new")]:
        expect(want in found, f"{want} not in {found}")
    expect(("key_never_used", "alice-key") not in found and ("key_dormant", "alice-key") not in found, found)
    expect(not any(k == "budget_warn" and n == "org" for k, n in found), found)
    shared = next(f for f in doc["findings"] if f["kind"] == "key_shared")
    expect(shared["users"] == "alice, bob" and shared["developers"] == 2, shared)
    rc, out, _ = env.run("check")
    expect(rc == 1 and "key_dormant" in out and "over budget" in out and "findings." in out, out)
    # a shorter dormancy finds nothing new; a longer one forgets old-key
    rc, doc, _ = env.check("--dormant-days", "60")
    expect(not any(f["kind"] == "key_dormant" for f in doc["findings"]), doc)


@env_with(steady_history)
def test_check_is_clean_on_a_clean_history(env):
    env.ok("budget", "set", "alice", "10000/month")
    rc, doc, err = env.check()
    expect(rc == 0 and doc["findings"] == [], (rc, doc, err))
    rc, out, _ = env.run("check")
    expect(rc == 0 and "All well" in out, out)


@env_with(team_history)
def test_notify_runs_once_per_new_finding(env):
    env.ok("budget", "set", "bob", "100/month")
    env.ok("budget", "set", "erin", "100/month")
    got = os.path.join(env.dir, "notified.jsonl")
    cmd = f"cat >> {got}; echo >> {got}"
    rc, doc, err = env.check("--notify", cmd)
    expect(rc == 1 and all(f["new"] for f in doc["findings"]), (rc, err))
    sent = [json.loads(l) for l in open(got).read().splitlines() if l]
    expect(len(sent) == len(doc["findings"]) >= 4, (sent, doc))
    expect({s["kind"] for s in sent} >= {"budget_over", "budget_warn", "key_dormant", "key_shared"}, sent)
    # the same findings again: nothing sent
    rc, doc, err = env.check("--notify", cmd)
    expect(rc == 1 and not any(f["new"] for f in doc["findings"]), doc)
    expect(len([l for l in open(got).read().splitlines() if l]) == len(sent), "sent twice")
    # bob's finding changes (warn -> over): sent again, alone
    env.ok("budget", "set", "bob", "80/month")
    rc, doc, err = env.check("--notify", cmd)
    again = [json.loads(l) for l in open(got).read().splitlines() if l][len(sent):]
    expect(len(again) == 1 and again[0]["kind"] == "budget_over" and again[0]["name"] == "bob", again)
    st = os.stat(env.db + ".check-state")
    expect(stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode))
    # a failing command: exit 2, and tried again next time
    env.ok("budget", "set", "carol", "0.5/month")
    rc, _, err = env.run("check", "--notify", "exit 3")
    expect(rc == 2 and "exit status 3" in err, (rc, err))
    rc, doc, _ = env.check("--notify", cmd)
    expect([f["name"] for f in doc["findings"] if f["new"]] == ["carol"], doc)


class Hook(http.server.BaseHTTPRequestHandler):
    posts = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.posts.append((self.headers.get("Authorization"), json.loads(body)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@env_with(team_history)
def test_webhook_posts_each_new_finding_with_the_token(env):
    Hook.posts = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    token = os.path.join(env.dir, "hook-token")
    with open(token, "w") as f:
        f.write("hook-secret-123\n")
    try:
        os.chmod(token, 0o644)
        rc, _, err = env.run("check", "--webhook", url, "--webhook-token-file", token)
        expect(rc == 2 and "hook-token" in err and not Hook.posts, (rc, err))
        os.chmod(token, 0o600)
        rc, _, err = env.run("check", "--webhook", "http://example.com/hook")
        expect(rc == 2 and "https" in err, err)
        env.ok("budget", "set", "erin", "100/month")
        rc, doc, err = env.check("--webhook", url, "--webhook-token-file", token)
        expect(rc == 1 and len(Hook.posts) == len(doc["findings"]) > 0, (Hook.posts, err))
        expect(all(auth == "Bearer hook-secret-123" for auth, _ in Hook.posts), Hook.posts)
        expect(all("text" in body for _, body in Hook.posts), Hook.posts)
        env.check("--webhook", url, "--webhook-token-file", token)
        expect(len(Hook.posts) == len(doc["findings"]), "posted twice")
    finally:
        server.shutdown()


@env_with(steady_history)
def test_budget_set_list_unset_edit_the_config_in_place(env):
    os.makedirs(os.path.dirname(env.config))
    with open(env.config, "w") as f:
        f.write("# gateway\ngateway = respan\ncacert = /etc/ssl/x.pem\n")
    os.chmod(env.config, 0o644)
    out = env.ok("budget", "set", "alice", "200/month", "--warn", "70%")
    expect("budget developer alice: $200.00 a month (warn 70%, alert 100%)" in out, out)
    env.ok("budget", "set", "org", "$5,000.50/month")
    env.ok("budget", "set", "model:gpt-5.5", "50/day")
    env.ok("budget", "team", "platform", "alice", "bob")
    env.ok("budget", "set", "team:platform", "300/week")
    text = open(env.config).read()
    expect(text.startswith("# gateway\ngateway = respan\ncacert = /etc/ssl/x.pem\n\n[budgets]\n"), text)
    expect("developer alice = 200/month warn 70%\norg = 5000.5/month\nmodel gpt-5.5 = 50/day\n"
           "team platform = 300/week\n" in text and "[teams]\nplatform = alice, bob\n" in text, text)
    expect(stat.S_IMODE(os.stat(env.config).st_mode) == 0o600, "config not 0600")
    b = env.budgets()
    expect(set(b) == {("developer", "alice"), ("org", None), ("model", "gpt-5.5"), ("team", "platform")}, b)
    expect(b[("developer", "alice")]["warn_pct"] == 70 and b[("developer", "alice")]["tier"] == "over", b)
    expect(b[("team", "platform")]["spent"] == 0.0 and b[("model", "gpt-5.5")]["period"] == "day", b)
    out = env.ok("budget", "list")
    expect("developer alice" in out and "over" in out and "RUNS OUT" in out, out)
    env.ok("budget", "unset", "alice")
    expect("developer alice" not in open(env.config).read(), "unset left the line")
    rc, _, err = env.run("budget", "unset", "alice")
    expect(rc == 2 and "no budget for 'alice'" in err, err)
    for bad, why in [("200/year", "period"), ("3.1.4", "not an amount"), ("0", "more than $0")]:
        rc, _, err = env.run("budget", "set", "bob", bad)
        expect(rc == 2 and why in err, (bad, err))
    rc, _, err = env.run("budget", "set", "a=b", "10")
    expect(rc == 2 and "cannot be a budget's name" in err, err)
    with open(env.config, "a") as f:
        f.write("[budgets]\ndeveloper bob = lots\n")
    rc, _, err = env.run("check")
    expect(rc == 2 and "config:" in err and "not an amount" in err, err)


@env_with(steady_history)
def test_the_example_config_reads(env):
    os.makedirs(os.path.dirname(env.config))
    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "assets",
                           "config.example")) as f:
        text = f.read()
    with open(env.config, "w") as f:
        f.write(text)
    os.chmod(env.config, 0o600)
    b = env.budgets()
    expect(len(b) == 6 and b[("developer", "bob")]["warn_pct"] == 70, b)
    expect(b[("model", "claude-opus-4-1")]["alert_pct"] == 110 and b[("key", "ci-bot")]["period"] == "week", b)
    expect(b[("developer", "alice")]["tier"] == "over", b[("developer", "alice")])  # $360 of $200


if __name__ == "__main__":
    main("budget", globals())
