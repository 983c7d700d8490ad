#!/usr/bin/env python3
"""`report --by day|hour` in the local zone: a Tokyo lead's day runs from
15:00Z to 15:00Z, and the sums over days still equal the total to the cent,
over whole days (rollups) and the window's ragged edges (raw rows) alike;
--utc (or a UTC zone) keeps UTC days."""
import json
import os
import subprocess

from harness import BIN, check_sanitizers, expect, main

NOW = "2026-11-10T12:00:00Z"
TOKYO = "JST-9"  # a POSIX zone string: no tzdata needed on a fresh machine
# (time, cost): Tokyo days Nov 2: 23:30; Nov 3: 00:30, 10:00; Nov 5: 14:59:59.5 ... the last at 00:00 Nov 6
LOGS = [("2026-11-02T14:30:00Z", "1.10"), ("2026-11-02T15:30:00Z", "2.20"), ("2026-11-03T01:00:00Z", "3.30"),
        ("2026-11-04T12:00:00Z", "4.40"), ("2026-11-05T14:59:59.500Z", "5.50"), ("2026-11-05T15:00:00Z", "6.60"),
        ("2026-11-06T23:20:00Z", "7.70")]


def run(d, *args, tz):
    e = dict(os.environ, TOLLGATE_NOW=NOW, HOME=d, XDG_CONFIG_HOME=os.path.join(d, "cfg"), TZ=tz)
    p = subprocess.run([BIN, "--db", os.path.join(d, "t.db"), *args], capture_output=True, env=e, timeout=60)
    check_sanitizers(p.stderr.decode(), " ".join(args))
    expect(p.returncode == 0, f"{args}: {p.stderr.decode()}")
    return p.stdout.decode()


def load(d):
    path = os.path.join(d, "logs.jsonl")
    with open(path, "w") as f:
        for i, (ts, cost) in enumerate(LOGS):
            f.write(json.dumps({"unique_id": f"l-{i}", "timestamp": ts, "model": "gpt-5.5", "prompt_tokens": 10,
                                "completion_tokens": 1, "cost": float(cost), "customer_identifier": "ana"}) + "\n")
    run(d, "import", path, tz="UTC")


def days(d, *args, tz):
    r = json.loads(run(d, "report", "--by", "day", "--format", "json", *args, tz=tz))
    rows = {row["name"]: (row["requests"], round(row["cost"], 2)) for row in r["rows"]}
    return rows, r["total"]


def test_tokyo_days_start_at_1500z(d):
    load(d)
    window = ("--since", "2026-11-01T00:00Z", "--until", "2026-11-08T00:00Z")
    utc, total_utc = days(d, *window, tz="UTC")
    expect(utc == {"2026-11-02": (2, 3.3), "2026-11-03": (1, 3.3), "2026-11-04": (1, 4.4),
                   "2026-11-05": (2, 12.1), "2026-11-06": (1, 7.7)}, utc)
    tokyo, total_tokyo = days(d, *window, tz=TOKYO)
    expect(tokyo == {"2026-11-02": (1, 1.1), "2026-11-03": (2, 5.5), "2026-11-04": (1, 4.4),
                     "2026-11-05": (1, 5.5), "2026-11-06": (1, 6.6), "2026-11-07": (1, 7.7)}, tokyo)
    expect(total_tokyo == total_utc and round(total_tokyo["cost"], 2) == 30.8, (total_tokyo, total_utc))
    forced, _ = days(d, *window, "--utc", tz=TOKYO)
    expect(forced == utc, f"--utc ignored: {forced}")


def test_ragged_window_edges_keep_local_days(d):
    load(d)
    # starts and ends inside hours: the edges come from raw rows, mapped the same way
    tokyo, total = days(d, "--since", "2026-11-02T15:10Z", "--until", "2026-11-05T14:59:59.900Z", tz=TOKYO)
    expect(tokyo == {"2026-11-03": (2, 5.5), "2026-11-04": (1, 4.4), "2026-11-05": (1, 5.5)}, tokyo)
    expect(total["requests"] == 4, total)


def test_hours_are_labelled_in_the_local_zone(d):
    load(d)
    r = json.loads(run(d, "report", "--by", "hour", "--since", "2026-11-02T00:00Z", "--until", "2026-11-03T12:00Z",
                       "--format", "json", tz=TOKYO))
    expect([row["name"] for row in r["rows"]] == ["2026-11-02T23:00+09:00", "2026-11-03T00:00+09:00",
                                                  "2026-11-03T10:00+09:00"], r["rows"])
    r = json.loads(run(d, "report", "--by", "hour", "--since", "2026-11-02T00:00Z", "--until", "2026-11-03T12:00Z",
                       "--format", "json", tz="UTC"))
    expect([row["name"] for row in r["rows"]][0] == "2026-11-02T14:00Z", r["rows"])


def test_half_hour_zone_keeps_pruned_spend(d):
    # India's midnight is 18:30Z: the hour 18:00-19:00Z holds it. Rows pruned, spend stays in the rollups
    path = os.path.join(d, "old.jsonl")
    logs = [("2026-10-01T18:15:00Z", 3.0), ("2026-10-01T18:45:00Z", 2.0), ("2026-11-09T18:45:00Z", 1.0),
            ("2026-11-09T18:15:00Z", 0.5)]
    with open(path, "w") as f:
        for i, (ts, cost) in enumerate(logs):
            f.write(json.dumps({"unique_id": f"p-{i}", "timestamp": ts, "model": "gpt-5.5", "prompt_tokens": 10,
                                "completion_tokens": 1, "cost": cost, "customer_identifier": "ana"}) + "\n")
    run(d, "import", path, tz="UTC")
    run(d, "prune", "--older-than", "30d", tz="UTC")
    india, total = days(d, "--since", "2026-09-01", tz="IST-5:30")
    expect(round(total["cost"], 2) == 6.5 and total["requests"] == 4, total)
    # the pruned hour counts in the day it starts (23:30 on Oct 1); the kept rows split at midnight
    expect(india == {"2026-10-01": (2, 5.0), "2026-11-09": (1, 0.5), "2026-11-10": (1, 1.0)}, india)


if __name__ == "__main__":
    main("reportlocaldays", globals())
