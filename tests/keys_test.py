#!/usr/bin/env python3
"""`keys`, `keys revoke`, `offboard` and `audit` against the fake gateway (both
adapters) on 127.0.0.1: the exact calls sent, every failure mode, masking."""
import csv
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from decimal import Decimal

from harness import BIN, check_sanitizers, expect, main
from sync_test import Fake

ADMIN = "admin-secret-key-9f8e7d6c5b4a3210"
USER = "lead"
IDS = {"alice-laptop": "1a1a1a1a-0000-4000-8000-000000000001", "alice-ci": "1a1a1a1a-0000-4000-8000-000000000002",
       "bob-laptop": "1a1a1a1a-0000-4000-8000-000000000003", "carol-new": "1a1a1a1a-0000-4000-8000-000000000004",
       "old-key": "1a1a1a1a-0000-4000-8000-000000000009"}
OWNERS = {"alice-laptop": "alice", "alice-ci": "alice", "bob-laptop": "bob", "old-key": "bob"}
GATEWAY_KEYS = [{"id": IDS[n], "name": n, "prefix": f"Pf{i}xYz{i}a", "owner": f"{n.split('-')[0]}@example.com",
                 "created": "2026-10-01T09:00:00Z", "last_used": None}
                for i, n in enumerate(["alice-laptop", "alice-ci", "bob-laptop", "carol-new"])]


def logs():
    out = []
    for i in range(40):
        name = ["alice-laptop", "alice-ci", "bob-laptop", "old-key"][i % 4]
        out.append({"unique_id": f"kl-{i}", "timestamp": f"2026-11-24T{9 + i // 20:02d}:{i % 60:02d}:00Z",
                    "model": "gpt-5.5", "customer_identifier": OWNERS[name], "organization_key_id": IDS[name],
                    "organization_key_name": name, "prompt_tokens": 100, "completion_tokens": 10,
                    "cost": float(Decimal("0.25") * (i % 4 + 1))})
    return out


class Env:
    def __init__(self, d, tls=None):
        self.dir = d
        self.db = os.path.join(d, "k.db")
        self.fake = Fake(d, [], tls)
        self.fake.control(api_key=ADMIN)
        self.fake._post("/_keys", GATEWAY_KEYS)
        self.outputs = []
        path = os.path.join(d, "logs.jsonl")
        with open(path, "w") as f:
            for l in logs():
                f.write(json.dumps(l) + "\n")
        rc, _, err = self.run("import", path)
        expect(rc == 0, err)

    def env(self, **extra):
        e = dict(os.environ, HOME=self.dir, XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"), USER=USER,
                 TOLLGATE_NOW="2026-11-24T10:30:00Z", RESPAN_BASE_URL=self.fake.base + "/api/",
                 RESPAN_API_KEY=ADMIN, LITELLM_BASE_URL=self.fake.base, LITELLM_MASTER_KEY=ADMIN,
                 TOLLGATE_RETRY_BASE_MS="20", TOLLGATE_HTTP_TIMEOUT_MS="1500")
        for k, v in extra.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return e

    def run(self, *args, stdin=b"", **extra):
        p = subprocess.run([BIN, "--db", self.db, *args], input=stdin, capture_output=True, env=self.env(**extra),
                           timeout=120)
        out, err = p.stdout.decode(), p.stderr.decode()
        self.outputs.append(out + err)
        check_sanitizers(err, " ".join(args))
        return p.returncode, out, err

    def json(self, *args, **extra):
        rc, out, err = self.run(*args, "--format", "json", **extra)
        expect(rc == 0, f"{args}: {rc} {err}")
        return json.loads(out)

    def keys(self, offline=True):
        doc = self.json("keys", *(["--offline"] if offline else []))
        return {k["name"]: k for k in doc["keys"]}

    def calls(self, method=None):
        return [c for c in self.fake.calls() if method is None or c["method"] == method]

    def finish(self):
        con_audit = self.json("audit")
        self.outputs.append(json.dumps(con_audit))
        with open(self.db, "rb") as f:
            expect(ADMIN.encode() not in f.read(), "the admin key was written to the db")
        for o in self.outputs:
            expect(ADMIN not in o, "the admin key appeared in an output:\n" + o[:500])
        self.fake.stop()


def keys_env(fn):
    def run(d):
        env = Env(d)
        try:
            fn(env)
        finally:
            env.finish()
    run.__name__ = fn.__name__
    return run


