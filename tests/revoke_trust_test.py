#!/usr/bin/env python3
"""Issue 13, items 1-3: a leaver is really cut off.

1. A revocation counts only when reading the key back shows it cut off: a
   gateway that lies (200 + success:false, 200 and the key still active, an
   answer that never comes) never gets "revoked", for Respan and LiteLLM.
2. `offboard` covers every key of the developer: owned at the gateway but never
   used, used after someone else, shared keys flagged (held unless confirmed),
   the developer matched by id, e-mail or name.
3. Requests on a key after its revocation are flagged in `keys` and `audit`,
   and the refused ones are counted apart, not as errors, in `report`.
Runs the real binary against tests/fake_gateway.py on 127.0.0.1."""
import json
import os
import subprocess

from harness import BIN, check_sanitizers, expect, main
from sync_test import Fake

ADMIN = "admin-secret-key-5a4b3c2d1e0f9876"
NOW = "2026-11-24T10:30:00Z"
IDS = {"alice-laptop": "2b2b2b2b-0000-4000-8000-000000000001", "team-shared": "2b2b2b2b-0000-4000-8000-000000000002",
       "bob-laptop": "2b2b2b2b-0000-4000-8000-000000000003", "dave-laptop": "2b2b2b2b-0000-4000-8000-000000000004",
       "dave-unused": "2b2b2b2b-0000-4000-8000-000000000005"}
# the gateway gives owners as it knows them: e-mails, or the developer's id
OWNERS = {"alice-laptop": "alice@example.com", "team-shared": "bob@example.com", "bob-laptop": "bob@example.com",
          "dave-laptop": "dave", "dave-unused": "dave@example"}
PEOPLE = {"alice": ("Alice Liddell", "alice@example.com"), "bob": ("Bob Stone", "bob@example.com"),
          "dave": ("Dave Smith", "dave@example")}


def log(uid, minute, who, key, status=200, hour=9):
    name, email = PEOPLE[who]
    return {"unique_id": uid, "timestamp": f"2026-11-24T{hour:02d}:{minute:02d}:00Z", "model": "gpt-5.5",
            "customer_identifier": who, "customer_name": name, "customer_email": email,
            "organization_key_id": IDS[key], "organization_key_name": key, "prompt_tokens": 100,
            "completion_tokens": 10, "cost": 0.01, "status_code": status}


def history():
    """bob first on team-shared, alice on it since; dave-unused never used."""
    return ([log("h-b0", 0, "bob", "team-shared"), log("h-a1", 5, "alice", "team-shared"),
             log("h-a2", 20, "alice", "team-shared")] +
            [log(f"h-al{i}", 10 + i, "alice", "alice-laptop") for i in range(3)] +
            [log(f"h-bl{i}", 30 + i, "bob", "bob-laptop") for i in range(3)] +
            [log("h-d1", 40, "dave", "dave-laptop")])


class Env:
    def __init__(self, d):
        self.dir = d
        self.db = os.path.join(d, "r.db")
        self.fake = Fake(d, [])
        self.outputs = []
        try:
            self.fake.control(api_key=ADMIN)
            self.fake._post("/_keys", [{"id": IDS[n], "name": n, "prefix": f"Qz{i}xW{i}", "owner": OWNERS[n],
                                        "created": "2026-10-01T09:00:00Z", "last_used": None}
                                       for i, n in enumerate(IDS)])
            self.import_logs(history())
            rc, _, err = self.run("keys")
            expect(rc == 0, err)
        except BaseException:
            self.fake.stop()
            raise

    def import_logs(self, logs):
        path = os.path.join(self.dir, f"logs-{len(self.outputs)}.jsonl")
        with open(path, "w") as f:
            for l in logs:
                f.write(json.dumps(l) + "\n")
        rc, _, err = self.run("import", path)
        expect(rc == 0, err)

    def env(self, **extra):
        e = dict(os.environ, HOME=self.dir, XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"), USER="lead",
                 TOLLGATE_NOW=NOW, RESPAN_BASE_URL=self.fake.base + "/api/", RESPAN_API_KEY=ADMIN,
                 LITELLM_BASE_URL=self.fake.base, LITELLM_MASTER_KEY=ADMIN, TOLLGATE_RETRY_BASE_MS="10",
                 TOLLGATE_HTTP_TIMEOUT_MS="1000")
        e.update(extra)
        return e

    def run(self, *args, **extra):
        p = subprocess.run([BIN, "--db", self.db, *args], capture_output=True, env=self.env(**extra), timeout=120)
        out, err = p.stdout.decode(), p.stderr.decode()
        self.outputs.append(out + err)
        check_sanitizers(err, " ".join(args))
        return p.returncode, out, err

    def json(self, *args):
        rc, out, err = self.run(*args, "--format", "json")
        expect(rc == 0, f"{args}: {rc} {err}")
        return json.loads(out)

    def keys(self):
        return {k["name"]: k for k in self.json("keys", "--offline")["keys"]}

    def audit(self):
        return self.json("audit")

    def gateway_key(self, name):
        import urllib.request
        keys = json.loads(urllib.request.urlopen(self.fake.base + "/_keys", timeout=10).read())
        return next(k for k in keys if k["name"] == name)

    def calls(self, method=None):
        return [c for c in self.fake.calls() if method is None or c["method"] == method]

    def finish(self):
        for o in self.outputs:
            expect(ADMIN not in o, "the admin key appeared in an output:\n" + o[:500])
        self.fake.stop()


