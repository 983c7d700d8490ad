#!/usr/bin/env python3
"""The command line as a new user meets it: "did you mean" for commands, options
and names; options before or after the command; tables that keep every column
when piped and line up by display width (CJK, combining marks, the prefix's
ellipsis); calendar windows in the local zone; the previous period beside the
totals; the man page and shell completion made from the command table."""
import json
import os
import re
import shutil
import subprocess
import unicodedata

from harness import BIN, check_sanitizers, expect, main

NOW = "2026-11-10T12:00:00Z"  # a Tuesday


def width(text):
    """Columns a terminal gives text: what the tables must line up by."""
    w = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


class Env:
    def __init__(self, d):
        self.dir = d
        self.db = os.path.join(d, "t.db")

    def run(self, *args, env=None, db=True, stdin=b""):
        e = dict(os.environ, TOLLGATE_NOW=NOW, HOME=self.dir, XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"),
                 XDG_DATA_HOME=os.path.join(self.dir, "data"), TZ="UTC")
        for k in ("TOLLGATE_DB", "COLUMNS", "RESPAN_API_KEY", "LITELLM_MASTER_KEY"):
            e.pop(k, None)
        e.update(env or {})
        argv = [BIN] + (["--db", self.db] if db else []) + list(args)
        p = subprocess.run(argv, input=stdin, capture_output=True, env=e, timeout=120)
        out, err = p.stdout.decode(), p.stderr.decode()
        check_sanitizers(err, " ".join(args))
        return p.returncode, out, err

    def json(self, *args, env=None):
        rc, out, err = self.run(*args, "--format", "json", env=env)
        expect(rc == 0, f"{args} exited {rc}: {err}")
        return json.loads(out)

    def load(self, logs):
        path = os.path.join(self.dir, "logs.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for i, log in enumerate(logs):
                f.write(json.dumps(dict({"unique_id": f"p-{i}", "prompt_tokens": 100, "completion_tokens": 10,
                                         "model": "gpt-5.5", "cost": 1.0}, **log)) + "\n")
        rc, _, err = self.run("import", path)
        expect(rc == 0, err)


def log(ts, dev="alice", key="alice-laptop", model="gpt-5.5", cost=1.0, status=200):
    return {"timestamp": ts, "customer_identifier": dev, "organization_key_name": key, "organization_key_id": f"id-{key}",
            "model": model, "cost": cost, "status_code": status}


def team(env):
    env.load([log("2026-11-09T10:00:00Z"), log("2026-11-09T11:00:00Z", "alicia", "alicia-ci", "gpt-5.4"),
              log("2026-11-08T10:00:00Z", "bob", "bob-ci", "claude-opus-4-6")])


# --- did you mean -----------------------------------------------------------

def test_a_mistyped_command_names_the_closest(env):
    rc, _, err = env.run("reprot", db=False)
    expect(rc == 2 and "'reprot' is not a command; did you mean 'report'?" in err, err)
    rc, _, err = env.run("offbaord", db=False)
    expect(rc == 2 and "did you mean 'offboard'?" in err, err)
    rc, _, err = env.run("frobnicate", db=False)
    expect(rc == 2 and "'frobnicate' is not a command." in err and "did you mean" not in err, err)


def test_a_mistyped_option_names_the_closest_of_that_command(env):
    team(env)
    rc, out, err = env.run("report", "--develper", "alice")
    expect(rc == 2 and out == "" and "unknown option '--develper'; did you mean '--developer'?" in err, err)
    rc, _, err = env.run("keys", "revoke", "alice-laptop", "--resaon", "left")
    expect(rc == 2 and "did you mean '--reason'?" in err, err)
    rc, _, err = env.run("import", "--stritc", "x.jsonl")
    expect(rc == 2 and "did you mean '--strict'?" in err, err)
    # an abbreviation getopt accepts still works
    r = env.json("report", "--dev", "alice")
    expect(r["total"]["requests"] == 1, r)


def test_an_unknown_name_in_a_filter_is_an_error_naming_the_closest(env):
    team(env)
    rc, out, err = env.run("report", "--developer", "alcie")
    expect(rc == 1 and out == "", (rc, out))
    expect("no developer 'alcie' in the db; did you mean 'alice' or 'alicia'?" in err, err)
    rc, _, err = env.run("report", "--key", "bob-cj")
    expect(rc == 1 and "no key 'bob-cj' in the db; did you mean 'bob-ci'?" in err, err)
    rc, _, err = env.run("report", "--model", "gpt-5.6")
    expect(rc == 1 and "no model 'gpt-5.6'" in err and "'gpt-5.5'" in err and "'gpt-5.4'" in err, err)
    rc, _, err = env.run("report", "--developer", "zzzzzzzzzz")
    expect(rc == 1 and "nor one close to it (3 known" in err, err)
    # a known name with nothing in the window is a real answer: an empty report
    r = env.json("report", "--developer", "bob", "--since", "today")
    expect(r["rows"] == [] and r["total"]["requests"] == 0, r)
    r = env.json("report", "--key", "id-bob-ci")  # a key's id works as well as its name
    expect(r["total"]["requests"] == 1, r)


# --- options before the command ---------------------------------------------

def test_options_before_the_command(env):
    team(env)
    rc, out, err = env.run("--limit", "1", "report", "--format", "json")
    expect(rc == 0, err)
    expect(len(json.loads(out)["rows"]) == 1, out)
    rc, out, err = env.run("--format", "json", "--limit=2", "report", db=False, env={"TOLLGATE_DB": "/nonexistent/x"})
    expect(rc == 2 and "is not a command" not in err, err)
    rc, out, err = env.run("--db", env.db, "--utc", "report", "--since", "today", "--format", "json", db=False)
    expect(rc == 0 and json.loads(out)["since"] == "2026-11-10T00:00:00Z", (out, err))
    rc, _, err = env.run("--limt", "3", "report")
    expect(rc == 2 and "unknown option '--limt'; did you mean '--limit'?" in err, err)
    rc, _, err = env.run("--limit", "3", "collect")  # moved after the command, then checked as its own
    expect(rc == 2 and "tollgate collect: unknown option '--limit'" in err, err)


# --- tables -----------------------------------------------------------------

def test_piped_report_keeps_every_column_and_whole_names(env):
    long_name = "a-developer-with-a-rather-long-identifier-from-the-sso@example.com"
    env.load([log("2026-11-09T10:00:00Z", long_name), log("2026-11-09T10:00:00Z", "bob")])
    rc, out, _ = env.run("report")  # stdout is a pipe, COLUMNS unset
    header = next(l for l in out.splitlines() if "REQUESTS" in l)
    for col in ("REQUESTS", "ERRORS", "IN", "OUT", "CACHE", "COST", "EST.", "P50", "P95"):
        expect(re.search(rf"\b{re.escape(col)}(\s|$)", header), f"{col} dropped when piped:\n{out}")
    expect(long_name in out, out)
    # a width asked for is still honoured
    rc, out, _ = env.run("report", env={"COLUMNS": "80"})
    expect(all(width(l) <= 80 for l in out.splitlines()), out)


def status_column(lines):
    """Display column where each line's last field (after two spaces) starts."""
    return {width(l.rsplit("  ", 1)[0]) for l in lines if l.strip()}


def test_keys_table_lines_up_wide_and_combining_names(env):
    env.load([log("2026-11-09T10:00:00Z", "山田太郎", "開発用のキー"), log("2026-11-09T10:00:00Z", "jose\u0301", "cafe\u0301-ci"),
              log("2026-11-09T10:00:00Z", "bob", "bob-ci")])
    rc, out, err = env.run("keys", "--offline")
    expect(rc == 0, err)
    lines = out.splitlines()
    table = lines[:4]
    expect(len(status_column(table)) == 1, "STATUS does not line up:\n" + "\n".join(table))
    owner_at = set()
    for owner in ("山田太郎", "jose\u0301", "bob"):
        line = next(l for l in table if owner in l)
        owner_at.add(width(line[:line.rindex(owner)]))
    expect(len(owner_at) == 1, f"OWNER starts at columns {owner_at}:\n" + "\n".join(table))


def test_audit_keeps_a_long_reason_whole(env):
    from keys_test import Env as KeysEnv
    keys_env = KeysEnv(env.dir)
    try:
        reason = "left the company; " + "handover notes are in the wiki " * 10 + "END"
        rc, out, err = keys_env.run("keys", "revoke", "alice-laptop", "--yes", "--reason", reason)
        expect(rc == 0, out + err)
        rc, out, err = keys_env.run("audit")
        expect(rc == 0 and reason in out, out)
        # the prefix's ellipsis counts as one column: STATUS lines up
        rc, out, err = keys_env.run("keys")
        table = [l for l in out.splitlines() if l.strip()][:6]
        expect("…" in out and len(status_column(table)) == 1, "\n".join(table))
    finally:
        keys_env.finish()


# --- windows ----------------------------------------------------------------

def test_calendar_windows_in_the_local_zone(env):
    env.load([log("2026-11-10T01:00:00Z"), log("2026-11-09T16:00:00Z"), log("2026-11-09T10:00:00Z"),
              log("2026-11-02T10:00:00Z"), log("2026-10-15T10:00:00Z")])
    utc = {"TZ": "UTC"}
    tokyo = {"TZ": "JST-9"}

    def window(*args, tz=utc):
        r = env.json("report", *args, env=tz)
        return r["since"], r["until"], r["total"]["requests"]

    expect(window("--since", "today") == ("2026-11-10T00:00:00Z", None, 1), window("--since", "today"))
    expect(window("--since", "today", tz=tokyo) == ("2026-11-09T15:00:00Z", None, 2), window("--since", "today", tz=tokyo))
    expect(window("--since", "today", "--utc", tz=tokyo)[2] == 1, "--utc ignored")
    expect(window("--since", "yesterday") == ("2026-11-09T00:00:00Z", "2026-11-10T00:00:00Z", 2),
           window("--since", "yesterday"))
    expect(window("--since", "week") == ("2026-11-09T00:00:00Z", None, 3), window("--since", "week"))
    expect(window("--since", "last-week")[:2] == ("2026-11-02T00:00:00Z", "2026-11-09T00:00:00Z"),
           window("--since", "last-week"))
    expect(window("--since", "month") == ("2026-11-01T00:00:00Z", None, 4), window("--since", "month"))
    expect(window("--since", "last-month") == ("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", 1),
           window("--since", "last-month"))
    expect(window("--since", "month", "--until", "today")[1:] == ("2026-11-10T00:00:00Z", 3),
           window("--since", "month", "--until", "today"))
    # a date without a zone is local too; with one it is as given
    expect(window("--since", "2026-11-10", tz=tokyo)[0] == "2026-11-09T15:00:00Z", "local date")
    expect(window("--since", "2026-11-10T00:00Z", tz=tokyo)[0] == "2026-11-10T00:00:00Z", "zoned time")
    rc, out, _ = env.run("report", "--since", "today", env=tokyo)
    expect("2026-11-10T00:00:00+09:00 to now" in out, out)


def test_bad_windows_name_the_bad_part(env):
    env.load([log("2026-11-09T10:00:00Z")])
    cases = [
        (["--since", "2026-13-01"], "--since: month 13 in '2026-13-01' is not 1 to 12"),
        (["--since", "2026-02-29"], "day 29 in '2026-02-29' is not 1 to 28 (February 2026 has 28 days)"),
        (["--until", "2026-11-01T25:00"], "--until: hour 25 in '2026-11-01T25:00' is not 0 to 23"),
        (["--since", "2026-11-01T10:61"], "minute 61"),
        (["--since", "2026-11-01+25:00"], "zone '+25:00'"),
        (["--since", "2026-11-01junk"], "'junk' at the end of '2026-11-01junk' is neither a time of day nor a zone"),
        (["--since", "7x"], "'x' in '7x' is not a unit"),
        (["--since", "weak"], "'weak' is not a time; did you mean 'week'?"),
        (["--since", "today", "--until", "yesterday"], "--until (yesterday, 2026-11-09T00:00:00Z) is not after --since"),
        (["--since", "2026-11-05", "--until", "2026-11-01"], "is not after --since"),
    ]
    for args, message in cases:
        rc, out, err = env.run("report", *args)
        expect(rc == 2 and out == "" and message in err, f"{args}: {rc} {err}")


def test_report_compares_with_the_previous_period(env):
    env.load([log("2026-11-09T10:00:00Z", cost=30.0), log("2026-11-08T10:00:00Z", cost=26.0, status=500),
              log("2026-11-05T10:00:00Z", cost=20.0), log("2026-11-01T10:00:00Z", cost=25.0),
              log("2026-10-20T10:00:00Z", cost=100.0)])
    rc, out, err = env.run("report", "--since", "7d")
    expect(rc == 0, err)
    expect("spend $76.00 (+204% vs previous 7 days: $25.00)" in out, out)
    expect("requests 3 (+200% vs previous 7 days: 1)" in out, out)
    expect("error rate 33.3% (+33.3 points vs previous 7 days: 0.0%)" in out, out)
    r = env.json("report", "--since", "7d")
    expect(r["previous"]["since"] == "2026-10-27T12:00:00Z" and r["previous"]["until"] == "2026-11-03T12:00:00Z", r)
    expect(r["previous"]["total"]["requests"] == 1 and r["previous"]["label"] == "previous 7 days", r)
    # a calendar month so far against the same stretch of the month before
    rc, out, _ = env.run("report", "--since", "month")
    expect("spend $101.00 (none in the previous month to the same point)" in out, out)
    rc, out, _ = env.run("report", "--since", "last-month")
    expect("spend $100.00 (none in the previous month)" in out, out)
    # all time has nothing before it
    rc, out, _ = env.run("report")
    expect("vs " not in out and r["total"]["requests"] == 3, out)
    expect(env.json("report")["previous"] is None, "previous without a window")


# --- man page and completion --------------------------------------------------

def help_commands(env):
    rc, out, _ = env.run("--help", db=False)
    names = re.findall(r"^  (\S+) +\S", out.split("Commands:\n", 1)[1].split("\n\n", 1)[0], re.M)
    expect(rc == 0 and len(names) >= 12 and "report" in names and "completion" in names, out)
    return names


def test_man_page_and_completion_cover_every_command(env):
    names = help_commands(env)
    rc, man, _ = env.run("--help-man", db=False)
    expect(rc == 0 and man.startswith(".\\\"") and ".TH TOLLGATE 1" in man, man[:200])
    for name in names:
        expect(f".SS {name}\n" in man, f"{name} missing from the man page")
    expect("\\-\\-developer" in man and "\\-\\-since" in man, "report's options missing from the man page")
    for shell in ("bash", "zsh"):
        rc, script, err = env.run("completion", shell, db=False)
        expect(rc == 0, err)
        for name in names:
            expect(re.search(rf"(^|\s|'|\(){re.escape(name)}(\)|:|\s|')", script), f"{name} missing from {shell}")
        for option in ("--developer", "--bodies-older-than", "--token-file", "--reason", "--offline"):
            expect(option in script, f"{option} missing from {shell} completion")
    rc, _, err = env.run("completion", "fish", db=False)
    expect(rc == 2 and "bash or zsh" in err, err)
    if shutil.which("man"):
        p = subprocess.run(["man", "-l", "-"], input=man.encode(), capture_output=True, timeout=60,
                           env=dict(os.environ, MANWIDTH="100", MAN_KEEP_FORMATTING="0"))
        expect(p.returncode == 0 and b"offboard" in p.stdout and b"warning" not in p.stderr, p.stderr[:500])


def complete(env, script, words):
    """What bash offers for the last of words, with the generated script."""
    path = os.path.join(env.dir, "tollgate.bash")
    with open(path, "w") as f:
        f.write(script)
    line = " ".join(words)
    prog = (f"source {path}\nCOMP_WORDS=({' '.join(repr(w) for w in words)})\nCOMP_CWORD={len(words) - 1}\n"
            f"COMP_LINE={line!r}\n_tollgate\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
    p = subprocess.run(["bash", "--norc", "-c", prog], capture_output=True, timeout=30)
    expect(p.returncode == 0, p.stderr)
    return p.stdout.decode().split()


def test_bash_completion_offers_commands_options_and_values(env):
    rc, script, _ = env.run("completion", "bash", db=False)
    expect(complete(env, script, ["tollgate", "rep"]) == ["report"], complete(env, script, ["tollgate", "rep"]))
    expect(complete(env, script, ["tollgate", "report", "--dev"]) == ["--developer"], "report --dev")
    expect(complete(env, script, ["tollgate", "--db", "x.db", "report", "--by", "mo"]) == ["model"], "--by mo")
    expect("last-month" in complete(env, script, ["tollgate", "report", "--since", "la"]), "--since la")
    expect(complete(env, script, ["tollgate", "import", "--format", ""]) == ["text", "json"], "import --format")
    expect("--offline" in complete(env, script, ["tollgate", "keys", "--"]), "keys --")


def run(fn):
    def wrapped(d):
        fn(Env(d))
    wrapped.__name__ = fn.__name__
    return wrapped


if __name__ == "__main__":
    main("clipolish", {n: run(f) for n, f in dict(globals()).items() if n.startswith("test_") and callable(f)})
