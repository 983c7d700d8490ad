"""An adversarial review of the storage of schema 12 through the real binary:
log ids kept packed (UUIDs as 16 bytes) must still be stored once, however
often and in whatever batch they come back."""
import json
import os
import subprocess

from harness import BIN, check_sanitizers, expect, main

UUID = "0b4a2c1e-1111-4222-8333-444455556666"
BASE = 1793491200  # 2026-11-01T00:00:00Z


def log(log_id, i, cost=0.25):
    return {"unique_id": log_id, "timestamp": BASE + i, "customer_identifier": "dana", "model": "gpt-4o-mini",
            "prompt_tokens": 10, "completion_tokens": 5, "cost": cost,
            "prompt_messages": [{"role": "user", "content": f"question {i}"}]}


def tollgate(d, *args):
    p = subprocess.run([BIN, "--db", os.path.join(d, "t.db"), *args], capture_output=True, text=True, timeout=120)
    check_sanitizers(p.stderr, "tollgate " + " ".join(args))
    return p.returncode, p.stdout, p.stderr


def write_jsonl(d, name, logs):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        for entry in logs:
            f.write(json.dumps(entry) + "\n")
    return path


def total(d):
    rc, out, err = tollgate(d, "report", "--format", "json")
    expect(rc == 0, out + err)
    return json.loads(out)["total"]


def test_an_import_file_resending_a_uuid_counts_it_once(d):
    # the resend in the same file (one batch) was stored again: $0.50, not $0.25
    variants = [UUID, UUID.upper(), "{" + UUID + "}", UUID.replace("-", "")]
    logs = [log(v, i) for i, v in enumerate(variants)] + [log(v, 10 + i) for i, v in enumerate(variants)]
    rc, out, err = tollgate(d, "import", write_jsonl(d, "a.jsonl", logs))
    expect(rc == 0 and "imported 4, duplicates 4" in out + err, out + err)
    t = total(d)
    expect(t["requests"] == 4, t)
    rc, out, err = tollgate(d, "import", write_jsonl(d, "b.jsonl", logs))
    expect(rc == 0 and "imported 0, duplicates 8" in out + err, out + err)
    expect(total(d)["requests"] == 4, total(d))


if __name__ == "__main__":
    main("reviewstore", globals())
