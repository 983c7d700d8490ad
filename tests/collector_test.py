#!/usr/bin/env python3
"""Collector tests: the real binary serving on 127.0.0.1, real HTTP requests."""
import base64
import http.client
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import uuid
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
    """The log ids as logged: schema 12 keeps a lowercase UUID as its 16 bytes."""
    con = sqlite3.connect(db)
    try:
        return [str(uuid.UUID(bytes=r[0])) if isinstance(r[0], bytes) else r[0]
                for r in con.execute("SELECT log_id FROM requests")]
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
        # a client's log-create call without an id or a time is stored with one: a new
        # request each call, as at the gateway (tests/money_trust_test.py has more)
        st, body = c.post("/api/request-logs/create/", '{"model":"gpt-5.5","customer_identifier":"bob","cost":1}')
        expect(st == 201 and re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                                          body["id"]), (st, body))
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


def test_checkpointer_copies_the_wal_while_serving(d):
    """Past 16 MB of WAL the checkpointer thread copies it into the db beside
    the writer (SQLite's own checkpoints, which would block a commit, are off):
    the db file grows while the collector still runs. Bodies of random text,
    which zstd cannot shrink much, make the WAL grow fast."""
    c = Collector(d, "--quiet")
    rng = random.Random(5)
    batches = [[log(f"{b}-{i}", prompt_messages=[{"role": "user", "content": base64.b64encode(rng.randbytes(60000)).decode()}])
                for i in range(5)] for b in range(60)]
    errors = []

    def client(k):
        try:
            for b in range(k, len(batches), 4):
                st, body = c.post("/v1/logs", dumps(batches[b]))
                expect(st == 200 and body["stored"] == 5, (st, body))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    try:
        threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        expect(not errors, errors[:3])
        deadline = time.time() + 30
        while os.path.getsize(c.db) < 8 << 20:  # the logs are ~18 MB stored
            expect(time.time() < deadline, f"no checkpoint: db {os.path.getsize(c.db)} bytes")
            time.sleep(0.1)
    finally:
        expect(c.stop() == 0, "exit status")
    expect(len(stored_ids(c.db)) == 300, len(stored_ids(c.db)))


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


# --- the bad-input catalogue (docs/reliability.md): each answer exact, and the
# server still up after it ----------------------------------------------------

CREATE = "/api/request-logs/create/"
TS = "2026-11-20T10:00:00Z"


def still_up(c):
    st, body = c.request("GET", "/healthz", content_type=None)
    expect(st == 200 and body == {"status": "ok"}, ("healthz after bad input", st, body))


def post_raw(c, path, body, content_type="application/json"):
    """Bytes exactly as given (http.client would not add or change any)."""
    return c.post(path, body if isinstance(body, bytes) else body.encode(), content_type=content_type)


def expect_error(got, status, error, index=0, field=None):
    st, body = got
    want = {"error": error}
    if index is not None:
        want["index"] = index
    if field:
        want["field"] = field
    expect(st == status and body == want, f"want {status} {want}, got {st} {body}")


def test_bad_input_empty_body(d):
    c = Collector(d, "--quiet")
    try:
        for path, ct in [(CREATE, "application/json"), ("/api/integrations/v1/traces/ingest", "application/json"),
                         ("/v1/logs", "application/json"), ("/v1/logs", "application/x-ndjson")]:
            expect_error(post_raw(c, path, b"", ct), 400, "empty body", index=None)
            expect_error(post_raw(c, path, b" \r\n\n", ct), 400, "empty body", index=None)
        # an empty batch is not an empty body
        st, body = post_raw(c, "/v1/logs", b"[]")
        expect(st == 200 and body == {"stored": 0, "duplicates": 0}, (st, body))
        still_up(c)
    finally:
        expect(c.stop() == 0, "exit status")
    expect(stored_ids(c.db) == [], "something was stored")


