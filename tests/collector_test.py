#!/usr/bin/env python3
"""Collector tests: the real binary serving on 127.0.0.1, real HTTP requests."""
import http.client
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import threading
import time
from decimal import Decimal

import crash_durability
from harness import BIN, check_sanitizers, expect, main

KILL_ROUNDS = int(os.environ.get("TOLLGATE_KILL_ROUNDS", "20"))


class Collector:
    def __init__(self, workdir, *args, env=None, db=None):
        self.dir = workdir
        self.db = db or os.path.join(workdir, "c.db")
        self.stderr_path = os.path.join(workdir, f"collector-{time.monotonic_ns()}.err")
        full_env = dict(os.environ, HOME=workdir, XDG_CONFIG_HOME=os.path.join(workdir, "cfg"))
        full_env.pop("TOLLGATE_INGEST_TOKEN", None)
        full_env.update(env or {})
        self.err = open(self.stderr_path, "w+")
        self.proc = subprocess.Popen([BIN, "--db", self.db, "collect", "--listen", "127.0.0.1:0", *args],
                                     stderr=self.err, env=full_env)
        self.port = None
        deadline = time.time() + 20
        while time.time() < deadline:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.log())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"collector exited {self.proc.returncode}: {self.log()}")
            time.sleep(0.02)
        raise AssertionError("collector did not start: " + self.log())

    def log(self):
        with open(self.stderr_path) as f:
            return f.read()

    def request(self, method, path, body=None, content_type="application/json", token=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if content_type:
            h["Content-Type"] = content_type
        if token:
            h["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        try:
            doc = json.loads(data) if data and resp.getheader("Content-Type", "").startswith("application/json") else data.decode()
        except ValueError:
            doc = data.decode()
        return resp.status, doc

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
        self.err.close()
        check_sanitizers(self.log(), "the collector")
        return self.proc.returncode


def log(i, cost="0.5", **extra):
    d = {"unique_id": f"log-{i}", "timestamp": "2026-11-20T10:00:00Z", "model": "claude-sonnet-4-5",
         "customer_identifier": extra.pop("dev", "alice"), "organization_key_name": "alice-laptop",
         "prompt_tokens": 100, "completion_tokens": 10, "cost": Decimal(cost)}
    d.update(extra)
    return d


def dumps(obj):
    return json.dumps(obj, default=lambda d: float(d) if isinstance(d, Decimal) else d)


def report(db, by="developer"):
    p = subprocess.run([BIN, "--db", db, "report", "--by", by, "--format", "json"], capture_output=True, timeout=60)
    expect(p.returncode == 0, p.stderr.decode())
    return json.loads(p.stdout)


def stored_ids(db):
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("SELECT log_id FROM requests")]
    finally:
        con.close()


# ---------------------------------------------------------------------------

def test_each_endpoint_and_duplicates(d):
    c = Collector(d)
    try:
        st, body = c.post("/api/request-logs/create/", dumps(log(1)))
        expect(st == 201 and body == {"id": "log-1", "duplicate": False}, (st, body))
        st, body = c.post("/api/request-logs/create/", dumps(log(1)))
        expect(st == 201 and body["duplicate"] is True, (st, body))
        st, body = c.post("/api/integrations/v1/traces/ingest", dumps([log(2), log(3), log(1)]))
        expect(st == 200 and body == {"stored": 2, "duplicates": 1}, (st, body))
        st, body = c.post("/v1/logs", dumps([log(4), log(5)]))
        expect(st == 200 and body == {"stored": 2, "duplicates": 0}, (st, body))
        ndjson = dumps(log(6)) + "\n\n" + dumps(log(7)) + "\n" + dumps(log(4)) + "\n"
        st, body = c.post("/v1/logs", ndjson, content_type="application/x-ndjson")
        expect(st == 200 and body == {"stored": 2, "duplicates": 1}, (st, body))
        # a client's log-create call without an id or a time is stored with one
        st, body = c.post("/api/request-logs/create/", '{"model":"gpt-5.5","customer_identifier":"bob","cost":1}')
        expect(st == 201 and body["id"].startswith("sha256:"), (st, body))
        st, body = c.request("GET", "/healthz", content_type=None)
        expect(st == 200 and body == {"status": "ok"}, (st, body))
    finally:
        expect(c.stop() == 0, "exit status")
    r = report(c.db)
    expect(r["total"]["requests"] == 8, r["total"])
    expect(Decimal(str(r["total"]["cost"])) == Decimal("4.5"), r["total"])
    lines = [l for l in c.log().splitlines() if re.match(r"^\d{4}-\d\d-\d\dT", l)]
    expect(len(lines) == 7 and " create 201 1 logs " in lines[0], "access log:\n" + c.log())


def test_bad_batch_stores_nothing_and_names_the_log(d):
    c = Collector(d)
    try:
        st, body = c.post("/v1/logs", dumps([log(1), log(2, prompt_tokens=-4), log(3)]))
        expect(st == 400, st)
        expect(body == {"error": "prompt_tokens: negative token count -4", "index": 1, "field": "prompt_tokens"}, body)
        st, body = c.post("/v1/logs", dumps(log(1)) + "\n" + '{"unique_id":"x","cost":"a lot"}\n',
                          content_type="application/x-ndjson")
        expect(st == 400 and body["index"] == 1 and body["field"] == "cost", body)
        st, body = c.post("/api/integrations/v1/traces/ingest", '[{"unique_id":"a"}, {"unique_id":')
        expect(st == 400 and "invalid JSON" in body["error"], body)
        st, body = c.post("/api/integrations/v1/traces/ingest", dumps(log(1)))
        expect(st == 400 and "array" in body["error"], body)
        st, body = c.post("/api/request-logs/create/", "[1]")
        expect(st == 400 and "expected a log object" in body["error"], body)
        st, body = c.post("/api/request-logs/create/", b'{"unique_id":"u","customer_name":"Zo\xeb"}')
        expect(st == 400 and body["field"] == "customer_name" and "UTF-8" in body["error"], body)
        # the server is still up
        st, _ = c.request("GET", "/healthz", content_type=None)
        expect(st == 200, st)
    finally:
        c.stop()
    expect(stored_ids(c.db) == [], stored_ids(c.db))


def test_protocol_errors(d):
    c = Collector(d, "--max-body", "2K")
    try:
        st, body = c.post("/v1/logs", "x", content_type="text/plain")
        expect(st == 415 and "application/x-ndjson" in body["error"], (st, body))
        st, body = c.post("/api/request-logs/create/", dumps(log(1)), content_type="application/x-ndjson")
        expect(st == 415, st)
        st, body = c.post("/v1/logs", dumps(log(1)), content_type=None)
        expect(st == 415, st)
        st, body = c.post("/v1/logs", dumps([log(i) for i in range(40)]))
        expect(st == 413 and "2048 bytes" in body["error"], (st, body))
        st, body = c.post("/nope", "{}")
        expect(st == 404, st)
        st, body = c.request("GET", "/v1/logs", content_type=None)
        expect(st == 405, st)
        st, body = c.request("DELETE", "/metrics", content_type=None)
        expect(st == 405, st)
        # a chunked upload past the limit, with no Content-Length to refuse early
        conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=30)
        conn.putrequest("POST", "/v1/logs")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        try:
            for _ in range(4):
                chunk = b"[" + b" " * 1000 + b"]"
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
        except OSError:
            pass
        resp = conn.getresponse()
        expect(resp.status == 413, resp.status)
        conn.close()
        st, body = c.request("GET", "/metrics", content_type=None)
        expect('tollgate_requests_rejected_total{reason="too_large"} 2' in body, body)
        expect('tollgate_requests_rejected_total{reason="unsupported_media_type"} 3' in body, body)
        expect("tollgate_db_size_bytes " in body and "tollgate_request_duration_seconds_bucket" in body, body)
    finally:
        expect(c.stop() == 0, "exit status")


