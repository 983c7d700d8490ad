#!/usr/bin/env python3
"""Collector throughput behaviours (tests/collector_test.py has the protocol):
the real binary on 127.0.0.1, real HTTP."""
import http.client
import json
import random
import sqlite3
import threading
import time

from collector_test import Collector, dumps, log
from harness import expect, main

WORDS = ("the of and to in is it that for you was with on as are be this have from or one had by word but not what "
         "all were we when your can said there use an each which she do how their if will up other about out many "
         "then them these so some her would make like him into time has look two more write go see number no way "
         "could people my than first water been call who oil its now find long down day did get come made may part").split()


def text(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n // 5))


def batch(rng, first, count, size):
    return dumps([log(i, prompt_messages=[{"role": "user", "content": f"{i} " + text(rng, size)}])
                  for i in range(first, first + count)])


def dict_count(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM body_dicts").fetchone()[0]
    finally:
        con.close()


def test_dictionary_training_holds_no_commit(d):
    """A new db trains its body dictionary from its first 2,000 logs (or 4 MB).
    Was: the store trained inside the commit that brought the samples in, and
    that POST, and every one queued behind it, waited for the training (seconds:
    p99 3-7 s on 120 KB logs). Now a thread of its own trains, the POST is
    answered as soon as its logs are committed, and the dictionary is saved
    when ready, while the collector runs."""
    rng = random.Random(7)
    c = Collector(d, "--quiet")
    try:
        for k in range(19):  # 1,900 logs of ~2 KB (3.8 MB): samples, but not enough yet
            st, body = c.post("/v1/logs", batch(rng, k * 100, 100, 1700))
            expect(st == 200 and body["stored"] == 100, (st, body))
        expect(dict_count(c.db) == 0, "trained too early")
        crossing = batch(rng, 1900, 200, 1700)
        t0 = time.monotonic()
        st, body = c.post("/v1/logs", crossing)
        crossed = time.monotonic() - t0
        expect(st == 200 and body["stored"] == 200, (st, body))
        # during the training, other POSTs are answered too
        t = time.monotonic()
        st, body = c.post("/api/request-logs/create/", dumps(log(5000)))
        after = time.monotonic() - t
        expect(st == 201, (st, body))
        deadline = time.monotonic() + 300
        while dict_count(c.db) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        trained = time.monotonic() - t0
        expect(dict_count(c.db) == 1, "no dictionary saved while the collector runs: " + c.log()[-300:])
        # the POSTs did not wait for the training: inside the commit, the POST
        # that completed the samples would have returned only once it was saved
        # (crossed ~ trained); 4 MB of samples train in ~0.4 s here
        expect(trained > 0.2, f"training took {trained:.2f} s: too quick for this test to tell")
        expect(crossed < trained * 0.75 and after < trained * 0.75,
               f"the POST that completed the samples took {crossed:.2f} s and the next {after:.2f} s, "
               f"the training {trained:.2f} s")
        # logs after the dictionary are compressed with it, and all read back
        st, body = c.post("/v1/logs", batch(rng, 6000, 50, 2000))
        expect(st == 200 and body["stored"] == 50, (st, body))
    finally:
        expect(c.stop() == 0, c.log()[-500:])
    con = sqlite3.connect(c.db)
    try:
        n = con.execute("SELECT count(*) FROM requests").fetchone()[0]
        expect(n == 2151, n)
    finally:
        con.close()


def test_many_connections_each_get_their_own_answers(d):
    """Bodies are parsed on lanes apart from the HTTP threads and answered
    after their commit: 24 connections, each sending its own batches back to
    back, each gets the counts of its own batch, a bad batch among them gets
    its 400 and stores nothing."""
    c = Collector(d, "--quiet")
    errors = []

    def client(k):
        conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=60)
        try:
            for j in range(6):
                first = (k * 6 + j) * 20
                logs = [log(i, dev=f"dev{k}") for i in range(first, first + 20 - (j % 3))]
                if k == 5 and j == 3:
                    logs[4] = {"unique_id": "bad", "cost": "not a number"}
                conn.request("POST", "/v1/logs", body=dumps(logs), headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                if k == 5 and j == 3:
                    if resp.status != 400:
                        errors.append((k, j, resp.status, data))
                elif resp.status != 200 or json.loads(data) != {"stored": len(logs), "duplicates": 0}:
                    errors.append((k, j, resp.status, data))
        finally:
            conn.close()

    try:
        threads = [threading.Thread(target=client, args=(k,)) for k in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        expect(not errors, errors[:5])
    finally:
        expect(c.stop() == 0, c.log()[-500:])
    con = sqlite3.connect(c.db)
    try:
        n = con.execute("SELECT count(*) FROM requests").fetchone()[0]
        expect(n == 24 * (20 + 19 + 18) * 2 - 20, n)
        expect(con.execute("SELECT count(*) FROM requests WHERE log_id = 'bad'").fetchone()[0] == 0, "bad stored")
    finally:
        con.close()


if __name__ == "__main__":
    main("collectorthroughput", globals())