def test_bad_input_body_past_the_limit(d):
    c = Collector(d, "--quiet", "--max-body", "4K")
    try:
        big = dumps([log(i) for i in range(40)]).encode()
        expect(len(big) > 4096, len(big))
        expect_error(post_raw(c, "/v1/logs", big), 413, "body larger than the limit of 4096 bytes", index=None)
        # a Content-Length past the limit is refused before any body is sent
        s = socket.create_connection(("127.0.0.1", c.port), timeout=10)
        s.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 10000000000\r\n\r\n")
        head = s.recv(4096)
        s.close()
        expect(head.startswith(b"HTTP/1.1 413"), head)
        # chunked, no length to judge early: read, dropped, then 413
        conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=30)
        conn.putrequest("POST", "/v1/logs")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for _ in range(8):
            conn.send(b"3e8\r\n" + b" " * 1000 + b"\r\n")
        conn.send(b"0\r\n\r\n")
        resp = conn.getresponse()
        expect(resp.status == 413, resp.status)
        conn.close()
        # just under the limit is fine
        st, body = post_raw(c, "/v1/logs", dumps([log(i) for i in range(10)]))
        expect(st == 200 and body["stored"] == 10, (st, body))
        still_up(c)
    finally:
        expect(c.stop() == 0, "exit status")


def test_bad_input_deep_nesting(d):
    c = Collector(d, "--quiet")
    deep = "[" * 10000 + "]" * 10000
    try:
        expect_error(post_raw(c, CREATE, deep), 400, "invalid JSON: nested deeper than 1000 levels near byte 1001")
        obj = '{"unique_id":"deep","timestamp":"%s","metadata":{"a":%s}}' % (TS, deep)
        expect_error(post_raw(c, CREATE, obj), 400, "invalid JSON: nested deeper than 1000 levels near byte 1070")
        batch = "[" + dumps(log(1)) + "," + obj + "]"
        expect_error(post_raw(c, "/v1/logs", batch), 400,
                     "invalid JSON: nested deeper than 1000 levels near byte 1070", index=1)
        expect_error(post_raw(c, "/v1/logs", dumps(log(1)) + "\n" + obj + "\n", "application/x-ndjson"), 400,
                     "invalid JSON: nested deeper than 1000 levels near byte 1070", index=1)
        # 10,000 deep as the batch itself: the splitter counts, it does not recurse
        expect_error(post_raw(c, "/v1/logs", "[" + deep + "]"), 400,
                     "invalid JSON: nested deeper than 1000 levels near byte 1001")
        # unbalanced: 10,000 openings and nothing else
        expect_error(post_raw(c, CREATE, "{\"a\":" + "[" * 10000), 400,
                     "invalid JSON: nested deeper than 1000 levels near byte 1005")
        # as deep as the parser goes (1,000 levels) is still a log
        ok = '{"unique_id":"ok","timestamp":"%s","metadata":{"a":%s}}' % (TS, "[" * 998 + "]" * 998)
        st, body = post_raw(c, CREATE, ok)
        expect(st == 201 and body == {"id": "ok", "duplicate": False}, (st, body))
        still_up(c)
    finally:
        expect(c.stop() == 0, "exit status")
    expect(stored_ids(c.db) == ["ok"], stored_ids(c.db))


def test_bad_input_invalid_utf8(d):
    c = Collector(d, "--quiet")
    try:
        cases = [
            (b'{"unique_id":"u","model":"\xff"}', "model"),
            (b'{"unique_id":"u","customer_name":"Zo\xc3"}', "customer_name"),            # truncated sequence
            (b'{"unique_id":"u","model":"\xc0\xaf"}', "model"),                          # overlong '/'
            (b'{"unique_id":"u","model":"\xed\xa0\x80"}', "model"),                      # a surrogate
            (b'{"unique_id":"u","prompt_messages":[{"role":"user","content":"ok"},{"content":"\xfe"}]}',
             "prompt_messages[1].content"),
            (b'{"unique_id":"u","metadata":{"\xff":1}}', "metadata.(key)"),
        ]
        for raw, field in cases:
            expect_error(post_raw(c, CREATE, raw), 400, f"{field}: invalid UTF-8", field=field)
        expect_error(post_raw(c, "/v1/logs", b"[" + dumps(log(1)).encode() + b',{"model":"\x80"}]'), 400,
                     "model: invalid UTF-8", index=1, field="model")
        still_up(c)
    finally:
        expect(c.stop() == 0, "exit status")
    expect(stored_ids(c.db) == [], stored_ids(c.db))


