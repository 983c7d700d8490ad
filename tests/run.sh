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

# Fuzz harnesses (clang): each replays its regression inputs and fuzzes for a
# few seconds; one pass or fail per harness.
if command -v clang >/dev/null 2>&1; then
    out=$(bash tests/fuzz/smoke.sh 2>&1)
    printf '%s\n' "$out"
    summary=$(printf '%s\n' "$out" | grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed$' | tail -1)
    p=$(printf '%s' "$summary" | sed -n 's/^fuzz: \([0-9]*\) passed.*/\1/p')
    f=$(printf '%s' "$summary" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
    if [ -z "$p" ]; then p=0; f=1; echo "tests/fuzz/smoke.sh did not finish"; fi
    passed=$((passed + p))
    failed=$((failed + f))
else
    echo "fuzz: skipped, no clang (make deps installs it)"
fi

# Python suites (standard library only) end with "NAME: N passed, N failed".
for suite in tests/*_test.py tests/tui/*_test.py; do
    out=$(python3 "$suite" 2>&1)
    printf '%s\n' "$out" | grep -v '^ok ' || true
    summary=$(printf '%s\n' "$out" | grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed$' | tail -1)
    p=$(printf '%s' "$summary" | sed -n 's/^[a-z]*: \([0-9]*\) passed.*/\1/p')
    f=$(printf '%s' "$summary" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
    if [ -z "$p" ]; then p=0; f=1; echo "$suite did not finish"; fi
    passed=$((passed + p))
    failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
