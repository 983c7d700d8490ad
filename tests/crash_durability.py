#!/usr/bin/env python3
"""Crash durability of `tollgate collect`: clients stream posts, the collector
is killed with SIGKILL at a random moment, restarted on the same db, and so on
for N rounds. After each kill the db is opened cold and checked: every log the
collector acknowledged (a 2xx) is stored exactly once, PRAGMA integrity_check
is ok, and the hourly rollups and stored bodies agree with the request rows
(nothing counted twice, nothing half-written).

usage: tests/crash_durability.py [--rounds N] [--clients N] [--bin PATH] [--seed S] [--keep DIR]

Prints one line per round and a summary; exits 0 only when nothing
acknowledged was lost or doubled and every check passed. collector_test.py runs
the same code with fewer rounds."""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BIN = os.environ.get("TOLLGATE_BIN", os.path.join(ROOT, "build/asan/tollgate"))


def start_collector(binary, db, workdir):
    """The collector on a free loopback port; returns (process, port, stderr path)."""
    err_path = os.path.join(workdir, f"collector-{time.monotonic_ns()}.err")
    env = dict(os.environ, HOME=workdir, XDG_CONFIG_HOME=os.path.join(workdir, "cfg"))
    env.pop("TOLLGATE_INGEST_TOKEN", None)
    with open(err_path, "w") as err:
        proc = subprocess.Popen([binary, "--db", db, "collect", "--listen", "127.0.0.1:0", "--quiet"],
                                stderr=err, env=env)
    deadline = time.time() + 20
    while time.time() < deadline:
        with open(err_path) as f:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", f.read())
        if m:
            return proc, int(m.group(1)), err_path
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    with open(err_path) as f:
        raise RuntimeError("collector did not start: " + f.read())


def make_log(log_id, rng):
    return {"unique_id": log_id, "timestamp": "2026-11-20T10:%02d:00Z" % rng.randrange(60),
            "model": rng.choice(["claude-sonnet-4-5", "gpt-5.5"]),
            "customer_identifier": rng.choice(["alice", "bob", "carol"]), "organization_key_name": "k1",
            "prompt_tokens": rng.randrange(1, 5000), "completion_tokens": rng.randrange(1, 500),
            "cost": rng.randrange(1, 10**6) / 10**6}


def post(port, path, body, content_type="application/json"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=body.encode(), headers={"Content-Type": content_type})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def client(port, round_no, k, stop, acked, lock, counts):
    """Posts until the collector dies: single logs, arrays and JSON Lines in
    turn, each log with a fresh id. Only a 2xx counts as acknowledged."""
    rng = random.Random(f"{round_no}-{k}")
    n = 0
    while not stop.is_set():
        kind = n % 3
        size = 1 if kind == 0 else rng.randrange(2, 40)
        logs = [make_log(f"r{round_no}-c{k}-p{n}-{i}", rng) for i in range(size)]
        n += 1
        try:
            if kind == 0:
                st = post(port, "/api/request-logs/create/", json.dumps(logs[0]))
            elif kind == 1:
                st = post(port, "/v1/logs", json.dumps(logs))
            else:
                st = post(port, "/v1/logs", "\n".join(json.dumps(l) for l in logs), "application/x-ndjson")
        except (OSError, http.client.HTTPException):
            return  # killed under us: whatever was in flight is not acknowledged
        with lock:
            if 200 <= st < 300:
                acked.update(l["unique_id"] for l in logs)
                counts["acked_posts"] += 1
            else:
                counts["errors"] += 1


def check_db(db, acked):
    """Opens the db as a new process would after the crash and checks it."""
    con = sqlite3.connect(db)
    try:
        integrity = "; ".join(r[0] for r in con.execute("PRAGMA integrity_check"))
        per_id = dict(con.execute("SELECT log_id, count(*) FROM requests GROUP BY log_id"))
        rows = con.execute("SELECT count(*), coalesce(sum(cost_nanos), 0) FROM requests").fetchone()
        rollup = con.execute("SELECT coalesce(sum(requests), 0), coalesce(sum(cost_nanos), 0) FROM rollup_hourly").fetchone()
        bodies = con.execute("SELECT count(*) FROM request_bodies b JOIN requests r ON r.id = b.request_id").fetchone()[0]
    finally:
        con.close()
    present = sum(1 for i in acked if per_id.get(i, 0) >= 1)
    return {"integrity": integrity, "rows": rows[0], "present": present, "lost": len(acked) - present,
            "doubled": sum(1 for c in per_id.values() if c > 1),
            "rollup_ok": tuple(rollup) == tuple(rows), "bodies_ok": bodies == rows[0]}


def run_rounds(rounds, binary=DEFAULT_BIN, workdir=None, clients=4, seed=None, out=print):
    """Returns a summary dict; ok is True when every round passed."""
    rng = random.Random(seed)
    own_dir = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="tg-crash-")
    db = os.path.join(workdir, "crash.db")
    acked, lock = set(), threading.Lock()
    counts = {"acked_posts": 0, "errors": 0}
    total = {"rounds": rounds, "ok": True, "failures": []}
    out(f"{'round':>5} {'killed after':>12} {'acked':>7} {'acked total':>11} {'present':>8} {'lost':>5} "
        f"{'doubled':>7} {'rows':>7} {'rollups':>7} {'bodies':>6}  integrity_check")
    try:
        for round_no in range(1, rounds + 1):
            proc, port, err_path = start_collector(binary, db, workdir)
            before = len(acked)
            stop = threading.Event()
            threads = [threading.Thread(target=client, args=(port, round_no, k, stop, acked, lock, counts))
                       for k in range(clients)]
            for t in threads:
                t.start()
            wait = 0.2 + rng.random() * 0.8
            time.sleep(wait)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            stop.set()
            for t in threads:
                t.join()
            r = check_db(db, acked)
            line_ok = r["lost"] == 0 and r["doubled"] == 0 and r["integrity"] == "ok" and r["rollup_ok"] and r["bodies_ok"]
            if not line_ok:
                total["ok"] = False
                total["failures"].append(round_no)
            out(f"{round_no:>5} {wait:>11.2f}s {len(acked) - before:>7} {len(acked):>11} {r['present']:>8} "
                f"{r['lost']:>5} {r['doubled']:>7} {r['rows']:>7} {'ok' if r['rollup_ok'] else 'WRONG':>7} "
                f"{'ok' if r['bodies_ok'] else 'WRONG':>6}  {r['integrity']}")
            total.update(r)
            os.unlink(err_path)
        total["acked"] = len(acked)
        total["acked_posts"] = counts["acked_posts"]
        total["errors"] = counts["errors"]
        if counts["errors"]:
            total["ok"] = False
        out(f"total: {rounds} SIGKILL rounds, {counts['acked_posts']} posts acknowledged, {len(acked)} logs "
            f"acknowledged, {total['present']} present, {total['lost']} lost, {total['doubled']} doubled, "
            f"{total['rows']} rows stored ({total['rows'] - total['present']} stored but never acknowledged), "
            f"non-2xx answers {counts['errors']}, integrity_check {total['integrity']}: "
            f"{'PASS' if total['ok'] else 'FAIL in rounds ' + str(total['failures'])}")
    finally:
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--bin", default=DEFAULT_BIN)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", metavar="DIR", help="work (and leave the db) in DIR")
    a = ap.parse_args()
    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
    total = run_rounds(a.rounds, a.bin, a.keep, a.clients, a.seed)
    sys.exit(0 if total["ok"] else 1)


if __name__ == "__main__":
    main()
