"""SIGKILL rounds with agent-sized logs, on the chunk layout (schema 11): the
collector is killed with kill -9 while clients post small logs with ~120 KB
Claude-Code-like and ~40 KB Codex-like logs among them (bench/gen_corpus.py
agents), restarted on the same db, KILL_ROUNDS times (tests/crash_durability.py
does the rounds and checks every acknowledged log is stored once, the rollups
and integrity_check). Then the chunks are read back from outside tollgate:
every body's chunk references decode to chunks that exist, their lengths add
up to the body's, nothing dangles, and every acknowledged log is rebuilt to the
exact bytes it was posted as by decompressing the packs with the zstd command
(an independent reader of the layout in docs/storage.md).

TOLLGATE_KILL_ROUNDS sets the rounds (default 20, as collector_test.py's)."""
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
import crash_durability  # noqa: E402
from chunkstats import chunk_ids, varints  # noqa: E402
from harness import BIN, ROOT, expect, main  # noqa: E402

KILL_ROUNDS = int(os.environ.get("TOLLGATE_KILL_ROUNDS", "20"))
AGENT_SHARE = 0.12  # of the logs posted: about 3 agent logs in a batch of 25


def agent_logs(d):
    path = os.path.join(d, "agents.jsonl")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_corpus.py"), "agents", "--mb", "4", "--seed", "9",
                    "-o", path], check=True, capture_output=True, timeout=120)
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


class Posted:
    """crash_durability's log maker with agent logs mixed in; remembers the
    bytes each log is posted as (json.dumps of it, in every POST form)."""

    def __init__(self, pool):
        self.pool, self.sent, self.lock = pool, {}, threading.Lock()
        self.small_log = crash_durability.make_log

    def make_log(self, log_id, rng):
        if rng.random() < AGENT_SHARE:
            log = dict(self.pool[rng.randrange(len(self.pool))])
            log["unique_id"] = log_id
        else:
            log = self.small_log(log_id, rng)
        with self.lock:
            self.sent[log_id] = json.dumps(log)
        return log


def same(stored, posted):
    """The stored raw is the log's exact text; a line of JSON Lines keeps its
    newline (what `import` stores), a POSTed object or array element none."""
    return stored is not None and stored.removesuffix(b"\n") == posted.encode()


def unzstd(z, raw_len, dict_path, what):
    """A pack's frame decompressed by the zstd command. A pack still being
    filled is a frame flushed at each commit but not ended (no last block):
    it is ended here with an empty raw last block (and a placeholder checksum
    that --no-check skips when the frame declares one) before zstd reads it."""
    argv = ["zstd", "-q", "-d", "-c"] + (["-D", dict_path] if dict_path else [])
    out = subprocess.run(argv, input=z, capture_output=True, timeout=120)
    if out.returncode != 0 and b"premature end" in out.stderr:
        has_checksum = len(z) > 4 and z[4] & 0x04
        ended = z + b"\x01\x00\x00" + (b"\x00" * 4 if has_checksum else b"")
        out = subprocess.run(argv + ["--no-check"], input=ended, capture_output=True, timeout=120)
    expect(out.returncode == 0, f"zstd -d of {what}: {out.stderr[-300:]}")
    expect(len(out.stdout) == raw_len, f"{what}: {len(out.stdout)} bytes decompressed, raw_len {raw_len}")
    return out.stdout