def test_bad_input_nul_bytes(d):
    c = Collector(d, "--quiet")
    try:
        expect_error(post_raw(c, CREATE, b'{"unique_id":"n1","model":"gpt\x00evil"}'), 400,
                     "invalid JSON: a NUL byte at byte 31")
        expect_error(post_raw(c, CREATE, b'{"unique_id":"n2"}\x00'), 400, "invalid JSON: a NUL byte at byte 19")
        expect_error(post_raw(c, CREATE, b'\x00{"unique_id":"n3"}'), 400, "invalid JSON: a NUL byte at byte 1")
        expect_error(post_raw(c, "/v1/logs", b'[' + dumps(log(1)).encode() + b',{"unique_id":"n4\x00"}]'), 400,
                     "invalid JSON: a NUL byte at byte 17", index=1)
        # escaped, it would decode to a C string cut short: refused, never truncated
        expect_error(post_raw(c, CREATE, '{"unique_id":"n5","model":"gpt\\u0000evil"}'), 400,
                     "a NUL character (\\u0000) in a string at byte 31 is not accepted")
        expect_error(post_raw(c, CREATE, '{"unique_id":"n6","metadata":{"k\\u0000":1}}'), 400,
                     "a NUL character (\\u0000) in a string at byte 33 is not accepted")
        # an escaped backslash followed by the text u0000 is just text
        st, body = post_raw(c, CREATE, '{"unique_id":"n7","timestamp":"%s","model":"a\\\\u0000b"}' % TS)
        expect(st == 201 and body["id"] == "n7", (st, body))
        still_up(c)
    finally:
        expect(c.stop() == 0, "exit status")
    expect(stored_ids(c.db) == ["n7"], stored_ids(c.db))
    con = sqlite3.connect(c.db)
    model = con.execute("SELECT m.name FROM requests r JOIN models m ON m.id = r.model_id").fetchone()[0]
    con.close()
    expect(model == "a\\u0000b", repr(model))


def test_bad_input_huge_and_negative_numbers(d):
    c = Collector(d, "--quiet")
    try:
        cases = [
            ('"prompt_tokens":1e400', "prompt_tokens", "expected a whole number, got inf"),
            ('"completion_tokens":18446744073709551616', "completion_tokens",
             "absurd token count 18446744073709551616 (more than 1000000000)"),
            ('"prompt_tokens":1000000001', "prompt_tokens", "absurd token count 1000000001 (more than 1000000000)"),
            ('"prompt_tokens":-1', "prompt_tokens", "negative token count -1"),
            ('"prompt_tokens":1.5', "prompt_tokens", "expected a whole number, got 1.5"),
            ('"usage":{"prompt_tokens":-7}', "usage.prompt_tokens", "negative token count -7"),
            ('"cost":1e400', "cost", "negative or non-finite cost inf"),
            ('"cost":-0.01', "cost", "negative or non-finite cost -0.01"),
            ('"cost":100000.01', "cost", "absurd cost $100000 for one request"),
            ('"latency":-1', "latency", "negative duration -1"),
            ('"latency":1e400', "latency", "negative duration inf"),
            ('"timestamp":1e400', "timestamp", "not a finite number"),
            ('"timestamp":-1', "timestamp", "time outside 2000-2100"),
            ('"status_code":1e10', "status_code", "expected an HTTP status 0-999"),
            ('"customer_identifier":1e300', "customer_identifier", "expected a string or a whole number, got 1e+300"),
        ]
        for member, field, message in cases:
            body = '{"unique_id":"x",%s}' % member
            expect_error(post_raw(c, CREATE, body), 400, f"{field}: {message}", field=field)
        still_up(c)
    finally:
        expect(c.stop() == 0, "exit status")
    expect(stored_ids(c.db) == [], stored_ids(c.db))


