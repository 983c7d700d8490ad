#!/usr/bin/env python3
"""Money that cannot go wrong, with the real binary: sums past what an int64
holds are refused with a clear error (never wrapped to a negative total),
estimates are capped like given costs, failed requests are not charged, and a
log posted without an id is a new request each time unless the client sends an
Idempotency-Key (issue 13, items 4-6)."""
import json
import os
import sqlite3
import subprocess

from collector_test import Collector
from harness import BIN, check_sanitizers, expect, main

NOW = "2026-11-10T12:00:00Z"
MOST = "$9,223,372,036.85"  # INT64_MAX nano-dollars
README_LOG = '{"model":"claude-sonnet-4-5","customer_identifier":"alice","prompt_tokens":1200,"completion_tokens":300}'


def run(d, *args, env=None):
    e = dict(os.environ, TOLLGATE_NOW=NOW, HOME=d, XDG_CONFIG_HOME=os.path.join(d, "cfg"))
    e.pop("TOLLGATE_DB", None)
    e.update(env or {})
    p = subprocess.run([BIN, "--db", os.path.join(d, "t.db"), *args], capture_output=True, env=e, timeout=180)
    out, err = p.stdout.decode(), p.stderr.decode()
    check_sanitizers(err, " ".join(args))
    return p.returncode, out, err


def write_logs(path, n, prefix, dev=lambda i: "alice", day=lambda i: "01", key=None):
    """n logs at the most a log may cost ($100,000), all at 10:00 and of one model."""
    with open(path, "w") as f:
        for i in range(n):
            log = {"unique_id": f"{prefix}-{i}", "timestamp": f"2026-11-{day(i)}T10:00:00Z",
                   "model": "m", "customer_identifier": dev(i), "cost": 100000}
            if key:
                log["organization_key_name"] = key
            f.write(json.dumps(log) + "\n")
    return path


def report(d, *args):
    rc, out, err = run(d, "report", "--format", "json", *args)
    expect(rc == 0, f"report {args}: exit {rc}: {err}")
    return json.loads(out)


def test_one_rollup_cell_past_int64_is_refused_not_wrapped(d):
    # 93,000 x $100,000 = $9.3e9 in one hour / developer / key / model: was
    # stored as -$9,146,744,073.71 (and UBSan aborted the import)
    path = write_logs(os.path.join(d, "big.jsonl"), 93000, "big")
    rc, out, err = run(d, "import", path)
    expect(rc == 2, f"exit {rc}, want 2: {out} {err}")
    expect(f"would pass {MOST}, the most tollgate can count: the batch is not stored" in err, err)
    r = report(d)
    expect(r["total"]["requests"] == 0 and not r["total"]["cost"].__str__().startswith("-"), r["total"])


def test_sums_past_int64_across_batches_and_in_reports_are_errors(d):
    # two developers, 46,500 logs each in one hour: each rollup fits, the total does not
    both = write_logs(os.path.join(d, "both.jsonl"), 93000, "both", dev=lambda i: "alice" if i % 2 else "bob")
    rc, out, err = run(d, "import", both)
    expect(rc == 0 and "imported 93000" in out, (rc, out, err))
    for by in ("developer", "hour", "day", "model"):
        rc, out, err = run(d, "report", "--by", by, "--format", "json")
        expect(rc == 2, f"report --by {by}: exit {rc}, want 2: {out[:300]} {err}")
        expect(f"would pass {MOST}, the most tollgate can count" in err, err)
        expect("-$" not in out and '"cost":-' not in out, out[:300])
    # one developer alone still adds up
    alice = report(d, "--developer", "alice")
    expect(alice["total"]["requests"] == 46500 and alice["total"]["cost"] == 4650000000.0, alice["total"])
    # 46,500 more for alice in the same hour: the batch's sum fits, the stored row plus it does not
    more = write_logs(os.path.join(d, "more.jsonl"), 46500, "more")
    rc, out, err = run(d, "import", more)
    expect(rc == 2, f"exit {rc}, want 2: {out} {err}")
    expect(f"would pass {MOST}" in err, err)
    alice = report(d, "--developer", "alice")
    expect(alice["total"]["requests"] == 46500 and alice["total"]["cost"] == 4650000000.0, alice["total"])
    con = sqlite3.connect(os.path.join(d, "t.db"))
    types = {t for (t,) in con.execute("SELECT DISTINCT typeof(cost_nanos) FROM rollup_hourly")}
    con.close()
    expect(types == {"integer"}, f"a rollup sum stored as {types}")


def test_keys_spend_past_int64_is_an_error(d):
    # one key over two days: each day's rollup fits, its 30-day spend (an SQL sum) does not
    path = write_logs(os.path.join(d, "key.jsonl"), 93000, "key", day=lambda i: "01" if i % 2 else "02", key="k1")
    rc, out, err = run(d, "import", path)
    expect(rc == 0, err)
    rc, out, err = run(d, "keys", "--offline")
    expect(rc == 2 and f"a sum would pass {MOST}, the most tollgate can count" in err, (rc, out, err))
    expect("-$" not in out, out)


