#!/usr/bin/env python3
"""Security claims, one test each: hostile text never reaches a terminal raw
from any command (and CSV / JSON stay valid), user text is never SQL, files
holding secrets are private, tokens compare in constant time, and --redact
masks secrets before they are stored (import and collect)."""
import csv
import io
import json
import os
import re
import sqlite3
import stat
import subprocess

from collector_test import Collector
from harness import BIN, ROOT, check_sanitizers, expect, main
from sync_test import KEY as SYNC_KEY, Fake

NOW = "2026-11-24T12:00:00Z"
ESC_DEV = "mal\x1b[31mlory\x1b]0;PWNED\x07\u009b2J,\"x\""
ESC_KEY = "key\x1b]52;c;ZXZpbA==\x07\u0090evil"
ESC_MODEL = "gpt\x1b[2J\x1b[H-5.5\u009d8;;http://x\u009c"
HOSTILE = [{"unique_id": "hostile-1", "timestamp": "2026-11-24T09:00:00Z", "model": ESC_MODEL,
            "customer_identifier": ESC_DEV, "organization_key_id": "kid-\x1b[5m1", "organization_key_name": ESC_KEY,
            "prompt_tokens": 10, "completion_tokens": 5, "cost": 0.01, "status_code": 500,
            "error_message": "boom\x1b[2J\u009b1m"},
           {"unique_id": "plain-1", "timestamp": "2026-11-24T09:30:00Z", "model": "gpt-5.5",
            "customer_identifier": "alice", "organization_key_name": "alice-laptop", "cost": 0.02}]
BAD_LOG = {"unique_id": "bad\x1b[2J\u009b", "timestamp": "\x1b]2;t\x07\u009b2J",
           "customer_identifier": "x\x1b]2;t\x07"}
RAW_ESCAPES = (b"\x1b", b"\x07", b"\x9b", b"\x9d", b"\x90", b"\x9c")


class Env:
    def __init__(self, d):
        self.dir = d
        self.db = os.path.join(d, "s.db")

    def env(self, **extra):
        e = dict(os.environ, HOME=self.dir, XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"), TOLLGATE_NOW=NOW,
                 USER="lead", RESPAN_API_KEY="admin-key-0123456789abcdef", RESPAN_BASE_URL="http://127.0.0.1:9/api/",
                 TOLLGATE_RETRY_BASE_MS="10", TOLLGATE_HTTP_TIMEOUT_MS="500")
        e.update(extra)
        return e

    def run(self, *args, stdin=None, **extra):
        """Raw bytes of stdout and stderr, as a terminal would get them."""
        p = subprocess.run([BIN, "--db", self.db, *args], capture_output=True, input=stdin, env=self.env(**extra),
                           timeout=120)
        check_sanitizers(p.stderr.decode(errors="replace"), " ".join(args))
        return p.returncode, p.stdout, p.stderr

    def jsonl(self, name, logs):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            for l in logs:
                f.write(json.dumps(l) + "\n")
        return path


def no_raw_escapes(what, data):
    for b in RAW_ESCAPES:
        expect(b not in data, f"{what}: raw {b!r} in output: {data[:400]!r}")
    # C1 controls as UTF-8 (U+0080..U+009F) are two bytes: \xc2 then the control
    expect(not re.search(rb"\xc2[\x80-\x9f]", data), f"{what}: a C1 control in output: {data[:400]!r}")


# ---- terminal-escape sanitisation in every output path -----------------------