def test_bad_input_wrong_types(d):
    c = Collector(d, "--quiet")
    try:
        cases = [
            ('"prompt_tokens":"12"', "prompt_tokens", "expected a whole number, got a string"),
            ('"model":5', "model", "expected a string, got a number"),
            ('"cost":"0.5"', "cost", "expected a number of US dollars, got a string"),
            ('"timestamp":true', "timestamp", "expected an ISO 8601 string or epoch seconds, got a boolean"),
            ('"timestamp":"yesterday"', "timestamp", 'not an ISO 8601 time: "yesterday"'),
            ('"usage":[1]', "usage", "expected an object, got an array"),
            ('"metadata":"x"', "metadata", "expected an object, got a string"),
            ('"prompt_messages":{"role":"user"}', "prompt_messages", "expected an array of messages, got an object"),
            ('"prompt_messages":["hi"]', "prompt_messages[0]", "expected a message object, got a string"),
            ('"unique_id":{"a":1}', "unique_id", "expected a string, got an object"),
            ('"latency":"2s"', "latency", "expected seconds as a number, got a string"),
        ]
        for member, field, message in cases:
            base = {"unique_id": '"unique_id":"x",', "timestamp": '"timestamp":"%s",' % TS}
            body = "{" + "".join(v for k, v in base.items() if not member.startswith('"%s"' % k)) + member + "}"
            expect_error(post_raw(c, CREATE, body), 400, f"{field}: {message}", field=field)
        for body, message in [("[1]", "expected a log object, got an array"), ('"log"', "expected a log object, got a string"),
                              ("null", "expected a log object, got null")]:
            expect_error(post_raw(c, CREATE, body), 400, message)
        expect_error(post_raw(c, "/v1/logs", "[" + dumps(log(1)) + ",7]"), 400, "expected a log object, got a number",
                     index=1)
        expect_error(post_raw(c, "/v1/logs", dumps(log(1))), 400, "expected a JSON array of logs", index=None)
        still_up(c)
    finally:
        expect(c.stop() == 0, "exit status")
    expect(stored_ids(c.db) == [], stored_ids(c.db))


def test_bad_input_duplicate_keys(d):
    c = Collector(d, "--quiet")
    wide = ",".join('"m%02d":%d' % (i, i) for i in range(70))  # past the 64-member index
    cases = [
        ('{"unique_id":"k1","timestamp":"%s","cost":1,"cost":1000}' % TS, "cost"),
        ('{"unique_id":"k2","unique_id":"k3","timestamp":"%s"}' % TS, "unique_id"),
        ('{"unique_id":"k4","timestamp":"%s","customer_identifier":"a","customer_identifier":"b"}' % TS,
         "customer_identifier"),
        ('{"unique_id":"k5","timestamp":"%s","usage":{"prompt_tokens":1,"prompt_tokens":2}}' % TS,
         "usage.prompt_tokens"),
        ('{"unique_id":"k6","timestamp":"%s","usage":{"prompt_tokens_details":{"cached_tokens":1,"cached_tokens":9}}}'
         % TS, "usage.prompt_tokens_details.cached_tokens"),
        ('{"unique_id":"k7","timestamp":"%s",%s,"model":"a","model":"b"}' % (TS, wide), "model"),
    ]
    try:
        for body, field in cases:
            expect_error(post_raw(c, CREATE, body), 400, f"{field}: duplicate key", field=field)
        expect_error(post_raw(c, "/v1/logs", "[" + dumps(log(1)) + "," + cases[0][0] + "]"), 400,
                     "cost: duplicate key", index=1, field="cost")
        # in an object tollgate does not read (kept verbatim, never summed), it is the client's business
        st, body = post_raw(c, CREATE, '{"unique_id":"k8","timestamp":"%s","metadata":{"a":1,"a":2}}' % TS)
        expect(st == 201 and body["id"] == "k8", (st, body))
        still_up(c)
    finally:
        expect(c.stop() == 0, "exit status")
    expect(stored_ids(c.db) == ["k8"], stored_ids(c.db))
    # import reads logs with the same parser, so the same rule
    path = os.path.join(d, "dups.jsonl")
    with open(path, "w") as f:
        f.write("\n".join(body for body, _ in cases) + "\n")
    p = subprocess.run([BIN, "--db", os.path.join(d, "import.db"), "import", path], capture_output=True, timeout=60)
    expect(p.returncode == 1, (p.returncode, p.stderr))
    err = p.stderr.decode()
    for line_no, (_, field) in enumerate(cases, 1):
        expect(f"dups.jsonl:{line_no}: rejected: {field}: duplicate key" in err, err)