def with_env(fn):
    def run(d):
        env = Env(d)
        try:
            fn(env)
        finally:
            env.finish()
    run.__name__ = fn.__name__
    return run


# 1. verified revocation

LIES = [  # (mode, exit status, words on stderr/stdout, audit result starts with, db status after)
    ("success_false", 2, "said it failed: permission denied", "failed: ", "active"),
    ("stays_active", 2, "still shows the key active", "unverified: gateway still shows key active", "active"),
    ("timeout_no_write", 2, "the key is unchanged", "failed: ", "active"),
    ("timeout_after_write", 0, "the gateway shows it", "ok: the gateway shows the key ", "revoked"),
]


def check_lies(env, gateway, key_words):
    for i, (mode, code, words, result, status) in enumerate(LIES):
        key = ["alice-laptop", "bob-laptop", "dave-laptop", "team-shared"][i]
        env.fake.control(lie=mode, lie_delay=1.8)
        rc, out, err = env.run("keys", "revoke", key, "--yes", "--gateway", gateway)
        expect(rc == code, f"{gateway} {mode}: exit {rc}\n{out}{err}")
        expect(words in out + err, f"{gateway} {mode}: {out}{err}")
        if code:
            expect("revoked " + key + " at" not in out, f"{gateway} {mode} reported success: {out}")
        expect(env.keys()[key]["status"] == status, f"{gateway} {mode}: {env.keys()[key]}")
        event = env.audit()["events"][0]
        expect(event["result"].startswith(result), f"{gateway} {mode}: {event}")
        expect("read back: " + key_words[status] in event["detail"], f"{gateway} {mode}: {event}")
    env.fake.control(lie=None)


@with_env
def test_respan_lies_never_pass_as_revoked(env):
    check_lies(env, "respan", {"active": "active", "revoked": "expired 2026-11-24T10:30:00Z"})
    # the read-back is the gateway's own key list
    expect(any(c["path"].startswith("/api/temporary-keys/") for c in env.calls("GET")), env.calls("GET"))


@with_env
def test_litellm_lies_never_pass_as_revoked(env):
    check_lies(env, "litellm", {"active": "active", "revoked": "blocked"})
    infos = [c["path"] for c in env.calls("GET") if c["path"].startswith("/key/info?")]
    expect(f"/key/info?key={IDS['alice-laptop']}" in infos, infos)


@with_env
def test_honest_revoke_is_verified_and_says_what_the_gateway_shows(env):
    rc, out, err = env.run("keys", "revoke", "alice-laptop", "--yes")
    expect(rc == 0 and "verified: the gateway shows it expired 2026-11-24T10:30:00Z" in out, out + err)
    e = env.audit()["events"][0]
    expect(e["result"] == "ok" and e["detail"] == "respan, HTTP 200, read back: expired 2026-11-24T10:30:00Z", e)
    expect(env.keys()["alice-laptop"]["revoked_at"] == NOW, env.keys()["alice-laptop"])
    # deleted: the read-back finds it gone, which is cut off too
    rc, out, err = env.run("keys", "revoke", "bob-laptop", "--yes", "--delete", "--gateway", "litellm")
    expect(rc == 0 and "shows it gone" in out, out + err)


@with_env
def test_a_read_back_that_fails_is_not_success(env):
    # the write is answered (and made), then every read fails: not known, exit 2
    env.fake.control(script=[{}] + [{"status": 500}] * 6)
    rc, out, err = env.run("keys", "revoke", "alice-laptop", "--yes")
    expect(rc == 2 and "not known whether alice-laptop is revoked" in err, out + err)
    expect(env.audit()["events"][0]["result"].startswith("unverified: could not read the key back"),
           env.audit()["events"][0])
    expect(env.keys()["alice-laptop"]["status"] == "active", "marked revoked without proof")


# 2. offboarding covers every key

@with_env
def test_offboard_finds_unused_owned_and_email_keys(env):
    keys = env.keys()
    expect(keys["dave-unused"]["owner"] == "dave" and keys["dave-laptop"]["owner"] == "dave",
           (keys["dave-unused"], keys["dave-laptop"]))
    for who in ("dave", "dave@example", "DAVE@example", "Dave Smith"):
        rc, out, err = env.run("offboard", who)
        expect(rc == 0 and "Would revoke dave's keys (Dave Smith <dave@example>)" in out, f"{who}: {out}{err}")
        expect("dave-laptop" in out and "dave-unused" in out and out.count("would be revoked") == 2, out)
        expect("never used by them" in out, out)
    rc, out, err = env.run("offboard", "dave", "--apply")
    expect(rc == 0 and "2 revoked, 0 failed" in out, out + err)
    expect(env.gateway_key("dave-unused")["revoked"], env.gateway_key("dave-unused"))