def test_tokens(d):
    token_file = os.path.join(d, "tokens")
    with open(token_file, "w") as f:
        f.write("# ingest tokens\nfirst-token-0123456789abcdef\n\nsecond-token-zyxwvutsrqponm\n")
    os.chmod(token_file, 0o600)
    c = Collector(d, "--token-file", token_file, env={"TOLLGATE_INGEST_TOKEN": "env-token-42"})
    try:
        st, body = c.post("/v1/logs", dumps([log(1)]))
        expect(st == 401 and "Bearer" in body["error"], (st, body))
        st, _ = c.post("/v1/logs", dumps([log(1)]), token="first-token-0123456789abcdeX")
        expect(st == 401, st)
        st, _ = c.post("/v1/logs", dumps([log(1)]), token="first-token")
        expect(st == 401, st)
        for i, token in enumerate(["first-token-0123456789abcdef", "second-token-zyxwvutsrqponm", "env-token-42"]):
            st, body = c.post("/v1/logs", dumps([log(10 + i)]), token=token)
            expect(st == 200 and body["stored"] == 1, (token, st, body))
    finally:
        c.stop()
    expect("first-token" not in c.log() and "env-token-42" not in c.log(), "a token reached the log")


def test_token_file_must_be_private_and_open_bind_needs_a_token(d):
    token_file = os.path.join(d, "tokens")
    with open(token_file, "w") as f:
        f.write("tok\n")
    os.chmod(token_file, 0o644)
    p = subprocess.run([BIN, "--db", os.path.join(d, "x.db"), "collect", "--token-file", token_file],
                       capture_output=True, timeout=30)
    expect(p.returncode == 2 and b"chmod 600" in p.stderr, p.stderr)
    p = subprocess.run([BIN, "--db", os.path.join(d, "x.db"), "collect", "--listen", "0.0.0.0:0"],
                       capture_output=True, timeout=30, env=dict(os.environ, TOLLGATE_INGEST_TOKEN=""))
    expect(p.returncode == 2 and b"refusing to listen on 0.0.0.0 without a token" in p.stderr, p.stderr)
    p = subprocess.run([BIN, "collect", "--listen", "nowhere"], capture_output=True, timeout=30)
    expect(p.returncode == 2 and b"--listen wants HOST:PORT" in p.stderr, p.stderr)