def test_log_without_model_or_time(d):
    """No model: stored, reported as "(no model)" and unpriced (as import does).
    No time: the collector stamps the time it received the log; import, which
    may read a file months old, refuses it."""
    c = Collector(d, "--quiet")
    try:
        st, body = post_raw(c, CREATE, '{"unique_id":"no-model","timestamp":"%s","prompt_tokens":5}' % TS)
        expect(st == 201 and body == {"id": "no-model", "duplicate": False}, (st, body))
        before = int(time.time() * 1000)
        st, body = post_raw(c, CREATE, '{"unique_id":"no-time","model":"gpt-5.5","prompt_tokens":5}')
        after = int(time.time() * 1000)
        expect(st == 201 and body == {"id": "no-time", "duplicate": False}, (st, body))
        # an empty model names nothing either
        st, body = post_raw(c, CREATE, '{"unique_id":"empty-model","timestamp":"%s","model":""}' % TS)
        expect(st == 201, (st, body))
        still_up(c)
    finally:
        expect(c.stop() == 0, "exit status")
    con = sqlite3.connect(c.db)
    rows = dict(con.execute("SELECT log_id, ts_ms FROM requests"))
    con.close()
    expect(before - 1000 <= rows["no-time"] <= after + 1000, (before, rows["no-time"], after))
    r = report(c.db, "model")
    names = {row["name"]: row for row in r["rows"]}
    expect(names.get("(no model)", {}).get("requests") == 2 and names["(no model)"]["unpriced_requests"] == 2, r["rows"])
    path = os.path.join(d, "no-time.jsonl")
    with open(path, "w") as f:
        f.write('{"unique_id":"no-time-2","model":"gpt-5.5"}\n')
    p = subprocess.run([BIN, "--db", c.db, "import", path], capture_output=True, timeout=60)
    expect(p.returncode == 1 and b"no-time.jsonl:1: rejected: timestamp: missing" in p.stderr, p.stderr)


def metric(c, name):
    st, body = c.request("GET", "/metrics", content_type=None)
    expect(st == 200, st)
    m = re.search(r"^%s (\d+)$" % re.escape(name), body, re.M)
    expect(m, f"no {name} in metrics")
    return int(m.group(1))


