"""Search that indexes each text once (issue 14, item 2): a text resent on
every turn of a thread is indexed once, and a search finds every request that
holds it, newest first, marking the first one; a phrase across a chunk edge
is found; pruned requests vanish from the results. Drives the real binary:
`tollgate import`, `tollgate index --search`, `tollgate prune`."""
import json
import os
import random
import sqlite3
import subprocess

from harness import BIN, check_sanitizers, expect, main

NOW = "2026-11-24T12:00:00Z"
PHRASE = "Zebra quartz lighthouse protocol"


def run(d, *args, db="s.db"):
    env = dict(os.environ, HOME=d, XDG_CONFIG_HOME=os.path.join(d, "cfg"), TOLLGATE_NOW=NOW, USER="lead")
    p = subprocess.run([BIN, "--db", os.path.join(d, db), *args], capture_output=True, env=env, timeout=120)
    err = p.stderr.decode(errors="replace")
    check_sanitizers(err, " ".join(args))
    return p.returncode, p.stdout.decode(errors="replace"), err


def words(seed, n):
    rnd = random.Random(seed)
    vocab = ["parser", "token", "buffer", "render", "socket", "retry", "cache", "ledger", "vector", "kernel",
             "thread", "commit", "branch", "schema", "index", "cursor", "stream", "packet", "module", "signal"]
    return " ".join(rnd.choice(vocab) + str(rnd.randrange(1000)) for _ in range(n))


# a system prompt long enough to be cut into several chunks, resent every turn
SYSTEM = "You are a careful coding agent. " + words(1, 900) + " " + PHRASE + " " + words(2, 900)


def thread_logs(thread, turns, day, first_id=1):
    """A conversation resent whole on every turn, as coding agents do."""
    logs, messages = [], [{"role": "system", "content": SYSTEM}]
    for t in range(turns):
        messages = messages + [{"role": "user", "content": f"turn {t} of {thread}: " + words(f"{thread}-ask-{t}", 60)}]
        logs.append({"unique_id": f"{thread}-{first_id + t}", "timestamp": f"2026-{day}T10:{t:02d}:00Z",
                     "model": "gpt-5.5", "customer_identifier": "alice", "cost": 0.01,
                     "thread_identifier": thread, "prompt_messages": messages,
                     "completion_message": {"role": "assistant", "content": "ok " + words(f"{thread}-reply-{t}", 20)}})
        messages = messages + [logs[-1]["completion_message"]]
    return logs


def write(d, name, logs):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        for log in logs:
            f.write(json.dumps(log) + "\n")
    return path


def imported(d, logs, name="a.jsonl"):
    rc, out, err = run(d, "import", write(d, name, logs))
    expect(rc == 0 and f"imported {len(logs)}" in out, out + err)


def search(d, text):
    """The log ids found, newest first, and which one is marked first."""
    rc, out, err = run(d, "index", "--search", text, "--limit", "100")
    expect(rc == 0, f"index --search failed ({rc}): {out}{err}")
    lines = [l for l in out.splitlines() if l[:4].isdigit()]
    ids = [l.split()[1] for l in lines]
    firsts = [l.split()[1] for l in lines if l.endswith("[first]")]
    return ids, firsts


def test_resent_text_is_found_in_every_request_newest_first(d):
    imported(d, thread_logs("t-a", 5, "10-01") + thread_logs("t-b", 2, "10-02"))
    ids, firsts = search(d, PHRASE)
    expect(ids == ["t-b-2", "t-b-1", "t-a-5", "t-a-4", "t-a-3", "t-a-2", "t-a-1"], ids)
    expect(firsts == ["t-a-1"], f"first marked: {firsts}")
    # any case; and a word of one turn only is found where it was sent and resent
    ids, _ = search(d, PHRASE.upper())
    expect(len(ids) == 7, ids)
    turn2 = thread_logs("t-a", 5, "10-01")[2]["prompt_messages"][-1]["content"].split(": ")[1][:30]
    ids, firsts = search(d, turn2)
    expect(ids == ["t-a-5", "t-a-4", "t-a-3"] and firsts == ["t-a-3"], (ids, firsts))
    # never a request that does not hold the text: every trigram of it is there, not the phrase
    ids, _ = search(d, "quartz Zebra")
    expect(ids == [], ids)


