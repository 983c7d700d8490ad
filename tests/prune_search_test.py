"""Prune that rewrites a pack without its unused chunks (a pack still used by
a remaining body is repacked, not deleted) takes those chunks' text out of the
search index too, as deleting a whole pack always did; the text the remaining
bodies share stays found. Drives the real binary: `tollgate import`, `index`,
`prune --bodies-older-than`, `index --search`."""
import os
import sqlite3

from harness import expect, main
from searchonce_test import PHRASE, SYSTEM, imported, run, search, thread_logs, words


def long_thread(thread, turns, day):
    """Turns of ~12 KB of their own text each, after the shared system prompt:
    pruned, they free more than a quarter of the pack they share with a
    newer thread, so prune repacks it."""
    logs, messages = [], [{"role": "system", "content": SYSTEM}]
    for t in range(turns):
        messages = messages + [{"role": "user", "content": f"turn {t} of {thread}: " + words(f"{thread}-ask-{t}", 1500)}]
        logs.append({"unique_id": f"{thread}-{t + 1}", "timestamp": f"2026-{day}T10:{t:02d}:00Z", "model": "gpt-5.5",
                     "customer_identifier": "alice", "cost": 0.01, "thread_identifier": thread,
                     "prompt_messages": messages, "completion_message": {"role": "assistant", "content": "ok"}})
        messages = messages + [logs[-1]["completion_message"]]
    return logs


def runs(d):
    con = sqlite3.connect(os.path.join(d, "s.db"))
    try:
        return con.execute("SELECT count(*), coalesce(sum(chunks), 0) FROM search_runs").fetchone()
    finally:
        con.close()


def test_a_repacked_pack_leaves_the_index_with_its_dropped_chunks(d):
    old = long_thread("t-old", 4, "09-01")
    imported(d, old + thread_logs("t-new", 2, "11-20"))
    rc, out, err = run(d, "index")
    expect(rc == 0, out + err)
    before = runs(d)
    rc, out, err = run(d, "prune", "--bodies-older-than", "2026-10-01")
    expect(rc == 0 and "dropped 4 bodies" in out, out + err)
    dropped = int(out.split(" chunks no body used")[0].rsplit(" ", 1)[1])
    expect(dropped > 0, f"the pack was not repacked, so this test tests nothing: {out}")
    after = runs(d)
    expect(after[0] < before[0] and after[1] < before[1],
           f"the runs of the {dropped} chunks cut out are still indexed: {before} -> {after}")
    ids, firsts = search(d, PHRASE)
    expect(ids == ["t-new-2", "t-new-1"] and firsts == ["t-new-1"], (ids, firsts))
    new_turn = thread_logs("t-new", 2, "11-20")[1]["prompt_messages"][-1]["content"].split(": ")[1][:30]
    ids, _ = search(d, new_turn)
    expect(ids == ["t-new-2"], f"a remaining body's own text: {ids}")
    old_turn = old[2]["prompt_messages"][-1]["content"].split(": ")[1][:40]
    ids, _ = search(d, old_turn)
    expect(ids == [], f"a pruned body's text is still found: {ids}")


if __name__ == "__main__":
    main("prunesearch", globals())