def test_hostile_log_every_command_output_is_sanitised(d):
    env = Env(d)
    rc, out, err = env.run("import", env.jsonl("h.jsonl", HOSTILE + [BAD_LOG]))
    expect(rc == 1, err)
    no_raw_escapes("import", out + err)
    expect(b"\\x1b" in err, err)  # the rejected log's text is shown, escaped
    rc, out, err = env.run("import", "--format", "json", env.jsonl("bad.jsonl", [BAD_LOG]))
    no_raw_escapes("import --format json", out + err)
    json.loads(out)
    outputs = {}
    for by in ("developer", "key", "model", "day", "hour"):
        for fmt in ("table", "csv", "json"):
            rc, out, err = env.run("report", "--by", by, "--format", fmt)
            expect(rc == 0, err)
            outputs[f"report --by {by} --format {fmt}"] = out + err
            if fmt == "csv":
                rows = list(csv.reader(io.StringIO(out.decode())))
                expect(all(len(r) == len(rows[0]) for r in rows), rows)
            if fmt == "json":
                doc = json.loads(out)
                if by == "developer":  # JSON escapes the text; the value is intact
                    expect(ESC_DEV in [r["name"] for r in doc["rows"]], doc)
    for fmt in ("table", "csv", "json"):
        rc, out, err = env.run("keys", "--offline", "--format", fmt)
        expect(rc == 0, err)
        outputs[f"keys --format {fmt}"] = out + err
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(out.decode())))
            expect(all(len(r) == len(rows[0]) for r in rows), rows)
        if fmt == "json":
            expect(ESC_KEY in [k["name"] for k in json.loads(out)["keys"]], out)
    # revoke: the impact box, then a gateway that does not answer -> the error and an audit row
    rc, out, err = env.run("keys", "revoke", ESC_KEY, "--yes", "--reason", "r\x1b[2Jeason")
    expect(rc == 2, err)
    outputs["keys revoke"] = out + err
    rc, out, err = env.run("offboard", ESC_DEV)
    expect(rc == 0, err)
    outputs["offboard"] = out + err
    rc, out, err = env.run("offboard", ESC_DEV, "--apply")
    outputs["offboard --apply"] = out + err
    rc, out, err = env.run("offboard", "nobody\x1b[2J")
    expect(rc == 2, err)
    outputs["offboard unknown"] = out + err
    for fmt in ("table", "csv", "json"):
        rc, out, err = env.run("audit", "--format", fmt)
        expect(rc == 0, err)
        outputs[f"audit --format {fmt}"] = out + err
        if fmt == "json":
            events = json.loads(out)["events"]
            expect(len(events) >= 2 and any(ESC_KEY in e["target"] for e in events), events)
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(out.decode())))
            expect(all(len(r) == 7 for r in rows), rows)
    rc, out, err = env.run("index")
    outputs["index"] = out + err
    for what, data in outputs.items():
        no_raw_escapes(what, data)
    expect(any(b"\\x1b" in data for data in outputs.values()), "the escapes were dropped, not shown")


# ---- no SQL from user text ---------------------------------------------------

def test_filters_and_names_are_plain_text_not_sql(d):
    env = Env(d)
    logs = [{"unique_id": f"q{i}", "timestamp": "2026-11-24T09:00:00Z", "model": m, "customer_identifier": dev,
             "organization_key_name": key, "cost": 0.5}
            for i, (dev, key, m) in enumerate([("x' OR '1'='1", "k'; DROP TABLE requests; --", "gpt-5.5"),
                                               ("bob", "plain", "claude-opus"), ("carol", "other", "o'neil")])]
    rc, _, err = env.run("import", env.jsonl("q.jsonl", logs))
    expect(rc == 0, err)

    def report(*args):
        rc, out, err = env.run("report", "--format", "json", *args)
        if rc == 1 and b"in the db" in err:  # a name that matches nothing is an error naming it
            return 0
        expect(rc == 0, err)
        return json.loads(out)["total"]["requests"]
    expect(report("--developer", "x' OR '1'='1") == 1, "injected developer filter")
    expect(report("--developer", "' OR ''='") == 0, "injected developer filter")
    expect(report("--key", "k'; DROP TABLE requests; --") == 1, "key filter")
    expect(report("--key", "plain' OR 'a'='a") == 0, "key filter")
    expect(report("--model", "%") == 0 and report("--model", "o'neil") == 1, "model filter")
    rc, out, err = env.run("keys", "revoke", "' OR 1=1 --", "--yes")
    expect(rc == 2 and b"no key" in err, err)
    rc, out, err = env.run("offboard", "' OR ''='")
    expect(rc == 2 and b"no keys known" in err, err)
    expect(report() == 3, "rows went missing")
    con = sqlite3.connect(env.db)
    expect(con.execute("SELECT count(*) FROM requests").fetchone()[0] == 3, "requests table damaged")
    con.close()


