#!/usr/bin/env bash
# Runs every test (cmocka unit tests, fuzz harnesses, command tests, and the
# threaded tests again under ThreadSanitizer) and ends with one summary line:
# "N passed, N failed".
#
# Every suite makes its own temp dirs, listens on port 0 and names its tmux
# sockets after its pid, so suites run side by side: TEST_JOBS at a time
# (default 3; most of a suite's time is spent waiting on sockets and screens,
# not on the 2 cores). Each suite's output is printed as one block when it
# ends. TEST_TIMES=1 adds how long each took.
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
jobs_max=${TEST_JOBS:-3}
work=$(mktemp -d /tmp/tg-run-XXXXXX)
trap 'rm -rf "$work"' EXIT

# --- one suite each: a job prints its block and leaves "P F" in $work/JOB.count

count() { echo "$1 $2" >"$work/$job.count"; }

# The suite summary of a Python suite ("NAME: N passed, N failed") as "P F",
# or "0 1" when the suite did not get that far.
python_counts() {
    local summary p f
    summary=$(printf '%s\n' "$1" | grep -E '^[a-z0-9]+: [0-9]+ passed, [0-9]+ failed$' | tail -1)
    p=$(printf '%s' "$summary" | sed -n 's/^[a-z0-9]*: \([0-9]*\) passed.*/\1/p')
    f=$(printf '%s' "$summary" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
    if [ -z "$p" ]; then echo "0 1"; else echo "$p $f"; fi
}

cmocka_job() { # BINARY [LABEL]
    local t=$1 label=${2:-$(basename "$1")} out rc p f
    out=$("$t" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -E '^\[  (FAILED|PASSED)  \]|ERROR|runtime error|WARNING: ThreadSanitizer' || true
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    p=${p:-0}
    f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "$t exited $rc (sanitizer report or crash):"
        printf '%s\n' "$out" | tail -30
        f=1
    fi
    echo "$label: $p passed, $f failed"
    count "$p" "$f"
}

# Fuzz harnesses (clang): each replays its regression inputs and fuzzes for a
# few seconds; one pass or fail per harness.
fuzz_job() {
    local out c
    out=$(bash tests/fuzz/smoke.sh 2>&1)
    printf '%s\n' "$out"
    c=$(python_counts "$out")
    [ "$c" = "0 1" ] && echo "tests/fuzz/smoke.sh did not finish"
    count $c
}

# Python suites (standard library only) end with "NAME: N passed, N failed".
python_job() { # SUITE [TEST-NAME-SUBSTRING...]
    local suite=$1 out c
    shift
    out=$(python3 "$suite" "$@" 2>&1)
    printf '%s\n' "$out" | grep -v '^ok ' || true
    c=$(python_counts "$out")
    [ "$c" = "0 1" ] && echo "$suite did not finish"
    count $c
}

# The same jobs against the ThreadSanitizer build: halts at the first race,
# and its reports go to files, since a test may not show the program's stderr
# (the screens run in tmux). Any report is one more failure, printed here.
tsan_job() { # JOB ARGS...
    local reports=$work/tsan-$job p f
    mkdir -p "$reports"
    local options="halt_on_error=1:second_deadlock_stack=1:log_path=$reports/report"
    [ -f tests/tsan.supp ] && options="$options:suppressions=$PWD/tests/tsan.supp"
    TSAN_OPTIONS="$options" TOLLGATE_BIN="$PWD/build/tsan/tollgate" "$@" | sed 's/^\([a-z_]*\): \([0-9]* passed\)/\1 (tsan): \2/'
    local found=("$reports"/report*)
    if [ -e "${found[0]}" ]; then
        echo "ThreadSanitizer reported a data race (or another thread error):"
        head -n 60 "${found[@]}"
        read -r p f <"$work/$job.count"
        count "$p" $((f + 1))
    fi
}

# --- the pool ---------------------------------------------------------------

passed=0
failed=0
job=0
declare -A running=() started=()

finish_one() {
    local pid k p f
    wait -n -p pid
    k=${running[$pid]}
    unset "running[$pid]"
    cat "$work/$k.out"
    if [ "${TEST_TIMES:-0}" = 1 ]; then echo "  ($(( $(date +%s) - started[$k] )) s)"; fi
    if ! read -r p f <"$work/$k.count" 2>/dev/null; then
        echo "job $k ended without a count"
        p=0 f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
}

start() { # FUNCTION ARGS...
    while [ "${#running[@]}" -ge "$jobs_max" ]; do finish_one; done
    job=$((job + 1))
    started[$job]=$(date +%s)
    ("$@" >"$work/$job.out" 2>&1) &
    running[$!]=$job
}

# longest first, so the pool does not end waiting on one slow suite; the
# screens, the collector and the gateway faults as two jobs each. The
# end-to-end test with the real coding agents (tests/e2e) runs when node and
# the clients `make test` installed with npm are here.
if command -v node >/dev/null 2>&1 && [ -x tests/e2e/node_modules/.bin/claude ] && [ -x tests/e2e/node_modules/.bin/codex ]; then
    start python_job tests/e2e/e2e_test.py
else
    echo "e2e: skipped, no node or the clients are not installed (make e2e-clients; .ci/run installs nodejs and npm)"
fi
if command -v clang >/dev/null 2>&1; then
    start fuzz_job
else
    echo "fuzz: skipped, no clang (make deps installs it)"
fi
start tsan_job cmocka_job build/tsan/tests/test_ingest "test_ingest (tsan)"
start python_job tests/tui/screens_test.py --shard=1/2
start python_job tests/tui/screens_test.py --shard=2/2
start python_job tests/collector_test.py --shard=1/2
start python_job tests/collector_test.py --shard=2/2
start python_job tests/gateway_faults_test.py --shard=1/2
start python_job tests/gateway_faults_test.py --shard=2/2
start tsan_job python_job tests/tui/screens_test.py revoke_from_the_keys_screen full_text_search quit_waits_for_a_revocation
start tsan_job python_job tests/collector_test.py totals_with_retries checkpointer graceful_shutdown
start tsan_job python_job tests/cli_test.py thousands_separators
for t in build/tsan/tests/test_*; do
    [ "$t" = build/tsan/tests/test_ingest ] && continue
    [ -x "$t" ] && start tsan_job cmocka_job "$t" "$(basename "$t") (tsan)"
done
for suite in tests/*_test.py tests/tui/*_test.py; do
    case $suite in tests/collector_test.py | tests/tui/screens_test.py | tests/gateway_faults_test.py) continue ;; esac
    start python_job "$suite"
done
for t in build/asan/tests/test_*; do
    [ -x "$t" ] && start cmocka_job "$t"
done
while [ "${#running[@]}" -gt 0 ]; do finish_one; done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
