#!/usr/bin/env bash
# Each fuzz harness (build/fuzz/fuzz_*, from `make fuzz-build`): replays every
# input in tests/fuzz/regressions/NAME/ (each once found a bug), then fuzzes a
# copy of the seed corpus for FUZZ_SMOKE_SECONDS. One pass or fail per harness;
# the last line is "fuzz: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SMOKE_SECONDS:-4}
passed=0
failed=0
for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    bin=build/fuzz/$name
    if [ ! -x "$bin" ]; then
        echo "$name: not built (make fuzz-build)"
        failed=$((failed + 1))
        continue
    fi
    ok=1
    regressions=(tests/fuzz/regressions/"$name"/*)
    if [ -e "${regressions[0]}" ]; then
        if ! out=$("$bin" "${regressions[@]}" 2>&1); then
            echo "$name: a regression input fails again:"
            printf '%s\n' "$out" | grep -aE 'ERROR|runtime error|SUMMARY|Running:' | tail -8
            ok=0
        fi
    else
        regressions=()
    fi
    work=build/fuzz/smoke/$name
    rm -rf "$work"
    mkdir -p "$work" build/fuzz/artifacts
    cp tests/fuzz/corpus/"$name"/* "$work"/
    if [ "$ok" -eq 1 ] && ! out=$(nice -n 19 "$bin" -max_total_time="$seconds" -timeout=30 -dict=tests/fuzz/"$name".dict \
            -artifact_prefix=build/fuzz/artifacts/"$name"- "$work" 2>&1); then
        echo "$name: the fuzzer found a failure (input kept in build/fuzz/artifacts/):"
        printf '%s\n' "$out" | grep -aE 'ERROR|runtime error|SUMMARY|Test unit written' | tail -8
        ok=0
    fi
    if [ "$ok" -eq 1 ]; then
        runs=$(printf '%s\n' "$out" | sed -n 's/^Done \([0-9]*\) runs.*/\1/p')
        echo "$name: ok (${#regressions[@]} regression inputs, ${runs:-?} runs in ${seconds} s)"
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