def closed_by_server(s, within):
    """True when the server ends the connection (EOF or reset) within the time."""
    s.settimeout(within)
    try:
        while True:
            data = s.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_slow_client_is_cut_off(d):
    """A byte a second never lets an idle timeout fire; the request deadline
    (--client-timeout) closes the connection anyway, in the headers or in the
    body, and other clients are served meanwhile."""
    c = Collector(d, "--quiet", "--client-timeout", "2")
    results = {}

    def trickle(name, head, body_bytes):
        s = socket.create_connection(("127.0.0.1", c.port), timeout=10)
        start = time.monotonic()
        s.sendall(head)
        try:
            for b in body_bytes:
                s.sendall(bytes([b]))
                time.sleep(1)
                if time.monotonic() - start > 8:
                    break
            results[name] = (closed_by_server(s, 8), time.monotonic() - start)
        except (ConnectionResetError, BrokenPipeError):
            results[name] = (True, time.monotonic() - start)
        s.close()

    body = dumps(log(1)).encode()
    slow_head = threading.Thread(target=trickle, args=(
        "headers", b"", b"POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"))
    slow_body = threading.Thread(target=trickle, args=(
        "body", b"POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        % (len(body) + 2), b"[" + body + b"]"))
    try:
        slow_head.start()
        slow_body.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        still_up(c)  # served while the slow ones hang on
        expect(time.monotonic() - t0 < 1, "healthz waited for the slow clients")
        slow_head.join()
        slow_body.join()
        for name in ("headers", "body"):
            closed, after = results[name]
            expect(closed and 1.5 <= after <= 5, f"slow {name}: closed={closed} after {after:.1f} s")
        expect(metric(c, "tollgate_connections_timed_out_total") == 2, "timed-out count")
        # a client that keeps to the deadline is unaffected, also on a keep-alive connection
        conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=10)
        for i in range(3):
            conn.request("POST", "/v1/logs", body=dumps([log(10 + i)]), headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            expect(resp.status == 200, resp.status)
            resp.read()
            time.sleep(1.2)  # more than half the timeout between requests: the deadline restarts at each answer
        conn.close()
        still_up(c)
    finally:
        expect(c.stop() == 0, "exit status")
    expect(sorted(stored_ids(c.db)) == ["log-10", "log-11", "log-12"], stored_ids(c.db))


def test_more_connections_than_the_limit(d):
    """Past --max-connections a new connection is closed at once, without an
    answer; the server stays up and serves again when connections go. The
    eight held have each sent a request that passed the token check: a
    connection that has not is shut to make room instead (abuse_test.py)."""
    c = Collector(d, "--quiet", "--max-connections", "8")
    held = []
    for _ in range(8):
        s = socket.create_connection(("127.0.0.1", c.port), timeout=10)
        s.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]")
        expect(s.recv(4096).startswith(b"HTTP/1.1 200"), "a held connection was not served")
        held.append(s)
    flood = []
    try:
        time.sleep(0.5)  # all eight accepted and counted
        flood = [socket.create_connection(("127.0.0.1", c.port), timeout=10) for _ in range(200)]
        for s in flood:
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            except OSError:
                pass
        for s in flood:
            expect(closed_by_server(s, 5), "a connection past the limit was left open")
        for s in flood:
            s.close()
        # those inside the limit are served
        held[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        held[0].settimeout(10)
        expect(held[0].recv(4096).startswith(b"HTTP/1.1 200"), "a connection inside the limit was not served")
        for s in held:
            s.close()
        deadline = time.time() + 5
        retries_refused = 0
        while True:  # the slots come back as the server sees the closes; until then each try is refused too
            try:
                refused = metric(c, "tollgate_connections_refused_total")
                break
            except (OSError, http.client.HTTPException):
                retries_refused += 1
                expect(time.time() < deadline, "no slot came back after closing connections")
                time.sleep(0.1)
        expect(refused == 200 + retries_refused, f"refused count {refused}, after {retries_refused} refused retries")
        st, body = c.post("/v1/logs", dumps([log(1)]))
        expect(st == 200 and body["stored"] == 1, (st, body))
    finally:
        for s in held + flood:
            s.close()
        expect(c.stop() == 0, "exit status")


def test_client_timeout_and_connection_limit_flags(d):
    for flag, bad, message in [("--client-timeout", "0", b"--client-timeout wants seconds from 1 to 86400, not '0'"),
                               ("--client-timeout", "soon", b"--client-timeout wants seconds"),
                               ("--max-connections", "-3", b"--max-connections wants a number from 1 to 1000000, not '-3'")]:
        p = subprocess.run([BIN, "--db", os.path.join(d, "x.db"), "collect", flag, bad], capture_output=True, timeout=30)
        expect(p.returncode == 2 and message in p.stderr, (flag, bad, p.returncode, p.stderr))


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
