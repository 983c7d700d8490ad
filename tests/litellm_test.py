#!/usr/bin/env python3
"""LiteLLM's logs in: pushed to `tollgate collect` at /litellm/logs by the
generic_api logger (all three log_formats, sent by tests/fake_litellm.py post),
pulled by `tollgate sync --gateway litellm` from the stand-in proxy
(tests/fake_litellm.py serve), the two deduplicating by call id; failures as
error requests; `tollgate status`; the proxy's faults."""
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from harness import BIN, ROOT, check_sanitizers, expect, main

FAKE = os.path.join(ROOT, "tests", "fake_litellm.py")
MASTER = "sk-master-0123456789abcdef"
TOKEN = "ingest-token-0123456789"
NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=timezone.utc)
NOW_ISO = "2026-11-24T12:00:00Z"
PEOPLE = [("alice", "alice@example.com", "hash-a", "alice-laptop"),
          ("bob", "bob@example.com", "hash-b", "bob-ci"),
          (None, "carol@example.com", "hash-c", "carol-laptop")]


def make_calls(n, prefix="chatcmpl", minutes_back=60):
    """n calls, as (StandardLoggingPayload, SpendLogs row) pairs of the same call."""
    calls = []
    for i in range(n):
        user, email, key_hash, alias = PEOPLE[i % 3]
        start = NOW - timedelta(minutes=minutes_back) + timedelta(seconds=17 * i)
        end = start + timedelta(seconds=1.5 + i % 4)
        first = start + timedelta(seconds=0.4)
        cost = round(0.000731 * (i + 1) + 0.0000013 * i * i, 9)
        meta = {"user_api_key_hash": key_hash, "user_api_key_alias": alias, "user_api_key_user_id": user,
                "user_api_key_user_email": email, "user_api_key_team_id": "team-1",
                "user_api_key_team_alias": "platform"}
        usage = {"prompt_tokens_details": {"cached_tokens": 100 * (i % 3)}, "cache_creation_input_tokens": i % 2}
        messages = [{"role": "system", "content": "You are a coding agent."},
                    {"role": "user", "content": f"fix bug {i}"}]
        response = {"id": f"{prefix}-{i}", "choices": [{"index": 0, "message": {"role": "assistant",
                                                                               "content": f"fixed {i}"}}]}
        payload = {"id": f"{prefix}-{i}", "trace_id": f"trace-{i}", "call_type": "acompletion", "stream": False,
                   "response_cost": cost, "status": "success", "custom_llm_provider": "anthropic",
                   "prompt_tokens": 1000 + i, "completion_tokens": 40 + i, "total_tokens": 1040 + 2 * i,
                   "startTime": start.timestamp(), "endTime": end.timestamp(),
                   "completionStartTime": first.timestamp(), "response_time": (end - start).total_seconds(),
                   "model": "claude-sonnet-4-5", "model_group": "claude", "api_base": "https://api.anthropic.com",
                   "metadata": dict(meta, usage_object=usage), "cache_hit": None, "end_user": f"agent-{i % 2}",
                   "messages": messages, "response": response, "error_str": None, "error_information": None,
                   "model_parameters": {}, "hidden_params": {}, "request_tags": []}
        row = {"request_id": f"{prefix}-{i}", "call_type": "acompletion", "api_key": key_hash, "spend": cost,
               "total_tokens": 1040 + 2 * i, "prompt_tokens": 1000 + i, "completion_tokens": 40 + i,
               "startTime": start.isoformat().replace("+00:00", "Z"), "endTime": end.isoformat().replace("+00:00", "Z"),
               "completionStartTime": first.isoformat().replace("+00:00", "Z"), "model": "claude-sonnet-4-5",
               "model_group": "claude", "custom_llm_provider": "anthropic", "user": user or "",
               "team_id": "team-1", "end_user": f"agent-{i % 2}", "status": "success", "cache_hit": "False",
               "metadata": dict(meta, additional_usage_values=usage, status="success"),
               "messages": messages, "response": response, "session_id": None, "request_tags": []}
        calls.append((payload, row))
    return calls


def failure_call(call_id="fail-1"):
    start = NOW - timedelta(minutes=5)
    return {"id": call_id, "call_type": "acompletion", "response_cost": 0, "status": "failure",
            "custom_llm_provider": "anthropic", "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0,
            "startTime": start.timestamp(), "endTime": start.timestamp() + 0.3, "model": "claude-sonnet-4-5",
            "metadata": {"user_api_key_hash": "hash-a", "user_api_key_alias": "alice-laptop",
                         "user_api_key_user_id": "alice"},
            "messages": [{"role": "user", "content": "hello"}], "response": None,
            "error_str": "litellm.RateLimitError: AnthropicException - rate limited",
            "error_information": {"error_code": "429", "error_class": "RateLimitError",
                                  "llm_provider": "anthropic", "error_message": "rate limited"}}