def test_estimate_is_capped_like_a_given_cost(d):
    pricing = os.path.join(d, "pricing.json")
    with open(pricing, "w") as f:
        json.dump({"dear-model": {"input_cost_per_token": 0.001, "output_cost_per_token": 0.001}}, f)
    path = os.path.join(d, "dear.jsonl")
    with open(path, "w") as f:
        f.write(json.dumps({"unique_id": "dear", "timestamp": "2026-11-01T10:00:00Z", "model": "dear-model",
                            "prompt_tokens": 1000000000, "completion_tokens": 1000000000}) + "\n")
    rc, out, err = run(d, "--pricing", pricing, "import", path)
    expect(rc == 0, err)
    t = report(d)["total"]
    # was $2,000,000 estimated for one request, more than a log may say it cost
    expect(t["cost"] == 100000.0 and t["cost_estimated"] == 100000.0, t)


def test_failed_requests_without_cost_are_not_charged(d):
    base = {"timestamp": "2026-11-01T10:00:00Z", "model": "claude-opus-4-6", "customer_identifier": "alice",
            "prompt_tokens": 200000, "completion_tokens": 0}
    logs = [dict(base, unique_id="r429", status_code=429, error_message="rate limited"),
            dict(base, unique_id="r503", status_code=503),
            dict(base, unique_id="rstatus", status="error"),
            dict(base, unique_id="rgiven", status_code=429, cost=0.05),
            dict(base, unique_id="ok", status_code=200, prompt_tokens=1000, completion_tokens=100)]
    path = os.path.join(d, "failed.jsonl")
    with open(path, "w") as f:
        for l in logs:
            f.write(json.dumps(l) + "\n")
    rc, out, err = run(d, "import", path)
    expect(rc == 0, err)
    t = report(d)["total"]
    expect(t["errors"] == 4 and t["unpriced_requests"] == 0, t)
    # the one request that went through is estimated; the gateway's $0.05 stands; the refused cost nothing
    ok_only = t["cost_estimated"]
    expect(0 < ok_only < 0.05, t)
    expect(abs(t["cost"] - (ok_only + 0.05)) < 1e-9, t)


def test_demo_failed_requests_cost_nothing(d):
    rc, out, err = run(d, "demo", "--requests", "6000", "--seed", "3")
    expect(rc == 0, err)
    con = sqlite3.connect(os.path.join(d, "t.db"))
    errors, charged, top_is_error = con.execute(
        "SELECT count(*), sum(cost_nanos > 0), (SELECT is_error FROM requests ORDER BY cost_nanos DESC LIMIT 1)"
        " FROM requests WHERE is_error").fetchone()
    con.close()
    expect(errors > 50, f"the demo made only {errors} failed requests")
    # was: some 429s estimated (the demo's dearest request was a 429 at $0.27)
    expect(charged == 0, f"{charged} of {errors} failed requests were charged")
    expect(top_is_error == 0, "the most expensive request is a failed one")


def test_collector_post_without_id_is_a_new_request_unless_idempotency_key(d):
    c = Collector(d, db=os.path.join(d, "t.db"))
    try:
        ids = []
        for _ in range(3):  # the README's own curl example, three times
            st, body = c.post("/api/request-logs/create/", README_LOG)
            expect(st == 201 and body["duplicate"] is False, (st, body))
            ids.append(body["id"])
        expect(len(set(ids)) == 3, f"three posts, ids {ids}")
        # with an Idempotency-Key a retry is the same request
        st, first = c.post("/api/request-logs/create/", README_LOG, headers={"Idempotency-Key": "retry-1"})
        st2, again = c.post("/api/request-logs/create/", README_LOG, headers={"Idempotency-Key": "retry-1"})
        expect(st == st2 == 201 and first["duplicate"] is False and again["duplicate"] is True, (first, again))
        expect(first["id"] == again["id"], (first, again))
        # a batch: one id per position under the key
        batch = "[" + ",".join([README_LOG] * 3) + "]"
        st, body = c.post("/v1/logs", batch, headers={"Idempotency-Key": "batch-9"})
        expect(st == 200 and body == {"stored": 3, "duplicates": 0}, (st, body))
        st, body = c.post("/v1/logs", batch, headers={"Idempotency-Key": "batch-9"})
        expect(st == 200 and body == {"stored": 0, "duplicates": 3}, (st, body))
        st, body = c.post("/v1/logs", batch)
        expect(st == 200 and body == {"stored": 3, "duplicates": 0}, (st, body))
        # a log's own unique_id still wins over the key
        own = json.dumps(dict(json.loads(README_LOG), unique_id="own-1"))
        st, body = c.post("/api/request-logs/create/", own, headers={"Idempotency-Key": "other"})
        expect(st == 201 and body["id"] == "own-1", (st, body))
        st, body = c.post("/api/request-logs/create/", README_LOG, headers={"Idempotency-Key": "x" * 300})
        expect(st == 400 and body.get("field") == "Idempotency-Key" and "Idempotency-Key" in body["error"],
               (st, body))
    finally:
        expect(c.stop() == 0, c.log())
    r = report(d)
    expect(r["total"]["requests"] == 3 + 1 + 3 + 3 + 1, r["total"])


def test_import_keeps_the_content_hash_for_logs_without_id(d):
    path = os.path.join(d, "noid.jsonl")
    with open(path, "w") as f:
        for i in range(3):
            f.write(json.dumps({"timestamp": f"2026-11-01T10:0{i}:00Z", "model": "m", "prompt_tokens": i}) + "\n")
    rc, out, err = run(d, "import", path)
    expect(rc == 0 and "imported 3, duplicates 0" in out, (out, err))
    rc, out, err = run(d, "import", path)
    expect(rc == 0 and "imported 0, duplicates 3" in out, (out, err))


if __name__ == "__main__":
    main("money", globals())
