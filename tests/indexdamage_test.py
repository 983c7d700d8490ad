#!/usr/bin/env python3
"""`tollgate index` on a db whose stored bodies are damaged (bytes of a pack
overwritten on disk): a clear error naming the request, a non-zero exit, the
index left as it was, never "not an error"."""
import json
import os
import sqlite3
import subprocess

from harness import BIN, check_sanitizers, expect, main


def run(d, *args):
    p = subprocess.run([BIN, "--db", os.path.join(d, "t.db"), *args], capture_output=True, timeout=60,
                       env=dict(os.environ, TOLLGATE_NOW="2026-11-10T12:00:00Z"))
    check_sanitizers(p.stderr.decode(), " ".join(args))
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_a_damaged_pack_is_named_not_waved_through(d):
    path = os.path.join(d, "logs.jsonl")
    with open(path, "w") as f:
        for i in range(20):
            f.write(json.dumps({"unique_id": f"d-{i}", "timestamp": f"2026-11-0{1 + i % 9}T10:00:00Z",
                                "model": "gpt-5.5", "customer_identifier": "ana", "cost": 0.01,
                                "prompt_messages": [{"role": "user", "content": f"question number {i} " * 40}]})
                    + "\n")
    rc, out, err = run(d, "import", path)
    expect(rc == 0, err)
    con = sqlite3.connect(os.path.join(d, "t.db"))
    with con:
        n = con.execute("UPDATE chunk_packs SET zstd = zeroblob(length(zstd))").rowcount
    con.close()
    expect(n >= 1, "no pack to damage")
    rc, out, err = run(d, "index")
    expect(rc != 0, f"index passed over damaged bodies: {out}{err}")
    expect("stored body of request" in err and "not an error" not in err, err)
    rc, out, err = run(d, "report", "--format", "json")  # the rows and their money are untouched
    expect(rc == 0 and json.loads(out)["total"]["requests"] == 20, out + err)


if __name__ == "__main__":
    main("indexdamage", globals())