def test_no_sql_is_built_from_text_in_the_source(d):
    """Every statement is a constant: no sqlite3_mprintf, no SQL formatted with
    snprintf or strbuf, sqlite3_exec only with literals or the migrations."""
    offenders = []
    sources = [os.path.join(top, name) for sub in ("core", "tui")
               for top, _, names in os.walk(os.path.join(ROOT, sub)) for name in names if name.endswith(".c")]
    expect(len(sources) > 40, f"only {len(sources)} C files found under core/ and tui/")
    for path in sorted(sources):
        name = os.path.relpath(path, ROOT)
        text = open(path).read()
        for m in re.finditer(r"sqlite3_mprintf|sqlite3_vmprintf|sqlite3_snprintf", text):
            offenders.append(f"{name}: {m.group(0)}")
        for m in re.finditer(r"sqlite3_exec\((?:[^,]+),\s*([^,]+),", text):
            arg = m.group(1).strip()
            if not (arg.startswith('"') or arg in ("sql", "migrations[v - 1]")):
                offenders.append(f"{name}: sqlite3_exec({arg})")
        for m in re.finditer(r"(?:snprintf|strbuf_printf)\([^;]*\"[^\"\n]*\b(SELECT .* FROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b",
                             text):
            offenders.append(f"{name}: formatted {m.group(1)}")
    expect(not offenders, offenders)


# ---- files that hold secrets -------------------------------------------------

def test_new_db_dir_is_0700_and_db_0600(d):
    env = Env(d)
    data = os.path.join(d, "data")
    src = env.jsonl("p.jsonl", HOSTILE[1:])
    rc = subprocess.run([BIN, "import", src], capture_output=True, env=env.env(XDG_DATA_HOME=data)).returncode
    path = os.path.join(data, "tollgate", "tollgate.db")
    expect(rc == 0 and os.path.exists(path), rc)
    expect(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700, oct(os.stat(os.path.dirname(path)).st_mode))
    expect(stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode))
    for side in ("-wal", "-shm"):
        if os.path.exists(path + side):
            expect(stat.S_IMODE(os.stat(path + side).st_mode) & 0o077 == 0, side)


def test_token_file_and_config_refused_unless_private(d):
    env = Env(d)
    tokens = os.path.join(d, "tokens")
    with open(tokens, "w") as f:
        f.write("tok-0123456789abcdef\n")
    for mode in (0o640, 0o604, 0o660):
        os.chmod(tokens, mode)
        rc, out, err = env.run("collect", "--token-file", tokens, "--listen", "127.0.0.1:0")
        expect(rc == 2 and b"chmod 600" in err, (oct(mode), err))
        expect(b"tok-0123456789abcdef" not in out + err, "the token was printed")
    cfg = os.path.join(d, "cfg", "tollgate")
    os.makedirs(cfg)
    path = os.path.join(cfg, "config")
    with open(path, "w") as f:
        f.write("respan_api_key = cfg-secret-0123456789abcdef\n")
    for mode in (0o640, 0o604):
        os.chmod(path, mode)
        rc, out, err = env.run("keys", RESPAN_API_KEY="")
        expect(rc == 1 and b"chmod 600" in err and b"keys seen in logs only" in err, (oct(mode), err))
        expect(b"cfg-secret-0123456789abcdef" not in out + err, "the key was printed")


def test_tokens_compare_in_constant_time(d):
    """A digest of each side, compared with CRYPTO_memcmp against every token
    without an early exit: the time does not depend on where a guess differs."""
    src = open(os.path.join(ROOT, "core", "base", "secrets.c")).read()
    body = src[src.index("bool tg_tokens_match"):]
    body = body[:body.index("\n}\n")]
    expect("CRYPTO_memcmp" in body and "digest(presented" in body, body)
    expect(not re.search(r"\bstr(n)?cmp\(|\bmemcmp\(|return true|break;", body), body)


