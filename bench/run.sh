#!/usr/bin/env bash
# Import and report speed on `tollgate demo` traffic, next to the narrow-insert
# floor (bench/floor.c; bench/agents.py has the agent-shaped corpora, DuckDB and
# the compressors, side by side and alternating). Usage: bench/run.sh [N]   (default 1000000 logs; needs `make`)
# Output goes to bench/out/ (ignored by git); the logs file is reused between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-${BENCH_LOGS:-1000000}}
OUT=bench/out
BIN=build/tollgate
mkdir -p "$OUT"
export TOLLGATE_NOW=2026-11-24T00:00:00Z

logs="$OUT/logs-$N.jsonl"
if [ ! -s "$logs" ]; then
    echo "generating $N logs (tollgate demo --output, last 4 messages per log) ..."
    "$BIN" demo --requests "$N" --context 4 --seed 42 --output "$logs.tmp"
    mv "$logs.tmp" "$logs"
fi
bytes=$(stat -c %s "$logs")

now() { date +%s.%N; }

rm -f "$OUT"/bench.db*
t0=$(now)
"$BIN" --db "$OUT/bench.db" import "$logs" >/dev/null
t1=$(now)
import_s=$(echo "$t1 - $t0" | bc -l)

rm -f "$OUT"/floor.db*
t0=$(now)
read -r base_rows _ < <(build/bench/floor "$logs" "$OUT/floor.db")
t1=$(now)
base_s=$(echo "$t1 - $t0" | bc -l)

# report latency: whole command (start, open, query, print), median of 21 runs
report_ms() {
    local times=()
    for _ in $(seq 21); do
        local a b
        a=$(now)
        "$BIN" --db "$OUT/bench.db" report "$@" >/dev/null
        b=$(now)
        times+=("$(echo "($b - $a) * 1000" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n '11p;21p' | tr '\n' ' '
    echo
}

printf '\n%s logs, %.0f MB of JSON Lines (avg %d bytes/log), db %.0f MB\n' "$N" \
    "$(echo "$bytes / 1048576" | bc -l)" "$((bytes / N))" \
    "$(echo "$(stat -c %s "$OUT/bench.db") / 1048576" | bc -l)"
printf '%-40s %12s %12s\n' "import" "logs/s" "seconds"
printf '%-40s %12.0f %12.2f\n' "tollgate import" "$(echo "$N / $import_s" | bc -l)" "$import_s"
printf '%-40s %12.0f %12.2f\n' "floor (narrow insert, bench/floor.c)" "$(echo "$base_rows / $base_s" | bc -l)" "$base_s"
printf '%-40s %12.2f\n' "ratio tollgate / floor" "$(echo "($N / $import_s) / ($base_rows / $base_s)" | bc -l)"
printf '\n%-40s %12s %12s\n' "report (whole command)" "median ms" "max ms"
for args in "--by developer" "--by key" "--by model" "--by day" "--by hour" "--by developer --since 7d" \
            "--by model --since 2026-11-10T10:30:00Z --until 2026-11-20T16:45:00Z" "--by key --developer alice"; do
    # shellcheck disable=SC2086
    read -r med max < <(report_ms $args)
    printf '%-40s %12.1f %12.1f\n' "report $args" "$med" "$max"
done
