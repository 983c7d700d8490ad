#!/usr/bin/env python3
"""The collector's memory through a burst of large posts: 16 posts of ~15.7 MB
(4,800 logs of random text each) at once; VmRSS before, at its peak, and two
seconds after. docs/reliability.md has the figures.

usage: bench/burst_rss.py BINARY WORKDIR [collect options...]
e.g.   bench/burst_rss.py build/tollgate /tmp/burst --max-body 16M"""
import sys, os, time, json, threading, http.client, re
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
import harness
from collector_test import Collector, dumps, log
bin_, d = sys.argv[1], sys.argv[2]
harness.BIN = bin_
import collector_test; collector_test.BIN = bin_
extra = sys.argv[3:]
os.makedirs(d, exist_ok=True)
c = Collector(d, "--quiet", *extra)
def rss(pid):
    return int(re.search(r"^VmRSS:\s+(\d+)", open(f"/proc/{pid}/status").read(), re.M).group(1))
def body(k):
    return dumps([log(k*100000+i, prompt_messages=[{"role":"user","content":os.urandom(1500).hex()}]) for i in range(4800)]).encode()
bodies=[body(k) for k in range(16)]
print("body MB", len(bodies[0])/1e6)
res=[None]*16
peak=[0]
stop=threading.Event()
def sample():
    while not stop.is_set():
        peak[0]=max(peak[0], rss(c.proc.pid)); time.sleep(0.05)
def send(k):
    conn=http.client.HTTPConnection("127.0.0.1", c.port, timeout=120)
    try:
        conn.request("POST","/v1/logs",body=bodies[k],headers={"Content-Type":"application/json"})
        r=conn.getresponse(); r.read(); res[k]=r.status
    except Exception as e: res[k]=type(e).__name__
before=rss(c.proc.pid)
st=threading.Thread(target=sample); st.start()
ts=[threading.Thread(target=send,args=(k,)) for k in range(16)]
[t.start() for t in ts]; [t.join() for t in ts]
time.sleep(2)
stop.set(); st.join()
after=rss(c.proc.pid)
print("statuses", sorted(map(str,res)), "RSS KiB before", before, "peak", peak[0], "after 2 s", after)
c.stop()
