#!/usr/bin/env python3
"""The collector against `tollgate import` of the same logs, in one run.

  bench/collector_small.py                       100,000 ~1.7 KB logs, 100 a POST
  bench/collector_small.py --per-post 500 --format lines
  bench/collector_small.py --file F --per-post 1 one log a POST (e.g. 120 KB agent logs)
  bench/collector_small.py --bin build/tollgate --bin /tmp/tollgate.before   paired binaries

For each binary and round: `tollgate collect` on an empty db with bench/loadgen
(CONNECTIONS keep-alive connections, PER_POST logs a POST to /v1/logs as a JSON
array or JSON Lines, every log sent once), then `tollgate import FILE` into
another empty db. Runs alternate (the order reversed every other round); the
table gives medians. logs/s and MB/s are wall clock: loadgen's first POST to its
last reply for the collector, process start to exit for import. CPU s is the
server's or importer's user+sys, all threads, start to exit. Work files in
bench/out/ (ignored by git). Needs `make build/tollgate build/bench/loadgen`."""

import argparse
import os
import re
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOADGEN = os.path.join(ROOT, "build", "bench", "loadgen")
OUT = os.path.join(ROOT, "bench", "out")
PATTERN = re.compile(r"(\d+) logs in (\d+) POSTs, ([\d.]+) s: (\d+) logs/s, ([\d.]+) MB/s, .*?p50 ([\d.]+) ms, "
                     r"p95 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms, (\d+) errors")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def remove_db(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def small_corpus(logs):
    path = os.path.join(OUT, f"small-{logs}logs-seed1.jsonl")
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_corpus.py"), "small", "--logs", str(logs),
                        "--seed", "1", "-o", path + ".tmp"], check=True)
        os.rename(path + ".tmp", path)
    return path


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def stored(db):
    with sqlite3.connect(db) as con:
        return con.execute("SELECT count(*) FROM requests").fetchone()[0]


def run_collect(binary, a, logs_file):
    """(logs/s, MB/s, CPU s, p50 ms, p99 ms)"""
    db, err_path = os.path.join(OUT, "small-collect.db"), os.path.join(OUT, "small-collect.err")
    remove_db(db)
    cpu0 = children_cpu()
    with open(err_path, "w") as err:
        server = subprocess.Popen([binary, "--db", db, "collect", "--listen", "127.0.0.1:0", "--quiet"], stderr=err)
    port = None
    for _ in range(400):
        with open(err_path) as f:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", f.read())
        if m:
            port = m.group(1)
            break
        time.sleep(0.025)
    if not port:
        server.kill()
        sys.exit(f"bench: {binary} collect did not start")
    argv = [LOADGEN, port, logs_file, str(a.connections), str(a.per_post), str(a.seconds)]
    load = subprocess.run(argv + (["lines"] if a.format == "lines" else []), capture_output=True, text=True)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=300)
    cpu = children_cpu() - cpu0
    m = PATTERN.search(load.stdout)
    if not m or load.returncode != 0:
        sys.exit(f"bench: loadgen against {binary}: {load.stdout} {load.stderr}")
    g = [float(x) for x in m.groups()]
    if stored(db) != int(g[0]):
        sys.exit(f"bench: {binary} collect acknowledged {int(g[0])} logs but stored {stored(db)}")
    return g[3], g[4], cpu, g[5], g[7]


def run_import(binary, logs_file, nlogs, raw):
    db = os.path.join(OUT, "small-import.db")
    remove_db(db)
    cpu0 = children_cpu()
    t = time.monotonic()
    p = subprocess.run([binary, "--db", db, "import", logs_file], capture_output=True, text=True)
    wall = time.monotonic() - t
    if p.returncode != 0:
        sys.exit(f"bench: {binary} import failed: {p.stderr[-400:]}")
    return nlogs / wall, raw / wall / 1e6, children_cpu() - cpu0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--file", help="JSON Lines of logs (default: gen_corpus.py small --logs LOGS --seed 1)")
    ap.add_argument("--logs", type=int, default=100000)
    ap.add_argument("--per-post", type=int, default=100)
    ap.add_argument("--format", choices=("array", "lines"), default="array")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=120, help="longest collector run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bin", action="append", help="tollgate binary (repeat to compare; default build/tollgate)")
    ap.add_argument("--no-import", action="store_true")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    bins = [os.path.abspath(b) for b in (a.bin or [os.path.join(ROOT, "build", "tollgate")])]
    logs_file = a.file or small_corpus(a.logs)
    raw = os.path.getsize(logs_file)
    with open(logs_file, "rb") as f:
        nlogs = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))
    print(f"corpus {logs_file}: {nlogs} logs, {raw / 1e6:.1f} MB; loadgen: {a.connections} connections, "
          f"{a.per_post} logs a POST ({a.format}); load average at start {loadavg()}")
    jobs = [(b, "collect") for b in bins] + ([] if a.no_import else [(b, "import") for b in bins])
    res = {job: [] for job in jobs}
    for rnd in range(a.rounds):
        for b, kind in (jobs if rnd % 2 == 0 else list(reversed(jobs))):
            if kind == "collect":
                res[(b, kind)].append(run_collect(b, a, logs_file))
            else:
                res[(b, kind)].append(run_import(b, logs_file, nlogs, raw))
        print(f"  round {rnd + 1} of {a.rounds} done, load average {loadavg()}", file=sys.stderr)
    med = statistics.median
    print(f"\n{'binary':40} {'run':8} {'logs/s':>8} {'MB/s':>7} {'CPU s':>6} {'p50 ms':>7} {'p99 ms':>7}  "
          "logs/s of each run")
    for (b, kind), rows in res.items():
        cols = list(zip(*rows))
        lat = f"{med(cols[3]):7.1f} {med(cols[4]):7.1f}" if kind == "collect" else f"{'':7} {'':7}"
        print(f"{b[-40:]:40} {kind:8} {med(cols[0]):8.0f} {med(cols[1]):7.1f} {med(cols[2]):6.2f} {lat}  "
              f"{' '.join(f'{x:.0f}' for x in cols[0])}")
    if not a.no_import:
        for b in bins:
            ratio = med(r[0] for r in res[(b, "collect")]) / med(r[0] for r in res[(b, "import")])
            print(f"collect / import logs/s ({b[-40:]}): {ratio:.3f}")
    print(f"load average at end {loadavg()}")


if __name__ == "__main__":
    main()
