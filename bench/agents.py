#!/usr/bin/env python3
"""tollgate next to its floor and peers, side by side in one run on the same file.

  bench/agents.py agents --mb 200        agent-shaped corpus (bench/gen_corpus.py agents)
  bench/agents.py small --logs 1000000   ~1.7 KB chat logs
  bench/agents.py collector --mb 200     one ~120 KB Claude-Code-like log per POST
  bench/agents.py collector --logs 1000000 --batch 100   small logs, 100 a POST, against `import`
      [--against OLD/tollgate]                              and another binary's, alternating in the same rounds
  bench/agents.py small --logs 100000 --rounds 1         a reduced run: minutes, not an hour

Import: `tollgate import` into an empty db and into a full one (already holding a
second corpus of the same shape and size, another seed), then `tollgate index`;
the narrow-insert floor (bench/floor.c) and DuckDB's typed load and query
(bench/duckdb_load.mjs), both empty and full; `gzip -6`, `zstd -1 -T2` and
`zstd -3 --long=27` of the same file. Collector: bench/loadgen.c, 16
connections, one log per POST, against `tollgate collect` and against the null
server (bench/nullserver.c). Runs alternate (A B C ... A B C ..., the order
reversed every other round) and the tables give medians, min-max in brackets.
Every program is timed the same way, process start to exit (wall) and its
CPU (user+sys). Work files in bench/out/ (ignored by git); corpora are kept.
Needs `make bench-agents-build`; DuckDB is skipped with a note when
bench/node_modules is missing (`npm ci --prefix bench`). Each run ends with the
issue's "Done when" bars it measured: the value, met or not (noting a run
smaller than the corpus the bar is set for)."""

import argparse
import os
import re
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time

import chunkstats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "tollgate")
FLOOR = os.path.join(ROOT, "build", "bench", "floor")
LOADGEN = os.path.join(ROOT, "build", "bench", "loadgen")
NULLSERVER = os.path.join(ROOT, "build", "bench", "nullserver")
DUCK = os.path.join(ROOT, "bench", "duckdb_load.mjs")
OUT = os.path.join(ROOT, "bench", "out")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def corpus(kind, seed, mb, logs):
    size = f"{mb:g}mb" if mb else f"{logs}logs"
    path = os.path.join(OUT, f"{kind}-{size}-seed{seed}.jsonl")
    if not os.path.exists(path):
        t = time.monotonic()
        args = [sys.executable, os.path.join(ROOT, "bench", "gen_corpus.py"), kind, "--seed", str(seed),
                "-o", path + ".tmp"] + (["--mb", str(mb)] if mb else ["--logs", str(logs)])
        subprocess.run(args, check=True)
        os.rename(path + ".tmp", path)
        print(f"  generated {path} in {time.monotonic() - t:.1f} s", file=sys.stderr)
    return path


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            n += chunk.count(b"\n")
    return n


def timed(argv, stdout=subprocess.DEVNULL, env=None):
    """Runs argv to its end: (wall s, cpu s, stdout text or None)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    p = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, env=env)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed ({p.returncode}): {p.stderr.decode(errors='replace')[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p.stdout.decode() if isinstance(p.stdout, bytes) else None


def remove_db(path):
    for suffix in ("", "-wal", "-shm", ".wal"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def sqlite_size(path):
    """Main file + WAL after a checkpoint: what the db takes on disk."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return sum(os.path.getsize(path + s) for s in ("", "-wal") if os.path.exists(path + s))


def copy_db(src, dst):
    remove_db(dst)
    for s in ("", "-wal"):
        if os.path.exists(src + s):
            shutil.copyfile(src + s, dst + s)
    os.chmod(dst, 0o600)


class Row:
    def __init__(self, name, note=""):
        self.name, self.note = name, note
        self.walls, self.cpus, self.sizes = [], [], []


def med(xs):
    return statistics.median(xs) if xs else float("nan")


