"""The search index's size (issue 14: with the index, agent traffic within 4%
of raw): building it leaves no free pages behind, it holds text in its index
form (JSON punctuation as a space, base64 blobs left out) yet a search still
finds only the requests that hold the real text, and a schema-11 index is
emptied by migration 13 and built again. Drives the real binary: `tollgate import`,
`tollgate index [--search]`."""
import json
import os
import random
import sqlite3
import subprocess

from harness import BIN, check_sanitizers, expect, main

NOW = "2026-11-24T12:00:00Z"


def run(d, *args, db="s.db"):
    env = dict(os.environ, HOME=d, XDG_CONFIG_HOME=os.path.join(d, "cfg"), TOLLGATE_NOW=NOW, USER="lead")
    p = subprocess.run([BIN, "--db", os.path.join(d, db), *args], capture_output=True, env=env, timeout=300)
    err = p.stderr.decode(errors="replace")
    check_sanitizers(err, " ".join(args))
    return p.returncode, p.stdout.decode(errors="replace"), err


def log(i, text, day="10-01"):
    return {"unique_id": f"r-{i}", "timestamp": f"2026-{day}T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
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
    expect(rc == 0, f"index --search failed ({rc}): {out}{err}")
    lines = [l for l in out.splitlines() if l[:4].isdigit()]
    return [l.split()[1] for l in lines], [l.split()[1] for l in lines if l.endswith("[first]")]


def sql(d, query):
    con = sqlite3.connect(os.path.join(d, "s.db"))
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def gibberish(rnd, words):
    return " ".join("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(3, 9)))
                    for _ in range(words))


def test_building_the_index_leaves_no_free_pages(d):
    # 5 MB of text no two requests share: FTS5 wrote it as many segments a
    # batch (its 1 MB hash), and merging them left ~430 free pages
    rnd = random.Random(1)
    logs = [log(i, gibberish(rnd, 2500)) for i in range(300)]
    imported(d, logs)
    rc, out, err = run(d, "index")
    expect(rc == 0 and "300 requests indexed" in out, out + err)
    free = sql(d, "PRAGMA freelist_count")[0][0]
    expect(free == 0, f"{free} free pages after building the index")
    phrase = logs[150]["prompt_messages"][0]["content"][1000:1030]
    ids, firsts = search(d, phrase)
    expect(ids == ["r-150"] and firsts == ["r-150"], (phrase, ids, firsts))


def test_a_number_is_found_only_where_it_is(d):
    # numbers are indexed as they are (as 0s, a rare one matched every row)
    imported(d, [log(1, "the cache holds 4096 entries, retry after 250 ms"),
                 log(2, "the cache holds 2048 entries, retry after 750 ms"),
                 log(3, 'config {"max_tokens": 4096, "stream": true}')])
    ids, _ = search(d, "holds 4096 entries")
    expect(ids == ["r-1"], ids)
    ids, _ = search(d, "after 750")
    expect(ids == ["r-2"], ids)
    ids, _ = search(d, "4096")
    expect(ids == ["r-3", "r-1"], ids)
    ids, _ = search(d, '"max_tokens": 4096')
    expect(ids == ["r-3"], ids)
    ids, _ = search(d, "9999")
    expect(ids == [], ids)


def test_text_of_punctuation_only_is_too_short(d):
    imported(d, [log(1, "a, b: c")])
    rc, out, err = run(d, "index", "--search", '", :"')
    expect(rc != 0 and "3 characters" in err, out + err)
    ids, _ = search(d, "a, b: c")
    expect(ids == ["r-1"], ids)


def test_base64_blobs_are_not_indexed_but_the_text_around_them_is(d):
    rnd = random.Random(7)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    blob = "".join(rnd.choice(alphabet) for _ in range(20000))
    path = "src/components/user_profile/settings/notifications/email-templates/weekly_digest"
    imported(d, [log(1, f"intro zebra words {blob} outro lighthouse words, see {path}"),
                 log(2, "intro zebra words and nothing else")])
    ids, firsts = search(d, "zebra words")
    expect(ids == ["r-2", "r-1"] and firsts == ["r-1"], ids)
    ids, _ = search(d, "outro lighthouse")
    expect(ids == ["r-1"], ids)
    ids, _ = search(d, "email-templates/weekly")  # a long path is text, not a blob
    expect(ids == ["r-1"], ids)
    con = sqlite3.connect(os.path.join(d, "s.db"))
    try:
        con.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, search_text, row)")
        terms = con.execute("SELECT count(*) FROM temp.v").fetchone()[0]
    finally:
        con.close()
    expect(terms < 1000, f"{terms} trigrams indexed: the blob's were")


def test_a_schema_11_index_is_emptied_and_built_again(d):
    imported(d, [log(i, f"request {i} asks about port {8000 + i} refused") for i in range(1, 6)])
    rc, out, err = run(d, "index")
    expect(rc == 0 and "5 requests indexed" in out, out + err)
    # as schema 11 left it: rows of text as it is, found by their raw trigrams
    con = sqlite3.connect(os.path.join(d, "s.db"))
    try:
        con.execute("INSERT INTO search_text(rowid, text) VALUES(9999, 'stale qzxv row')")
        # bodies back in their own table, as before schema 14 (these ids stay in their bodies)
        con.executescript("DROP TRIGGER request_bodies_delete; DROP TRIGGER request_bodies_insert;"
                          " DROP VIEW request_bodies; ALTER TABLE request_bodies_v13 RENAME TO request_bodies;"
                          " INSERT INTO request_bodies(request_id, raw_zstd, raw_len, chunk_refs)"
                          "  SELECT id, x'', body_len, chunk_refs FROM requests WHERE chunk_refs IS NOT NULL;"
                          " ALTER TABLE requests DROP COLUMN body_ids; ALTER TABLE requests DROP COLUMN chunk_refs;"
                          " ALTER TABLE requests DROP COLUMN body_len;")
        con.execute("PRAGMA user_version=11")
        con.commit()
    finally:
        con.close()
    rc, out, err = run(d, "index")
    expect(rc == 0 and "5 requests indexed" in out, f"not built again: {out}{err}")
    expect(sql(d, "PRAGMA user_version")[0][0] >= 13, "not migrated")
    stale = sql(d, "SELECT count(*) FROM search_text WHERE search_text MATCH '\"qzx\"'")[0][0]
    expect(stale == 0, "the schema-11 rows are still in the index")
    ids, firsts = search(d, "port 8003 refused")
    expect(ids == ["r-3"] and firsts == ["r-3"], (ids, firsts))
    # and it goes on from there: new requests are indexed, old ones not again
    imported(d, [log(9, "request 9 asks about port 8009 refused", day="10-02")], "b.jsonl")
    rc, out, err = run(d, "index")
    expect(rc == 0 and "1 requests indexed" in out, out + err)
    ids, _ = search(d, "refused")
    expect(ids == ["r-9", "r-5", "r-4", "r-3", "r-2", "r-1"], ids)


if __name__ == "__main__":
    main("searchsize", globals())