# ---- --redact ----------------------------------------------------------------

SECRET_LOG = {"timestamp": "2026-11-24T09:00:00Z", "model": "gpt-5.5", "customer_identifier": "alice",
              "prompt_messages": [{"role": "user", "content":
                                   "deploy with sk-ant-api03-LeakedLeakedLeaked0123 and AKIAIOSFODNN7EXAMPLE; "
                                   "curl -H 'Authorization: Bearer tokLeakedTokLeaked' ...\n"
                                   "-----BEGIN RSA PRIVATE KEY-----\nLeakedPemBody\n-----END RSA PRIVATE KEY-----"}],
              "completion_message": {"role": "assistant", "content": "never paste ghp_LeakedLeakedLeakedLeaked0123"}}
LEAKS = ["LeakedLeakedLeaked0123", "IOSFODNN7EXAMPLE", "tokLeakedTokLeaked", "LeakedPemBody", "ghp_LeakedLeaked"]


def searchable(env, phrase):
    """How many stored requests hold phrase (the full-text index over the stored bodies)."""
    rc, out, err = env.run("index", "--search", phrase)
    expect(rc == 0, err)
    return sum(1 for line in out.decode(errors="replace").splitlines() if line[:4].isdigit())


def test_redact_import(d):
    env = Env(d)
    path = env.jsonl("secret.jsonl", [SECRET_LOG])
    rc, out, err = env.run("import", "--redact", path)
    expect(rc == 0 and b"imported 1" in out, out + err)
    for leak in LEAKS:
        expect(searchable(env, leak) == 0, f"{leak} was stored")
    expect(searchable(env, "sk-ant-[REDACTED]") == 1 and searchable(env, "Bearer [REDACTED]") == 1, "no mask")
    # the id is the original's: the same log again, masked or not, is a duplicate
    rc, out, err = env.run("import", "--redact", path)
    expect(rc == 0 and b"imported 0, duplicates 1" in out, out + err)
    rc, out, err = env.run("import", path)
    expect(rc == 0 and b"imported 0, duplicates 1" in out, out + err)
    # without --redact, a new db keeps the text as sent (the option is opt-in)
    env.db = os.path.join(d, "plain.db")
    rc, out, err = env.run("import", path)
    expect(rc == 0 and searchable(env, LEAKS[0]) == 1, "without --redact the text must be kept")


def test_redact_collect(d):
    db = os.path.join(d, "c.db")
    c = Collector(d, "--redact", db=db)
    try:
        st, body = c.request("POST", "/api/request-logs/create/", dict(SECRET_LOG, unique_id="posted-1"))
        expect(st == 201, (st, body))
        st, body = c.request("POST", "/api/request-logs/create/", dict(SECRET_LOG, unique_id="posted-1"))
        expect(st == 201 and body["duplicate"] is True, body)
        st, body = c.request("POST", "/v1/logs", [SECRET_LOG])
        expect(st == 200 and body["stored"] == 1, body)
    finally:
        c.stop()
    env = Env(d)
    env.db = db
    for leak in LEAKS:
        expect(searchable(env, leak) == 0, f"{leak} was stored")
    # the mask is stored; the two requests share its bytes, indexed once and
    # found in both
    expect(searchable(env, "AKIA[REDACTED]") == 2, "no mask")


def test_redact_sync(d):
    fake = Fake(d, [dict(SECRET_LOG, unique_id="synced-1")])
    try:
        env = Env(d)
        base = dict(RESPAN_BASE_URL=fake.base + "/api/", RESPAN_API_KEY=SYNC_KEY)
        rc, out, err = env.run("sync", "--since", "2026-11-23", "--redact", **base)
        expect(rc == 0 and b"1 new" in out, out + err)
        for leak in LEAKS:
            expect(searchable(env, leak) == 0, f"{leak} was stored")
        rc, out, err = env.run("sync", "--since", "2026-11-23", **base)
        expect(rc == 0 and b"0 new, 1 duplicates" in out, out + err)
    finally:
        fake.stop()


if __name__ == "__main__":
    main("security", globals())
