#!/usr/bin/env python3
"""Gateway faults, each for sync and for revoke (`keys revoke`, `offboard`):
5xx, 429 with Retry-After, timeouts, garbled bodies, dropped connections, and
TLS (a test CA made here with the openssl CLI: a valid certificate, an expired
one, one the client does not trust). Each asserts the number of calls (bounded
retries), the message, the exit code, and that the store is consistent after."""
import atexit
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time

from harness import expect, main
from keys_test import IDS, Env as KeysEnv
from sync_test import LOGS, Env as SyncEnv, Fake

ATTEMPTS = 6  # core/gateway/http.c's bound
PAGE1_POSITION = "2026-11-23T00:49:49.250Z"

# fault -> (scripted step, words in the sync error, words in the revoke error, extra env)
FAULTS = {
    "5xx": ({"status": 503}, "HTTP 503", "the gateway failed (HTTP 503): try again later", {}),
    "429": ({"status": 429, "retry_after": "1"}, "HTTP 429", "HTTP 429", {}),
    "timeout": ({"delay": 1.0}, "timed out", "did not answer; try again", {"TOLLGATE_HTTP_TIMEOUT_MS": "300"}),
    "garbage": ({"malformed": True}, "the gateway's answer is not JSON after 6 attempts",
                "answer is not JSON after 6 attempts: whether it revoked the key is not known", {}),
    "reset": ({"drop": True}, "after 6 attempts", "did not answer; try again", {}),
}


# ---- TLS material, made once per run with the openssl CLI -------------------

_CERTS = {}


