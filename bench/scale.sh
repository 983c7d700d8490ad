#!/usr/bin/env bash
# Storage and speed at scale (issue: deduplicated, compressed bodies).
#   bench/scale.sh storage [N]   N agent-sized requests (default 100000), whole
#                                growing threads: bytes on disk per request
#                                against the raw JSON Lines and gzip -6 of it,
#                                then rebuild and detail times on that db.
#   bench/scale.sh speed [N]     N requests (default 10000000) imported in ten
#                                chunks of a month each: the import rate of each
#                                chunk (the last against the first), then
#                                report, Overview and paging times on the full db.
#   bench/scale.sh latency [N]   report, store reads and screens (ui_bench.py)
#                                at N requests (default 10000000), on a db built
#                                once and kept in bench/out/ (SCALE_BUILD_MINUTES
#                                caps a build; the next run resumes it;
#                                --measure-only measures the db as it is).
#   bench/scale.sh budgets DB    budgets and forecasts on an existing db (also
#                                part of `speed`): tg_budget_evaluate with a
#                                budget for every developer, key, model, a team
#                                and the org, and report --budget's rows.
# Needs `make build/tollgate build/bench/storebench`. Work files go to bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/tollgate
OUT=bench/out
mkdir -p "$OUT"
now() { date +%s.%N; }
mb() { echo "scale=1; $1 / 1000000" | bc -l; }

db_size() { # main file + WAL after a checkpoint: what the db takes on disk
    sqlite3 "$1" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    local total=0 f
    for f in "$1" "$1-wal"; do [ -f "$f" ] && total=$((total + $(stat -c %s "$f"))); done
    echo "$total"
}

storage() {
    local n=${1:-100000}
    local logs="$OUT/agents-$n.jsonl" db="$OUT/agents-$n.db"
    export TOLLGATE_NOW=2026-11-24T00:00:00Z
    if [ ! -s "$logs" ]; then
        echo "generating $n agent-sized requests (demo --large-messages, whole threads) ..."
        "$BIN" demo --requests "$n" --large-messages --seed 11 --output "$logs.tmp"
        mv "$logs.tmp" "$logs"
    fi
    local raw gz zs
    raw=$(stat -c %s "$logs")
    gz=$(gzip -6 -c "$logs" | wc -c)
    zs=$(zstd -q -3 --long=27 -c "$logs" | wc -c)
    rm -f "$db" "$db-wal" "$db-shm"
    local t0 t1
    t0=$(now)
    "$BIN" --db "$db" import "$logs" >/dev/null
    t1=$(now)
    local stored
    stored=$(db_size "$db")
    echo
    echo "$n requests, threads of 1-40 turns, whole context in every request"
    printf '%-44s %14s %12s %10s\n' "" "bytes" "per request" "of raw"
    printf '%-44s %14d %12d %9.1f%%\n' "raw JSON Lines" "$raw" $((raw / n)) 100
    printf '%-44s %14d %12d %9.1f%%\n' "gzip -6 of it" "$gz" $((gz / n)) "$(echo "100 * $gz / $raw" | bc -l)"
    printf '%-44s %14d %12d %9.1f%%\n' "zstd -3 --long=27 of it" "$zs" $((zs / n)) "$(echo "100 * $zs / $raw" | bc -l)"
    printf '%-44s %14d %12d %9.1f%%\n' "tollgate db (all of it, no search index)" "$stored" $((stored / n)) \
        "$(echo "100 * $stored / $raw" | bc -l)"
    printf 'import: %.1f s, %.0f requests/s, %.0f MB/s of JSON\n' "$(echo "$t1 - $t0" | bc -l)" \
        "$(echo "$n / ($t1 - $t0)" | bc -l)" "$(echo "$raw / 1000000 / ($t1 - $t0)" | bc -l)"
    echo
    echo "where the bytes are (sqlite dbstat):"
    sqlite3 "$db" "SELECT printf('  %-28s %8.1f MB', name, sum(pgsize) / 1e6) FROM dbstat GROUP BY name
                   HAVING sum(pgsize) > 100000 ORDER BY sum(pgsize) DESC;"
    python3 bench/chunkstats.py "$db" | sed 's/^/  /'
    echo
    local t2 t3
    t2=$(now)
    "$BIN" --db "$db" index >/dev/null
    t3=$(now)
    local indexed
    indexed=$(db_size "$db")
    printf 'with the full-text search index (tollgate index, %.0f s): %d bytes, %d per request, %.1f%% of raw\n' \
        "$(echo "$t3 - $t2" | bc -l)" "$indexed" $((indexed / n)) "$(echo "100 * $indexed / $raw" | bc -l)"
    echo
    build/bench/storebench "$db" 2000
}

