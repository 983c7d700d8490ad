#!/usr/bin/env python3
"""Db faults: a db locked by another writer, a corrupt file, someone else's
SQLite db, a read-only db (file and directory; the screens too), and a full
disk (RLIMIT_FSIZE with SIGXFSZ ignored, as `ulimit -f` would). Each: a clear
message, exit 2, nothing half-written, nothing crashes."""
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import time

from harness import BIN, ROOT, check_sanitizers, expect, main, wait_screen

NOW = "2026-11-24T12:00:00Z"
MIXED = os.path.join(ROOT, "tests", "data", "mixed.jsonl")  # 7 good logs, 3 bad
NOBODY = 65534


def env(d, **extra):
    return dict(os.environ, HOME=d, XDG_CONFIG_HOME=os.path.join(d, "cfg"), TOLLGATE_NOW=NOW,
                RESPAN_API_KEY="test-key-0123456789", RESPAN_BASE_URL="http://127.0.0.1:9/api/",
                TOLLGATE_RETRY_BASE_MS="10", **extra)


def run(d, db, *args, prefix=(), stdin=None, preexec=None, binary=BIN, **extra):
    p = subprocess.run([*prefix, binary, "--db", db, *args], capture_output=True, env=env(d, **extra), timeout=120,
                       input=stdin, preexec_fn=preexec)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    check_sanitizers(err, " ".join(args))
    return p.returncode, out, err


def logs(n, prefix="L", size=0):
    return [{"unique_id": f"{prefix}-{i}", "timestamp": f"2026-11-23T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
             "model": "gpt-5.5", "customer_identifier": f"dev{i % 7}", "organization_key_name": f"k{i % 5}",
             "prompt_tokens": 100 + i, "completion_tokens": 10, "cost": 0.001,
             "prompt_messages": [{"role": "user", "content": os.urandom(size).hex() if size else "hi"}]}
            for i in range(n)]


def write_jsonl(path, items):
    with open(path, "w") as f:
        for l in items:
            f.write(json.dumps(l) + "\n")
    return path


def count_and_check(db):
    con = sqlite3.connect(db)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchall()
        n = con.execute("SELECT count(*) FROM requests").fetchone()[0]
        return ok, n
    finally:
        con.close()


def made_db(d, n=7):
    db = os.path.join(d, "t.db")
    rc, _, err = run(d, db, "import", MIXED)
    expect(rc == 1, err)  # 3 of mixed.jsonl are bad on purpose
    return db


# Every command that opens the db, with arguments that get it that far.
COMMANDS = [["report"], ["report", "--format", "json"], ["import", MIXED], ["keys", "--offline"], ["audit"],
            ["index"], ["offboard", "alice"], ["sync"], ["demo", "--requests", "10", "--append"],
            ["collect", "--listen", "127.0.0.1:0"], ["ui"]]


def test_busy_db_waits_then_names_the_other_writer(d):
    db = made_db(d)
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        t0 = time.monotonic()
        rc, out, err = run(d, db, "import", write_jsonl(os.path.join(d, "new.jsonl"), logs(5)),
                           TOLLGATE_BUSY_TIMEOUT_MS="400")
        elapsed = time.monotonic() - t0
        expect(rc == 2, f"exit {rc}: {err}")
        expect("another process is writing to it and held the lock past the busy timeout" in err and db in err, err)
        expect(elapsed >= 0.4, f"did not wait for the busy timeout: {elapsed:.2f}s")
        # a reader is not blocked by the writer (WAL)
        rc, out, err = run(d, db, "report", "--format", "json", TOLLGATE_BUSY_TIMEOUT_MS="400")
        expect(rc == 0 and json.loads(out)["total"]["requests"] == 7, err)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    expect(count_and_check(db) == ([("ok",)], 7), count_and_check(db))
    rc, out, err = run(d, db, "import", os.path.join(d, "new.jsonl"))
    expect(rc == 0 and count_and_check(db)[1] == 12, err)


def test_corrupt_db_every_command_says_so(d):
    db = os.path.join(d, "bad.db")
    with open(db, "wb") as f:
        f.write(os.urandom(16384))
    before = open(db, "rb").read()
    for args in COMMANDS:
        rc, out, err = run(d, db, *args)
        expect(rc == 2, f"{args}: exit {rc}: {err}")
        expect("it is not a tollgate database, or it is damaged" in err, f"{args}: {err}")
    expect(open(db, "rb").read() == before, "a command wrote to the corrupt file")


def test_damaged_pages_are_reported_not_crashed_on(d):
    db = made_db(d)
    size = os.path.getsize(db)
    with open(db, "r+b") as f:  # keep the header page, garble every other page
        f.seek(4096)
        f.write(b"\xa5" * (size - 4096))
    # the commands that read the data at once (sync and collect find out at their first write)
    for args in COMMANDS[:7]:
        rc, out, err = run(d, db, *args)
        expect(rc == 2, f"{args}: exit {rc}: {out} {err}")
        expect("not a tollgate database, or it is damaged" in err or "malformed" in err, f"{args}: {err}")


def test_someone_elses_sqlite_db_is_left_alone(d):
    db = os.path.join(d, "other.db")
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE notes(x)")
    con.commit()
    con.close()
    before = open(db, "rb").read()
    for args in COMMANDS:
        rc, out, err = run(d, db, *args)
        expect(rc == 2 and "is an SQLite database but not tollgate's" in err, f"{args}: {rc} {err}")
    expect(open(db, "rb").read() == before and not os.path.exists(db + "-wal"), "the foreign db was changed")


def reader_prefix():
    """Runs the binary as a user who may not write the db: as root (who may
    write anything) that is nobody; otherwise permissions do it."""
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if os.geteuid() == 0 else []


