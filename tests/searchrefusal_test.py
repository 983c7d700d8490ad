#!/usr/bin/env python3
"""`tollgate index --search` with text the index cannot ask for says why:
too short, only punctuation, or a base64 blob (which the index leaves out),
rather than a bare "3 characters" for a 100-character query."""
import json
import os
import subprocess

from harness import BIN, check_sanitizers, expect, main

BLOB = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw" * 2


def run(d, *args):
    p = subprocess.run([BIN, "--db", os.path.join(d, "t.db"), *args], capture_output=True, timeout=60)
    check_sanitizers(p.stderr.decode(), " ".join(args))
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_refused_searches_say_why(d):
    path = os.path.join(d, "l.jsonl")
    with open(path, "w") as f:
        f.write(json.dumps({"unique_id": "s-1", "timestamp": "2026-11-02T10:00:00Z", "model": "gpt-5.5",
                            "prompt_messages": [{"role": "user", "content": f"see {BLOB} and more words"}]}) + "\n")
    expect(run(d, "import", path)[0] == 0, "import")
    rc, out, err = run(d, "index", "--search", "ab")
    expect(rc != 0 and "needs 3 characters" in err, err)
    rc, out, err = run(d, "index", "--search", BLOB)
    expect(rc != 0 and "base64" in err and "3 characters or more" not in err, err)
    rc, out, err = run(d, "index", "--search", '", : ,"')
    expect(rc != 0 and "nothing in that text is indexed" in err, err)
    rc, out, err = run(d, "index", "--search", "more words")  # the rest of the log is found
    expect(rc == 0 and "s-1" in out, out + err)


if __name__ == "__main__":
    main("searchrefusal", globals())