@keys_env
def test_list_merges_gateway_and_logs(env):
    keys = env.keys(offline=False)
    expect(set(keys) == set(IDS), sorted(keys))
    a = keys["alice-laptop"]
    expect(a["id"] == IDS["alice-laptop"] and a["prefix"] == "Pf0xYz0a…" and a["owner"] == "alice", a)
    expect(a["requests_30d"] == 10 and Decimal(str(a["spend_30d"])) == Decimal("2.5"), a)
    expect(a["last_used"] == "2026-11-24T10:36:00Z" and a["status"] == "active" and a["at_gateway"], a)
    expect(keys["carol-new"]["in_logs"] is False and keys["carol-new"]["owner"] == "carol@example.com", keys["carol-new"])
    expect(keys["old-key"]["at_gateway"] is False and keys["old-key"]["in_logs"], keys["old-key"])
    gets = env.calls("GET")
    expect([c["path"] for c in gets] == ["/api/temporary-keys/", "/api/temporary-keys/?page=2"], gets)
    expect(all(c["headers"]["Authorization"] == f"Bearer {ADMIN}" for c in gets), gets)
    rc, out, _ = env.run("keys")
    expect(rc == 0 and "not at gateway" in out and "Pf0xYz0a" in out and "$2.50" in out, out)
    expect(all(len(l) <= 100 for l in out.splitlines()), out)
    rc, out, _ = env.run("keys", "--format", "csv", "--offline")
    expect(out.startswith("name,id,prefix,owner,created,") and out.count("\n") == 6, out)
    expect(",2026-10-01T09:00:00Z," in out, out)


@keys_env
def test_revoke_sends_the_documented_call_and_records_it(env):
    env.keys(offline=False)
    rc, out, err = env.run("keys", "revoke", "alice-laptop", "--yes", "--reason", "left the company")
    expect(rc == 0, err)
    expect("revoked alice-laptop at respan (HTTP 200)" in out, out)
    expect("owner:               alice" in out and "alice-ci (active)" in out, out)
    expect(re.search(r"last 30 days:\s+10 requests, \$2\.50", out), out)
    patch = env.calls("PATCH")
    expect(len(patch) == 1 and patch[0]["path"] == f"/api/temporary-keys/{IDS['alice-laptop']}/", patch)
    expect(patch[0]["headers"]["Authorization"] == f"Bearer {ADMIN}", patch[0]["headers"])
    expect(patch[0]["headers"]["Content-Type"] == "application/json", patch[0]["headers"])
    expect(json.loads(patch[0]["body"]) == {"expiry_date": "2026-11-24T10:30:00Z"}, patch[0]["body"])
    expect(not env.calls("DELETE"), "DELETE sent without --delete")
    expect(env.keys()["alice-laptop"]["status"] == "revoked", env.keys()["alice-laptop"])
    expect(env.keys(offline=False)["alice-laptop"]["status"] == "revoked", "the gateway disagrees")
    audit = env.json("audit")["events"]
    expect(len(audit) == 1, audit)
    e = audit[0]
    expect(e["actor"] == USER and e["action"] == "revoke" and e["result"] == "ok", e)
    expect(e["target"] == f"alice-laptop ({IDS['alice-laptop']})" and e["reason"] == "left the company", e)
    expect(e["detail"] == "respan, HTTP 200, read back: expired 2026-11-24T10:30:00Z", e)
    expect(e["time"] == "2026-11-24T10:30:00Z", e)


@keys_env
def test_revoke_with_delete(env):
    env.keys(offline=False)
    rc, out, err = env.run("keys", "revoke", IDS["bob-laptop"], "--yes", "--delete")
    expect(rc == 0 and "and deleted" in out, out + err)
    expect([c["method"] for c in env.calls() if "temporary-keys/1a" in c["path"]] == ["PATCH", "DELETE"],
           env.calls())
    expect(env.json("audit")["events"][0]["action"] == "revoke+delete", "audit")