def certs():
    """ca.pem; good (127.0.0.1, signed by the CA), expired (same, ended
    yesterday), stranger (self-signed: no one trusts it). Each a (cert, key)."""
    if _CERTS:
        return _CERTS
    d = tempfile.mkdtemp(prefix="tg-tls-")
    atexit.register(shutil.rmtree, d, True)

    def ssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=tollgate test CA")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    for name, days, serial in (("good", "2", "2"), ("expired", "-1", "3")):
        ssl("req", "-new", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", "/CN=127.0.0.1")
        ssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", serial,
            "-days", days, "-extfile", "ext", "-out", f"{name}.pem")
    ssl("req", "-x509", *ec, "-keyout", "stranger.key", "-out", "stranger.pem", "-days", "2", "-subj",
        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")
    _CERTS["ca"] = os.path.join(d, "ca.pem")
    for name in ("good", "expired", "stranger"):
        _CERTS[name] = (os.path.join(d, f"{name}.pem"), os.path.join(d, f"{name}.key"))
    return _CERTS


# ---- sync -------------------------------------------------------------------

def sync_positions(db):
    con = sqlite3.connect(db)
    try:
        return dict(con.execute("SELECT source, position FROM sync_state WHERE source LIKE 'respan %'"))
    finally:
        con.close()


def sync_fault(d, fault):
    step, words, _, extra = FAULTS[fault]
    fake = Fake(d, LOGS)
    try:
        env = SyncEnv(d, fake)
        # page 1 is answered, then page 2 fails every time (more steps than attempts)
        fake.control(script=[{}] + [step] * (ATTEMPTS + 4))
        t0 = time.monotonic()
        rc, out, err = env.run("sync", "--since", "2026-11-23", **extra)
        elapsed = time.monotonic() - t0
        expect(rc == 2, f"exit {rc}: {err}")
        expect(words in err, f"{words!r} not in: {err}")
        expect(err.count("; retry ") == ATTEMPTS - 1, f"retries: {err}")
        expect(len(fake.calls()) == 1 + ATTEMPTS, f"{len(fake.calls())} calls")
        # consistent: page 1 stored with its position, nothing of page 2
        expect(env.report()["total"]["requests"] == 50, env.report()["total"])
        expect(list(sync_positions(env.db).values()) == [PAGE1_POSITION], sync_positions(env.db))
        expect(f"1 pages, 50 logs: 50 new" in out and PAGE1_POSITION in out, out)
        if fault == "429":
            expect(elapsed >= ATTEMPTS - 1, f"Retry-After: 1 not honoured: {elapsed:.1f}s")
            expect("retry 5 in 1.0 s" in err, err)
        # and the next run finishes the job
        fake.control(script=[])
        rc, out, err = env.run("sync")
        expect(rc == 0 and env.report()["total"]["requests"] == 120, (rc, err, env.report()["total"]))
        expect(not env.key_leaked(), "the API key appeared in the output")
    finally:
        fake.stop()


def test_sync_5xx(d):
    sync_fault(d, "5xx")


def test_sync_429_retry_after(d):
    sync_fault(d, "429")


def test_sync_timeout(d):
    sync_fault(d, "timeout")


def test_sync_garbage_body(d):
    sync_fault(d, "garbage")


def test_sync_connection_reset(d):
    sync_fault(d, "reset")


# ---- revoke and offboard ----------------------------------------------------

def gateway_key(env, name):
    with_ssl = {"context": env.fake.ssl} if env.fake.ssl else {}
    import urllib.request
    keys = json.loads(urllib.request.urlopen(env.fake.base + "/_keys", timeout=10, **with_ssl).read())
    return next(k for k in keys if k["name"] == name)


def audit_rows(env):
    return env.json("audit")["events"]


def revoke_fault(d, fault):
    step, _, words, extra = FAULTS[fault]
    env = KeysEnv(d)
    try:
        env.keys(offline=False)
        env.fake.control(script=[step] * (ATTEMPTS + 4))
        t0 = time.monotonic()
        rc, out, err = env.run("keys", "revoke", "alice-ci", "--yes", "--reason", "fault test", **extra)
        elapsed = time.monotonic() - t0
        expect(rc == 2, f"exit {rc}: {err}")
        expect(words in err and "the key is unchanged" in err, err)
        expect(len(env.calls("PATCH")) == ATTEMPTS, f"{len(env.calls('PATCH'))} PATCH calls")
        expect(env.keys()["alice-ci"]["status"] == "active", "the db marks the key revoked")
        expect(not gateway_key(env, "alice-ci")["revoked"], "the gateway revoked it after all")
        rows = audit_rows(env)
        expect(len(rows) == 1 and rows[0]["result"].startswith("failed: "), rows)
        # offboard: carries on to the next key, each fails the same bounded way
        # (Retry-After: 0 there: the waits were measured on revoke, and cost seconds)
        quick = dict(step, retry_after="0") if "retry_after" in step else step
        # (each key: its PATCHes, then the GETs reading it back fail too)
        env.fake.control(script=[quick] * (4 * ATTEMPTS + 4))
        before = len(env.calls("PATCH"))
        rc, out, err = env.run("offboard", "alice", "--apply", **extra)
        expect(rc == 2 and "0 revoked, 2 failed" in out, out + err)
        expect(len(env.calls("PATCH")) - before == 2 * ATTEMPTS, f"{len(env.calls('PATCH')) - before} calls")
        statuses = {n: k["status"] for n, k in env.keys().items() if n.startswith("alice")}
        expect(statuses == {"alice-laptop": "active", "alice-ci": "active"}, statuses)
        rows = audit_rows(env)
        expect(len(rows) == 3 and all(r["result"].startswith("failed: ") for r in rows), rows)
        # the fault passes: the same command succeeds
        env.fake.control(script=[])
        rc, out, err = env.run("offboard", "alice", "--apply")
        expect(rc == 0 and "2 revoked, 0 failed" in out, out + err)
        return elapsed
    finally:
        env.finish()


def test_revoke_5xx(d):
    revoke_fault(d, "5xx")


def test_revoke_429_retry_after(d):
    elapsed = revoke_fault(d, "429")
    expect(elapsed >= ATTEMPTS - 1, f"5 waits of Retry-After: 1 not honoured: {elapsed:.1f}s")


def test_revoke_timeout(d):
    """The fake carries the PATCH out, then answers too late: reading the key
    back shows it expired, so it is revoked (the read-back decides, not the
    answer); the audit row says the call itself timed out."""
    step, _, words, extra = FAULTS["timeout"]
    env = KeysEnv(d)
    try:
        env.keys(offline=False)
        env.fake.control(script=[step] * ATTEMPTS)
        rc, out, err = env.run("keys", "revoke", "alice-ci", "--yes", "--reason", "fault test", **extra)
        expect(rc == 0 and "the gateway shows it expired" in out and words in out, out + err)
        expect(len(env.calls("PATCH")) == ATTEMPTS, f"{len(env.calls('PATCH'))} PATCH calls")
        expect(env.keys()["alice-ci"]["status"] == "revoked", "the db does not follow the gateway")
        rows = audit_rows(env)
        expect(len(rows) == 1 and rows[0]["result"].startswith("ok: the gateway shows the key expired"), rows)
    finally:
        env.finish()


def test_revoke_garbage_body(d):
    revoke_fault(d, "garbage")


def test_revoke_connection_reset(d):
    revoke_fault(d, "reset")


# ---- TLS --------------------------------------------------------------------

def tls_sync(d, cert, cacert):
    fake = Fake(d, LOGS[:20], tls=certs()[cert])
    try:
        env = SyncEnv(d, fake)
        args = ["sync", "--since", "2026-11-23"] + (["--cacert", certs()["ca"]] if cacert else [])
        t0 = time.monotonic()
        rc, out, err = env.run(*args)
        return env, rc, out, err, time.monotonic() - t0
    finally:
        fake.stop()


def test_sync_tls_valid_certificate_with_cacert(d):
    env, rc, out, err, _ = tls_sync(d, "good", cacert=True)
    expect(rc == 0 and "20 logs: 20 new" in out, out + err)


def test_sync_tls_untrusted_certificate_refused(d):
    for cert, cacert in (("good", False), ("stranger", True)):
        env, rc, out, err, elapsed = tls_sync(d, cert, cacert)
        expect(rc == 2, f"{cert}: exit {rc}")
        expect("TLS: SSL certificate problem" in err and "so not retried" in err and "--cacert" in err, err)
        expect("; retry " not in err and elapsed < 5, f"retried: {err}")
        expect(env.report()["total"]["requests"] == 0, "stored something")
        os.remove(env.db)


def test_sync_tls_expired_certificate(d):
    env, rc, out, err, elapsed = tls_sync(d, "expired", cacert=True)
    expect(rc == 2, f"exit {rc}")
    expect("TLS: SSL certificate problem: certificate has expired" in err, err)
    expect("; retry " not in err and elapsed < 5, f"retried: {err}")
    expect(env.report()["total"]["requests"] == 0, "stored something")
    expect(sync_positions(env.db) == {}, "a position was recorded")


def write_cacert_config(env):
    cfg = os.path.join(env.dir, "cfg", "tollgate")
    os.makedirs(cfg, exist_ok=True)
    path = os.path.join(cfg, "config")
    with open(path, "w") as f:
        f.write(f"cacert = {certs()['ca']}\n")
    os.chmod(path, 0o600)


def test_revoke_tls(d):
    for cert, ok in (("expired", False), ("stranger", False), ("good", True)):
        sub = os.path.join(d, cert)
        os.makedirs(sub)
        env = KeysEnv(sub, tls=certs()[cert])
        try:
            write_cacert_config(env)
            rc, out, err = env.run("keys", "revoke", "alice-ci", "--yes")
            if ok:
                expect(rc == 0 and "revoked alice-ci" in out, out + err)
                expect(gateway_key(env, "alice-ci")["revoked"], "not revoked at the gateway")
                continue
            expect(rc == 2 and "TLS: SSL certificate problem" in err and "the key is unchanged" in err, err)
            if cert == "expired":
                expect("certificate has expired" in err, err)
            expect("; retry" not in err and "attempt" not in err and not env.calls(), err)
            expect(env.keys()["alice-ci"]["status"] != "revoked", "marked revoked")
            rows = audit_rows(env)
            expect(len(rows) == 1 and rows[0]["result"].startswith("failed: TLS"), rows)
        finally:
            env.finish()


if __name__ == "__main__":
    main("gatewayfaults", globals())
