#!/usr/bin/env python3
"""Command tests: run the real (sanitised) binary on files in tests/data/ and
check what a user sees: counts, messages, exit codes, totals to the cent."""
import csv
import io
import json
import os
import re
import stat
import subprocess
from decimal import Decimal

from harness import BIN, ROOT, check_sanitizers, expect, main

DATA = os.path.join(ROOT, "tests/data")
NOW = "2026-11-10T12:00:00Z"


class Env:
    def __init__(self, d):
        self.dir = d
        self.db = os.path.join(self.dir, "t.db")

    def run(self, *args, stdin=None, env=None, db=True):
        full_env = dict(os.environ, TOLLGATE_NOW=NOW, HOME=self.dir, XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"))
        full_env.pop("TOLLGATE_DB", None)
        if env:
            full_env.update(env)
        argv = [BIN] + (["--db", self.db] if db else []) + list(args)
        p = subprocess.run(argv, input=stdin, capture_output=True, env=full_env, timeout=120)
        out, err = p.stdout.decode(), p.stderr.decode()
        check_sanitizers(err, " ".join(args))
        return p.returncode, out, err

    def json(self, *args):
        rc, out, err = self.run(*args)
        assert rc == 0, f"{args} exited {rc}: {err}"
        return json.loads(out)



def read_costs(path):
    """Per developer/key/model sums of the cost field of the good lines of a JSONL file."""
    sums = {"developer": {}, "key": {}, "model": {}}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line:
            continue
        try:
            log = json.loads(line, parse_float=Decimal)
        except ValueError:
            continue
        yield log


# ---------------------------------------------------------------------------

def test_help_and_version(env):
    rc, out, _ = env.run("--help", db=False)
    expect(rc == 0 and "import" in out and "report" in out and "demo" in out, out)
    rc, out, _ = env.run("--version", db=False)
    expect(rc == 0 and out.startswith("tollgate "), out)
    rc, out, _ = env.run("report", "--help")
    expect(rc == 0 and "--by developer|key|model|day|hour" in out, out)
    rc, _, err = env.run("frobnicate")
    expect(rc == 2 and "'frobnicate' is not a command" in err, err)


HELP_COMMANDS = [
    ("ui", "The screens (also with no command)"),
    ("import", "Store request logs from JSON Lines / JSON files"),
    ("report", "Spend by developer, key, model, day or hour"),
    ("sync", "Pull logs from the gateway's log API, resumably"),
    ("keys", "List gateway keys with spend; revoke one"),
    ("offboard", "Revoke every key of a developer who leaves"),
    ("audit", "Who revoked which key, when, and the result"),
    ("index", "Bring the full-text search index up to date"),
    ("prune", "Drop bodies or requests past a retention age"),
    ("migrate", "Convert bodies stored by an older tollgate"),
    ("collect", "Run the HTTP collector the gateway pushes logs to"),
    ("demo", "Write a synthetic team history into the db"),
    ("status", "Do logs still flow? The newest log per source, and its age"),
    ("completion", "Print the bash or zsh completion script"),
    ("budget", "Budgets per developer, key, model, team, org: set, list, forecast"),
    ("check", "For cron / CI: budgets near or over, dormant / shared keys; alerts"),
]


def test_help_lists_the_command_table_and_each_command_its_usage(env):
    """One table: --help lists every command in order, and each command's own
    help (COMMAND --help, or help COMMAND) is its usage, not another's."""
    rc, out, _ = env.run("--help", db=False)
    listed = [line for line in out.splitlines() if line.startswith("  ") and not line.startswith("   ")]
    expect(listed == [f"  {name:<10} {summary}" for name, summary in HELP_COMMANDS], out)
    expect(out.startswith("usage: tollgate [--db PATH] [--pricing FILE] [--utc] COMMAND [ARGS]\n"), out)
    for name, _ in HELP_COMMANDS:
        rc, own, err = env.run(name, "--help", db=False)
        expect(rc == 0 and re.match(rf"usage: tollgate \[?{name}\b", own), (name, own, err))
        rc, via_help, err = env.run("help", name, db=False)
        expect(rc == 0 and via_help == own, (name, via_help, err))
    rc, out2, _ = env.run("help", "frobnicate", db=False)
    expect(rc == 0 and out2 == out, out2)


def test_import_mixed_names_each_bad_line_and_reimport_is_all_duplicates(env):
    path = os.path.join(DATA, "mixed.jsonl")
    rc, out, err = env.run("import", path)
    expect(rc == 1, f"exit {rc}, want 1 (some rejected): {err}")
    expect("imported 7, duplicates 0, rejected 3" in out, out)
    expect(re.search(r"mixed\.jsonl:5: rejected: prompt_tokens: negative token count -3", err), err)
    expect(re.search(r"mixed\.jsonl:7: rejected: invalid JSON", err), err)
    expect(re.search(r"mixed\.jsonl:10: rejected: timestamp: not an ISO 8601 time", err), err)
    rc, out, err = env.run("import", path)
    expect("imported 0, duplicates 7, rejected 3" in out, out)
    report = env.json("report", "--format", "json")
    expect(report["total"]["requests"] == 7, report["total"])


def test_import_json_format(env):
    rc, out, _ = env.run("import", "--format", "json", os.path.join(DATA, "mixed.jsonl"))
    expect(rc == 1, rc)
    doc = json.loads(out)
    expect(doc["imported"] == 7 and doc["duplicates"] == 0 and doc["rejected"] == 3, doc)
    lines = [e["line"] for e in doc["errors"]]
    expect(lines == [5, 7, 10], lines)
    expect(doc["errors"][0]["field"] == "prompt_tokens", doc["errors"][0])
    expect("negative" in doc["errors"][0]["error"], doc["errors"][0])


def test_strict_stores_nothing(env):
    rc, out, err = env.run("import", "--strict", os.path.join(DATA, "mixed.jsonl"))
    expect(rc == 2, f"exit {rc}")
    expect("nothing was stored" in err, err)
    rc, out, err = env.run("import", "--strict", os.path.join(DATA, "estimate.jsonl"))
    expect(rc == 0 and "imported 3" in out, out + err)
    report = env.json("report", "--format", "json")
    expect(report["total"]["requests"] == 3, report["total"])


def test_array_single_object_and_stdin(env):
    rc, out, err = env.run("import", os.path.join(DATA, "array.json"))
    expect(rc == 1 and "imported 2, duplicates 0, rejected 1" in out, out + err)
    expect("array.json:2: rejected: prompt_tokens: expected a whole number, got a string" in err, err)
    with open(os.path.join(DATA, "single.json"), "rb") as f:
        rc, out, err = env.run("import", "-", stdin=f.read())
    expect(rc == 0 and "imported 1," in out, out + err)
    # a log without an id gets one from its content: importing it again is a duplicate
    with open(os.path.join(DATA, "single.json"), "rb") as f:
        rc, out, err = env.run("import", "-", stdin=f.read())
    expect("imported 0, duplicates 1" in out, out)


def test_report_totals_equal_input_costs_to_the_cent(env):
    path = os.path.join(DATA, "mixed.jsonl")
    env.run("import", path)
    good = []
    for log in read_costs(path):
        if log["unique_id"] in ("m-004", "m-009"):
            continue  # the rejected ones
        good.append(log)
    fields = {"developer": "customer_identifier", "key": "organization_key_name", "model": "model"}
    for by, field in fields.items():
        want = {}
        for log in good:
            want[log.get(field)] = want.get(log.get(field), Decimal(0)) + log["cost"]
        report = env.json("report", "--by", by, "--format", "json")
        got = {r["name"]: Decimal(str(r["cost"])) for r in report["rows"]}
        expect(set(got) == set(want), f"{by}: {sorted(got)} vs {sorted(want)}")
        for name, cost in want.items():
            expect(abs(got[name] - cost) < Decimal("0.005"), f"{by} {name}: {got[name]} vs {cost}")
            expect(abs(got[name] - cost) <= Decimal("0.0000005"), f"{by} {name}: not exact: {got[name]} vs {cost}")
        total = Decimal(str(report["total"]["cost"]))
        expect(abs(total - sum(want.values())) <= Decimal("0.0000005"), f"{by} total {total} vs {sum(want.values())}")
        expect(report["by"] == by and "since" in report and "until" in report, report)


def test_report_json_fields(env):
    env.run("import", os.path.join(DATA, "mixed.jsonl"))
    report = env.json("report", "--by", "developer", "--format", "json")
    alice = next(r for r in report["rows"] if r["name"] == "alice")
    expect(alice["requests"] == 3, alice)
    expect(alice["prompt_tokens"] == 77000 and alice["completion_tokens"] == 5000, alice)
    expect(alice["cache_read_tokens"] == 55000 and alice["cache_creation_tokens"] == 1000, alice)
    expect(alice["cost_estimated"] == 0 and alice["errors"] == 0, alice)
    expect(alice["latency_p50_ms"] is not None and 5000 <= alice["latency_p50_ms"] <= 6500, alice)
    bob = next(r for r in report["rows"] if r["name"] == "bob")
    expect(bob["errors"] == 1, bob)
    expect(report["rows"][0]["name"] == "dave", "rows are sorted by spend")


def test_report_by_day_hour_and_window(env):
    env.run("import", os.path.join(DATA, "mixed.jsonl"))
    days = env.json("report", "--by", "day", "--format", "json")
    expect([r["name"] for r in days["rows"]] == ["2026-11-02", "2026-11-03"], days["rows"])
    window = env.json("report", "--since", "2026-11-02T09:30:00Z", "--until", "2026-11-02T11:00:00Z", "--format", "json")
    expect(window["total"]["requests"] == 2, window["total"])  # m-002 and m-003; m-005 is at the exclusive end
    expect(window["since"] == "2026-11-02T09:30:00Z", window)
    recent = env.json("report", "--since", "7d", "--format", "json")  # now is pinned to 2026-11-10T12:00Z
    expect(recent["total"]["requests"] == 3, recent["total"])
    hours = env.json("report", "--by", "hour", "--developer", "alice", "--format", "json")
    expect([r["name"] for r in hours["rows"]] == ["2026-11-02T09:00Z", "2026-11-03T13:00Z"], hours["rows"])
    expect(hours["rows"][0]["requests"] == 2, hours["rows"])


def test_report_filters_and_limit(env):
    env.run("import", os.path.join(DATA, "mixed.jsonl"))
    r = env.json("report", "--by", "model", "--key", "bob-ci", "--format", "json")
    expect({x["name"] for x in r["rows"]} == {"gpt-5.5", "claude-opus-4-6"}, r["rows"])
    r = env.json("report", "--by", "key", "--key", "key-a1", "--format", "json")
    expect([x["name"] for x in r["rows"]] == ["alice-laptop"], r["rows"])
    r = env.json("report", "--by", "developer", "--limit", "2", "--format", "json")
    expect(len(r["rows"]) == 2 and r["total"]["requests"] == 7, r)
    rc, out, err = env.run("report", "--model", "no-such-model", "--format", "json")
    expect(rc == 1 and out == "" and "no model 'no-such-model'" in err, err)  # a typo, not an empty report


def test_report_table_is_readable_at_80_columns(env):
    env.run("import", os.path.join(DATA, "mixed.jsonl"))
    rc, out, _ = env.run("report", "--by", "key", env={"COLUMNS": "80"})
    expect(rc == 0, rc)
    lines = out.splitlines()
    expect(all(len(l) <= 80 for l in lines), "\n".join(l for l in lines if len(l) > 80))
    expect("$1.23" in out, out)  # dave's 1.23456789
    expect("TOTAL" in out and "$1.83" in out, out)
    expect(re.search(r"alice-laptop\s+2\s", out), out)
    header = next(l for l in lines if "REQUESTS" in l)
    expect("COST" in header and "P95" in header, header)


def test_report_csv(env):
    env.run("import", os.path.join(DATA, "mixed.jsonl"))
    rc, out, _ = env.run("report", "--by", "model", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    expect(len(rows) == 4, rows)
    sonnet = next(r for r in rows if r["name"] == "claude-sonnet-4-5")
    expect(sonnet["requests"] == "2" and sonnet["cost"] == "0.080000", sonnet)


def test_thousands_separators(env):
    lines = []
    for i in range(1200):
        lines.append(json.dumps({"unique_id": f"k{i}", "timestamp": 1793718000 + i, "model": "gpt-5.5",
                                 "customer_identifier": "heavy", "prompt_tokens": 1000, "completion_tokens": 1,
                                 "cost": 12.5}))
    rc, out, err = env.run("import", "-", stdin=("\n".join(lines) + "\n").encode())
    expect(rc == 0 and "imported 1200" in out, out + err)
    rc, out, _ = env.run("report")
    expect("1,200" in out and "$15,000.00" in out, out)


def test_estimated_and_unpriced(env):
    rc, out, err = env.run("import", os.path.join(DATA, "estimate.jsonl"))
    expect(rc == 0, err)
    r = env.json("report", "--by", "model", "--format", "json")
    sonnet = next(x for x in r["rows"] if x["name"] == "claude-sonnet-4-5")
    # est-1: 1000 uncached x $3/M + 8000 cache reads x $0.30/M + 1000 cache writes x $3.75/M + 500 out x $15/M
    expect(Decimal(str(sonnet["cost_estimated"])) == Decimal("0.01665"), sonnet)
    expect(Decimal(str(sonnet["cost"])) == Decimal("0.01865"), sonnet)
    local = next(x for x in r["rows"] if x["name"] == "local/qwen3-coder")
    expect(local["unpriced_requests"] == 1 and local["cost"] == 0, local)
    rc, out, _ = env.run("report", "--by", "model")
    expect("EST." in out and "unpriced" in out.lower() or "pricing table" in out, out)
    expect("1 request had no cost" in out and "counted as $0" in out, out)


def test_pricing_override(env):
    override = os.path.join(env.dir, "prices.json")
    with open(override, "w") as f:
        json.dump({"local/qwen3-coder": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}}, f)
    rc, out, err = env.run("--pricing", override, "import", os.path.join(DATA, "estimate.jsonl"))
    expect(rc == 0, err)
    r = env.json("report", "--by", "model", "--format", "json")
    local = next(x for x in r["rows"] if x["name"] == "local/qwen3-coder")
    expect(local["unpriced_requests"] == 0 and Decimal(str(local["cost_estimated"])) == Decimal("0.006"), local)
    bad = os.path.join(env.dir, "bad.json")
    with open(bad, "w") as f:
        f.write("{ not json")
    rc, _, err = env.run("import", "--pricing", bad, os.path.join(DATA, "estimate.jsonl"))
    expect(rc == 2 and "bad.json" in err, err)


def test_config_dir_pricing(env):
    cfg = os.path.join(env.dir, "cfg", "tollgate")
    os.makedirs(cfg)
    with open(os.path.join(cfg, "pricing.json"), "w") as f:
        json.dump({"claude-sonnet-4-5": {"input_cost_per_token": 0, "output_cost_per_token": 0,
                                         "cache_read_input_token_cost": 0, "cache_creation_input_token_cost": 0}}, f)
    env.run("import", os.path.join(DATA, "estimate.jsonl"))
    r = env.json("report", "--by", "model", "--format", "json")
    sonnet = next(x for x in r["rows"] if x["name"] == "claude-sonnet-4-5")
    expect(sonnet["cost_estimated"] == 0, sonnet)


def test_single_object_estimated_with_provider_prefix(env):
    env.run("import", os.path.join(DATA, "single.json"))
    r = env.json("report", "--by", "model", "--format", "json")
    row = r["rows"][0]
    expect(row["name"] == "openai/gpt-5.5", row)
    expect(row["cost_estimated"] > 0 and row["cost"] == row["cost_estimated"], row)


def test_bad_arguments(env):
    cases = [
        (("report", "--by", "team"), "--by must be developer, key, model, day or hour"),
        (("report", "--since", "last week"), "--since: 'last week' is not a time"),
        (("report", "--since", "2026-11-05", "--until", "2026-11-01"), "is not after --since"),
        (("report", "--format", "xml"), "--format must be table, csv or json"),
        (("report", "--limit", "0"), "--limit must be a positive number"),
        (("import",), "no file given"),
        (("import", "/nonexistent/file.jsonl"), "cannot open /nonexistent/file.jsonl"),
        (("demo", "--requests", "-5"), "--requests must be a number"),
    ]
    env.run("import", os.path.join(DATA, "estimate.jsonl"))
    for args, words in cases:
        rc, out, err = env.run(*args)
        expect(rc == 2, f"{args}: exit {rc}")
        expect(words in err, f"{args}: {err!r} lacks {words!r}")


def test_report_without_db_says_so(env):
    rc, _, err = env.run("report")
    expect(rc == 2 and "no database at" in err, err)


def test_default_db_path_and_mode(env):
    rc, out, err = env.run("import", os.path.join(DATA, "estimate.jsonl"), db=False)
    expect(rc == 0, err)
    path = os.path.join(env.dir, "data", "tollgate", "tollgate.db")
    expect(os.path.exists(path), "db not at $XDG_DATA_HOME/tollgate/tollgate.db")
    expect(stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode))
    other = os.path.join(env.dir, "elsewhere.db")
    rc, out, err = env.run("import", os.path.join(DATA, "estimate.jsonl"), db=False, env={"TOLLGATE_DB": other})
    expect(rc == 0 and os.path.exists(other), err)
    expect(stat.S_IMODE(os.stat(other).st_mode) == 0o600, oct(os.stat(other).st_mode))
    # --db after the command works too
    third = os.path.join(env.dir, "third.db")
    rc, out, err = env.run("import", "--db", third, os.path.join(DATA, "estimate.jsonl"), db=False)
    expect(rc == 0 and os.path.exists(third), err)


