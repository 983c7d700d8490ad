#!/usr/bin/env python3
"""The collector under abuse, an import beside a running collector, and two
commands racing on a new db: the real binary, real sockets on 127.0.0.1 (and
127.0.0.2.., which Linux routes to lo too, to stand for other addresses)."""
import http.client
import json
import os
import re
import socket
import sqlite3
import subprocess
import threading
import time

from collector_test import Collector, dumps, log, metric, stored_ids
from harness import BIN, check_sanitizers, expect, main

TOKEN = "abuse-token-0123456789"


def token_file(d, name="tokens", token=TOKEN):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(token + "\n")
    os.chmod(path, 0o600)
    return path


def post_fresh(port, body, token=TOKEN, timeout=10):
    """One POST on a new connection, as curl does; the status, or the error."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("POST", "/v1/logs", body=body,
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        resp.read()
        conn.close()
        return resp.status
    except (OSError, http.client.HTTPException) as e:
        return type(e).__name__


class Flood:
    """Sockets that connect from `sources` and send half a request's headers,
    then nothing (slowloris); each one the server closes is opened again."""

    def __init__(self, port, sources, per_source, reconnect=True):
        self.port, self.reconnect = port, reconnect
        self.socks = []
        self.opened = self.closed_by_server = 0
        self.stop = threading.Event()
        for src in sources:
            for _ in range(per_source):
                self.socks.append(self._open(src))
        self.thread = threading.Thread(target=self._keep_up, daemon=True)
        self.thread.start()

    def _open(self, src):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", self.port))
            s.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        except OSError:
            pass
        self.opened += 1
        return (src, s)

    def _dead(self, s):
        s.setblocking(False)
        try:
            return s.recv(1) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _keep_up(self):
        while not self.stop.is_set():
            for i, (src, s) in enumerate(self.socks):
                if self.stop.is_set():
                    break
                if s and self._dead(s):
                    s.close()
                    self.closed_by_server += 1
                    self.socks[i] = self._open(src) if self.reconnect else (src, None)
            time.sleep(0.05)

    def close(self):
        self.stop.set()
        self.thread.join()
        for _, s in self.socks:
            if s:
                s.close()


def test_slowloris_flood_does_not_starve_clients_with_a_token(d):
    """Half-sent headers from 80 addresses (127.0.0.10..89), 8 sockets each,
    opened again as soon as they are closed, against --max-connections 200;
    and 100 more from one address (127.0.0.2). Was: the flood took every slot
    and 0 of 40 posts with a token got through. Now all 40 do, on new
    connections, and on a keep-alive connection opened before the flood; one
    address holds at most --max-per-address (32) slots; the sockets that never
    finish their headers are shut within --header-timeout (5 s by default)."""
    c = Collector(d, "--quiet", "--token-file", token_file(d), "--max-connections", "200")
    keep = http.client.HTTPConnection("127.0.0.1", c.port, timeout=10)
    flood = one_address = None
    try:
        keep.request("POST", "/v1/logs", body=dumps([log(0)]),
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
        resp = keep.getresponse()
        expect(resp.status == 200, resp.status)
        resp.read()
        started = time.monotonic()
        one_address = Flood(c.port, ["127.0.0.2"], 100, reconnect=False)
        flood = Flood(c.port, [f"127.0.0.{i}" for i in range(10, 90)], 8)
        time.sleep(1)
        results = {}

        def client(k):
            for i in range(10):
                results[(k, i)] = post_fresh(c.port, dumps([log(1000 + k * 10 + i)]))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        kept = []
        for i in range(5):  # the keep-alive client posts meanwhile
            keep.request("POST", "/v1/logs", body=dumps([log(2000 + i)]),
                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
            resp = keep.getresponse()
            resp.read()
            kept.append(resp.status)
        for t in threads:
            t.join()
        ok = sum(1 for v in results.values() if v == 200)
        expect(ok == 40, f"{ok} of 40 posts with a token got through: {sorted(set(map(str, results.values())))}")
        expect(kept == [200] * 5, f"keep-alive client: {kept}")
        refused_here = metric_auth(c, "tollgate_connections_refused_per_address_total")
        expect(refused_here >= 100 - 32, f"one address was refused only {refused_here} times past its 32")
        # the single-address flood does not reconnect: its admitted sockets are
        # shut by the header deadline (or evicted), not left for --client-timeout (30 s)
        deadline = started + 9
        while time.monotonic() < deadline and one_address.closed_by_server < 100:
            time.sleep(0.2)
        expect(one_address.closed_by_server == 100,
               f"{one_address.closed_by_server} of 100 half-sent requests closed after {time.monotonic() - started:.1f} s")
    finally:
        for f in (flood, one_address):
            if f:
                f.close()
        keep.close()
        expect(c.stop() == 0, "exit status")
    expect(len(stored_ids(c.db)) == 46, len(stored_ids(c.db)))


def metric_auth(c, name, token=TOKEN):
    st, body = c.request("GET", "/metrics", content_type=None, token=token)
    expect(st == 200, (st, body))
    m = re.search(r"^%s (\d+)$" % re.escape(name), body, re.M)
    expect(m, f"no {name} in metrics")
    return int(m.group(1))


def test_metrics_wants_a_token_when_tokens_are_set(d):
    """Was: /metrics answered anyone on a collector that requires a token."""
    c = Collector(d, "--quiet", "--token-file", token_file(d))
    try:
        st, _ = c.request("GET", "/metrics", content_type=None)
        expect(st == 401, f"/metrics without a token: {st}")
        st, body = c.request("GET", "/metrics", content_type=None, token=TOKEN)
        expect(st == 200 and "tollgate_logs_stored_total" in body, (st, body))
        st, _ = c.request("GET", "/healthz", content_type=None)
        expect(st == 200, st)
    finally:
        expect(c.stop() == 0, "exit status")


def test_metrics_token_file(d):
    """A scraper's own token reads /metrics, and cannot post."""
    c = Collector(d, "--quiet", "--token-file", token_file(d),
                  "--metrics-token-file", token_file(d, "metrics-tokens", "scraper-token-42"))
    try:
        st, _ = c.request("GET", "/metrics", content_type=None)
        expect(st == 401, f"/metrics without a token: {st}")
        st, _ = c.request("GET", "/metrics", content_type=None, token="wrong")
        expect(st == 401, f"/metrics with a wrong token: {st}")
        for token in (TOKEN, "scraper-token-42"):
            st, body = c.request("GET", "/metrics", content_type=None, token=token)
            expect(st == 200 and "tollgate_logs_stored_total" in body, (st, body))
        st, body = c.request("GET", "/healthz", content_type=None)
        expect(st == 200 and body == {"status": "ok"}, (st, body))
        # the metrics token reads, it does not write
        st, _ = c.post("/v1/logs", dumps([log(1)]), token="scraper-token-42")
        expect(st == 401, f"a post with the metrics token: {st}")
    finally:
        expect(c.stop() == 0, "exit status")
    expect("scraper-token-42" not in c.log() and TOKEN not in c.log(), "a token in the collector's log")
    # without any token (loopback only), /metrics stays open
    c = Collector(d, "--quiet", db=os.path.join(d, "open.db"))
    try:
        expect(metric(c, "tollgate_logs_stored_total") == 0, "open /metrics")
    finally:
        expect(c.stop() == 0, "exit status")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