speed() {
    local n=${1:-10000000} chunks=10
    if [ "${2:-}" = "--queries-only" ]; then queries "$OUT/scale-$n.db" "$chunks"; return; fi
    local per=$((n / chunks)) db="$OUT/scale-$n.db"
    rm -f "$db" "$db-wal" "$db-shm"
    echo "importing $n requests in $chunks chunks of $per (a month each, demo --context 4)"
    printf '%-8s %14s %12s %10s\n' "chunk" "requests in db" "seconds" "logs/s"
    local first_rate="" rate="" k
    for k in $(seq 0 $((chunks - 1))); do
        local chunk="$OUT/chunk-$per-$k.jsonl"
        if [ ! -s "$chunk" ]; then
            # each chunk a month after the one before, so time grows as it does in use
            TOLLGATE_NOW=$(date -u -d "2026-01-01 + $((k * 30)) days" +%Y-%m-%dT00:00:00Z) \
                "$BIN" demo --requests "$per" --context 4 --days 30 --seed $((100 + k)) --output "$chunk.tmp"
            mv "$chunk.tmp" "$chunk"
        fi
        local t0 t1
        t0=$(now)
        "$BIN" --db "$db" import "$chunk" >/dev/null
        t1=$(now)
        rate=$(echo "$per / ($t1 - $t0)" | bc -l)
        [ -n "$first_rate" ] || first_rate=$rate
        printf '%-8d %14d %12.1f %10.0f\n' "$k" $((k * per)) "$(echo "$t1 - $t0" | bc -l)" "$rate"
    done
    printf 'last chunk / first chunk: %.2f\n' "$(echo "$rate / $first_rate" | bc -l)"
    printf 'db: %.0f MB for %d requests\n' "$(mb "$(db_size "$db")")" "$n"
    echo
    queries "$db" "$chunks"
}

queries() {
    local db=$1 chunks=$2
    # "now" is the end of the last chunk
    TOLLGATE_NOW=$(date -u -d "2026-01-01 + $(((chunks - 1) * 30)) days" +%Y-%m-%dT00:00:00Z)
    export TOLLGATE_NOW
    reports "$db"
    echo
    build/bench/storebench "$db" 1000
}

reports() { # DB: report as a whole command, median and max of 11 runs, at TOLLGATE_NOW
    local db=$1
    printf '%-52s %10s %10s\n' "report (whole command, 11 runs)" "median ms" "max ms"
    for args in "--by developer --since 30d" "--by key --since 30d" "--by model --since 7d" \
                "--by developer" "--by day" "--by hour --since 24h"; do
        local times=() a b
        for _ in $(seq 11); do
            a=$(now)
            # shellcheck disable=SC2086
            "$BIN" --db "$db" report $args >/dev/null
            b=$(now)
            times+=("$(echo "($b - $a) * 1000" | bc -l)")
        done
        read -r med max < <(printf '%s\n' "${times[@]}" | sort -n | sed -n '6p;11p' | tr '\n' ' '; echo)
        printf '%-52s %10.1f %10.1f\n' "report $args" "$med" "$max"
    done
}