def test_hostile_names_never_reach_the_terminal_raw(env):
    evil = "eve\x1b[2J\x1b]52;c;ZXZpbA==\x07\u009b31m"
    log = {"unique_id": "evil-1", "timestamp": "2026-11-07T10:00:00Z", "model": "gpt-5.5\x1b[31m",
           "customer_identifier": evil, "cost": 0.5}
    rc, out, err = env.run("import", "-", stdin=(json.dumps(log) + "\n").encode())
    expect(rc == 0, err)
    for by in ("developer", "model"):
        rc, out, _ = env.run("report", "--by", by)
        expect("\x1b" not in out and "\x07" not in out and "\u009b" not in out, repr(out))
        expect("\\x1b" in out, out)
        rc, out, _ = env.run("report", "--by", by, "--format", "csv")
        expect("\x1b" not in out and "\u009b" not in out, repr(out))
    rc, out, _ = env.run("report", "--format", "json")
    expect("\x1b" not in out and "\u009b" not in out, repr(out))
    expect(json.loads(out)["rows"][0]["name"] == evil, out)  # JSON escapes, the value is intact
    bad = '{"unique_id":"e2","timestamp":"\x1b[2J"}\n'
    rc, out, err = env.run("import", "-", stdin=bad.encode())
    expect(rc == 1 and "\x1b" not in err and "\\x1b" in err, repr(err))