def big_batch(n, start, pad):
    return dumps([log(start + i, prompt_messages=[{"role": "user", "content": f"{start + i} " + pad}])
                  for i in range(n)]).encode()


def test_bodies_in_flight_are_bounded(d):
    """8 posts of ~11 MB at once against the default --max-inflight of 64M:
    those that would pass the budget get 503 with Retry-After (never a
    dropped connection), the others are stored; once the burst is over the
    heap is given back. Was: no bound (16 posts of 15 MB took RSS to 656 MB,
    and it stayed)."""
    c = Collector(d, "--quiet")
    # text zstd shrinks (random bytes made the store's dictionary training
    # take a minute under ASan); each message its own, so none is shared
    bodies = [dumps([log(k * 100 + i, prompt_messages=[{"role": "user", "content": f"{k}-{i} " + "lorem ipsum " * 9200}])
                     for i in range(100)]).encode() for k in range(8)]
    expect(all(10_000_000 < len(b) < 16_000_000 for b in bodies), [len(b) for b in bodies])
    results = [None] * 8
    barrier = threading.Barrier(8)

    def send(k):
        conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=180)
        barrier.wait()
        conn.request("POST", "/v1/logs", body=bodies[k], headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        doc = json.loads(resp.read())
        results[k] = (resp.status, resp.getheader("Retry-After"), doc)
        conn.close()

    try:
        base = rss_kib(c.proc.pid)
        threads = [threading.Thread(target=send, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r[0] for r in results)
        busy = [r for r in results if r[0] == 503]
        expect(set(statuses) == {200, 503}, statuses)
        expect(all(r[1] == "1" and "--max-inflight" in r[2]["error"] for r in busy), busy[:1])
        stored = sum(r[2]["stored"] for r in results if r[0] == 200)
        # retried one at a time, every refused post goes in
        for k, r in enumerate(results):
            if r[0] == 503:
                st, doc = c.post("/v1/logs", bodies[k])
                expect(st == 200, (st, doc))
                stored += doc["stored"]
        expect(stored == 800, stored)
        wait_until_nothing_held(c)
        time.sleep(0.5)
        after = rss_kib(c.proc.pid)
        print(f"    RSS before {base} KiB, after the burst {after} KiB, {len(busy)} posts refused with 503")
        if "asan" not in BIN and "tsan" not in BIN:  # sanitizers keep freed memory in quarantine
            expect(after < base + 96 * 1024, f"RSS {after} KiB after the burst, {base} KiB before")
    finally:
        expect(c.stop() == 0, "exit status")
    expect(len(stored_ids(c.db)) == 800, "stored")


def test_chunked_body_past_the_budget_is_refused_whole(d):
    """A body without Content-Length is counted as it arrives: past the
    budget the rest is read and dropped, the answer is 503, nothing stored."""
    c = Collector(d, "--quiet", "--max-inflight", "1M", "--max-body", "1M")
    try:
        big = big_batch(500, 0, "y" * 1500)  # ~0.9 MB, fits alone
        expect(850_000 < len(big) < 1_048_576, len(big))

        def chunks(data, times):
            for _ in range(times):
                yield data[:len(data) // 2]
                yield data[len(data) // 2:]

        # two at once cannot both fit: one holds ~0.9 MB while the other arrives slowly
        holder = socket.create_connection(("127.0.0.1", c.port), timeout=10)
        holder.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Content-Length: %d\r\n\r\n" % len(big) + big[:-10])
        time.sleep(0.3)
        conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=30)
        conn.request("POST", "/v1/logs", body=chunks(big, 1), headers={"Content-Type": "application/json"},
                     encode_chunked=True)
        resp = conn.getresponse()
        doc = json.loads(resp.read())
        expect(resp.status == 503 and resp.getheader("Retry-After") == "1", (resp.status, doc))
        holder.sendall(big[-10:])
        expect(holder.recv(4096).startswith(b"HTTP/1.1 200"), "the first post")
        holder.close()
        conn.close()
        wait_until_nothing_held(c)
        st, doc = c.post("/v1/logs", big)
        expect(st == 200 and doc == {"stored": 0, "duplicates": 500}, (st, doc))
    finally:
        expect(c.stop() == 0, "exit status")


def wait_until_nothing_held(c):
    """A request gives its bytes back when libmicrohttpd reports it complete,
    a moment after the client has read the answer."""
    deadline = time.time() + 5
    while metric(c, "tollgate_body_bytes_held") != 0:
        expect(time.time() < deadline, "bytes still held after the burst")
        time.sleep(0.05)


def test_max_inflight_flag(d):
    for args, message in [(["--max-inflight", "1M"], b"--max-inflight (1048576 bytes) must be at least --max-body"),
                          (["--max-inflight", "lots"], b"--max-inflight wants a size"),
                          (["--header-timeout", "0"], b"--header-timeout wants seconds from 1 to 86400"),
                          (["--max-per-address", "x"], b"--max-per-address wants a number")]:
        p = subprocess.run([BIN, "--db", os.path.join(d, "x.db"), "collect", *args], capture_output=True, timeout=30)
        expect(p.returncode == 2 and message in p.stderr, (args, p.returncode, p.stderr))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def posts_beside_import(d, c, path, label):
    """Single-log posts on a keep-alive connection, one every 20 ms, for as
    long as `tollgate import path` runs; their statuses and latencies."""
    imp = subprocess.Popen([BIN, "--db", c.db, "import", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=30)
    statuses, latencies, i = [], [], 0
    started = time.monotonic()
    while imp.poll() is None:
        t0 = time.monotonic()
        conn.request("POST", "/api/request-logs/create/", body=dumps(log(f"{label}-{i}")),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        statuses.append(resp.status)
        latencies.append(time.monotonic() - t0)
        i += 1
        time.sleep(0.02)
    out, err = imp.communicate()
    conn.close()
    return imp.returncode, out.decode(), err.decode(), statuses, latencies, time.monotonic() - started


def test_import_beside_a_collector_commits_in_slices(d):
    """An import of 20,000 logs while the collector takes a post every 20 ms.
    Was: the import held the write lock for its whole batch, and the posts
    waited for it (seconds; 503 after 10 s). Now it commits a slice at a
    time and the posts go in between: none refused, p99 under a second.
    Importing the file again stores nothing new."""
    path = os.path.join(d, "demo.jsonl")
    p = subprocess.run([BIN, "--db", os.path.join(d, "gen.db"), "demo", "--requests", "20000", "--context", "8",
                        "--output", path], capture_output=True, timeout=120)
    expect(p.returncode == 0, p.stderr)
    c = Collector(d, "--quiet")
    try:
        for round_, label in enumerate(("first", "again")):
            rc, out, err, statuses, latencies, took = posts_beside_import(d, c, path, label)
            check_sanitizers(err, "import")
            expect(rc == 0, (rc, err))
            want = "imported 20000, duplicates 0" if round_ == 0 else "imported 0, duplicates 20000"
            expect(want in out, out)
            p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
            print(f"    {label}: import {took:.1f} s, {len(statuses)} posts beside it, "
                  f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
            expect(len(statuses) >= 10, f"the import ran too briefly to measure: {len(statuses)} posts")
            expect(set(statuses) == {201}, sorted(set(statuses)))
            expect(p99 < 1.0, f"p99 {p99:.2f} s")
    finally:
        expect(c.stop() == 0, "exit status")
    con = sqlite3.connect(c.db)
    try:
        n = con.execute("SELECT count(*) FROM requests").fetchone()[0]
    finally:
        con.close()
    expect(n == 20000 + sum(1 for _ in stored_ids(c.db) if _.startswith(("log-first", "log-again"))), n)


def test_two_commands_on_a_new_db_do_not_race(d):
    """Was: one of two commands started together on a new db exited 2 with
    'table developers already exists' (10 of 10 runs)."""
    failures = []
    for i in range(10):
        db = os.path.join(d, f"race{i}.db")
        cmds = [[BIN, "--db", db, "import", os.devnull], [BIN, "--db", db, "keys", "--offline"]]
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for cmd in cmds]
        for cmd, p in zip(cmds, procs):
            out, err = p.communicate(timeout=60)
            check_sanitizers(err.decode(), cmd[3])
            if p.returncode != 0:
                failures.append((i, cmd[3], p.returncode, err.decode().strip()))
    expect(not failures, failures)


if __name__ == "__main__":
    main("abuse", globals())