@keys_env
def test_audit_csv_quotes_commas_and_quotes(env):
    """A reason with a comma and a quote stays one CSV field, read back whole."""
    env.keys(offline=False)
    reason = 'left, said "bye"'
    rc, out, err = env.run("keys", "revoke", "alice-laptop", "--yes", "--reason", reason)
    expect(rc == 0, out + err)
    rc, out, err = env.run("audit", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    expect(rc == 0 and rows[0] == ["time", "actor", "action", "target", "reason", "result", "detail"], out)
    expect(len(rows) == 2 and rows[1][4] == reason and rows[1][5] == "ok", rows)


@keys_env
def test_each_failure_leaves_the_key_active(env):
    env.keys(offline=False)
    cases = [
        ({"RESPAN_API_KEY": "wrong-admin-key-abcdefghijkl"}, [], "refused the API key wrong-…ijkl (HTTP 401)", 1),
        ({}, [{"status": 404}], "no key with id", 1),
        ({}, [{"status": 503}] * 6, "the gateway failed (HTTP 503): try again later", 6),
        # (a write answered too late but made is revoked: the read-back decides, see revoke_trust_test.py)
        ({}, [{"drop": True}] * 6, "did not answer; try again", 6),
    ]
    for i, (extra, script, words, attempts) in enumerate(cases):
        env.fake.control(script=script)
        before = len(env.calls("PATCH"))
        rc, out, err = env.run("keys", "revoke", "alice-ci", "--yes", **extra)
        expect(rc == 2, f"case {i}: exit {rc}")
        expect(words in err and "the key is unchanged" in err, f"case {i}: {err}")
        expect(len(env.calls("PATCH")) - before == attempts, f"case {i}: {len(env.calls('PATCH')) - before} calls")
        expect(env.keys()["alice-ci"]["status"] == "active", f"case {i}: status changed")
    audit = env.json("audit")["events"]
    expect(len(audit) == len(cases) and all(e["result"].startswith("failed: ") for e in audit), audit)


@keys_env
def test_refusals_before_any_call(env):
    env.keys(offline=False)
    rc, out, err = env.run("keys", "revoke", "alice-laptop")  # stdin is not a terminal
    expect(rc == 2 and "pass --yes" in err, err)
    rc, out, err = env.run("keys", "revoke", "nobody", "--yes")
    expect(rc == 2 and "no key 'nobody'" in err, err)
    rc, out, err = env.run("keys", "revoke", "alice-laptop", "--yes", RESPAN_API_KEY=None)
    expect(rc == 2 and "set RESPAN_API_KEY" in err, err)
    expect(not env.calls("PATCH"), env.calls("PATCH"))
    expect(env.keys()["alice-laptop"]["status"] == "active", "changed")


def run_in_pty(env, args, answer):
    """Runs the binary on a pseudo-terminal, types answer at the prompt."""
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN, "--db", env.db, *args], stdin=slave, stdout=slave, stderr=slave, env=env.env(),
                         close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.time() + 30
    typed = False
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if not typed and b"to revoke it: " in out:
            os.write(master, answer.encode() + b"\n")
            typed = True
        if p.poll() is not None and not r:
            break
    p.wait(timeout=30)
    os.close(master)
    text = out.decode(errors="replace")
    env.outputs.append(text)
    check_sanitizers(text)
    return p.returncode, text


@keys_env
def test_typed_confirmation(env):
    env.keys(offline=False)
    rc, out = run_in_pty(env, ["keys", "revoke", "bob-laptop"], "bob-laptpo")
    expect(rc == 2 and "did not match: nothing was revoked" in out, out)
    expect(not env.calls("PATCH") and env.keys()["bob-laptop"]["status"] == "active", "revoked on a typo")
    rc, out = run_in_pty(env, ["keys", "revoke", "bob-laptop"], "bob-laptop")
    expect(rc == 0 and "revoked bob-laptop" in out, out)
    expect(env.keys()["bob-laptop"]["status"] == "revoked", "not revoked")