@with_env
def test_offboard_flags_shared_keys_and_revokes_them_only_when_confirmed(env):
    rc, out, err = env.run("offboard", "alice")
    expect(rc == 0 and "team-shared" in out and "alice-laptop" in out, out + err)
    expect("SHARED: also used by bob (last 2026-11-24 09:00)" in out, out)
    expect("used by them, last 2026-11-24 09:20" in out, out)
    expect("shared, not revoked: confirm with --key team-shared or --include-shared" in out, out)
    rc, out, err = env.run("offboard", "alice", "--apply")
    expect(rc == 0 and "1 revoked, 0 failed" in out and "1 shared key left active" in out, out + err)
    expect(not env.gateway_key("team-shared")["revoked"] and env.gateway_key("alice-laptop")["revoked"], "held?")
    rc, out, err = env.run("offboard", "alice", "--apply", "--key", "bob-laptop")
    expect(rc == 2 and "'bob-laptop' is not one of alice's keys" in err, out + err)
    rc, out, err = env.run("offboard", "alice", "--apply", "--key", "team-shared")
    expect(rc == 0 and "1 revoked, 0 failed" in out and "already revoked" in out, out + err)
    expect(env.gateway_key("team-shared")["revoked"], "not revoked when confirmed")
    rc, out, err = env.run("offboard", "bob", "--apply", "--include-shared")
    expect(rc == 0 and "1 revoked" in out, out + err)


@with_env
def test_offboard_names_nobody_and_ambiguity_clearly(env):
    rc, _, err = env.run("offboard", "nobody")
    expect(rc == 2 and "no keys known for developer 'nobody'" in err, err)
    l = log("amb", 50, "alice", "alice-laptop")
    l.update(customer_identifier="alice2", customer_name="Alice Liddell", customer_email="a2@example.com")
    env.import_logs([l])
    rc, _, err = env.run("offboard", "Alice Liddell")
    expect(rc == 2 and "names 2 developers (alice, alice2)" in err, err)


# 3. use after revocation

@with_env
def test_use_after_revocation_is_flagged_and_not_an_error(env):
    before = env.json("report")["total"]
    rc, out, err = env.run("keys", "revoke", "bob-laptop", "--yes")
    expect(rc == 0, out + err)
    # the leaver's agent keeps retrying: ten 401s after the revocation, one before
    env.import_logs([log(f"retry-{i}", 31 + i, "bob", "bob-laptop", 401, hour=10) for i in range(10)] +
                    [log("before", 29, "bob", "bob-laptop", 401, hour=10)])
    rc, out, err = env.run("keys", "--offline")
    expect("bob-laptop: 10 attempts after revocation, last 10:40 (10 refused)" in out, out + err)
    expect("revoked, used since" in out, out)
    k = env.keys()["bob-laptop"]["after_revocation"]
    expect(k == {"attempts": 10, "refused": 10, "failed": 10, "last": "2026-11-24T10:40:00Z"}, k)
    rc, out, err = env.run("audit")
    expect("Used after revocation:" in out and "bob-laptop: 10 attempts after revocation, last 10:40" in out, out)
    a = env.audit()["after_revocation"]
    expect(len(a) == 1 and a[0]["key"] == "bob-laptop" and a[0]["attempts"] == 10, a)
    total = env.json("report")["total"]
    expect(total["refused_revoked_key"] == 10, total)
    expect(total["errors"] == before["errors"] + 1 and total["requests"] == before["requests"] + 1, (before, total))
    rc, out, err = env.run("report")
    expect("refused: revoked key: 10 requests" in out, out)
    rows = {r["name"]: r for r in env.json("report", "--by", "key")["rows"]}
    expect(rows["bob-laptop"]["errors"] == 1 and rows["bob-laptop"]["refused_revoked_key"] == 10, rows["bob-laptop"])
    # an answered request after revocation: the key may still work
    env.import_logs([log("works", 45, "bob", "bob-laptop", 200, hour=10)])
    rc, out, err = env.run("keys", "--offline")
    expect("11 attempts after revocation, last 10:45 (1 answered: the key still works?)" in out, out)
    # `tollgate check` (issue 16) lists it as a finding for cron to act on
    rc, out, err = env.run("check", "--format", "json", "--state", os.path.join(env.dir, "check.state"))
    expect(rc == 1, out + err)
    found = [f for f in json.loads(out)["findings"] if f["kind"] == "key_used_after_revocation"]
    expect(len(found) == 1 and found[0]["key"] == "bob-laptop" and found[0]["requests"] == 11, out)


if __name__ == "__main__":
    main("revoking", globals())