class Checklist:
    """The issue's "Done when" bars this run can speak to: each bar, the value
    measured, met or not. A bar set for another corpus size (200 MB, 50,000 or
    1M logs) is still checked, with a note that this run is not that size."""

    def __init__(self):
        self.rows = []

    def add(self, bar, value, ok, note=""):
        self.rows.append((bar, value, "met" if ok else "NOT MET", note))

    def print(self):
        if not self.rows:
            return
        print("\nDone when (issue 14), this run:")
        width = max(len(r[0]) for r in self.rows)
        for bar, value, verdict, note in self.rows:
            print(f"  {bar:{width}}  {value:>34}  {verdict:7}{'  ' + note if note else ''}")


def size_note(a, mb=None, logs=None):
    """Empty when the run is the size a bar is set for, else what it was."""
    if mb is not None and (a.mb or 0) < mb:
        return f"(bar at >= {mb} MB; this run {a.mb:g} MB)" if a.mb else f"(bar at >= {mb} MB; this run {a.logs} logs)"
    if logs is not None and a.logs != logs:
        return f"(bar at {logs:,} logs; this run {a.logs or 0:,})" if a.logs else f"(bar at {logs:,} logs)"
    return ""


def import_bench(a):
    os.makedirs(OUT, exist_ok=True)
    logs_file = corpus(a.kind, 1, a.mb, a.logs)
    prefill = corpus(a.kind, 2, a.mb, a.logs)
    raw = os.path.getsize(logs_file)
    nlogs = count_lines(logs_file)
    have_duck = os.path.isdir(os.path.join(ROOT, "bench", "node_modules", "@duckdb", "node-api"))
    w = lambda name: os.path.join(OUT, name)  # noqa: E731

    # the full dbs, filled once with the second corpus, copied before each run
    full = {}
    for name, fill in (("tollgate", lambda db: [BIN, "--db", db, "import", prefill]),
                       ("floor", lambda db: [FLOOR, prefill, db]),
                       ("duckdb", lambda db: ["node", DUCK, db, prefill])):
        if name == "duckdb" and not have_duck:
            continue
        db = w(f"full-{name}-{os.path.basename(prefill)}.db")
        if not os.path.exists(db):
            timed(fill(db + ".tmp"))
            if name != "duckdb":
                sqlite_size(db + ".tmp")
            for s in ("", "-wal", ".wal"):
                if os.path.exists(db + ".tmp" + s):
                    os.rename(db + ".tmp" + s, db + s)
        full[name] = db

    def file_size(path):
        return sum(os.path.getsize(path + s) for s in ("", ".wal") if os.path.exists(path + s))

    rows, runs = [], []

    def program(name, note, prepare, argv, measure):
        r = Row(name, note)
        rows.append(r)
        runs.append((r, prepare, argv, measure))
        return r

    tg = w("run-tollgate.db")
    program("tollgate import, empty db", "db without the search index",
            lambda: remove_db(tg), [BIN, "--db", tg, "import", logs_file], lambda: sqlite_size(tg))
    index_row = Row("  then tollgate index", "db with the search index")
    base_tg = sqlite_size(full["tollgate"])
    tgf = w("run-tollgate-full.db")
    program("tollgate import, full db", "growth of the db", lambda: copy_db(full["tollgate"], tgf),
            [BIN, "--db", tgf, "import", logs_file], lambda: sqlite_size(tgf) - base_tg)
    fl = w("run-floor.db")
    program("floor: narrow insert, empty", "4 columns, no bodies", lambda: remove_db(fl), [FLOOR, logs_file, fl],
            lambda: sqlite_size(fl))
    flf = w("run-floor-full.db")
    base_fl = sqlite_size(full["floor"])
    program("floor: narrow insert, full", "growth", lambda: copy_db(full["floor"], flf), [FLOOR, logs_file, flf],
            lambda: sqlite_size(flf) - base_fl)
    if have_duck:
        dk = w("run-duckdb.db")
        program("duckdb typed load+query, empty", "11 columns, no bodies", lambda: remove_db(dk),
                ["node", DUCK, dk, logs_file], lambda: file_size(dk))
        dkf = w("run-duckdb-full.db")
        base_dk = file_size(full["duckdb"])

        def copy_duck():
            remove_db(dkf)
            shutil.copyfile(full["duckdb"], dkf)
        program("duckdb typed load+query, full", "growth", copy_duck, ["node", DUCK, dkf, logs_file],
                lambda: file_size(dkf) - base_dk)
    for name, argv, ext in (("gzip -6", ["gzip", "-6", "-c", logs_file], "gz"),
                            ("zstd -1 -T2", ["zstd", "-q", "-1", "-T2", "-c", logs_file], "zst1"),
                            ("zstd -3 --long=27", ["zstd", "-q", "-3", "--long=27", "-c", logs_file], "zst3")):
        target = w(f"run.{ext}")
        program(name, "compressed file", lambda: None, (argv, target), lambda t=target: os.path.getsize(t))

    print(f"corpus: {logs_file}: {nlogs} logs, {raw / 1e6:.1f} MB ({raw // max(nlogs, 1)} bytes a log); "
          f"full dbs hold {os.path.basename(prefill)} first")
    subprocess.run(["cat", logs_file], stdout=subprocess.DEVNULL)  # the page cache, for every program alike
    for rnd in range(a.rounds):
        order = runs if rnd % 2 == 0 else list(reversed(runs))
        for r, prepare, argv, measure in order:
            prepare()
            if isinstance(argv, tuple):
                with open(argv[1], "wb") as f:
                    wall, cpu, _ = timed(argv[0], stdout=f)
            else:
                wall, cpu, _ = timed(argv)
            r.walls.append(wall)
            r.cpus.append(cpu)
            r.sizes.append(measure())
            if r is rows[0] and not a.no_index:  # the search index, built on that db
                wall, cpu, _ = timed([BIN, "--db", tg, "index"])
                index_row.walls.append(wall)
                index_row.cpus.append(cpu)
                index_row.sizes.append(sqlite_size(tg))
        print(f"  round {rnd + 1} of {a.rounds} done, load average {loadavg()}", file=sys.stderr)
    if not a.no_index:
        rows.insert(1, index_row)

    print("\nMB/s and logs/s: wall clock, process start to exit; MB/CPU-s: MB per second of CPU (user+sys,"
          " all threads),\nwhich a loaded machine disturbs less. The index row: `tollgate index` alone.")
    print(f"\n{'program':34} {'MB/s':>7} {'logs/s':>9} {'wall s (min-max)':>20} {'CPU s':>7} {'MB/CPU-s':>9} "
          f"{'size MB':>9} {'% of raw':>8}  size is")
    for r in rows:
        wall = med(r.walls)
        span = f"{wall:.2f} ({min(r.walls):.2f}-{max(r.walls):.2f})"
        size = med(r.sizes)
        print(f"{r.name:34} {raw / wall / 1e6:7.1f} {nlogs / wall:9.0f} {span:>20} {med(r.cpus):7.2f} "
              f"{raw / max(med(r.cpus), 1e-3) / 1e6:9.1f} {size / 1e6:9.1f} {100 * size / raw:7.2f}%  {r.note}")
    by = {r.name: r for r in rows}
    rate = lambda name: raw / med(by[name].walls)  # noqa: E731
    tg_rate, tg_full = rate("tollgate import, empty db"), rate("tollgate import, full db")
    z1, z3 = rate("zstd -1 -T2"), med(by["zstd -3 --long=27"].sizes)
    size0 = med(by["tollgate import, empty db"].sizes)
    print(f"\ntollgate import / zstd -1 -T2 MB/s: empty db {tg_rate / z1:.3f}; full db {tg_full / z1:.3f}")
    print(f"tollgate db / zstd -3 --long=27 size: {size0 / z3:.2f} without the search index", end="")
    sized = None
    if not a.no_index:
        sized = med(index_row.sizes)
        print(f", {sized / z3:.2f} with it", end="")
    print()
    fl_rate, fl_full = rate("floor: narrow insert, empty"), rate("floor: narrow insert, full")
    print(f"tollgate import / floor (wall): empty db {tg_rate / fl_rate:.3f}; full db {tg_full / fl_full:.3f}")
    dk_rate = dk_full = None
    if have_duck:
        dk_rate, dk_full = rate("duckdb typed load+query, empty"), rate("duckdb typed load+query, full")
        print(f"tollgate import / duckdb (wall): empty db {tg_rate / dk_rate:.3f}; "
              f"full db {tg_full / dk_full:.3f}")
    else:
        print("duckdb: skipped, bench/node_modules missing (npm ci --prefix bench)")
    print("\nwhere the tollgate db's body bytes are (bench/chunkstats.py, the last empty-db run"
          f"{'' if a.no_index else ', search index built'}):")
    chunkstats.report(tg, out=lambda line: print("  " + line))

    done = Checklist()
    if a.kind == "agents":
        note = size_note(a, mb=200)
        done.add("db without the search index <= 2% of raw", f"{100 * size0 / raw:.2f}%", size0 <= 0.02 * raw, note)
        done.add("... and <= 2x zstd -3 --long=27", f"{size0 / z3:.2f}x", size0 <= 2 * z3, note)
        if sized is not None:
            done.add("with the search index <= 4% of raw", f"{100 * sized / raw:.2f}%", sized <= 0.04 * raw, note)
        done.add("import >= 150 MB/s on 2 cores", f"{tg_rate / 1e6:.1f} MB/s (full db {tg_full / 1e6:.1f})",
                 min(tg_rate, tg_full) >= 150e6, note)
        done.add("import >= 0.2x zstd -1 -T2 MB/s, same run", f"{tg_rate / z1:.3f}x (full db {tg_full / z1:.3f}x)",
                 min(tg_rate, tg_full) >= 0.2 * z1, note)
    else:
        done.add("small logs: db <= 15% of raw", f"{100 * size0 / raw:.2f}%", size0 <= 0.15 * raw,
                 size_note(a, logs=50000))
        note = size_note(a, logs=1000000)
        if have_duck:
            done.add("import >= DuckDB's typed load (ratio >= 1.0)",
                     f"{tg_rate / dk_rate:.3f}x (full db {tg_full / dk_full:.3f}x)",
                     min(tg_rate / dk_rate, tg_full / dk_full) >= 1.0, note)
        else:
            done.add("import >= DuckDB's typed load (ratio >= 1.0)", "not measured", False,
                     "bench/node_modules missing")
        done.add("import within 2x of the narrow-insert floor", f"{tg_rate / fl_rate:.3f}x (full db "
                 f"{tg_full / fl_full:.3f}x)", min(tg_rate / fl_rate, tg_full / fl_full) >= 0.5, note)
    done.print()