def pack_lens(blob, n):
    """A pack's n chunk lengths, then, for a pack in two streams (core/log/body.h),
    the length of its head frame and the bitmap of which chunks are heads."""
    out, pos = [], 0
    while len(out) < n + 1 and pos < len(blob):
        v, shift = 0, 0
        while True:
            b = blob[pos]
            pos += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        out.append(v)
        if len(out) == n:
            break
    if pos == len(blob):
        return out, None, None
    v, shift = 0, 0
    while True:
        b = blob[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    head_z, bitmap = v, blob[pos:]
    expect(len(bitmap) == (n + 7) // 8, f"a bitmap of {len(bitmap)} bytes for {n} chunks")
    return out, head_z, [bool(bitmap[i // 8] >> (i % 8) & 1) for i in range(n)]


def unpack(z, sizes, head_z, heads, raw_len, dict_path, what):
    """The pack's chunk bytes in id order, from one frame or from two."""
    if head_z is None:
        return unzstd(z, raw_len, dict_path, what)
    head_len = sum(s for s, h in zip(sizes, heads) if h)
    parts = {True: unzstd(z[:head_z], head_len, dict_path, what + " heads") if head_len else b"",
             False: unzstd(z[head_z:], raw_len - head_len, dict_path, what + " messages") if raw_len > head_len
             else b""}
    at, out = {True: 0, False: 0}, bytearray()
    for size, h in zip(sizes, heads):
        out += parts[h][at[h]:at[h] + size]
        at[h] += size
    return bytes(out)


def rebuild_all(db, d):
    """log_id -> bytes, rebuilt from chunk_packs and chunk_refs alone, and the
    layout's consistency checked on the way."""
    con = sqlite3.connect(db)
    dicts = dict(con.execute("SELECT id, dict FROM body_dicts"))
    packs = con.execute("SELECT id, chunks, coalesce(dict_id, 0), raw_len, lens, zstd FROM chunk_packs "
                        "ORDER BY id").fetchall()
    chunks = {}
    for pid, n, dict_id, raw_len, lens, z in packs:
        sizes, head_z, heads = pack_lens(lens, n)
        expect(len(sizes) == n and sum(sizes) == raw_len, f"pack {pid}: {len(sizes)} lengths for {n} chunks")
        dict_path = None
        if dict_id:
            dict_path = os.path.join(d, f"dict-{dict_id}")
            if not os.path.exists(dict_path):
                with open(dict_path, "wb") as f:
                    f.write(dicts[dict_id])
        data = unpack(z, sizes, head_z, heads, raw_len, dict_path, f"pack {pid}")
        at = 0
        for k, size in enumerate(sizes):
            chunks[pid + k] = data[at:at + size]
            at += size
    rebuilt, used = {}, set()
    for log_id, refs, raw_len in con.execute(
            "SELECT r.log_id, b.chunk_refs, b.raw_len FROM request_bodies b JOIN requests r ON r.id = b.request_id"):
        expect(refs is not None, f"{log_id}: a body outside the chunk layout")
        ids = chunk_ids(refs)
        missing = [i for i in ids if i not in chunks]
        expect(not missing, f"{log_id}: references chunks {missing[:5]} that no pack holds")
        body = b"".join(chunks[i] for i in ids)
        expect(len(body) == raw_len, f"{log_id}: {len(body)} bytes from its chunks, raw_len {raw_len}")
        rebuilt[log_id] = body
        used.update(ids)
    con.close()
    expect(len(used) == len(chunks), f"{len(chunks) - len(used)} chunks stored that no body references")
    return rebuilt


def test_sigkill_rounds_with_agent_logs_lose_nothing_and_rebuild_exactly(d):
    posted = Posted(agent_logs(d))
    crash_durability.make_log = posted.make_log  # this process only: the rounds post agent logs too
    try:
        lines = []
        total = crash_durability.run_rounds(KILL_ROUNDS, BIN, d, seed=14, out=lines.append)
    finally:
        crash_durability.make_log = posted.small_log
    summary = "\n".join(lines)
    expect(total["ok"] and total["lost"] == 0 and total["doubled"] == 0 and total["integrity"] == "ok", summary)
    db = os.path.join(d, "crash.db")
    con = sqlite3.connect(db)
    stored = {r[0] for r in con.execute("SELECT log_id FROM requests")}
    con.close()
    agents = [i for i in stored if len(posted.sent[i]) > 30_000]
    expect(len(agents) >= KILL_ROUNDS, f"only {len(agents)} agent-sized logs stored:\n" + summary)
    rebuilt = rebuild_all(db, d)
    wrong = [i for i in stored if not same(rebuilt.get(i), posted.sent[i])]
    expect(not wrong, f"{len(wrong)} of {len(stored)} logs not rebuilt to the bytes posted, e.g. {wrong[:3]}: "
           f"{rebuilt.get(wrong[0] if wrong else '', b'')[:80]!r}... against {posted.sent[wrong[0]][:80] if wrong else ''}")
    print(f"  {KILL_ROUNDS} rounds: {total['acked']} logs acknowledged, {len(stored)} stored ({len(agents)} "
          f"agent-sized), every one rebuilt exactly from its chunks")


def test_the_independent_reader_sees_a_wrong_chunk(d):
    """The check above can fail: one byte changed in a stored chunk is a log
    not rebuilt to its bytes (the pack decompresses, the content differs)."""
    pool = agent_logs(d)[:6]
    path = os.path.join(d, "in.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for k, log in enumerate(pool):
            log["unique_id"] = f"a{k}"
            f.write(json.dumps(log) + "\n")
    db = os.path.join(d, "t.db")
    p = subprocess.run([BIN, "--db", db, "import", path], capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0, p.stderr)
    expect(same(rebuild_all(db, d)["a3"], json.dumps(pool[3])), "rebuilt as imported")
    con = sqlite3.connect(db)
    pid, dict_id, raw_len = con.execute("SELECT id, coalesce(dict_id, 0), raw_len FROM chunk_packs"
                                        " ORDER BY raw_len DESC LIMIT 1").fetchone()
    expect(dict_id == 0, "six logs train no dictionary")
    z, n, lens = con.execute("SELECT zstd, chunks, lens FROM chunk_packs WHERE id = ?", (pid,)).fetchone()
    sizes, head_z, heads = pack_lens(lens, n)
    raw = unpack(z, sizes, head_z, heads, raw_len, None, f"pack {pid}")
    plain = bytearray()  # rewritten as a pack of the first layout: one frame, no trailer
    for v in sizes:
        while v >= 0x80:
            plain.append(v & 0x7F | 0x80)
            v >>= 7
        plain.append(v)
    at = random.Random(3).randrange(len(raw))
    bad = raw[:at] + bytes([raw[at] ^ 0x20]) + raw[at + 1:]
    z_bad = subprocess.run(["zstd", "-q", "-3", "-c"], input=bad, capture_output=True, timeout=60).stdout
    con.execute("UPDATE chunk_packs SET zstd = ?, lens = ? WHERE id = ?", (z_bad, bytes(plain), pid))
    con.commit()
    con.close()
    rebuilt = rebuild_all(db, d)
    expect(any(not same(rebuilt[f"a{k}"], json.dumps(log)) for k, log in enumerate(pool)), "a changed byte is seen")


if __name__ == "__main__":
    main("chunkkill", globals())
