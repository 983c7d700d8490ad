#!/usr/bin/env bash
# Runs every test (cmocka unit tests, then command tests) and ends with one
# summary line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
passed=0
failed=0

for t in build/asan/tests/test_*; do
    [ -x "$t" ] || continue
    out=$("$t" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -E '^\[  (FAILED|PASSED)  \]|ERROR|runtime error' || true
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    p=${p:-0}
    f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "$t exited $rc (sanitizer report or crash):"
        printf '%s\n' "$out" | tail -30
        f=1
    fi
    echo "$(basename "$t"): $p passed, $f failed"
    passed=$((passed + p))
    failed=$((failed + f))
done

cli_out=$(python3 tests/cli_test.py 2>&1)
printf '%s\n' "$cli_out" | grep -v '^ok ' || true
p=$(printf '%s\n' "$cli_out" | sed -n 's/^cli: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
f=$(printf '%s\n' "$cli_out" | sed -n 's/^cli: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$p" ]; then p=0; f=1; echo "command tests did not finish"; fi
passed=$((passed + p))
failed=$((failed + f))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