def collector_bench(a):
    """One ~120 KB Claude-Code-like log per POST (--batch 1, the default), or
    small logs in batches of --batch to /v1/logs, next to `tollgate import` of
    the same file in the same rounds (the issue's bar: >= 0.9x its rate)."""
    os.makedirs(OUT, exist_ok=True)
    batched = a.batch > 1
    logs_file = corpus("small" if batched else "claude", 1 if batched else 3, a.mb, a.logs)
    raw = os.path.getsize(logs_file)
    nlogs = count_lines(logs_file)
    print(f"corpus: {logs_file}: {nlogs} logs, {raw / 1e6:.1f} MB ({raw // max(nlogs, 1)} bytes a log); "
          f"loadgen: 16 connections, {a.batch} log{'s' if batched else ''} a POST, each log sent once, "
          f"at most {a.seconds} s")
    db = os.path.join(OUT, "run-collector.db")
    err_path = os.path.join(OUT, "run-collector.err")
    # --against: another tollgate binary (say the one before a change) in the same rounds, alternating
    bins = [("", BIN)] + ([(f" ({os.path.basename(a.against)})", a.against)] if a.against else [])
    servers = [("null server (libmicrohttpd, reads the body, 200)", [NULLSERVER])]
    servers += [("tollgate collect" + tag, [b, "--db", db, "collect", "--listen", "127.0.0.1:0", "--quiet"])
                for tag, b in bins]
    results = {name: [] for name, _ in servers}
    imports = {tag: [] for tag, _ in bins}
    pattern = re.compile(r"(\d+) logs in (\d+) POSTs, ([\d.]+) s: (\d+) logs/s, ([\d.]+) MB/s, .*?p50 ([\d.]+) ms, "
                         r"p95 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms, (\d+) errors")
    for rnd in range(a.rounds):
        order = servers + ([(tag, b) for tag, b in bins] if batched else [])
        for name, argv in (order if rnd % 2 == 0 else list(reversed(order))):
            remove_db(db)
            if name in imports:
                wall, cpu, _ = timed([argv, "--db", db, "import", logs_file])
                imports[name].append((wall, cpu))
                continue
            with open(err_path, "w") as err:
                server = subprocess.Popen(argv, stderr=err)
            port = None
            for _ in range(200):
                with open(err_path) as f:
                    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", f.read())
                if m:
                    port = m.group(1)
                    break
                time.sleep(0.05)
            if not port:
                server.kill()
                sys.exit(f"bench: {name} did not start")
            load = subprocess.run([LOADGEN, port, logs_file, "16", str(a.batch), str(a.seconds)], capture_output=True,
                                  text=True)
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=120)
            m = pattern.search(load.stdout)
            if not m or load.returncode != 0:
                sys.exit(f"bench: loadgen against {name}: {load.stdout} {load.stderr}")
            results[name].append([float(x) for x in m.groups()])
            if name.startswith("tollgate collect"):
                stored = sqlite3.connect(db).execute("SELECT count(*) FROM requests").fetchone()[0]
                if stored != int(m.group(1)):
                    sys.exit(f"bench: collect acknowledged {m.group(1)} logs but stored {stored}")
        print(f"  round {rnd + 1} of {a.rounds} done, load average {loadavg()}", file=sys.stderr)
    print(f"\n{'server':50} {'MB/s':>7} {'logs/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  MB/s of each run")
    for name, res in results.items():
        col = list(zip(*res))
        print(f"{name:50} {med(col[4]):7.1f} {med(col[3]):8.0f} {med(col[5]):8.2f} {med(col[7]):8.2f} "
              f"{med(col[8]):8.1f}  {' '.join(f'{x:.1f}' for x in col[4])}")
    collect_mb = med([r[4] for r in results["tollgate collect"]])
    collect_logs = med([r[3] for r in results["tollgate collect"]])
    ratio = collect_mb / med([r[4] for r in results[servers[0][0]]])
    print(f"\ntollgate collect / null server MB/s: {ratio:.3f}")
    done = Checklist()
    if batched:
        for tag, _ in bins:
            import_wall = med([w for w, _ in imports[tag]])
            import_logs = nlogs / import_wall
            logs = med([r[3] for r in results["tollgate collect" + tag]])
            print(f"{'tollgate import of the same file' + tag:50} {raw / import_wall / 1e6:7.1f} {import_logs:8.0f}  "
                  f"wall {import_wall:.2f} s, CPU {med([c for _, c in imports[tag]]):.2f} s")
            print(f"tollgate collect / tollgate import logs/s{tag}: {logs / import_logs:.3f}")
            if not tag:
                done.add("batched collector >= 0.9x the import rate", f"{logs / import_logs:.3f}x "
                         f"({logs:.0f} against {import_logs:.0f} logs/s)", logs >= 0.9 * import_logs,
                         size_note(a, logs=1000000))
    else:
        done.add("collector >= 100 MB/s, 120 KB a POST, 16 connections", f"{collect_mb:.1f} MB/s",
                 collect_mb >= 100)
    done.print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=("agents", "small", "collector"))
    size = ap.add_mutually_exclusive_group(required=True)
    size.add_argument("--mb", type=float)
    size.add_argument("--logs", type=int)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=30, help="collector: longest run (default 30)")
    ap.add_argument("--batch", type=int, default=1,
                    help="collector: logs a POST; above 1, small logs in batches against `tollgate import`")
    ap.add_argument("--against", help="collector: another tollgate binary to run in the same rounds (paired)")
    ap.add_argument("--no-index", action="store_true", help="skip `tollgate index` (1M small logs: ~10 min a round)")
    a = ap.parse_args()
    for tool in (BIN, FLOOR, LOADGEN, NULLSERVER):
        if not os.access(tool, os.X_OK):
            sys.exit(f"bench: {tool} missing: make bench-agents-build")
    sqlite_lib = sqlite3.sqlite_version
    zstd = subprocess.run(["zstd", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"machine: {os.cpu_count()} cores, load average at start {loadavg()} (1, 5, 15 min); "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}; SQLite {sqlite_lib}; {zstd}")
    if a.kind == "collector":
        collector_bench(a)
    else:
        import_bench(a)
    print(f"load average at end {loadavg()}")


if __name__ == "__main__":
    main()
