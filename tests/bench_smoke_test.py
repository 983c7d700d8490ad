"""bench/ cannot rot: the corpus generator writes logs of the promised shape that
`tollgate import` takes whole, deterministically; the narrow-insert floor and
the collector's peers build and do what bench/agents.py times them doing.
Seconds, not minutes: the figures themselves come from `make bench-agents`."""
import collections
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, ROOT, check_sanitizers, expect, main  # noqa: E402

GEN = os.path.join(ROOT, "bench", "gen_corpus.py")
CFLAGS = ["-std=c17", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-O1"]


def generate(d, kind, *size, seed=5, name=None):
    path = os.path.join(d, name or f"{kind}-{seed}.jsonl")
    subprocess.run([sys.executable, GEN, kind, *size, "--seed", str(seed), "-o", path], check=True,
                   capture_output=True, timeout=120)
    return path


def read_logs(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def compact(value):
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def import_all(d, path, expected):
    db = os.path.join(d, "t.db")
    p = subprocess.run([BIN, "--db", db, "import", "--strict", path], capture_output=True, text=True, timeout=300)
    check_sanitizers(p.stderr, "tollgate import")
    expect(p.returncode == 0, p.stdout + p.stderr)
    expect(f"imported {expected}, duplicates 0, rejected 0" in p.stdout, p.stdout)
    return db


def build(d, source, *libs):
    exe = os.path.join(d, os.path.basename(source)[:-2])
    subprocess.run(["cc", *CFLAGS, "-o", exe, os.path.join(ROOT, "bench", source), *libs], check=True, timeout=120)
    return exe


def test_agent_corpus_has_the_shape_of_claude_code_and_codex_and_imports_whole(d):
    path = generate(d, "agents", "--mb", "12")
    logs = read_logs(path)
    tools_by_version = collections.defaultdict(set)
    billing = set()
    claude = codex = storms = 0
    times = [datetime.fromisoformat(o["timestamp"].replace("Z", "+00:00")) for o in logs]
    expect(times == sorted(times), "logs come out in time order")
    for o in logs:
        client = o.get("metadata", {}).get("client", "")
        if "tools" in o:
            tools_by_version[client].add(json.dumps(o["tools"], sort_keys=True))
        if client.startswith("claude-cli") and o["model"] != "claude-haiku-4-5":
            claude += 1
            expect(len(o["tools"]) == 24 and 78_000 < compact(o["tools"]) < 88_000, compact(o["tools"]))
            system = o["prompt_messages"][0]
            expect(system["role"] == "system" and len(system["content"]) == 3, system["role"])
            expect(system["content"][0]["text"].startswith("x-anthropic-billing-header:"), "billing header first")
            billing.add(system["content"][0]["text"])
            expect(25_000 < sum(compact(b) for b in system["content"]) < 30_000, "27 KB of system blocks")
            first = o["prompt_messages"][1]
            expect(first["role"] == "user" and 6_000 < compact(first) < 9_000, compact(first))
            expect(100_000 < len(json.dumps(o)) < 400_000, len(json.dumps(o)))
            for m in o["prompt_messages"][2:]:
                for block in m["content"]:
                    if block["type"] == "tool_result":
                        expect(900 <= len(block["content"]) <= 10_000, len(block["content"]))
        elif client.startswith("codex"):
            codex += 1
            items = json.loads(o["input"])  # the messages, as a JSON string
            expect(isinstance(o["input"], str) and 16_000 < len(items[0]["content"]) < 18_500, "17 KB instructions")
            expect(len(o["tools"]) == 8 and 16_000 < compact(o["tools"]) < 20_000, compact(o["tools"]))
            if o["status_code"] == 200:
                expect(isinstance(json.loads(o["output"]), list), "output a JSON string")
        if o["status_code"] == 401:
            storms += 1
            expect(o["cost"] == 0 and ("prompt_messages" in o or "input" in o), "a refused request keeps its prompt")
    expect(claude > 20 and codex > 10 and storms >= 8, (claude, codex, storms))
    for version, tools in tools_by_version.items():
        expect(len(tools) == 1, f"{version}: {len(tools)} different tools blocks")
    expect(len(billing) == claude, "the billing header differs on every request")
    by_key = collections.defaultdict(list)
    for o, t in zip(logs, times):
        if o["status_code"] == 401:
            by_key[o["organization_key_id"]].append(t)
    for key, ts in by_key.items():
        expect(8 <= len(ts) <= 12 and 60 < (ts[-1] - ts[0]).total_seconds() < 400, (key, len(ts)))
    db = import_all(d, path, len(logs))
    con = sqlite3.connect(db)
    stored = con.execute("SELECT count(*) FROM requests").fetchone()[0]
    expect(stored == len(logs), stored)
    rep = subprocess.run([BIN, "--db", db, "report", "--by", "developer", "--format", "json"], capture_output=True,
                         text=True, timeout=60)
    expect(rep.returncode == 0, rep.stderr)
    total = json.loads(rep.stdout)["total"]
    spent = sum(Decimal(str(o["cost"])) for o in logs)  # nano-dollars, shown to the micro-dollar
    expect(total["requests"] == len(logs) and abs(Decimal(str(total["cost"])) - spent) <= Decimal("0.0000005"),
           (total, spent))


def test_corpora_are_deterministic_and_releases_share_their_tools_across_seeds(d):
    a = generate(d, "claude", "--logs", "30", seed=7, name="a.jsonl")
    b = generate(d, "claude", "--logs", "30", seed=7, name="b.jsonl")
    c = generate(d, "claude", "--logs", "30", seed=8, name="c.jsonl")
    with open(a, "rb") as fa, open(b, "rb") as fb:
        expect(fa.read() == fb.read(), "the same seed writes the same bytes")
    la, lc = read_logs(a), read_logs(c)
    expect(not {o["unique_id"] for o in la} & {o["unique_id"] for o in lc}, "another seed, other ids")
    tools = lambda logs: {o["metadata"]["client"]: json.dumps(o["tools"]) for o in logs}  # noqa: E731
    ta, tc = tools(la), tools(lc)
    expect(all(ta[v] == tc[v] for v in ta.keys() & tc.keys()) and ta.keys() & tc.keys(), "a release's tools")


def test_small_corpus_resends_threads_and_uses_the_string_form_for_a_third(d):
    path = generate(d, "small", "--logs", "3000")
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    logs = [json.loads(line) for line in lines]
    mean = sum(len(line) + 1 for line in lines) / len(lines)
    expect(1_300 < mean < 2_200, mean)
    strings = sum("input" in o for o in logs) / len(logs)
    expect(0.2 < strings < 0.4, strings)
    threads = collections.defaultdict(list)
    for o in logs:
        threads[o["thread_identifier"]].append(o)
    resent = 0
    for thread in threads.values():
        for earlier, later in zip(thread, thread[1:]):
            msgs = lambda o: json.loads(o["input"]) if "input" in o else o["prompt_messages"]  # noqa: E731
            expect(msgs(later)[: len(msgs(earlier))] == msgs(earlier), "a thread is resent whole")
            resent += 1
    expect(resent > len(logs) / 4, resent)
    import_all(d, path, len(logs))


def test_floor_inserts_every_logs_facts_and_appends(d):
    floor = build(d, "floor.c", "-lsqlite3", "-lpthread")
    path = generate(d, "small", "--logs", "2000")
    logs = read_logs(path)
    db = os.path.join(d, "floor.db")
    out = subprocess.run([floor, path, db], capture_output=True, text=True, timeout=60)
    expect(out.returncode == 0 and out.stdout.strip() == "2000 rows", out.stdout + out.stderr)
    con = sqlite3.connect(db)
    rows = con.execute("SELECT id, ts, developer, cost FROM logs").fetchall()
    expect(sorted(rows) == sorted((o["unique_id"], o["timestamp"], o["customer_identifier"], o["cost"])
                                  for o in logs), "the facts of each log")
    con.close()
    out = subprocess.run([floor, path, db], capture_output=True, text=True, timeout=60)
    expect(out.stdout.strip() == "2000 rows", out.stdout)
    expect(sqlite3.connect(db).execute("SELECT count(*) FROM logs").fetchone()[0] == 4000, "appends")


def test_loadgen_posts_big_logs_to_the_null_server_and_says_mb_per_second(d):
    server = build(d, "nullserver.c", "-lmicrohttpd", "-lpthread")
    loadgen = build(d, "loadgen.c", "-lpthread")
    path = generate(d, "claude", "--logs", "60")
    err_path = os.path.join(d, "server.err")
    with open(err_path, "w") as err:
        p = subprocess.Popen([server], stderr=err)
    try:
        port = None
        for _ in range(100):
            m = re.search(r"127\.0\.0\.1:(\d+)", open(err_path).read())
            if m:
                port = m.group(1)
                break
            time.sleep(0.05)
        expect(port, "the null server says its port")
        out = subprocess.run([loadgen, port, path, "4", "1", "20"], capture_output=True, text=True, timeout=60)
        expect(out.returncode == 0 and "60 logs in 60 POSTs" in out.stdout and " MB/s" in out.stdout
               and "0 errors" in out.stdout, out.stdout + out.stderr)
    finally:
        p.terminate()
        p.wait(timeout=10)
    size = os.path.getsize(path) - 60  # without the newlines
    expect(f"60 requests, {size} bytes" in open(err_path).read(), open(err_path).read())


if __name__ == "__main__":
    main("benchsmoke", globals())