# The db `latency` measures, built once and kept: the same traffic as the
# screens' figures in docs/benchmarks.md (one `demo --requests N --context 4
# --seed 9`, 30 days ending at TOLLGATE_NOW), written once into parts of 1M
# logs and imported part after part, so a build cut short (SCALE_BUILD_MINUTES)
# resumes where it stopped on the next run. The parts are deleted once all are in.
latency_db() { # N DB
    local n=$1 db=$2 per=1000000
    local parts="$OUT/latency-$n.part" log="$OUT/latency-$n.imported" limit=${SCALE_BUILD_MINUTES:-0}
    [ "$n" -lt "$per" ] && per=$n
    touch "$log"
    local want=$(((n + per - 1) / per))
    [ "$(wc -l <"$log")" -ge "$want" ] && return 0
    local start
    start=$(now)
    if [ ! -f "$parts.written" ]; then
        echo "writing $n demo logs (--context 4 --seed 9, 30 days) into parts of $per ..."
        rm -f "$parts".[0-9]*
        nice -n 19 "$BIN" demo --requests "$n" --context 4 --seed 9 --output - |
            split -l "$per" -d -a 3 - "$parts."
        touch "$parts.written"
        printf 'written in %.0f s\n' "$(echo "$(now) - $start" | bc -l)"
    fi
    printf '%-14s %14s %10s %10s\n' "part" "requests in db" "seconds" "logs/s"
    local part
    for part in "$parts".[0-9][0-9][0-9]; do
        grep -qxF "$part" "$log" && continue
        if [ "$limit" != 0 ] && [ "$(echo "$(now) - $start > $limit * 60" | bc -l)" = 1 ]; then
            echo "stopped after $limit minutes (SCALE_BUILD_MINUTES): run again to go on"
            return 0
        fi
        local before t0 t1
        before=$(sqlite3 "$db" "SELECT coalesce(max(id), 0) FROM requests" 2>/dev/null || echo 0)
        t0=$(now)
        nice -n 19 "$BIN" --db "$db" import "$part" >/dev/null
        t1=$(now)
        echo "$part" >>"$log"
        printf '%-14s %14d %10.1f %10.0f\n' "${part##*.}" "$before" "$(echo "$t1 - $t0" | bc -l)" \
            "$(echo "$(wc -l <"$part") / ($t1 - $t0)" | bc -l)"
    done
    printf 'built in %.0f s in this run; db %.0f MB\n' "$(echo "$(now) - $start" | bc -l)" "$(mb "$(db_size "$db")")"
    rm -f "$parts".[0-9]*
}

# Report and screen latencies at N requests (default 10M) on the current
# layout: the whole `report` command, the store's reads in-process
# (bench/storebench: rebuild, detail, list pages, spend) and the screens
# driven in tmux (bench/ui_bench.py: first paint, screen switches, keys).
latency() {
    local n=${1:-10000000} db="$OUT/latency-${1:-10000000}.db"
    export TOLLGATE_NOW=2026-11-24T00:00:00Z
    [ "${2:-}" = "--measure-only" ] || latency_db "$n" "$db"
    [ "${2:-}" = "--build-only" ] && return 0
    local have
    have=$(sqlite3 "$db" "SELECT count(*) FROM requests")
    echo
    echo "db $db: $have requests (schema $(sqlite3 "$db" "PRAGMA user_version")), $(mb "$(db_size "$db")") MB;" \
        "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
    reports "$db"
    echo
    build/bench/storebench "$db" 1000
    echo
    python3 bench/ui_bench.py "$db"
    echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
}

budgets() {
    local db=$1
    TOLLGATE_NOW=$(sqlite3 "$db" "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', max(ts_ms) / 1000, 'unixepoch') FROM requests")
    export TOLLGATE_NOW
    build/bench/storebench "$db" 1 budgets
}

case "${1:-}" in
storage) storage "${2:-}" ;;
budgets) budgets "${2:?usage: bench/scale.sh budgets DB}" ;;
speed) speed "${2:-}" "${3:-}" ;;
latency) latency "${2:-}" "${3:-}" ;;
*) echo "usage: bench/scale.sh storage [N] | speed [N] [--queries-only] | latency [N] [--build-only|--measure-only] | budgets DB" >&2; exit 2 ;;
esac
