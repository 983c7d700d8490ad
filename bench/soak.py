#!/usr/bin/env python3
"""Load and soak for `tollgate collect`: bench/loadgen with many keep-alive
connections on loopback for a fixed time, mixing single-log POSTs and 1-50 log
batches, every log unique; the collector's resident memory (VmRSS) sampled
every second. Reports errors (must be 0), RSS (start, after warm-up, min, max,
last), latency percentiles and throughput, and checks afterwards that the db
holds every log acknowledged and passes PRAGMA integrity_check.

usage: bench/soak.py [--connections N] [--seconds S] [--bin PATH] [--logs FILE]
Needs `make build/tollgate build/bench/loadgen`. Bounded: at most 256
connections and 600 seconds."""
import argparse
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench/out")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def metric(port, name):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    body = conn.getresponse().read().decode()
    conn.close()
    m = re.search(r"^%s (\d+)$" % re.escape(name), body, re.M)
    return int(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=10, help="seconds before the RSS baseline (default 10)")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build/tollgate"))
    ap.add_argument("--loadgen", default=os.path.join(ROOT, "build/bench/loadgen"))
    ap.add_argument("--logs", default=os.path.join(OUT, "soak-logs.jsonl"),
                    help="JSON Lines to send (made with `tollgate demo` when missing)")
    a = ap.parse_args()
    if not 1 <= a.connections <= 256 or not 5 <= a.seconds <= 600 or not 0 <= a.warmup < a.seconds:
        sys.exit("soak: --connections 1-256, --seconds 5-600, --warmup below --seconds")
    load_before = os.getloadavg()[0]
    os.makedirs(OUT, exist_ok=True)
    if not os.path.exists(a.logs):
        subprocess.run([a.bin, "demo", "--requests", "20000", "--context", "4", "--seed", "7", "--output", a.logs],
                       check=True, stderr=subprocess.DEVNULL)
    db = os.path.join(OUT, "soak.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    err_path = os.path.join(OUT, "soak-collector.err")
    with open(err_path, "w") as err:
        proc = subprocess.Popen([a.bin, "--db", db, "collect", "--listen", "127.0.0.1:0", "--quiet",
                                 "--max-connections", str(a.connections + 16)], stderr=err)
    port = None
    for _ in range(200):
        with open(err_path) as f:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", f.read())
        if m:
            port = int(m.group(1))
            break
        time.sleep(0.05)
    if port is None:
        proc.kill()
        sys.exit("soak: the collector did not start")
    samples = []  # (seconds since start, KiB)
    done = threading.Event()
    t0 = time.monotonic()

    def sample():
        while not done.is_set():
            kib = rss_kib(proc.pid)
            if kib is not None:
                samples.append((time.monotonic() - t0, kib))
            done.wait(1.0)

    sampler = threading.Thread(target=sample)
    sampler.start()
    load = subprocess.run([a.loadgen, str(port), a.logs, str(a.connections), "mix", str(a.seconds)],
                          capture_output=True, text=True)
    done.set()
    sampler.join()
    stored = metric(port, "tollgate_logs_stored_total")
    refused = metric(port, "tollgate_connections_refused_total")
    timed_out = metric(port, "tollgate_connections_timed_out_total")
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=120)
    con = sqlite3.connect(db)
    rows = con.execute("SELECT count(*) FROM requests").fetchone()[0]
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()

    line = load.stdout.strip()
    m = re.search(r"(\d+) logs in (\d+) POSTs.*?: (\d+) logs/s, [\d.]+ MB/s, (\d+) POSTs/s, p50 ([\d.]+) ms, p95 ([\d.]+) ms, "
                  r"p99 ([\d.]+) ms, max ([\d.]+) ms, (\d+) errors", line)
    if not m or not samples:
        print(load.stdout, load.stderr)
        sys.exit("soak: no figures from loadgen")
    logs, posts, errors = int(m.group(1)), int(m.group(2)), int(m.group(9))
    kib = [k for _, k in samples]
    warm = [k for t, k in samples if t >= a.warmup] or kib
    growth = (warm[-1] - warm[0]) / warm[0] * 100
    print(f"soak: {a.connections} connections, {a.seconds} s, mix of single-log POSTs and 1-50 log batches, "
          f"loopback, {os.cpu_count()} cores, load average before {load_before:.2f}, after {os.getloadavg()[0]:.2f}")
    print(f"  loadgen: {line}")
    print(f"  acknowledged logs {logs} in {posts} POSTs; collector stored {stored}; rows in db {rows}; "
          f"integrity_check {integrity}; exit status {rc}")
    print(f"  errors {errors}; connections refused {refused}, timed out {timed_out}")
    print(f"  RSS KiB: start {kib[0]}, after {a.warmup} s warm-up {warm[0]}, min {min(warm)}, max {max(warm)}, "
          f"last {warm[-1]} ({growth:+.1f}% from warm-up to end)")
    step = max(1, len(samples) // 12)
    print("  RSS KiB every %d s: %s" % (step, " ".join(str(k) for _, k in samples[::step])))
    ok = errors == 0 and rows == logs == stored and integrity == "ok" and rc == 0 and refused == 0
    print(f"  {'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