class Env:
    def __init__(self, d):
        self.dir = d
        self.db = os.path.join(d, "t.db")
        self.procs = []
        self.proxy = None
        self.outputs = []

    def env(self, **extra):
        e = dict(os.environ, HOME=self.dir, XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"), TOLLGATE_NOW=NOW_ISO,
                 TOLLGATE_RETRY_BASE_MS="50", TOLLGATE_HTTP_TIMEOUT_MS="1500", LITELLM_MASTER_KEY=MASTER)
        if self.proxy:
            e["LITELLM_BASE_URL"] = self.proxy
        e.update(extra)
        return e

    def run(self, *args, **extra):
        p = subprocess.run([BIN, "--db", self.db, *args], capture_output=True, env=self.env(**extra), timeout=120)
        out, err = p.stdout.decode(), p.stderr.decode()
        self.outputs.append(out + err)
        check_sanitizers(err, " ".join(args))
        return p.returncode, out, err

    def report(self, *args):
        rc, out, err = self.run("report", "--format", "json", *args)
        expect(rc == 0, err)
        return json.loads(out)

    def start_proxy(self):
        p = subprocess.Popen([sys.executable, FAKE, "serve", "--api-key", MASTER], stdout=subprocess.PIPE, text=True)
        self.procs.append(p)
        m = re.match(r"port (\d+)", p.stdout.readline())
        expect(m, "the stand-in proxy did not start")
        self.proxy = f"http://127.0.0.1:{m.group(1)}"

    def proxy_post(self, path, doc):
        import urllib.request
        req = urllib.request.Request(self.proxy + path, data=json.dumps(doc).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).read()

    def proxy_keys(self):
        import urllib.request
        return {k["token"]: k for k in json.loads(urllib.request.urlopen(self.proxy + "/_keys", timeout=10).read())}

    def proxy_calls(self):
        import urllib.request
        return json.loads(urllib.request.urlopen(self.proxy + "/_calls", timeout=10).read())

    def start_collector(self, *args):
        tokens = os.path.join(self.dir, "tokens")
        with open(tokens, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(tokens, 0o600)
        self.collector_err = os.path.join(self.dir, "collect.err")
        p = subprocess.Popen([BIN, "--db", self.db, "collect", "--listen", "127.0.0.1:0", "--token-file", tokens,
                              *args], stderr=open(self.collector_err, "w"), env=self.env())
        self.procs.append(p)
        for _ in range(200):
            with open(self.collector_err) as f:
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.collector = f"http://127.0.0.1:{m.group(1)}"
                return p
            time.sleep(0.05)
        raise AssertionError("the collector did not start")

    def stop_collector(self, p):
        p.terminate()
        p.wait(timeout=30)
        with open(self.collector_err) as f:
            check_sanitizers(f.read(), "collect")

    def post(self, payloads, fmt, token=TOKEN):
        path = os.path.join(self.dir, f"payloads-{fmt}.json")
        with open(path, "w") as f:
            json.dump(payloads, f)
        args = [sys.executable, FAKE, "post", self.collector + "/litellm/logs", "--format", fmt, path]
        if token:
            args[4:4] = ["--token", token]
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        expect(not any(MASTER in o for o in self.outputs), "the master key appeared in the output")


def with_env(fn):
    def run(d):
        env = Env(d)
        try:
            fn(env)
        finally:
            env.close()
    run.__name__ = fn.__name__
    return run


def cost_sum(payloads):
    return sum(Decimal(str(p["response_cost"])) for p in payloads)


def cents(x):
    return Decimal(str(x)).quantize(Decimal("0.01"))


CALLS = make_calls(30)
PAYLOADS = [c[0] for c in CALLS]
ROWS = [c[1] for c in CALLS]


@with_env
def test_push_in_all_three_formats_stores_exact_cost_and_tokens(env):
    collector = env.start_collector()
    for fmt, part in (("json_array", PAYLOADS[:10]), ("ndjson", PAYLOADS[10:20]), ("single", PAYLOADS[20:])):
        rc, out = env.post(part, fmt)
        expect(rc == 0, f"{fmt}: {out}")
        answers = [json.loads(line.split(" ", 1)[1]) for line in out.splitlines()]
        expect(sum(a["stored"] for a in answers) == len(part), f"{fmt}: {out}")
    rc, out = env.post(PAYLOADS[:10], "ndjson")  # the logger retried: all duplicates
    expect(rc == 0 and '"duplicates":10' in out, out)
    env.stop_collector(collector)
    total = env.report()["total"]
    expect(total["requests"] == 30 and total["errors"] == 0, total)
    expect(total["prompt_tokens"] == sum(p["prompt_tokens"] for p in PAYLOADS), total)
    expect(total["completion_tokens"] == sum(p["completion_tokens"] for p in PAYLOADS), total)
    expect(total["total_tokens"] == sum(p["total_tokens"] for p in PAYLOADS), total)
    expect(total["cache_read_tokens"] == sum(100 * (i % 3) for i in range(30)), total)
    expect(total["cache_creation_tokens"] == sum(i % 2 for i in range(30)), total)
    expect(Decimal(str(total["cost"])) == cost_sum(PAYLOADS).quantize(Decimal("0.000001"), ROUND_HALF_UP), total)
    expect(total["cost_estimated"] == 0, total)
    by_dev = {r["name"]: r for r in env.report("--by", "developer")["rows"]}
    expect(set(by_dev) == {"alice", "bob", "carol@example.com"}, by_dev.keys())
    by_key = {r["name"] for r in env.report("--by", "key")["rows"]}
    expect(by_key == {"alice-laptop", "bob-ci", "carol-laptop"}, by_key)
    rc, out, err = env.run("report", "--by", "developer")  # the table, to the cent
    expect(rc == 0 and f"{cents(cost_sum(PAYLOADS))}" in out, out)


@with_env
def test_pulled_calls_are_all_duplicates_of_pushed_ones(env):
    collector = env.start_collector()
    rc, out = env.post(PAYLOADS, "json_array")
    expect(rc == 0, out)
    env.stop_collector(collector)
    env.start_proxy()
    env.proxy_post("/_spend_logs", ROWS)
    rc, out, err = env.run("sync", "--gateway", "litellm", "--since", "2026-11-24")
    expect(rc == 0, err)
    expect("30 logs: 0 new, 30 duplicates, 0 rejected" in out, out)
    total = env.report()["total"]
    expect(total["requests"] == 30, total)
    expect(cents(total["cost"]) == cents(cost_sum(PAYLOADS)), total)
    call = env.proxy_calls()[0]
    expect(call["path"] == "/spend/logs/v2" and call["query"]["start_date"] == "2026-11-24 00:00:00", call)
    expect(call["query"]["sort_by"] == "startTime" and call["query"]["sort_order"] == "asc", call)
    expect(call["headers"].get("Authorization") == f"Bearer {MASTER}", call["headers"])


@with_env
def test_sync_alone_pages_and_totals_match_the_payloads(env):
    env.start_proxy()
    env.proxy_post("/_spend_logs", ROWS)
    rc, out, err = env.run("sync", "--gateway", "litellm", "--since", "2026-11-24", "--page-size", "7")
    expect(rc == 0, err)
    expect("5 pages, 30 logs: 30 new, 0 duplicates, 0 rejected" in out, out)
    total = env.report()["total"]
    expect(Decimal(str(total["cost"])) == cost_sum(PAYLOADS).quantize(Decimal("0.000001"), ROUND_HALF_UP), total)
    expect(total["cache_read_tokens"] == sum(100 * (i % 3) for i in range(30)), total)
    by_dev = {r["name"] for r in env.report("--by", "developer")["rows"]}
    expect(by_dev == {"alice", "bob", "carol@example.com"}, by_dev)
    # a second run resumes at the position reached: the overlap re-reads only duplicates
    rc, out, err = env.run("sync", "--gateway", "litellm")
    expect(rc == 0 and " 0 new," in out, out + err)
    # pushed afterwards, the same calls are duplicates too
    collector = env.start_collector()
    rc, out = env.post(PAYLOADS, "ndjson")
    expect(rc == 0 and '"stored":0,"duplicates":30' in out, out)
    env.stop_collector(collector)


@with_env
def test_a_failure_payload_is_an_error_request_costing_nothing(env):
    collector = env.start_collector()
    rc, out = env.post([failure_call()], "single")
    expect(rc == 0, out)
    env.stop_collector(collector)
    total = env.report()["total"]
    expect(total["requests"] == 1 and total["errors"] == 1, total)
    expect(total["cost"] == 0 and total["cost_estimated"] == 0, total)


@with_env
def test_a_bad_log_refuses_the_whole_batch(env):
    collector = env.start_collector()
    bad = dict(PAYLOADS[1], prompt_tokens=-3)
    rc, out = env.post([PAYLOADS[0], bad], "json_array")
    expect(rc == 1 and out.startswith("400 ") and '"index":1' in out and "negative token count" in out, out)
    rc, out = env.post(PAYLOADS[:2], "json_array", token="wrong")
    expect(rc == 1 and out.startswith("401 "), out)
    env.stop_collector(collector)
    rc, out, err = env.run("report", "--format", "json")
    expect(json.loads(out)["total"]["requests"] == 0, out)


@with_env
def test_status_shows_each_source_and_exits_1_when_logs_stop(env):
    rc, out, err = env.run("status")
    expect(rc != 0, out + err)  # no db yet, or no logs: not flowing
    collector = env.start_collector()
    rc, out = env.post(PAYLOADS[-3:], "json_array")
    expect(rc == 0, out)
    env.stop_collector(collector)
    env.start_proxy()
    env.proxy_post("/_spend_logs", ROWS)
    rc, out, err = env.run("sync", "--gateway", "litellm", "--since", "2026-11-24")
    expect(rc == 0, err)
    rc, out, err = env.run("status")
    expect(rc == 0, out + err)
    expect(re.search(r"^collector\s+\S+\s+\d+m\s+2026-11-24T12:00:00Z", out, re.M), out)
    expect(re.search(r"^sync litellm\s", out, re.M) and "status: ok" in out, out)
    rc, out, err = env.run("status", "--format", "json")
    doc = json.loads(out)
    expect({s["source"] for s in doc["sources"]} == {"collector", "sync litellm"} and not doc["stale"], doc)
    # two hours later nothing came: stale, exit 1
    rc, out, err = env.run("status", TOLLGATE_NOW="2026-11-24T14:00:00Z")
    expect(rc == 1 and "status: STALE" in out, out)
    rc, out, err = env.run("status", "--stale", "3h", TOLLGATE_NOW="2026-11-24T14:00:00Z")
    expect(rc == 0, out)
    rc, out, err = env.run("status", "--stale", "soon")
    expect(rc == 2 and "--stale" in err, err)


@with_env
def test_proxy_faults_are_retried_and_a_repeated_page_stops(env):
    env.start_proxy()
    env.proxy_post("/_spend_logs", ROWS)
    env.proxy_post("/_control", {"script": [{"status": 500}, {"delay": 3.0}, {"malformed": True}]})
    rc, out, err = env.run("sync", "--gateway", "litellm", "--since", "2026-11-24")
    expect(rc == 0 and "30 new" in out, out + err)
    expect(err.count("retry") == 3, err)
    # a proxy that ignores `page`: the second page is the first again
    env.proxy_post("/_control", {"script": [{}, {"same_page": True}]})
    rc, out, err = env.run("sync", "--gateway", "litellm", "--since", "2026-11-24", "--page-size", "10")
    expect(rc == 2 and "page 2 with the logs of page 1 again" in err, out + err)
    # always failing: gives up with the proxy's answer
    env.proxy_post("/_control", {"script": [{"status": 503}], "repeat": True})
    rc, out, err = env.run("sync", "--gateway", "litellm")
    expect(rc == 2 and "HTTP 503" in err, err)
    # a wrong master key stops at once, masked
    env.proxy_post("/_control", {"script": []})
    rc, out, err = env.run("sync", "--gateway", "litellm", LITELLM_MASTER_KEY="sk-wrong-key-0123456789")
    expect(rc == 2 and "refused the master key" in err and "sk-wrong-key-0123456789" not in err, err)


@with_env
def test_a_log_from_the_future_never_moves_the_position_past_now(env):
    env.start_proxy()
    future = dict(ROWS[0], request_id="from-2099", startTime="2099-01-01T00:00:00Z", endTime="2099-01-01T00:00:01Z")
    env.proxy_post("/_spend_logs", ROWS[:3] + [future])
    rc, out, err = env.run("sync", "--gateway", "litellm", "--since", "2026-11-24")
    m = re.search(r"position (\S+)", out)
    expect(m and m.group(1) <= NOW_ISO, out + err)


@with_env
def test_keys_from_litellm_carry_owner_alias_and_offboard_finds_them(env):
    env.start_proxy()
    env.proxy_post("/_keys", [
        {"token": "hash-a", "key_alias": "alice-laptop", "key_name": "sk-...aaaa", "user_id": "alice",
         "team_id": "team-1", "team_alias": "platform", "blocked": None},
        {"token": "hash-c", "key_alias": "carol-laptop", "key_name": "sk-...cccc", "user_id": None,
         "user_email": "carol@example.com", "team_id": "team-1", "blocked": None},
        {"token": "hash-d", "key_alias": "dave-unused", "key_name": "sk-...dddd", "user_id": None,
         "user_email": "dave@example.com", "blocked": None}])
    collector = env.start_collector()
    rc, out = env.post(PAYLOADS[:3], "json_array")
    expect(rc == 0, out)
    env.stop_collector(collector)
    rc, out, err = env.run("keys", "--gateway", "litellm", "--format", "json")
    expect(rc == 0, err)
    keys = {k["name"]: k for k in json.loads(out)["keys"]}
    expect(keys["carol-laptop"]["owner"] == "carol@example.com", keys)
    expect(keys["alice-laptop"]["owner"] == "alice", keys)
    expect(keys["dave-unused"]["owner"] == "dave@example.com", keys)  # never used: the proxy's e-mail
    expect(keys["alice-laptop"]["team"] == "platform" and keys["carol-laptop"]["team"] == "team-1", keys)
    rc, out, err = env.run("keys", "--offline")
    expect(rc == 0 and "alice (team platform)" in out, out + err)
    rc, out, err = env.run("offboard", "carol@example.com", "--gateway", "litellm")
    expect(rc == 0 and "carol-laptop" in out, out + err)


@with_env
def test_offboard_blocks_a_litellm_users_keys_and_reads_them_back(env):
    """Issue 17: offboarding a LiteLLM user blocks every key the proxy says
    they own, used or not, and only reports it done once /key/info shows the
    key blocked; a proxy that answers 200 but leaves the key working is a
    failure (exit 2), not a revocation."""
    env.start_proxy()
    env.proxy_post("/_keys", [
        {"token": "hash-c", "key_alias": "carol-laptop", "key_name": "sk-...cccc", "user_id": None,
         "user_email": "carol@example.com", "blocked": None},
        {"token": "hash-c2", "key_alias": "carol-unused", "key_name": "sk-...c2c2", "user_id": None,
         "user_email": "carol@example.com", "blocked": None},
        {"token": "hash-a", "key_alias": "alice-laptop", "key_name": "sk-...aaaa", "user_id": "alice",
         "blocked": None}])
    collector = env.start_collector()
    rc, out = env.post(PAYLOADS[:3], "json_array")
    expect(rc == 0, out)
    env.stop_collector(collector)
    rc, out, err = env.run("offboard", "carol@example.com", "--gateway", "litellm", "--apply", "--reason", "left")
    expect(rc == 0, out + err)
    keys = env.proxy_keys()
    expect(keys["hash-c"]["blocked"] and keys["hash-c2"]["blocked"], keys)
    expect(not keys["hash-a"]["blocked"], keys)
    expect(any(c["path"] == "/key/info" for c in env.proxy_calls()), "no read-back of the blocked keys")
    rc, out, err = env.run("audit", "--format", "json")
    expect(rc == 0, err)
    results = [e["result"] for e in json.loads(out)["events"] if "carol" in e["target"]]
    expect(len(results) == 2 and all(r.startswith("ok") for r in results), out)

    env.proxy_post("/_control", {"ignore_block": True})
    rc, out, err = env.run("offboard", "alice", "--gateway", "litellm", "--apply", "--reason", "left")
    expect(rc == 2, f"a block the proxy did not carry out passed as done (rc {rc}): {out}{err}")
    expect(not env.proxy_keys()["hash-a"]["blocked"], "the stand-in blocked the key after all")
    expect("not revoked" in (out + err).lower(), out + err)


@with_env
def test_max_pages_bounds_a_run_and_the_next_goes_on(env):
    env.start_proxy()
    env.proxy_post("/_spend_logs", ROWS)
    rc, out, err = env.run("sync", "--gateway", "litellm", "--since", "2026-11-24", "--page-size", "7",
                           "--max-pages", "2")
    expect(rc == 2 and "stopped after 2 pages" in err, out + err)
    expect("2 pages, 14 logs: 14 new" in out, out)
    rc, out, err = env.run("sync", "--gateway", "litellm", "--page-size", "7")
    expect(rc == 0, out + err)
    expect(env.report()["total"]["requests"] == 30, out)


if __name__ == "__main__":
    main("litellm", globals())
