#!/usr/bin/env bash
# Collector throughput on loopback: bench/loadgen (16 keep-alive connections,
# every log unique) against `tollgate collect`, single-log POSTs to the
# log-create endpoint, then 100-log batches to /v1/logs. Needs `make`.
# Usage: bench/collector.sh [SECONDS]   (default 10 per run)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
OUT=bench/out
BIN=build/tollgate
mkdir -p "$OUT"
logs="$OUT/collector-logs.jsonl"
if [ ! -s "$logs" ]; then
    "$BIN" demo --requests 1500000 --context 4 --seed 7 --output "$logs" 2>/dev/null
fi

run() { # CONNECTIONS LOGS_PER_POST
    local db="$OUT/collector.db" err="$OUT/collector.err"
    rm -f "$db" "$db-wal" "$db-shm"
    "$BIN" --db "$db" collect --listen 127.0.0.1:0 --quiet 2>"$err" &
    local pid=$! port=""
    for _ in $(seq 100); do
        port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$err")
        [ -n "$port" ] && break
        sleep 0.05
    done
    build/bench/loadgen "$port" "$logs" "$1" "$2" "$SECONDS_PER_RUN"
    kill -TERM "$pid"
    wait "$pid"
    tail -1 "$err"
}

echo "single-log POSTs (POST /api/request-logs/create/):"
run 16 1
echo "100-log batches (POST /v1/logs):"
run 16 100
