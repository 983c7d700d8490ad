#!/usr/bin/env python3
"""`tollgate sync` against the fake gateway in tests/fake_gateway.py on 127.0.0.1."""
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal

from harness import BIN, ROOT, check_sanitizers, expect, main

FAKE = os.path.join(ROOT, "tests", "fake_gateway.py")
KEY = "test-admin-key-0123456789abcdef"
NOW = "2026-11-24T12:00:00Z"


def make_logs(n, start_hour=0, prefix="g"):
    logs = []
    for i in range(n):
        minute = start_hour * 60 + i
        logs.append({"unique_id": f"{prefix}-{i:04d}",
                     "timestamp": f"2026-11-23T{minute // 60 % 24:02d}:{minute % 60:02d}:{i % 60:02d}.250Z",
                     "model": "gpt-5.5", "customer_identifier": ["alice", "bob", "carol"][i % 3],
                     "organization_key_id": f"key-{i % 3}", "organization_key_name": f"k{i % 3}",
                     "prompt_tokens": 1000 + i, "completion_tokens": 50, "cost": round(0.001 * (i + 1), 6),
                     "latency": 1.5})
    return logs


class Fake:
    def __init__(self, d, logs, tls=None):
        """tls: (cert, key) PEM paths to serve HTTPS only."""
        path = os.path.join(d, "gateway.jsonl")
        with open(path, "w") as f:
            for l in logs:
                f.write(json.dumps(l) + "\n")
        extra = ["--tls-cert", tls[0], "--tls-key", tls[1]] if tls else []
        self.proc = subprocess.Popen([sys.executable, FAKE, "--logs", path, "--api-key", KEY, *extra],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"port (\d+)", line)
        expect(m, f"fake gateway did not start: {line!r}")
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{m.group(1)}"
        # the test's own control calls need not trust the certificate under test
        self.ssl = ssl._create_unverified_context() if tls else None

    def control(self, **doc):
        self._post("/_control", doc)

    def add_logs(self, logs):
        self._post("/_logs", logs)

    def _post(self, path, doc):
        req = urllib.request.Request(self.base + path, data=json.dumps(doc).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10, context=self.ssl).read()

    def calls(self):
        return json.loads(urllib.request.urlopen(self.base + "/_calls", timeout=10, context=self.ssl).read())

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Env:
    def __init__(self, d, fake):
        self.dir = d
        self.db = os.path.join(d, "s.db")
        self.fake = fake
        self.outputs = []

    def env(self, **extra):
        e = dict(os.environ, HOME=self.dir, XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"), TOLLGATE_NOW=NOW,
                 RESPAN_BASE_URL=self.fake.base + "/api/", RESPAN_API_KEY=KEY,
                 TOLLGATE_RETRY_BASE_MS="50", TOLLGATE_HTTP_TIMEOUT_MS="1500")
        e.update(extra)
        return e

    def run(self, *args, **extra):
        p = subprocess.run([BIN, "--db", self.db, *args], capture_output=True, env=self.env(**extra), timeout=120)
        out, err = p.stdout.decode(), p.stderr.decode()
        self.outputs.append(out + err)
        check_sanitizers(err, " ".join(args))
        return p.returncode, out, err

    def report(self):
        rc, out, err = self.run("report", "--format", "json")
        expect(rc == 0, err)
        return json.loads(out)

    def key_leaked(self):
        return any(KEY in o for o in self.outputs)


def with_fake(logs):
    def wrap(fn):
        def run(d):
            fake = Fake(d, logs)
            try:
                env = Env(d, fake)
                fn(env)
                expect(not env.key_leaked(), "the API key appeared in the output")
            finally:
                fake.stop()
        run.__name__ = fn.__name__
        return run
    return wrap


LOGS = make_logs(120)


@with_fake(LOGS)
def test_sync_pages_everything_with_the_documented_call(env):
    rc, out, err = env.run("sync", "--since", "2026-11-23")
    expect(rc == 0, err)
    expect("3 pages, 120 logs: 120 new, 0 duplicates, 0 rejected; position 2026-11-23T01:59:59.250Z" in out, out)
    r = env.report()
    expect(r["total"]["requests"] == 120, r["total"])
    expect(Decimal(str(r["total"]["cost"])) == sum(Decimal(str(l["cost"])) for l in LOGS), r["total"])
    calls = env.fake.calls()
    expect(len(calls) == 3, calls)
    for page, call in enumerate(calls, 1):
        expect(call["method"] == "POST" and call["path"] == "/api/request-logs/list/", call)
        expect(call["headers"].get("Authorization") == f"Bearer {KEY}", call["headers"])
        expect(call["headers"].get("Content-Type") == "application/json", call["headers"])
        body = json.loads(call["body"])
        expect(body["page"] == page and body["page_size"] == 50 and body["sort_by"] == "timestamp", body)
        expect(body["start_time"] == "2026-11-23T00:00:00Z" and body["end_time"] == NOW, body)


@with_fake(LOGS)
def test_resumes_from_the_stored_position(env):
    env.fake.control(script=[{}, {"status": 500}, {"status": 500}, {"status": 500}, {"status": 500},
                             {"status": 500}, {"status": 500}])
    rc, out, err = env.run("sync", "--since", "2026-11-23")
    expect(rc == 2 and "HTTP 500" in err, (rc, err))
    expect("1 pages, 50 logs: 50 new" in out and "position 2026-11-23T00:49:49.250Z" in out, out)
    expect(env.report()["total"]["requests"] == 50, "the first page was not kept")
    rc, out, err = env.run("sync")
    expect(rc == 0, err)
    r = env.report()
    expect(r["total"]["requests"] == 120, r["total"])
    last = json.loads(env.fake.calls()[-1]["body"])
    # resumed 10 minutes before the position, not from the start
    expect(last["start_time"] == "2026-11-23T00:39:49.250Z", last)
    expect(re.search(r"logs: 70 new, \d+ duplicates", out), out)


