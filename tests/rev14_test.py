"""Review of schema 14 (bodies in the request row, UUID ids left out of the
stored bytes and put back on read): what a user does with the real binary.
Logs whose ids sit at odd places rebuild byte for byte, and a search for
(part of) an id finds the request whose body no longer holds that id's text
however many other requests the index offers as candidates."""
import json
import os
import sqlite3
import subprocess

from harness import BIN, ROOT, check_sanitizers, expect, main

NOW = "2026-11-24T12:00:00Z"


def run(d, *args, db="r.db"):
    env = dict(os.environ, HOME=d, XDG_CONFIG_HOME=os.path.join(d, "cfg"), TOLLGATE_NOW=NOW, USER="lead")
    p = subprocess.run([BIN, "--db", os.path.join(d, db), *args], capture_output=True, env=env, timeout=300)
    err = p.stderr.decode(errors="replace")
    check_sanitizers(err, " ".join(args))
    return p.returncode, p.stdout.decode(errors="replace"), err


def write_lines(d, name, lines):
    path = os.path.join(d, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def log(**fields):
    base = {"timestamp": "2026-11-02T08:00:00Z", "model": "m", "customer_identifier": "dev",
            "prompt_tokens": 1, "completion_tokens": 1, "cost": 0.001}
    base.update(fields)
    return json.dumps(base, separators=(",", ":"))


def test_many_candidates_still_find_an_id_left_out(d):
    """More than EAGER_MAX (4,096) rows of the index hold "00000000" (at most
    4 requests a row), so the search checks requests one by one as the list
    walks them; the request whose log id begins with it holds it only in its
    row (the id was left out of its body) and was missed."""
    lines = [log(unique_id=f"job-{i}", timestamp="2026-11-02T08:%02d:%02dZ" % (i // 60 % 60, i % 60),
                 prompt_messages=[{"role": "user", "content": f"run 00000000{i}"}]) for i in range(16800)]
    target = "00000000-aaaa-4bbb-8ccc-dddddddddddd"
    lines.append(log(unique_id=target, timestamp="2026-11-02T09:00:00Z",
                     prompt_messages=[{"role": "user", "content": "hello there"}]))
    rc, out, err = run(d, "import", write_lines(d, "z.jsonl", lines))
    expect(rc == 0, f"import failed: {err}")
    rc, out, err = run(d, "index", "--search", "00000000", "--limit", "3")
    expect(rc == 0, f"search failed: {err}")
    expect(target in out, f"the request whose id holds the text is not found:\n{out}")
    expect(out.count("job-") == 2, f"the requests whose bodies hold it are not listed:\n{out}")


def test_ids_at_odd_places_rebuild_byte_for_byte(d):
    """Ids inside other strings first, twice, equal to each other or to
    another field, escaped, uppercase, overlapping, missing: each log is read
    back as it came (the detail view's raw log, written to a file)."""
    a, t = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "11112222-3333-4444-8555-666677778888"
    overlap_a, overlap_t = "aaaaaaaa-bbbb-cccc-dddd-eeee11111111", "11111111-2222-3333-4444-555555555555"
    lines = [
        log(metadata={"note": f"see {a} and {t}"}, unique_id=a, thread_identifier=t),
        log(unique_id=a.replace("0a", "0b"), thread_identifier=t, metadata={"again": a.replace("0a", "0b"), "t": t}),
        log(unique_id=a.replace("0a", "0c"), thread_identifier=a.replace("0a", "0c")),
        log(unique_id=a.replace("0a", "0d"), thread_identifier=t, customer_identifier=t),
        '{"unique_id":"\\u0030' + a[1:].replace("a1b", "a1e") + '","timestamp":"2026-11-02T08:00:00Z",'
        '"model":"m","metadata":{"x":"0' + a[1:].replace("a1b", "a1e") + '"}}',
        log(unique_id=a.replace("0a", "0f").upper(), thread_identifier=t.upper()),
        log(prompt_messages=[{"role": "user", "content": overlap_a + overlap_t[8:]}], unique_id=overlap_a,
            thread_identifier=overlap_t),
        log(thread_identifier=t, metadata={"a": 1}),
        log(id=a.replace("0a", "1a"), thread_identifier=t),
        log(unique_id=a.replace("0a", "2a") + "_cache_hit@1700000000000", thread_identifier=t),
        log(unique_id=a.replace("0a", "3a"), thread_identifier=t, prompt_messages=[{"role": "user", "content": "x" * 40000}]),
    ]
    rc, out, err = run(d, "import", write_lines(d, "a.jsonl", lines))
    expect(rc == 0 and f"imported {len(lines)}," in out, f"import: {out} {err}")
    db = sqlite3.connect(os.path.join(d, "r.db"))
    cut = db.execute("SELECT count(*) FROM requests WHERE body_ids IS NOT NULL").fetchone()[0]
    db.close()
    expect(cut >= 6, f"only {cut} bodies had ids left out: the test no longer tests that")
    bodycheck = os.path.join(ROOT, "build", "bench", "bodycheck")
    if not os.path.exists(bodycheck):
        subprocess.run(["make", "-s", "build/bench/bodycheck"], cwd=ROOT, check=True, capture_output=True)
    p = subprocess.run([bodycheck, os.path.join(d, "r.db")], capture_output=True, timeout=60)
    expect(p.returncode == 0, f"bodycheck: {p.stderr.decode()}")
    got = p.stdout.decode().splitlines()
    for i, (want, have) in enumerate(zip(lines, got)):
        expect(want == have, f"log {i + 1} reads back differently:\n{want}\n{have}")
    expect(len(got) == len(lines), f"{len(got)} logs read back, {len(lines)} stored")


def test_reader_of_a_newer_db_says_upgrade(d):
    """A db a newer tollgate wrote (schema 17): a command that only reads
    said "run `tollgate migrate`", which cannot help (migrate then refuses
    the newer db); it must say to upgrade tollgate, as the writers do."""
    rc, out, err = run(d, "import", write_lines(d, "a.jsonl", [log(unique_id="r1")]))
    expect(rc == 0, f"import: {err}")
    db = sqlite3.connect(os.path.join(d, "r.db"))
    db.execute("PRAGMA user_version=17")
    db.close()
    rc, out, err = run(d, "report")
    expect(rc != 0, "report read a db of a newer schema")
    expect("upgrade tollgate" in err and "migrate" not in err, f"report's advice: {err}")


if __name__ == "__main__":
    main("rev14", globals())