def test_invalid_utf8_is_rejected_with_the_field(env):
    raw = b'{"unique_id":"u1","timestamp":"2026-11-07T10:00:00Z","customer_name":"Zo\xeb"}\n'
    rc, out, err = env.run("import", "-", stdin=raw)
    expect(rc == 1 and "customer_name: invalid UTF-8" in err, err)


def test_demo(env):
    rc, out, err = env.run("demo", "--requests", "3000")
    expect(rc == 0 and "stored 3000 logs" in out, out + err)
    r = env.json("report", "--by", "developer", "--format", "json")
    expect(10 <= len(r["rows"]) <= 14, [x["name"] for x in r["rows"]])
    expect(r["total"]["requests"] == 3000 and r["total"]["errors"] > 0, r["total"])
    expect(r["total"]["cost_estimated"] > 0 and r["total"]["cache_read_tokens"] > 0, r["total"])
    models = env.json("report", "--by", "model", "--format", "json")
    expect(len(models["rows"]) >= 7, [x["name"] for x in models["rows"]])
    rc, _, err = env.run("demo", "--requests", "10")
    expect(rc == 2 and "already holds logs" in err, err)
    rc, out, _ = env.run("demo", "--requests", "10", "--append", "--seed", "2")
    expect(rc == 0, out)
    out_file = os.path.join(env.dir, "demo.jsonl")
    rc, _, err = env.run("demo", "--requests", "50", "--output", out_file)
    expect(rc == 0 and sum(1 for _ in open(out_file)) == 50, err)


