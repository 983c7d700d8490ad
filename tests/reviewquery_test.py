"""Adversarial review of the query side (search index form, local-zone days,
LiteLLM cache-hit ids): searches find exactly the requests holding the
text, byte for byte, newest first; days in any zone sum to the total.
Drives the real binary: `tollgate import`, `tollgate index --search`,
`tollgate report`."""
import json
import os
import subprocess

from harness import BIN, check_sanitizers, expect, main

NOW = "2026-11-24T12:00:00Z"


def run(d, *args, env_extra=None):
    env = dict(os.environ, HOME=d, XDG_CONFIG_HOME=os.path.join(d, "cfg"), TOLLGATE_NOW=NOW, USER="lead")
    env.update(env_extra or {})
    p = subprocess.run([BIN, "--db", os.path.join(d, "s.db"), *args], capture_output=True, env=env, timeout=300)
    err = p.stderr.decode(errors="replace")
    check_sanitizers(err, " ".join(args))
    return p.returncode, p.stdout.decode(errors="replace"), err


def log(i, text, ts=None):
    return {"unique_id": f"r-{i}", "timestamp": ts or f"2026-10-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
            "model": "gpt-5.5", "customer_identifier": "alice", "cost": 0.01,
            "prompt_messages": [{"role": "user", "content": text}],
            "completion_message": {"role": "assistant", "content": "ok"}}


def imported(d, logs, name="a.jsonl"):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        for entry in logs:
            f.write(json.dumps(entry) + "\n")
    rc, out, err = run(d, "import", path)
    expect(rc == 0 and f"imported {len(logs)}" in out, out + err)


def search(d, text):
    rc, out, err = run(d, "index", "--search", text, "--limit", "100")
    expect(rc == 0, f"index --search {text!r} failed ({rc}): {out}{err}")
    lines = [l for l in out.splitlines() if l[:4].isdigit()]
    return [l.split()[1] for l in lines], [l.split()[1] for l in lines if l.endswith("[first]")]


def test_text_with_backslashes_escapes_and_cjk_is_found(d):
    texts = {
        1: 'int main() { printf("hi\\n"); return 0; }',
        2: "open C:\\Users\\bob\\notes.txt please",
        3: "caf\u00e9 cr\u00e8me and \U0001F600 emoji and \u4e2d\u6587\u641c\u7d22 text",
        4: "hello,   world:  {spaced}",
        5: "the regex \\d+\\s* matches",
        6: "plain words only here",
    }
    imported(d, [log(i, t) for i, t in texts.items()])
    rc, out, err = run(d, "index")
    expect(rc == 0, out + err)
    probes = [('printf("hi\\n")', ["r-1"]), ("C:\\Users\\bob", ["r-2"]), ("\u4e2d\u6587\u641c", ["r-3"]),
              ("\U0001F600 emoji", ["r-3"]), ("caf\u00e9 cr", ["r-3"]), ("hello,   world", ["r-4"]),
              ("\\d+\\s*", ["r-5"]), ("WORDS ONLY", ["r-6"])]
    bad = []
    for q, want in probes:
        ids, firsts = search(d, q)
        if ids != want:
            bad.append((q, ids, want))
    expect(not bad, bad)


if __name__ == "__main__":
    main("reviewquery", globals())
