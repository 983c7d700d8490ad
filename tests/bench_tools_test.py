"""The tools that take issue 14's "done when" figures cannot rot: chunkstats
reads a schema-11 db's chunks right (its sums agree with the logs imported),
rebuildbench builds against core and times agent-sized rebuilds, and the
agents bench's checklist says met / NOT MET by the bar. Seconds, not
minutes: the figures come from `make bench-agents` and `make bench-latency`."""
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
import agents  # noqa: E402
import chunkstats  # noqa: E402
from harness import BIN, ROOT, check_sanitizers, expect, main  # noqa: E402

SAN = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
LIBS = ["-lsqlite3", "-lcjson", "-lzstd", "-lcrypto", "-lmicrohttpd", "-lcurl", "-lm", "-lpthread"]


def agent_db(d, mb="3"):
    path = os.path.join(d, "agents.jsonl")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_corpus.py"), "agents", "--mb", mb, "--seed", "4",
                    "-o", path], check=True, capture_output=True, timeout=120)
    db = os.path.join(d, "t.db")
    p = subprocess.run([BIN, "--db", db, "import", path], capture_output=True, text=True, timeout=300)
    check_sanitizers(p.stderr, "tollgate import")
    expect(p.returncode == 0, p.stderr)
    return path, db


def test_chunkstats_sums_agree_with_the_logs_imported(d):
    path, db = agent_db(d)
    with open(path, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    s = chunkstats.stats(db)
    expect(s["bodies"] == len(lines) and s["body_raw"] == sum(len(x) for x in lines), (s["bodies"], s["body_raw"]))
    expect(s["unused"] == 0 and s["whole"] == 0 and s["messages"] == 0, s)
    expect(s["refs"] > s["chunks"] and s["body_raw"] > 4 * s["chunk_raw"], "agent logs share their chunks")
    expect(0 < s["zstd"] < s["chunk_raw"], s)
    out = []
    chunkstats.report(db, out=out.append)
    expect(len(out) == 3 and out[0].startswith(f"chunk_packs: {s['packs']} packs"), out)
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "chunkstats.py"), os.path.join(d, "none.db")],
                       capture_output=True, text=True, timeout=60)
    expect(p.returncode != 0, "a db that is not there is an error")


def test_chunk_refs_decode_as_the_store_writes_them(d):
    # runs of consecutive ids: (zigzag delta from the end of the run before, run length) varint pairs
    expect(chunkstats.chunk_ids(bytes([2, 3, 3, 1])) == [1, 2, 3, 2], "1..3, then back one to 2")
    expect(chunkstats.chunk_ids(bytes([0x90, 0x03, 2])) == [200, 201], "zigzag 400 in two bytes: 200")
    expect(chunkstats.varints(bytes([0xAC, 0x02, 5])) == [300, 5], "LEB128")


def test_rebuildbench_builds_and_times_agent_sized_rebuilds(d):
    objs = [o for o in glob.glob(os.path.join(ROOT, "build", "asan", "core", "*", "*.o"))]
    expect(objs, "build/asan objects (make build/asan/tollgate)")
    exe = os.path.join(d, "rebuildbench")
    subprocess.run(["cc", "-std=c17", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-O1", *SAN, "-I" + ROOT + "/core",
                    "-I/usr/include/cjson", "-o", exe, os.path.join(ROOT, "bench", "rebuildbench.c"), *objs, *LIBS],
                   check=True, timeout=180)
    _, db = agent_db(d)
    p = subprocess.run([exe, db, "40", "100000"], capture_output=True, text=True, timeout=120)
    check_sanitizers(p.stderr, "rebuildbench")
    expect(p.returncode == 0, p.stdout + p.stderr)
    m = re.search(r"(\d+) with a chunked body of >= 100000 bytes; timing (\d+) of them", p.stdout)
    expect(m and int(m.group(1)) > 5 and int(m.group(2)) == min(40, int(m.group(1))), p.stdout)
    for what in ("raw log rebuilt (exact bytes), wall", "best of 3 in a row", "detail built and laid out"):
        expect(re.search(re.escape(what) + r".*p99 +[\d.]+ ms", p.stdout), what + ":\n" + p.stdout)
    p = subprocess.run([exe, db, "10", "100000000"], capture_output=True, text=True, timeout=60)
    expect(p.returncode == 1 and "0 with a chunked body" in p.stdout, "no request that big: says so, fails")


def test_the_done_when_checklist_says_met_by_the_bar(d):
    done = agents.Checklist()
    done.add("db <= 2% of raw", "1.90%", 1.9 <= 2)
    done.add("import >= 150 MB/s", "80.0 MB/s", 80 >= 150, "(bar at >= 200 MB; this run 10 MB)")
    lines = []
    real_print = print
    try:
        agents.print = lambda *a, **k: lines.append(" ".join(str(x) for x in a))
        done.print()
    finally:
        agents.print = real_print
    text = "\n".join(lines)
    expect(re.search(r"db <= 2% of raw +1\.90% +met", text), text)
    expect(re.search(r"import >= 150 MB/s +80\.0 MB/s +NOT MET +\(bar at >= 200 MB; this run 10 MB\)", text), text)

    class Args:
        mb, logs = 10.0, None
    expect(agents.size_note(Args, mb=200) == "(bar at >= 200 MB; this run 10 MB)", agents.size_note(Args, mb=200))
    Args.mb = 200.0
    expect(agents.size_note(Args, mb=200) == "", "a run of the bar's size needs no note")
    Args.mb, Args.logs = None, 50000
    expect(agents.size_note(Args, logs=50000) == "" and "1,000,000" in agents.size_note(Args, logs=1000000), "logs")


if __name__ == "__main__":
    main("benchtools", globals())
