#!/usr/bin/env python3
"""End to end with the real coding agents: Claude Code, Codex, Gemini CLI and
OpenCode (installed from npm at the versions pinned in tests/e2e/package.json)
talk to a stand-in gateway (tests/e2e/gateway.py) as five developers; the
gateway posts every request's log to `tollgate collect`; the test then checks
what a lead would: every log stored, the report's spend equal to the gateway's
to the cent, `keys revoke` and `offboard --apply` cutting the leaver's next
call off at once, and the detail screen showing the real prompt. It prints the
real logs' sizes and the db's size against them (the logs themselves are
deleted with the temp dir: they hold the clients' own prompts).

Runs in a network namespace of its own (`unshare -rn`, loopback only) when the
kernel allows, so a client that tries the internet fails at once; otherwise
every client's proxy points at a closed port. Prints "e2e: N passed, N failed".
E2E_CLIENTS=claude,codex limits the clients; E2E_KEEP=1 keeps the temp dir."""
import atexit
import concurrent.futures
import fcntl
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/: the shared harness
from harness import BIN, check_sanitizers, expect, run_suite  # noqa: E402

CLIENT_BIN = {c: os.path.join(HERE, "node_modules", ".bin", c) for c in ("claude", "codex", "gemini", "opencode")}
ADMIN = "e2e-admin-" + secrets.token_hex(12)
CALL_TIMEOUT = 300
# A client told "401, do not retry" must give up at once, well inside this (a
# client retrying with backoff takes minutes).
FAIL_FAST_SECONDS = 60
# Attempts a client makes on a 401 marked `x-should-retry: false`. Claude Code
# (the Anthropic SDK) obeys the header: one. Codex 0.171 retries a 401 like a
# dropped stream (stream_max_retries, default 5) whatever the gateway says, in
# about 8 s; no header or body stops it, so its bound is its retry budget.
MAX_ATTEMPTS = {"claude": 1, "codex": 6, "gemini": 1, "opencode": 1}

# developer -> their gateway keys (one per client they use)
KEYS = {"alice": {"claude": "alice-laptop"}, "bob": {"codex": "bob-laptop"},
        "carol": {"claude": "carol-claude", "codex": "carol-codex"},
        "dave": {"gemini": "dave-gemini"}, "erin": {"opencode": "erin-opencode"}}
MODELS = {"claude": "claude-sonnet-4-5", "codex": "gpt-5.5", "gemini": "gemini-2.5-pro", "opencode": "gpt-5.5"}


SKIPPED = {}  # client -> why it is left out on this machine


def node_major():
    p = subprocess.run(["node", "--version"], capture_output=True, text=True)
    m = re.match(r"v(\d+)", p.stdout)
    return int(m.group(1)) if m else 0


def wanted_clients():
    names = os.environ.get("E2E_CLIENTS")
    clients = set(names.split(",")) if names else set(CLIENT_BIN)
    if "gemini" in clients and node_major() < 20:
        SKIPPED["gemini"] = f"Gemini CLI needs node 20 or later, node here is {node_major()}"
    return clients - set(SKIPPED)


# --- the world: tollgate's collector, the stand-in gateway, one home per developer -----