@keys_env
def test_offboard_dry_run_then_apply_with_one_failure(env):
    env.keys(offline=False)
    rc, out, err = env.run("offboard", "alice")
    expect(rc == 0 and "Would revoke alice's keys" in out and out.count("would be revoked") == 2, out + err)
    expect(not env.calls("PATCH"), "the dry run called the gateway")
    # offboard lists the gateway's keys first (as many pages as `keys` reads), then revokes
    before = len(env.calls())
    env.keys(offline=False)
    listing = len(env.calls()) - before
    env.fake.control(script=[{}] * listing + [{"status": 404}])
    rc, out, err = env.run("offboard", "alice", "--apply", "--reason", "last day")
    expect(rc == 2 and "1 revoked, 1 failed" in out, out + err)
    expect("no key with id" in out, out)
    patches = env.calls("PATCH")
    expect(len(patches) == 2, patches)
    audit = env.json("audit")["events"]
    expect(len(audit) == 2 and {e["result"][:6] for e in audit} == {"ok", "failed"}, audit)
    expect(all(e["reason"] == "last day" for e in audit), audit)
    statuses = sorted(k["status"] for n, k in env.keys().items() if n.startswith("alice"))
    expect(statuses == ["active", "revoked"], statuses)
    rc, out, err = env.run("offboard", "alice", "--apply")  # the retry finishes the job
    expect(rc == 0 and "1 revoked, 0 failed" in out and "already revoked" in out, out + err)
    rc, _, err = env.run("offboard", "nobody")
    expect(rc == 2 and "no keys known for developer 'nobody'" in err, err)


@keys_env
def test_next_page_off_the_gateway_is_not_followed(env):
    # "http://127.0.0.1:PORT@127.0.0.1:OTHER/" starts like the gateway's URL but
    # is another server: following it would send the admin key there
    other_dir = os.path.join(env.dir, "other")
    os.makedirs(other_dir)
    other = Fake(other_dir, [])
    try:
        host_port = other.base.split("//", 1)[1]
        for trick in (f"{env.fake.base}@{host_port}", f"{env.fake.base}.evil.example", f"{env.fake.base}0"):
            env.fake.control(script=[{"body": {"results": [], "next": f"{trick}/api/temporary-keys/?page=2"}}])
            rc, out, err = env.run("keys")
            expect("next page is on another host" in err, f"{trick}: {rc} {err}")
        expect(other.calls() == [], other.calls())
        expect(all(c["path"] == "/api/temporary-keys/" for c in env.calls("GET")), env.calls("GET"))
    finally:
        other.stop()


@keys_env
def test_litellm_adapter(env):
    doc = env.json("keys", "--gateway", "litellm")
    keys = {k["name"]: k for k in doc["keys"]}
    expect(keys["carol-new"]["prefix"] == "sk-...0004", keys["carol-new"])
    get = env.calls("GET")
    expect(get[0]["path"] == "/key/list?return_full_object=true&size=100&page=1", get)
    rc, out, err = env.run("keys", "revoke", "alice-ci", "--yes", "--delete", "--gateway", "litellm")
    expect(rc == 0 and "revoked alice-ci at litellm" in out, out + err)
    posts = env.calls("POST")
    expect([c["path"] for c in posts] == ["/key/block", "/key/delete"], posts)
    expect(json.loads(posts[0]["body"]) == {"key": IDS["alice-ci"]}, posts[0])
    expect(json.loads(posts[1]["body"]) == {"keys": [IDS["alice-ci"]]}, posts[1])
    expect(posts[0]["headers"]["Authorization"] == f"Bearer {ADMIN}", posts[0]["headers"])
    env.fake.control(script=[{"status": 500}])
    rc, out, err = env.run("keys", "revoke", "bob-laptop", "--yes", "--gateway", "litellm")
    expect(rc == 2 and "HTTP 500" in err, err)
    expect(len(env.calls("POST")) == 3, "a POST /key/block was retried")


@keys_env
def test_config_file_must_be_private(env):
    cfg = os.path.join(env.dir, "cfg", "tollgate")
    os.makedirs(cfg)
    path = os.path.join(cfg, "config")
    with open(path, "w") as f:
        f.write(f"# tollgate\ngateway = respan\nrespan_base_url = {env.fake.base}/api/\nrespan_api_key = {ADMIN}\n")
    os.chmod(path, 0o644)
    rc, out, err = env.run("keys", RESPAN_API_KEY=None, RESPAN_BASE_URL=None)
    expect(rc == 1 and "chmod 600" in err and "showing the keys seen in logs only" in err, err)
    os.chmod(path, 0o600)
    doc = env.json("keys", RESPAN_API_KEY=None, RESPAN_BASE_URL=None)
    expect(len(doc["keys"]) == 5 and any(k["at_gateway"] for k in doc["keys"]), doc)
    with open(path, "a") as f:
        f.write("colour = blue\n")
    rc, out, err = env.run("keys", "revoke", "alice-ci", "--yes")
    expect(rc == 2 and "config:5: unknown setting 'colour'" in err, err)


if __name__ == "__main__":
    main("keys", globals())