def reader_bin(d):
    """The binary and the input where the other user can reach them: the
    checkout may sit in a directory only its owner may enter."""
    exe = os.path.join(d, "tollgate")
    if not os.path.exists(exe):
        shutil.copy(BIN, exe)
        shutil.copy(MIXED, os.path.join(d, "mixed.jsonl"))
        os.chmod(exe, 0o755)
        os.chmod(os.path.join(d, "mixed.jsonl"), 0o644)
    return exe


def read_only_cases(d):
    """(label, db) for a read-only file in a writable directory, and a db in
    a read-only directory (no -shm can be made there)."""
    file_dir = os.path.join(d, "rofile")
    dir_dir = os.path.join(d, "rodir")
    cases = []
    for label, sub in (("file", file_dir), ("dir", dir_dir)):
        os.makedirs(sub)
        db = os.path.join(sub, "t.db")
        rc, _, err = run(d, db, "import", MIXED)
        expect(rc == 1, err)
        os.chmod(db, 0o444)
        os.chmod(sub, 0o777 if label == "file" else 0o555)
        cases.append((label, db))
    os.chmod(d, 0o755)
    return cases


def writable_again(d):
    """Lets the harness remove the directory afterwards, as any user."""
    for sub in ("rofile", "rodir"):
        os.chmod(os.path.join(d, sub), 0o755)


def test_read_only_db_reports_but_refuses_to_write(d):
    try:
        read_only_db_reports_but_refuses_to_write(d)
    finally:
        writable_again(d)


def read_only_db_reports_but_refuses_to_write(d):
    for label, db in read_only_cases(d):
        before = open(db, "rb").read()
        exe = reader_bin(d)
        rc, out, err = run(d, db, "report", "--format", "json", prefix=reader_prefix(), binary=exe)
        expect(rc == 0 and json.loads(out)["total"]["requests"] == 7, f"{label}: {rc} {err}")
        rc, out, err = run(d, db, "audit", prefix=reader_prefix(), binary=exe)
        expect(rc == 0, f"{label}: audit {rc} {err}")
        for args in (["import", os.path.join(d, "mixed.jsonl")], ["index"], ["keys", "--offline"]):
            rc, out, err = run(d, db, *args, prefix=reader_prefix(), binary=exe)
            expect(rc == 2 and "it is read-only here" in err, f"{label} {args}: {rc} {err}")
        expect(open(db, "rb").read() == before, f"{label}: the db changed")


def test_read_only_db_opens_in_the_screens_and_says_so(d):
    label, db = read_only_cases(d)[1]
    sock = f"tg-ro-{os.getpid()}"
    envs = " ".join(f"{k}={v}" for k, v in {"HOME": d, "TOLLGATE_NOW": NOW, "LANG": "C.UTF-8",
                                              "TERM": "xterm-256color"}.items())
    cmd = f"{' '.join(reader_prefix())} env {envs} {reader_bin(d)} --db {db}"

    def tmux(*args):
        return subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", *args], capture_output=True, text=True,
                              timeout=30)
    tmux("new-session", "-d", "-x", "120", "-y", "30", cmd)
    try:
        screen = wait_screen(lambda: tmux("capture-pane", "-p").stdout,
                             lambda s: "read-only" in s and "help" in s) or tmux("capture-pane", "-p").stdout
        expect("read-only" in screen and "help" in screen, screen)
        expect("dev" in screen or "$" in screen, f"no data shown:\n{screen}")
        tmux("send-keys", "q")
        time.sleep(0.3)
    finally:
        tmux("kill-server")
        writable_again(d)


def fsize_limit(nbytes):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # as a shell's ulimit -f with the signal trapped
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return apply


def test_disk_full_import_stores_whole_batches_only(d):
    db = made_db(d)
    big = write_jsonl(os.path.join(d, "big.jsonl"), logs(600, "big", size=1500))
    rc, out, err = run(d, db, "import", big, preexec=fsize_limit(1 << 20))
    expect(rc == 2, f"exit {rc}: {out} {err}")
    expect("(is the disk full, or the file over a size limit?)" in err or "the disk is full" in err, err)
    ok, n = count_and_check(db)
    expect(ok == [("ok",)] and n == 7, (ok, n))
    rc, out, err = run(d, db, "report", "--format", "json")
    expect(rc == 0 and json.loads(out)["total"]["requests"] == 7, err)
    rc, out, err = run(d, db, "import", big)  # room again: all of it, once
    expect(rc == 0 and count_and_check(db)[1] == 607, (rc, err))


def test_disk_full_collector_answers_503_and_keeps_whole_batches(d):
    import urllib.request
    import urllib.error
    db = made_db(d)
    proc = subprocess.Popen([BIN, "--db", db, "collect", "--listen", "127.0.0.1:0", "--quiet"],
                            stderr=subprocess.PIPE, env=env(d), preexec_fn=fsize_limit(1 << 20))
    try:
        line = proc.stderr.readline().decode()
        port = line.rsplit(":", 1)[1].split(",")[0]
        statuses = []
        for b in range(40):
            body = json.dumps(logs(50, f"c{b}", size=1500)).encode()
            req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/logs", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
            try:
                statuses.append(urllib.request.urlopen(req, timeout=30).status)
            except urllib.error.HTTPError as e:
                statuses.append(e.code)
                if e.code >= 500:
                    break
        expect(statuses[-1] == 503, statuses)
        stored = statuses.count(200)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    check_sanitizers(err.decode(errors="replace"), "collect")
    ok, n = count_and_check(db)
    expect(ok == [("ok",)], ok)
    expect(n == 7 + 50 * stored, f"{n} stored after {stored} acknowledged batches of 50")


if __name__ == "__main__":
    main("dbfaults", globals())
