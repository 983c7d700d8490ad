#!/usr/bin/env python3
"""Collector post latency beside a bulk import: starts `collect` on a new db
in WORKDIR, times 100 single-log posts alone, then runs `import FILE` into the
same db while posting one log every 20 ms on a keep-alive connection; prints
p50 / p99 / max, the statuses and the slow posts. docs/reliability.md has
the figures.

usage: bench/import_beside.py BINARY WORKDIR FILE
e.g.   build/tollgate demo --requests 200000 --context 8 --output /tmp/d200k.jsonl
       bench/import_beside.py build/tollgate /tmp/beside /tmp/d200k.jsonl"""
import sys, os, time, subprocess, http.client
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
import harness, collector_test
bin_, d, path = sys.argv[1], sys.argv[2], sys.argv[3]
period = float(sys.argv[4]) if len(sys.argv) > 4 else 0.02
harness.BIN = collector_test.BIN = bin_
from collector_test import Collector, dumps, log
os.makedirs(d, exist_ok=True)
c = Collector(d, "--quiet")
conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=60)
def post(i):
    t0 = time.monotonic()
    conn.request("POST", "/api/request-logs/create/", body=dumps(log(f"b-{i}")), headers={"Content-Type": "application/json"})
    r = conn.getresponse(); r.read()
    return r.status, time.monotonic() - t0
base = [post(f"pre{i}")[1] for i in range(100)]
imp = subprocess.Popen([bin_, "--db", c.db, "import", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
start = time.monotonic(); lat = []; st = []; slow = []
i = 0
while imp.poll() is None:
    s, l = post(i); i += 1
    lat.append(l); st.append(s)
    if l > 0.15: slow.append((round(time.monotonic() - start - l, 2), round(l, 3)))
    time.sleep(period)
out, err = imp.communicate()
took = time.monotonic() - start
def pct(v, p): v = sorted(v); return v[min(len(v)-1, int(len(v)*p))]
print("import:", out.decode().strip(), err.decode().strip()[:300], f"{took:.1f} s")
print(f"before: p50 {pct(base,.5)*1000:.1f} ms p99 {pct(base,.99)*1000:.1f} ms")
print(f"beside: {len(lat)} posts, statuses {sorted(set(st))}, p50 {pct(lat,.5)*1000:.1f} ms p99 {pct(lat,.99)*1000:.1f} ms max {max(lat)*1000:.0f} ms, refused {sum(1 for s in st if s >= 500)}")
print("slow:", slow[:20])
c.stop()
