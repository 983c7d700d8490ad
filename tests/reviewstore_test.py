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


def shaped_logs(first, count, day, rng, thread):
    """Logs of every shape a body takes: its head only, 300-700 KB of text
    (chunks over several packs), or a chat thread resent with a new turn."""
    logs = []
    for i in range(first, first + count):
        entry = log(f"{i:08x}-1111-4222-8333-{rng.getrandbits(48):012x}", day * 86400 + i, 0.01)
        del entry["prompt_messages"]
        thread.append({"role": "user", "content": " ".join(f"w{rng.randrange(100000):x}" for _ in range(40))})
        if i % 5 == 1:
            words = rng.randrange(50000, 110000)
            entry["prompt_messages"] = [{"role": "user", "content": " ".join(
                f"w{rng.randrange(100000):x}" for _ in range(words))}]
        elif i % 5:
            entry["prompt_messages"] = list(thread)
            entry["completion_message"] = {"role": "assistant", "content": f"answer {i} {rng.random()}"}
        logs.append(entry)
    return logs


def test_bodies_pruned_from_a_pack_leave_the_others_readable(d):
    # a prune rewrites a pack without the chunks no body uses: a pack of 597
    # chunks kept 3 bytes, and the readers' "more chunks than bytes" check took
    # it for damaged, so the later bodies using it could not be read nor
    # indexed (`tollgate index` exit 2, the detail screen "damaged")
    import random
    rng, thread = random.Random(5), [{"role": "system", "content": "You help."}]
    old = shaped_logs(0, 45, 0, rng, thread)
    new = shaped_logs(45, 45, 2, rng, [{"role": "system", "content": "You help, later."}])
    for name, logs in (("old.jsonl", old), ("new.jsonl", new)):
        rc, out, err = tollgate(d, "import", write_jsonl(d, name, logs))
        expect(rc == 0, out + err)
    rc, out, err = tollgate(d, "prune", "--bodies-older-than", "2026-11-02")
    expect(rc == 0 and "45" in out + err, out + err)
    rc, out, err = tollgate(d, "index")
    expect(rc == 0 and "requests indexed" in out + err, out + err)
    last = new[-1]["completion_message"]["content"]
    rc, out, err = tollgate(d, "index", "--search", last)
    expect(rc == 0 and new[-1]["unique_id"] in out, out + err)


if __name__ == "__main__":
    main("reviewstore", globals())
