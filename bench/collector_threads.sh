#!/usr/bin/env bash
# Where the batched collector's CPU goes, binary against binary: paired runs
# of `tollgate collect` fed by bench/loadgen (16 connections, 100 small logs a
# POST), the binaries alternating within each round so that a machine whose
# speed swings (a shared VM) moves them alike. Per run: logs/s, and from
# /proc/PID/task/*/schedstat the writer's CPU and run-queue wait (the thread
# with the most CPU) and the whole server's CPU, in microseconds a log.
# Usage: bench/collector_threads.sh LOGS.jsonl SECONDS ROUNDS BIN [BIN...]
#   e.g. bench/collector_threads.sh bench/out/small-1000000logs-seed1.jsonl 20 3 \
#        /tmp/old/tollgate build/tollgate
# An environment variable set for this script reaches every server it starts;
# LOADGEN names another bench/loadgen build (default build/bench/loadgen).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 4 ]; then
    echo "usage: bench/collector_threads.sh LOGS.jsonl SECONDS ROUNDS BIN [BIN...]" >&2
    exit 2
fi
logs=$1 seconds=$2 rounds=$3
shift 3
loadgen=${LOADGEN:-build/bench/loadgen}
[ -x "$loadgen" ] || { echo "collector_threads: $loadgen missing (make bench-agents-build)" >&2; exit 1; }
[ -s "$logs" ] || { echo "collector_threads: no logs in $logs" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tg-collthreads.XXXXXX")
trap 'rm -rf "$work"' EXIT

run() { # BIN
    local db="$work/c.db" err="$work/err" load="$work/load" port="" pid
    rm -f "$db" "$db-wal" "$db-shm"
    "$1" --db "$db" collect --listen 127.0.0.1:0 --quiet 2>"$err" &
    pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$err")
        [ -n "$port" ] && break
        sleep 0.05
    done
    [ -n "$port" ] || { echo "collector_threads: $1 did not start: $(cat "$err")" >&2; kill "$pid"; return 1; }
    "$loadgen" "$port" "$logs" 16 100 "$seconds" >"$load"
    # read before the server exits: its threads' counters go with it
    for task in /proc/"$pid"/task/*; do cat "$task/schedstat"; done >"$work/sched"
    kill -INT "$pid"
    wait "$pid" || true
    local n rate
    n=$(sed -n 's/.*POST: \([0-9]*\) logs in.*/\1/p' "$load")
    rate=$(grep -o '[0-9]* logs/s' "$load")
    awk -v n="$n" -v rate="$rate" -v bin="$1" '
        { cpu += $1; wait += $2; if ($1 > top) { top = $1; top_wait = $2 } }
        END { printf "%-40s %14s  writer %5.1f + %4.1f us a log (CPU + wait)  server CPU %5.1f us a log\n",
                     bin, rate, top / n / 1e3, top_wait / n / 1e3, cpu / n / 1e3 }' "$work/sched"
}

for ((r = 1; r <= rounds; r++)); do
    bins=("$@")
    if ((r % 2 == 0)); then # the order reversed every other round
        reversed=()
        for ((i = ${#bins[@]} - 1; i >= 0; i--)); do reversed+=("${bins[i]}"); done
        bins=("${reversed[@]}")
    fi
    for bin in "${bins[@]}"; do run "$bin"; done
done