def test_the_index_is_incremental_and_indexes_each_text_once(d):
    logs = thread_logs("t-a", 5, "10-01")
    imported(d, logs[:3], "one.jsonl")
    rc, out, err = run(d, "index")
    expect(rc == 0 and "3 requests indexed" in out, out + err)
    imported(d, logs[3:], "two.jsonl")
    rc, out, err = run(d, "index")
    expect(rc == 0 and "2 requests indexed" in out, out + err)
    ids, firsts = search(d, PHRASE)
    expect(ids == ["t-a-5", "t-a-4", "t-a-3", "t-a-2", "t-a-1"] and firsts == ["t-a-1"], (ids, firsts))
    con = sqlite3.connect(os.path.join(d, "s.db"))
    try:
        # the system prompt's chunks are in the index once, not once a request
        runs = con.execute("SELECT count(*), sum(chunks) FROM search_runs").fetchone()
        refs = sum(1 for _ in con.execute("SELECT request_id FROM request_bodies"))
    finally:
        con.close()
    expect(refs == 5 and runs[0] > 0, (refs, runs))
    total = len(json.dumps(logs[-1]))
    expect(runs[1] * 256 < total * 3, f"{runs[1]} chunks indexed for 5 requests of {total} bytes at most")


def chunk_edges(d, log_id):
    """Offsets in the raw log where the chunks of its pack (all of them, for
    the first request of a thread) end, read from the store's pack lengths."""
    con = sqlite3.connect(os.path.join(d, "s.db"))
    try:
        rid = con.execute("SELECT id FROM requests WHERE log_id = ?", (log_id,)).fetchone()[0]
        lens = con.execute("SELECT lens FROM chunk_packs WHERE request_id = ? ORDER BY id", (rid,)).fetchall()
    finally:
        con.close()
    edges, at = [], 0
    for (blob,) in lens:
        i = 0
        while i < len(blob):
            v = shift = 0
            while True:
                b = blob[i]
                i += 1
                v |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    break
            at += v
            edges.append(at)
    return edges


def test_a_phrase_across_a_chunk_edge_is_found(d):
    logs = thread_logs("t-a", 5, "10-01")
    imported(d, logs)
    raw = json.dumps(logs[0])
    start = raw.index(SYSTEM[:40])
    inside = [e for e in chunk_edges(d, "t-a-1") if start + 30 < e < start + len(SYSTEM) - 30]
    expect(len(inside) >= 2, f"the system prompt was not cut: {inside}")
    for edge in inside[:3]:
        phrase = raw[edge - 12:edge + 12]
        expect(phrase in SYSTEM, phrase)
        ids, firsts = search(d, phrase)
        expect(ids == ["t-a-5", "t-a-4", "t-a-3", "t-a-2", "t-a-1"] and firsts == ["t-a-1"],
               f"{phrase!r} across the edge at {edge}: {ids} {firsts}")


def test_pruned_requests_vanish_from_the_results(d):
    imported(d, thread_logs("t-old", 3, "09-01") + thread_logs("t-new", 2, "11-20"))
    ids, firsts = search(d, PHRASE)
    expect(len(ids) == 5 and firsts == ["t-old-1"], (ids, firsts))
    rc, out, err = run(d, "prune", "--bodies-older-than", "2026-10-01")
    expect(rc == 0, out + err)
    ids, firsts = search(d, PHRASE)
    expect(ids == ["t-new-2", "t-new-1"] and firsts == ["t-new-1"], (ids, firsts))
    old_turn = thread_logs("t-old", 3, "09-01")[1]["prompt_messages"][-1]["content"].split(": ")[1][:30]
    ids, _ = search(d, old_turn)
    expect(ids == [], f"a pruned body's own text is still found: {ids}")
    # requests dropped whole: nothing found, and their chunks' rows leave the index
    rc, out, err = run(d, "prune", "--older-than", "2026-12-01")
    expect(rc == 0, out + err)
    ids, _ = search(d, PHRASE)
    expect(ids == [], ids)
    con = sqlite3.connect(os.path.join(d, "s.db"))
    try:
        left = con.execute("SELECT count(*) FROM search_runs").fetchone()[0]
    finally:
        con.close()
    expect(left == 0, f"{left} runs of swept chunks are still indexed")


if __name__ == "__main__":
    main("searchonce", globals())