@with_fake(LOGS[:30])
def test_idempotent_with_imported_and_pushed_logs(env):
    path = os.path.join(env.dir, "some.jsonl")
    with open(path, "w") as f:
        for l in LOGS[:10]:
            f.write(json.dumps(l) + "\n")
    rc, _, err = env.run("import", path)
    expect(rc == 0, err)
    rc, out, err = env.run("sync", "--since", "2026-11-23")
    expect(rc == 0 and "30 logs: 20 new, 10 duplicates" in out, out + err)
    rc, out, err = env.run("sync", "--since", "2026-11-23")
    expect(rc == 0 and "30 logs: 0 new, 30 duplicates" in out, out + err)
    r = env.report()
    expect(r["total"]["requests"] == 30, r["total"])
    expect(Decimal(str(r["total"]["cost"])) == sum(Decimal(str(l["cost"])) for l in LOGS[:30]), r["total"])


@with_fake(LOGS[:20])
def test_429_honours_retry_after(env):
    env.fake.control(script=[{"status": 429, "retry_after": "1"}])
    t0 = time.monotonic()
    rc, out, err = env.run("sync", "--since", "2026-11-23")
    elapsed = time.monotonic() - t0
    expect(rc == 0 and "20 new" in out, out + err)
    expect(elapsed >= 1.0, f"did not wait for Retry-After: {elapsed:.2f}s")
    expect("HTTP 429; retry 1 in 1.0 s" in err, err)
    expect(len(env.fake.calls()) == 2, env.fake.calls())


@with_fake(LOGS[:20])
def test_transient_failures_are_retried(env):
    env.fake.control(script=[{"status": 503}, {"malformed": True}, {"drop": True}, {"delay": 2.5}, {"status": 502}])
    rc, out, err = env.run("sync", "--since", "2026-11-23")
    expect(rc == 0 and "20 logs: 20 new" in out, out + err)
    for why in ("HTTP 503", "not JSON", "HTTP 502"):
        expect(why in err, f"{why} not reported: {err}")
    expect(err.count("; retry ") == 5, err)
    expect(len(env.fake.calls()) == 6, len(env.fake.calls()))


@with_fake(LOGS[:20])
def test_gives_up_after_the_last_attempt(env):
    env.fake.control(script=[{"status": 503}] * 10)
    rc, out, err = env.run("sync", "--since", "2026-11-23")
    expect(rc == 2 and "HTTP 503" in err, (rc, err))
    expect(len(env.fake.calls()) == 6, len(env.fake.calls()))
    expect(env.report()["total"]["requests"] == 0, "stored something")


@with_fake(LOGS[:20])
def test_refused_key_stops_at_once(env):
    rc, out, err = env.run("sync", "--since", "2026-11-23", RESPAN_API_KEY="wrong-key-abcdefghijklmnop")
    expect(rc == 2, rc)
    expect("refused the API key wrong-…mnop (HTTP 401)" in err, err)
    expect("wrong-key-abcdefghijklmnop" not in err + out, "the key was printed whole")
    expect(len(env.fake.calls()) == 1, "a 401 was retried")


@with_fake(LOGS[:20])
def test_configuration_errors(env):
    rc, _, err = env.run("sync", RESPAN_API_KEY="")
    expect(rc == 2 and "set RESPAN_API_KEY" in err, err)
    rc, _, err = env.run("sync", RESPAN_BASE_URL="http://gateway.example.com/api/")
    expect(rc == 2 and "use https://" in err, err)
    rc, _, err = env.run("sync", RESPAN_BASE_URL=env.fake.base + "/wrong/")
    expect(rc == 2 and "no log-list endpoint" in err, err)
    rc, _, err = env.run("sync", "--page-size", "80")
    expect(rc == 2 and "--page-size must be 1 to 50" in err, err)


@with_fake(LOGS[:5])
def test_rejected_logs_are_named_and_skipped(env):
    env.fake.add_logs([{"unique_id": "evil\u001b[2J", "timestamp": "2026-11-23T03:00:00Z", "prompt_tokens": -1}])
    rc, out, err = env.run("sync", "--since", "2026-11-23")
    expect(rc == 1 and "6 logs: 5 new, 0 duplicates, 1 rejected" in out, out + err)
    expect("rejected log evil\\x1b[2J: prompt_tokens: negative token count -1" in err, err)
    expect("\x1b" not in err, "an escape reached the terminal")


@with_fake(LOGS[:10])
def test_follow_keeps_polling_until_sigterm(env):
    proc = subprocess.Popen([BIN, "--db", env.db, "sync", "--since", "2026-11-23", "--follow", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env.env(TOLLGATE_NOW=""))
    try:
        deadline = time.time() + 20
        while time.time() < deadline and len(env.fake.calls()) < 1:
            time.sleep(0.1)
        env.fake.add_logs(make_logs(5, start_hour=5, prefix="late"))
        n = len(env.fake.calls())
        while time.time() < deadline and len(env.fake.calls()) < n + 2:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    expect(proc.returncode == 0, (proc.returncode, err.decode()))
    expect(env.report()["total"]["requests"] == 15, env.report()["total"])
    expect(b"15 new" in out, out)


if __name__ == "__main__":
    main("sync", globals())