def test_totals_with_retries_and_concurrency(d):
    """16 clients post to every endpoint, each batch sent twice (a retry);
    report equals the sums of the posted costs, to the cent."""
    c = Collector(d, "--quiet")
    rng = random.Random(3)
    batches = []
    for b in range(64):
        logs = [log(f"{b}-{i}", cost=str(Decimal(rng.randrange(1, 10**6)) / 10**6),
                    dev=rng.choice(["alice", "bob", "carol"])) for i in range(rng.randrange(1, 20))]
        batches.append(logs)
    errors = []

    def client(k):
        try:
            for b in range(k, len(batches), 16):
                logs = batches[b]
                for _ in range(2):
                    if b % 3 == 0:
                        for l in logs:
                            st, _ = c.post("/api/request-logs/create/", dumps(l))
                            expect(st == 201, st)
                    elif b % 3 == 1:
                        st, _ = c.post("/api/integrations/v1/traces/ingest", dumps(logs))
                        expect(st == 200, st)
                    else:
                        st, _ = c.post("/v1/logs", "\n".join(dumps(l) for l in logs),
                                       content_type="application/x-ndjson")
                        expect(st == 200, st)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expect(c.stop() == 0, "exit status")
    expect(not errors, errors[:3])
    want = {}
    for logs in batches:
        for l in logs:
            want[l["customer_identifier"]] = want.get(l["customer_identifier"], Decimal(0)) + l["cost"]
    r = report(c.db)
    got = {row["name"]: Decimal(str(row["cost"])) for row in r["rows"]}
    expect(got == want, f"{got} vs {want}")
    expect(r["total"]["requests"] == sum(len(b) for b in batches), r["total"])
    m = re.search(r"storing (\d+) logs \((\d+) duplicates\) in (\d+) commits", c.log())
    expect(m and int(m.group(3)) < int(m.group(1)) + int(m.group(2)), "no group commit: " + c.log()[-300:])


def test_graceful_shutdown_answers_requests_in_flight(d):
    c = Collector(d, "--quiet")
    results = []

    def slow_client():
        conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=30)
        body = dumps([log(i) for i in range(50)]).encode()
        conn.putrequest("POST", "/v1/logs")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        conn.send(body[:100])
        time.sleep(0.5)  # SIGTERM arrives while the body is half sent
        conn.send(body[100:])
        resp = conn.getresponse()
        results.append((resp.status, json.loads(resp.read())))

    t = threading.Thread(target=slow_client)
    t.start()
    time.sleep(0.2)
    c.proc.send_signal(signal.SIGTERM)
    t.join()
    expect(c.stop() == 0, "exit status")
    expect(results == [(200, {"stored": 50, "duplicates": 0})], results)
    expect(len(stored_ids(c.db)) == 50, len(stored_ids(c.db)))
    expect("finishing requests in flight" in c.log(), c.log())


def test_sigkill_loses_nothing_acknowledged(d):
    """Kill -9 the collector while clients stream posts, KILL_ROUNDS times
    (tests/crash_durability.py, the standalone script, does the same): every
    acknowledged log is there after a restart, once, and the db is intact."""
    lines = []
    total = crash_durability.run_rounds(KILL_ROUNDS, BIN, d, seed=11, out=lines.append)
    summary = "\n".join(lines)
    expect(total["ok"], summary)
    expect(total["lost"] == 0 and total["doubled"] == 0 and total["integrity"] == "ok", summary)
    expect(total["acked_posts"] > KILL_ROUNDS * 10, "too few posts acknowledged to exercise anything:\n" + summary)


# ---------------------------------------------------------------------------

if __name__ == "__main__":
    main("collector", globals())
