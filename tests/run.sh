#!/bin/sh
# Runs every test binary in $1 and every tests/*_test.sh suite, lists the checks that could
# not run here (each "skipped: ..." line again, with what to install), then prints the total
# as "N passed, N failed, N skipped" (the last line) and exits non-zero if anything failed.
# A skip is not a failure here; with CI set, lib.sh and test.h count each skip as failed.
# Usage: tests/run.sh BUILD_DIR MLPTRAIN_BINARY (the suites see them as $BUILD and $MLPTRAIN)
build=$1
bin=$2
case $bin in */*) ;; *) bin=./$bin ;; esac
passed=0
failed=0
skipped=0
log=$(mktemp)
skips=$(mktemp)
trap 'rm -f "$log" "$skips"' EXIT

# count NAME STATUS: adds the "P passed, F failed[, S skipped]" summary in $log to the
# totals; a run without a summary, or a non-zero exit with no failed test, counts as one
# failure.
count() {
    cat "$log"
    grep '^skipped: ' "$log" >>"$skips"
    line=$(grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "$1: crashed or printed no summary (exit $2)"
        failed=$((failed + 1))
        return
    fi
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    s=$(echo "$line" | sed -E -n 's/.* ([0-9]+) skipped$/\1/p')
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + ${s:-0}))
    if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "$1: exit $2 with no failed test"
        failed=$((failed + 1))
    fi
}

for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    "$t" >"$log" 2>&1
    count "$t" $?
done
for s in tests/*_test.sh; do
    [ -f "$s" ] || continue
    # A pass that is about one thing (make test-kernels: the kernel paths) may leave out the
    # suites that do not exercise it, named in $SUITES_ELSEWHERE; the other passes run them.
    case " ${SUITES_ELSEWHERE:-} " in
        *" $(basename "$s" .sh) "*) echo "$s: not in this pass (run by make test)"; continue ;;
    esac
    BUILD="$build" MLPTRAIN="$bin" sh "$s" >"$log" 2>&1
    count "$s" $?
done
if [ -s "$skips" ]; then
    echo "== checks that could not run here (install what each names, or see .ci/run):"
    cat "$skips"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
