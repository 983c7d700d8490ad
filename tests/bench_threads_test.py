"""bench/collector_threads.sh, the paired collector runs that say where the
writer's time goes: one line a run, the binaries alternating and reversed
every other round, each line's figures read from the server's own threads;
and a clear error, not a half run, when its inputs are missing."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, ROOT, expect, main  # noqa: E402

SCRIPT = os.path.join(ROOT, "bench", "collector_threads.sh")
GEN = os.path.join(ROOT, "bench", "gen_corpus.py")
LINE = re.compile(r"^(\S+)\s+(\d+) logs/s\s+writer\s+([\d.]+) \+\s+([\d.]+) us a log \(CPU \+ wait\)"
                  r"\s+server CPU\s+([\d.]+) us a log$")


def loadgen(d):
    exe = os.path.join(d, "loadgen")
    subprocess.run(["cc", "-std=c17", "-D_GNU_SOURCE", "-O1", "-o", exe, os.path.join(ROOT, "bench", "loadgen.c"),
                    "-lpthread"], check=True, timeout=120)
    return exe


def test_runs_alternate_and_report_the_writer_and_the_server(d):
    logs = os.path.join(d, "small.jsonl")
    subprocess.run([sys.executable, GEN, "small", "--logs", "400", "--seed", "3", "-o", logs], check=True,
                   capture_output=True, timeout=120)
    other = os.path.join(d, "tollgate-other")
    os.symlink(BIN, other)  # a second name, so the order of the runs shows
    env = dict(os.environ, LOADGEN=loadgen(d))
    out = subprocess.run(["bash", SCRIPT, logs, "1", "2", BIN, other], capture_output=True, text=True,
                         timeout=120, env=env)
    expect(out.returncode == 0, out.stdout + out.stderr)
    lines = out.stdout.strip().splitlines()
    expect(len(lines) == 4, out.stdout)
    runs = [LINE.match(line) for line in lines]
    expect(all(runs), out.stdout)
    expect([m.group(1) for m in runs] == [BIN, other, other, BIN], "alternating, reversed in round 2: " + out.stdout)
    for m in runs:
        rate, writer, server = int(m.group(2)), float(m.group(3)), float(m.group(5))
        expect(rate > 0 and 0 < writer <= server, m.group(0))


def test_missing_logs_or_loadgen_is_an_error(d):
    out = subprocess.run(["bash", SCRIPT, os.path.join(d, "none.jsonl"), "1", "1", BIN], capture_output=True,
                         text=True, timeout=60, env=dict(os.environ, LOADGEN=os.path.join(d, "nothing")))
    expect(out.returncode != 0 and "missing" in out.stderr and out.stdout == "", out.stdout + out.stderr)
    out = subprocess.run(["bash", SCRIPT], capture_output=True, text=True, timeout=60)
    expect(out.returncode == 2 and "usage:" in out.stderr, out.stderr)


if __name__ == "__main__":
    main("benchthreads", globals())