class World:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tg-e2e-")
        self.db = os.path.join(self.dir, "e2e.db")
        self.gw_logs = os.path.join(self.dir, "gateway-logs.jsonl")
        self.calls = []  # every client run: dict(dev, client, what, rc, out, err, secs)
        self.closed = False
        self.start_collector()
        self.start_gateway()
        self.keys = {}
        rows = []
        for dev, by_client in KEYS.items():
            for client, name in by_client.items():
                prefix = secrets.token_hex(4)
                secret = f"{prefix}.{secrets.token_hex(12)}"
                key_id = f"e2e00000-0000-4000-8000-{len(rows) + 1:012d}"
                self.keys[(dev, client)] = {"name": name, "secret": secret, "id": key_id}
                rows.append({"id": key_id, "name": name, "prefix": prefix, "owner": f"{dev}@example.com",
                             "owner_dev": dev, "secret": secret, "created": "2026-01-05T09:00:00Z",
                             "last_used": None})
        self.post("/_keys", rows)

    def start_collector(self):
        self.collector_err = open(os.path.join(self.dir, "collect.err"), "w+")
        self.collector = subprocess.Popen([BIN, "--db", self.db, "collect", "--listen", "127.0.0.1:0"],
                                          stdout=subprocess.DEVNULL, stderr=self.collector_err)
        deadline = time.time() + 30
        while time.time() < deadline:
            self.collector_err.seek(0)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.collector_err.read())
            if m:
                self.collector_url = f"http://127.0.0.1:{m.group(1)}"
                return
            time.sleep(0.05)
        raise AssertionError("tollgate collect did not start")

    def start_gateway(self):
        self.gateway = subprocess.Popen([sys.executable, os.path.join(HERE, "gateway.py"), "--collector",
                                         self.collector_url, "--log-file", self.gw_logs, "--admin-key", ADMIN],
                                        stdout=subprocess.PIPE, text=True)
        m = re.match(r"port (\d+)", self.gateway.stdout.readline())
        expect(m, "the stand-in gateway did not start")
        self.base = f"http://127.0.0.1:{m.group(1)}"

    def post(self, path, doc):
        req = urllib.request.Request(self.base + path, data=json.dumps(doc).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).read()

    def get(self, path):
        return json.loads(urllib.request.urlopen(self.base + path, timeout=10).read())

    def logged(self):
        """What the gateway logged (and posted to tollgate), oldest first."""
        if not os.path.exists(self.gw_logs):
            return []
        with open(self.gw_logs, "rb") as f:
            return [(len(line), json.loads(line)) for line in f if line.strip()]

    def stop_collector(self):
        if self.collector.poll() is None:
            self.collector.terminate()
            self.collector.wait(timeout=60)
        self.collector_err.seek(0)
        err = self.collector_err.read()
        check_sanitizers(err, "tollgate collect")
        return err

    def close(self):
        if self.closed:
            return
        self.closed = True
        for p in (self.gateway, self.collector):
            if p.poll() is None:
                p.kill()
                p.wait()
        if os.environ.get("E2E_KEEP"):
            print(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- tollgate's own commands

    def tollgate(self, *args, timeout=120):
        env = dict(os.environ, RESPAN_BASE_URL=self.base + "/api/", RESPAN_API_KEY=ADMIN, USER="lead",
                   HOME=self.dir, XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"))
        p = subprocess.run([BIN, "--db", self.db, *args], capture_output=True, text=True, env=env, timeout=timeout)
        check_sanitizers(p.stderr, "tollgate " + " ".join(args))
        expect(ADMIN not in p.stdout + p.stderr, "the gateway's admin key was printed")
        return p

    # -- the clients

    def project(self, dev):
        path = os.path.join(self.dir, "projects", dev)
        if not os.path.isdir(path):
            os.makedirs(path)
            with open(os.path.join(path, "notes.txt"), "w") as f:
                f.write(f"{self.mark(dev)} is what {dev}'s notes say first\nthe rest of the file\n")
        return path

    @staticmethod
    def mark(dev):
        return f"MARK-{dev}-7f3a"

    def home(self, dev):
        path = os.path.join(self.dir, "homes", dev)
        os.makedirs(path, exist_ok=True)
        return path

    def client_env(self, dev, client):
        home = self.home(dev)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ANTHROPIC_", "OPENAI_", "GEMINI_", "GOOGLE_", "CLAUDE_", "CODEX_", "OPENCODE_"))
               and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
        dead = "http://127.0.0.1:9"  # nothing listens: a client reaching past the stand-in fails at once
        env.update(HOME=home, TERM="dumb", NO_COLOR="1", LANG="C.UTF-8",
                   XDG_CONFIG_HOME=os.path.join(home, ".config"), XDG_DATA_HOME=os.path.join(home, ".local/share"),
                   XDG_CACHE_HOME=os.path.join(home, ".cache"), XDG_STATE_HOME=os.path.join(home, ".local/state"),
                   HTTP_PROXY=dead, HTTPS_PROXY=dead, ALL_PROXY=dead, http_proxy=dead, https_proxy=dead,
                   NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
        secret = self.keys[(dev, client)]["secret"]
        if client == "claude":
            env.update(ANTHROPIC_BASE_URL=self.base, ANTHROPIC_API_KEY=secret, ANTHROPIC_MODEL=MODELS["claude"],
                       ANTHROPIC_DEFAULT_HAIKU_MODEL="claude-haiku-4-5", ANTHROPIC_SMALL_FAST_MODEL="claude-haiku-4-5",
                       CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", DISABLE_AUTOUPDATER="1", DISABLE_TELEMETRY="1",
                       DISABLE_ERROR_REPORTING="1", DISABLE_BUG_COMMAND="1", CLAUDE_CODE_DISABLE_TERMINAL_TITLE="1")
        elif client == "codex":
            codex_home = os.path.join(home, ".codex")
            os.makedirs(codex_home, exist_ok=True)
            with open(os.path.join(codex_home, "config.toml"), "w") as f:
                f.write(f'model = "{MODELS["codex"]}"\nmodel_provider = "standin"\n'
                        'check_for_update_on_startup = false\n'
                        '[analytics]\nenabled = false\n'
                        '[model_providers.standin]\nname = "stand-in gateway"\n'
                        f'base_url = "{self.base}/v1"\nenv_key = "STANDIN_GATEWAY_KEY"\nwire_api = "responses"\n')
            env.update(CODEX_HOME=codex_home, STANDIN_GATEWAY_KEY=secret)
        elif client == "gemini":
            os.makedirs(os.path.join(home, ".gemini"), exist_ok=True)
            with open(os.path.join(home, ".gemini", "settings.json"), "w") as f:
                json.dump({"privacy": {"usageStatisticsEnabled": False}, "telemetry": {"enabled": False},
                           "general": {"disableAutoUpdate": True, "disableUpdateNag": True},
                           "security": {"auth": {"selectedType": "gemini-api-key"}}}, f)
            env.update(GEMINI_API_KEY=secret, GOOGLE_GEMINI_BASE_URL=self.base)
        elif client == "opencode":
            conf = os.path.join(home, ".config", "opencode")
            os.makedirs(conf, exist_ok=True)
            with open(os.path.join(conf, "opencode.json"), "w") as f:
                json.dump({"provider": {"standin": {"npm": "@ai-sdk/openai-compatible", "name": "stand-in gateway",
                                                    "options": {"baseURL": self.base + "/v1",
                                                                "apiKey": "{env:STANDIN_GATEWAY_KEY}"},
                                                    "models": {MODELS["opencode"]: {"name": MODELS["opencode"],
                                                                                    "tool_call": True}}}},
                           "model": "standin/" + MODELS["opencode"], "autoupdate": False, "share": "disabled"}, f)
            env.update(STANDIN_GATEWAY_KEY=secret, OPENCODE_DISABLE_AUTOUPDATE="1", OPENCODE_DISABLE_MODELS_FETCH="1",
                       OPENCODE_DISABLE_LSP_DOWNLOAD="1", OPENCODE_DISABLE_SHARE="1")
        return env

    def argv(self, client, prompt, resume=None):
        exe = CLIENT_BIN[client]
        if client == "claude":
            args = [exe, "-p", prompt, "--output-format", "json", "--allowedTools", "Read", "--model", MODELS["claude"]]
            return args + (["--resume", resume] if resume else [])
        if client == "codex":
            common = ["--skip-git-repo-check", "-s", "danger-full-access", "--color", "never"]
            if resume:
                return [exe, "exec", *common, "resume", "--last", prompt]
            return [exe, "exec", *common, prompt]
        if client == "gemini":
            return [exe, "-p", prompt, "--output-format", "json", "-m", MODELS["gemini"], "--skip-trust"]
        return [exe, "run", "-m", "standin/" + MODELS["opencode"], prompt]

    def run(self, dev, client, prompt, what, resume=None):
        t = time.monotonic()
        env = self.client_env(dev, client)
        env["PWD"] = self.project(dev)  # OpenCode takes its project from $PWD, not from its working directory
        p = subprocess.run(self.argv(client, prompt, resume), cwd=self.project(dev), env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=CALL_TIMEOUT)
        call = {"dev": dev, "client": client, "what": what, "rc": p.returncode, "out": p.stdout, "err": p.stderr,
                "secs": time.monotonic() - t}
        self.calls.append(call)
        return call

    def answer(self, call):
        """The model's final text as the client printed it."""
        if call["client"] in ("claude", "gemini"):
            try:
                doc = json.loads(call["out"])
            except ValueError:
                return call["out"]
            return doc.get("result") or doc.get("response") or ""
        return call["out"]


WORLD = None


def world():
    global WORLD
    if WORLD is None:
        WORLD = World()
        atexit.register(WORLD.close)
    return WORLD


def ok(call):
    expect(call["rc"] == 0, f"{call['client']} ({call['dev']}, {call['what']}) exited {call['rc']}:\n"
                            f"{call['out'][-2000:]}\n{call['err'][-3000:]}")


# --- the developers' sessions ---------------------------------------------------------

def session_claude(w, dev):
    """A tool call (the model asks Claude Code to Read the file), then the session resumed."""
    first = w.run(dev, "claude", f"E2E-READ {w.project(dev)}/notes.txt", "read")
    ok(first)
    expect(w.answer(first) == f"E2E-FILE-SAYS: {w.mark(dev)}", f"claude did not run Read: {first['out'][:2000]}")
    session = json.loads(first["out"])["session_id"]
    again = w.run(dev, "claude", "E2E-RECALL what did the file say?", "resume", resume=session)
    ok(again)
    expect(w.answer(again) == f"E2E-RECALLED: {w.mark(dev)}", f"the resumed session lost its history: {again['out'][:2000]}")


def session_codex(w, dev, resume=True):
    first = w.run(dev, "codex", f"E2E-READ {w.project(dev)}/notes.txt", "read")
    ok(first)
    expect(f"E2E-FILE-SAYS: {w.mark(dev)}" in first["out"], f"codex did not run the shell: {first['out'][-2000:]}")
    if resume:
        again = w.run(dev, "codex", "E2E-RECALL what did the file say?", "resume", resume="last")
        ok(again)
        expect(f"E2E-RECALLED: {w.mark(dev)}" in again["out"], f"the resumed session lost its history: {again['out']}")


def session_one_read(w, dev, client):
    call = w.run(dev, client, f"E2E-READ {w.project(dev)}/notes.txt", "read")
    ok(call)
    expect(f"E2E-FILE-SAYS: {w.mark(dev)}" in w.answer(call), f"{client} did not run its read tool: "
                                                               f"{call['out'][-2000:]}\n{call['err'][-2000:]}")


def test_1_developers_work_through_the_gateway(d):
    w = world()
    clients = wanted_clients()
    jobs = []
    if "claude" in clients:
        jobs.append(lambda: session_claude(w, "alice"))
    if "codex" in clients:
        jobs.append(lambda: session_codex(w, "bob"))
    if "claude" in clients:
        jobs.append(lambda: ok(w.run("carol", "claude", "E2E-PING hello from carol", "ping")))
    if "codex" in clients:
        jobs.append(lambda: session_codex(w, "carol", resume=False))
    if "gemini" in clients:
        jobs.append(lambda: session_one_read(w, "dave", "gemini"))
    if "opencode" in clients:
        jobs.append(lambda: session_one_read(w, "erin", "opencode"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        for f in [pool.submit(j) for j in jobs]:
            f.result()
    state = w.get("/_e2e")
    expect(not state["post_failures"], f"tollgate refused logs: {state['post_failures']}")
    if state["unexpected"]:
        print(f"  calls the stand-in does not serve (answered 404): {sorted(set(state['unexpected']))}")
    for c in w.calls:
        print(f"  {c['dev']:<6} {c['client']:<8} {c['what']:<7} exit {c['rc']}  {c['secs']:5.1f} s")


# --- what tollgate made of it -----------------------------------------------------------

def test_2_every_logged_request_is_stored(d):
    w = world()
    logged = w.logged()
    expect(len(logged) >= 2, f"the gateway logged {len(logged)} requests")
    # importing the gateway's own log file again: every log must already be there
    p = w.tollgate("import", "--format", "json", w.gw_logs)
    expect(p.returncode == 0, p.stderr)
    doc = json.loads(p.stdout)
    expect(doc["imported"] == 0 and doc["rejected"] == 0 and doc["duplicates"] == len(logged),
           f"{len(logged)} logged, but import found {doc}")


def expected_spend(logged):
    by_dev = {}
    for _, log in logged:
        dev = log.get("customer_identifier", "")
        n, cost = by_dev.get(dev, (0, Decimal(0)))
        by_dev[dev] = (n + 1, cost + Decimal(str(log.get("cost", 0))))
    return by_dev


def check_report_matches(w):
    logged = w.logged()
    p = w.tollgate("report", "--by", "developer", "--format", "json")
    expect(p.returncode == 0, p.stderr)
    doc = json.loads(p.stdout)
    want = expected_spend(logged)
    # a tollgate that counts the refused calls of revoked keys apart (issue 13)
    # leaves them out of requests: they are still stored and counted
    got = {r["name"]: (r["requests"] + r.get("refused_revoked_key", 0), Decimal(str(r["cost"]))) for r in doc["rows"]}
    expect(set(got) == set(want), f"developers: report {sorted(got)}, gateway {sorted(want)}")
    for dev, (n, cost) in want.items():
        expect(got[dev][0] == n, f"{dev}: {got[dev][0]} requests in the report, {n} logged")
        expect(abs(got[dev][1] - cost) < Decimal("0.000001"), f"{dev}: report ${got[dev][1]}, gateway ${cost}")
    total = sum((c for _, c in want.values()), Decimal(0))
    expect(doc["total"]["requests"] + doc["total"].get("refused_revoked_key", 0) == len(logged), doc["total"])
    expect(round(Decimal(str(doc["total"]["cost"])), 2) == round(total, 2), f"total {doc['total']} vs {total}")
    expect(Decimal(str(doc["total"].get("cost_estimated", 0))) == 0, "tollgate estimated a cost the gateway gave")
    return total, len(logged)


def test_3_report_equals_the_gateway_to_the_cent(d):
    total, n = check_report_matches(world())
    print(f"  {n} requests, ${total} logged by the gateway = tollgate's report")


def cut_off(w, dev, client, tollgate_args, what):
    """Runs the tollgate command that should cut dev off, then dev's next call:
    it must fail, at once, after one refused attempt."""
    p = w.tollgate(*tollgate_args)
    expect(p.returncode == 0, f"tollgate {' '.join(tollgate_args)}: {p.stdout}{p.stderr}")
    key_id = w.keys[(dev, client)]["id"]
    before = sum(1 for _, l in w.logged() if l.get("organization_key_id") == key_id and l.get("status_code") == 401)
    call = w.run(dev, client, f"E2E-PING after {what}", what)
    refused = [l for _, l in w.logged() if l.get("organization_key_id") == key_id and l.get("status_code") == 401]
    attempts = len(refused) - before
    print(f"  {dev} on {client} after {what}: exit {call['rc']} in {call['secs']:.1f} s, {attempts} refused attempt(s)")
    expect(call["rc"] != 0, f"{client} still worked for {dev} after {what}: {call['out'][-1500:]}")
    expect(attempts >= 1, f"{client} never reached the gateway after {what}: {call['err'][-1500:]}")
    expect(attempts <= MAX_ATTEMPTS[client], f"{client} retried a 401 the gateway said not to retry: {attempts} attempts")
    expect(call["secs"] < FAIL_FAST_SECONDS, f"{client} took {call['secs']:.0f} s to give up")
    return call


def test_4_revoke_cuts_the_leaver_off(d):
    w = world()
    if "claude" not in wanted_clients():
        return
    cut_off(w, "alice", "claude", ["keys", "revoke", "alice-laptop", "--yes", "--reason", "e2e: left"], "revoke")
    keys = {k["name"]: k for k in json.loads(w.tollgate("keys", "--format", "json").stdout)["keys"]}
    expect(keys["alice-laptop"]["status"] == "revoked", keys["alice-laptop"])


def test_5_offboard_cuts_every_key_of_the_leaver(d):
    w = world()
    if "codex" not in wanted_clients():
        return
    cut_off(w, "bob", "codex", ["offboard", "bob", "--apply", "--reason", "e2e: last day"], "offboard")
    # the others keep working: the cut is the leaver's alone
    client = "claude" if "claude" in wanted_clients() else "codex"
    ok(w.run("carol", client, "E2E-PING carol is still here", "after"))


def test_6_report_still_matches_with_the_refused_calls(d):
    check_report_matches(world())


# --- the detail screen shows the real prompt ----------------------------------------------

class Screen:
    def __init__(self, w):
        # a socket of its own each time: reusing one name raced the previous
        # screen's server still shutting down, and new-session silently failed
        self.sock = f"tg-e2e-{os.getpid()}-{time.monotonic_ns()}"
        self.stderr = os.path.join(w.dir, f"ui-{self.sock}.err")
        env = f"env LANG=C.UTF-8 TERM=xterm-256color NO_COLOR=1 {BIN} --db {w.db} ui 2>>{self.stderr}"
        started = self.tmux("new-session", "-d", "-x", "160", "-y", "50", env)
        expect(started.returncode == 0, f"tmux new-session failed: {started.stderr}")
        # ASan and a suite running beside it can make the first screen slow
        self.wait_for("Overview", timeout=60)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null", *args], capture_output=True, text=True,
                              timeout=30)

    def keys(self, *keys):
        self.tmux("send-keys", *keys)

    def screen(self):
        return self.tmux("capture-pane", "-p").stdout

    def wait_for(self, text, timeout=20, body_only=False):
        """body_only: not on the last two lines, where a search being typed shows."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            s = self.screen()
            if text in ("\n".join(s.rstrip("\n").split("\n")[:-2]) if body_only else s):
                return s
            time.sleep(0.1)
        err = open(self.stderr, errors="replace").read()[-2000:] if os.path.exists(self.stderr) else ""
        raise AssertionError(f"{text!r} never appeared:\n{self.screen()}\nui stderr:\n{err}")

    def close(self):
        self.keys("q")
        time.sleep(0.3)
        self.tmux("kill-server")


def detail_shows(w, key, text, *more):
    """Opens the key's newest request in the detail view and searches it for
    text, then for each of more; returns the screen of the last search."""
    s = Screen(w)
    try:
        s.keys("5")
        s.wait_for("Requests")
        s.keys("/")
        s.keys("-l", f"key:{key}")
        s.keys("Enter")
        time.sleep(1)
        s.keys("Enter")
        s.wait_for("PROMPT")
        # a turn that resends an earlier message folds it ("same as in the
        # previous request"): search for it, as a lead would; the hit opens
        for t in (text, *more):
            s.keys("/")
            s.keys("-l", t)
            s.keys("Enter")
            screen = s.wait_for(t, body_only=True)
            expect("(unnamed tool)" not in screen, f"a tool without its name:\n{screen}")
        return screen
    finally:
        s.close()


# What shows the log is read, not dumped: Gemini nests its tools in
# tools[].functionDeclarations[] and its calls in parts; each tool is listed
# by its name and the call reads as a call.
READABLE = {"gemini": ("read_file \u00b7 ", 'read_file(file_path="'),
            "opencode": ('read(filePath="',),
            "codex": ("web_search \u00b7 ",)}


def test_8_detail_shows_the_real_prompt(d):
    w = world()
    shown = []
    for dev, client, text in (("carol", "claude", "E2E-PING carol is still here"), ("bob", "codex", "E2E-PING after offboard"),
                              ("dave", "gemini", "E2E-READ"), ("erin", "opencode", "E2E-READ")):
        if client in wanted_clients() and (client != "claude" or "codex" in wanted_clients()):
            detail_shows(w, w.keys[(dev, client)]["name"], text, *READABLE.get(client, ()))
            shown.append(client)
    print(f"  the detail view shows the prompt of: {', '.join(shown)}")
    raw = sum(size for size, _ in w.logged())
    db = os.path.getsize(w.db)
    print(f"  with the search index the screens built meanwhile: db {db / 1e6:.2f} MB = {db / raw:.1%} of raw")


# --- storage: the real logs' sizes, the db against them -----------------------------------

def test_7_storage_figures(d):
    w = world()
    logged = w.logged()
    by_client = {}
    for size, log in logged:
        client = {"anthropic": "claude", "openai": "codex" if "input" in log else "opencode",
                  "google_gemini_ai": "gemini"}[log["provider_id"]]
        tools = len(json.dumps(log.get("tools"), ensure_ascii=False).encode()) if log.get("tools") else 0
        by_client.setdefault(client, []).append((size, tools, log.get("status_code")))
    raw = sum(size for size, _ in logged)
    for client, rows in sorted(by_client.items()):
        sizes = [s for s, _, _ in rows]
        share = sum(t for _, t, _ in rows) / sum(sizes)
        print(f"  {client:<8} {len(rows):3} logs, median {statistics.median(sizes) / 1000:6.1f} KB, "
              f"max {max(sizes) / 1000:6.1f} KB, tools block {share:4.0%} of the bytes")
    w.stop_collector()  # (before the screens: they build the search index)
    w.tollgate("report")  # opens the db once more: the WAL folded in
    db = sum(os.path.getsize(w.db + ext) for ext in ("", "-wal") if os.path.exists(w.db + ext))
    empty = os.path.join(d, "empty.db")
    open(os.path.join(d, "none.jsonl"), "w").close()
    subprocess.run([BIN, "--db", empty, "import", os.path.join(d, "none.jsonl")], capture_output=True, timeout=60)
    base = os.path.getsize(empty)
    print(f"  raw logs {raw / 1e6:.2f} MB in {len(logged)} requests ({raw / len(logged) / 1000:.1f} KB each); "
          f"db {db / 1e6:.2f} MB = {db / raw:.1%} of raw; less an empty db's {base / 1000:.0f} KB: "
          f"{(db - base) / raw:.1%} ({(db - base) / len(logged) / 1000:.1f} KB a request); {zstd_long(w.gw_logs, db)}")
    expect(db > 0 and raw > 0, "nothing stored")


def zstd_long(path, db):
    """`zstd -3 --long=27` of the same logs (the gateway's JSON Lines, in the
    test's temp dir, never kept), the issue's yardstick for the db's size."""
    if not shutil.which("zstd"):
        return "zstd -3 --long=27: no zstd here"
    p = subprocess.run(["zstd", "-q", "-3", "--long=27", "-c", path], capture_output=True, timeout=120)
    if p.returncode != 0 or not p.stdout:
        return "zstd -3 --long=27 failed"
    raw = os.path.getsize(path)
    return (f"zstd -3 --long=27 of them {len(p.stdout) / 1e6:.2f} MB = {len(p.stdout) / raw:.1%} of raw, "
            f"the db {db / len(p.stdout):.1f}x that")


# --- running it -------------------------------------------------------------------------

def loopback_up():
    """In a fresh network namespace loopback is down: bring it up (SIOCSIFFLAGS)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ifr = fcntl.ioctl(s, 0x8913, struct.pack("16sH", b"lo", 0))  # SIOCGIFFLAGS
        flags = struct.unpack("16sH", ifr[:18])[1]
        fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", flags | 1))  # SIOCSIFFLAGS, IFF_UP
    finally:
        s.close()


def main():
    missing = [c for c in wanted_clients() if not os.access(CLIENT_BIN[c], os.X_OK)]
    if missing:
        print(f"e2e: clients not installed ({', '.join(sorted(missing))}): run `make e2e` (npm install in tests/e2e)")
        print("e2e: 0 passed, 1 failed")
        return 1
    if os.environ.get("E2E_NETNS") == "1":
        loopback_up()
        print("network: a namespace of its own (loopback only)")
    elif shutil.which("unshare") and os.environ.get("E2E_NETNS") != "0":
        probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
        if probe.returncode == 0:
            env = dict(os.environ, E2E_NETNS="1")
            return subprocess.run(["unshare", "-rn", sys.executable, os.path.abspath(__file__), *sys.argv[1:]],
                                  env=env).returncode
        print("network: not isolated (unshare refused); the clients' proxies point at a closed port")
    else:
        print("network: not isolated; the clients' proxies point at a closed port")
    wanted_clients()
    for client, why in SKIPPED.items():
        print(f"{client}: left out: {why}")
    try:
        return run_suite("e2e", globals(), sys.argv[1:])
    finally:
        if WORLD is not None:
            WORLD.close()


if __name__ == "__main__":
    sys.exit(main())
