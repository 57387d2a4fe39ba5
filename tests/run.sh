#!/bin/sh
# Runs every test binary in $1 and every tests/*.sh suite, then prints the total as
# "N passed, N failed" (the last line) and exits non-zero if anything failed.
# Usage: tests/run.sh BUILD_DIR MLPTRAIN_BINARY
build=$1
bin=$2
case $bin in */*) ;; *) bin=./$bin ;; esac
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    "$t" >"$log" 2>&1
    status=$?
    cat "$log"
    line=$(grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "$t: crashed or printed no summary (exit $status)"
        failed=$((failed + 1))
        continue
    fi
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "$t: exit $status with no failed test"
        failed=$((failed + 1))
    fi
done
for s in tests/*_test.sh; do
    [ -f "$s" ] || continue
    MLPTRAIN="$bin" sh "$s" >"$log" 2>&1
    status=$?
    cat "$log"
    line=$(grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "$s: printed no summary (exit $status)"
        failed=$((failed + 1))
        continue
    fi
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
    passed=$((passed + p))
    failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