def test_prune_and_migrate(env):
    """Bodies past the age go, rows and spend stay; whole requests go with
    --older-than; bad ages are refused; migrate has nothing to do on a new db."""
    rc, out, err = env.run("demo", "--requests", "2000", "--days", "20", "--large-messages")
    expect(rc == 0, err)
    before = env.json("report", "--format", "json")["total"]
    rc, out, err = env.run("prune", "--bodies-older-than", "10d", "--dry-run")
    m = re.search(r"would drop ([\d,]+) bodies", out)
    expect(rc == 0 and m and int(m.group(1).replace(",", "")) > 100, out + err)
    would = int(m.group(1).replace(",", ""))
    rc, out, err = env.run("prune", "--bodies-older-than", "10d")
    m = re.search(r"dropped ([\d,]+) bodies, 0 requests and ([\d,]+) chunks", out)
    expect(rc == 0 and m and int(m.group(1).replace(",", "")) == would and int(m.group(2).replace(",", "")) > 0,
           out + err)
    expect("free for reuse" in out, out)
    after = env.json("report", "--format", "json")["total"]
    expect(after == before, (before, after))
    rc, out, err = env.run("prune", "--bodies-older-than", "10d")
    expect(rc == 0 and "dropped 0 bodies" in out, out)
    rc, out, err = env.run("prune", "--older-than", "15d", "--vacuum")
    m = re.search(r"dropped ([\d,]+) bodies, ([\d,]+) requests", out)
    expect(rc == 0 and m and int(m.group(2).replace(",", "")) > 0, out + err)
    # whole hours of spend stay in the rollups
    expect(env.json("report", "--format", "json")["total"]["cost"] == before["cost"], out)
    for bad in (["--older-than", "soon"], ["--bodies-older-than", "-3d"], []):
        rc, out, err = env.run("prune", *bad)
        expect(rc == 2 and ("not an age" in err or "usage" in err), (bad, err))
    rc, out, err = env.run("migrate")
    expect(rc == 0 and "0 bodies converted" in out, out + err)


def _with_env(fn):
    def run(d):
        env = Env(d)
        fn(env)
    run.__name__ = fn.__name__
    return run


if __name__ == "__main__":
    main("cli", {n: _with_env(f) for n, f in list(globals().items()) if n.startswith("test_") and callable(f)})
