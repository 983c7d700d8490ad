#!/usr/bin/env python3
"""Where a schema-11 db's body bytes are: the chunk packs (chunks stored once,
compressed per pack) against the requests' lists of chunk references.

  bench/chunkstats.py DB

Prints the packs (chunks stored, their raw bytes, zstd, digests, lengths), the
bodies that reference them (raw bytes rebuilt from them, references, how many
times a stored chunk is used on average, how many chunks more than one request
uses and how many raw bytes those references stand for) and any bodies still
in an older layout (stored whole, or skeleton + messages). Reads the db only.
Used by bench/scale.sh storage and bench/agents.py; standard library only."""

import sqlite3
import sys


def varints(blob):
    """The LEB128 varints of a blob (core/log/body.c's put_varint)."""
    out, v, shift = [], 0, 0
    for b in blob:
        v |= (b & 0x7F) << shift
        if b & 0x80:
            shift += 7
        else:
            out.append(v)
            v, shift = 0, 0
    return out


def chunk_ids(refs):
    """A body's chunk ids from its chunk_refs: (zigzag delta from the end of the
    run before, run length) pairs (tg_body_chunk_refs_encode)."""
    v = varints(refs)
    ids, prev_end = [], 0
    for delta, run in zip(v[0::2], v[1::2]):
        first = prev_end + ((delta >> 1) ^ -(delta & 1))
        ids.extend(range(first, first + run))
        prev_end = first + run
    return ids


def stats(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "chunk_packs" not in tables:
        raise SystemExit(f"chunkstats: {db} has no chunk_packs (schema {con.execute('PRAGMA user_version').fetchone()[0]})")
    s = {}
    lens = {}  # chunk id -> raw length
    s["packs"] = s["chunks"] = s["chunk_raw"] = s["zstd"] = s["digests"] = s["lens"] = 0
    cols = {r[1] for r in con.execute("PRAGMA table_info(chunk_packs)")}
    # digests were stored per chunk until packs spanned requests; owners since
    side = "digests" if "digests" in cols else "owners"
    for pid, n, raw_len, lb, db_, zb in con.execute(
            f"SELECT id, chunks, raw_len, length(lens), length({side}), length(zstd) FROM chunk_packs"):
        s["packs"] += 1
        s["chunks"] += n
        s["chunk_raw"] += raw_len
        s["lens"] += lb
        s["digests"] += db_
        s["zstd"] += zb
    # a pack in two streams has a trailer after its count lengths (body.h)
    s["two_stream"] = 0
    for pid, n_chunks, blob in con.execute("SELECT id, chunks, lens FROM chunk_packs"):
        v = varints(blob)
        s["two_stream"] += len(v) > n_chunks
        for k, n in enumerate(v[:n_chunks]):
            lens[pid + k] = n
    s["bodies"] = s["body_raw"] = s["refs"] = s["refs_bytes"] = 0
    uses = {}
    for refs, raw_len in con.execute("SELECT chunk_refs, raw_len FROM request_bodies WHERE chunk_refs IS NOT NULL"):
        ids = chunk_ids(refs)
        s["bodies"] += 1
        s["body_raw"] += raw_len
        s["refs"] += len(ids)
        s["refs_bytes"] += len(refs)
        for i in ids:
            uses[i] = uses.get(i, 0) + 1
    shared = [i for i, n in uses.items() if n > 1]
    s["shared_chunks"] = len(shared)
    s["shared_raw_refd"] = sum(lens.get(i, 0) * uses[i] for i in shared)
    s["unused"] = s["chunks"] - len(uses)
    s["whole"], s["messages"] = con.execute(
        "SELECT coalesce(sum(chunk_refs IS NULL AND msg_refs IS NULL), 0), "
        "coalesce(sum(chunk_refs IS NULL AND msg_refs IS NOT NULL), 0) FROM request_bodies").fetchone()
    con.close()
    return s


def report(db, out=print):
    s = stats(db)
    mb = lambda n: n / 1e6  # noqa: E731
    out(f"chunk_packs: {s['packs']} packs, {s['chunks']} chunks stored once each, {mb(s['chunk_raw']):.1f} MB of "
        f"chunk bytes in {mb(s['zstd']):.2f} MB of zstd ({100 * s['zstd'] / max(s['chunk_raw'], 1):.1f}%); "
        f"digests {mb(s['digests']):.2f} MB, lens {mb(s['lens']):.2f} MB; {s['two_stream']} packs in two streams")
    out(f"request_bodies: {s['bodies']} bodies in chunks, {mb(s['body_raw']):.1f} MB of raw logs rebuilt from "
        f"{s['refs']} chunk references ({s['refs'] / max(s['bodies'], 1):.0f} a body; chunk_refs "
        f"{mb(s['refs_bytes']):.2f} MB, {s['refs_bytes'] / max(s['bodies'], 1):.0f} B a body)")
    out(f"sharing: a stored chunk is used {s['refs'] / max(s['chunks'], 1):.1f} times on average; "
        f"{s['shared_chunks']} chunks ({100 * s['shared_chunks'] / max(s['chunks'], 1):.1f}%) are used by more than "
        f"one reference, standing for {mb(s['shared_raw_refd']):.1f} MB of the raw logs; raw logs / chunk bytes "
        f"stored: {s['body_raw'] / max(s['chunk_raw'], 1):.1f}x; unreferenced chunks {s['unused']}")
    if s["whole"] or s["messages"]:
        out(f"older layouts still here: {s['whole']} bodies stored whole, {s['messages']} as skeleton + messages "
            f"(tollgate migrate converts them)")
    return s


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: bench/chunkstats.py DB")
    report(sys.argv[1])
