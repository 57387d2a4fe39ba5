#!/bin/sh
# Runs each libFuzzer harness for SECONDS on a scratch copy of its committed seed corpus
# (so fuzzing never writes into tests/fuzz/corpus), after replaying its saved reproducers
# in tests/fuzz/regressions/TARGET. Prints per target the executions, the coverage and
# the crashes found; exits non-zero when any target crashed or a reproducer failed.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS TARGET...
# Extra libFuzzer flags can be given in FUZZ_FLAGS (e.g. FUZZ_FLAGS=-only_ascii=1).
dir=$1
seconds=$2
shift 2
failed=0
summary=""
# The harnesses' scratch files go to a tmpfs when there is one: fuzz_ckpt syncs a
# checkpoint for every run it continues, about 15 times slower on a disk.
shm=""
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    shm=$(mktemp -d /dev/shm/mlptrain-fuzz-run.XXXXXX) || shm=""
fi
trap '[ -n "$shm" ] && rm -rf "$shm"' EXIT
for t in "$@"; do
    bin=$dir/fuzz_$t
    work=$dir/run/$t
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
    tmp=$work/tmp
    if [ -n "$shm" ]; then
        tmp=$shm/$t
        mkdir -p "$tmp"
    fi
    cp tests/fuzz/corpus/$t/* "$work/corpus/" 2>/dev/null
    dict=""
    [ -f tests/fuzz/$t.dict ] && dict=-dict=tests/fuzz/$t.dict
    log=$work/log
    status=ok
    # Saved reproducers first: each must now run clean.
    for r in tests/fuzz/regressions/$t/*; do
        [ -f "$r" ] || continue
        if ! TMPDIR=$tmp "$bin" -rss_limit_mb=2048 -malloc_limit_mb=512 "$r" \
                >"$work/regression.log" 2>&1; then
            echo "== $t: saved reproducer $r fails:"
            sed -n '/^fuzz:/,/^----$/p; /^==[0-9]*==ERROR/p; /^SUMMARY/p' "$work/regression.log" |
                head -n 20
            status="reproducer failed"
            failed=1
        fi
    done
    echo "== $t: fuzzing for $seconds s"
    # shellcheck disable=SC2086
    TMPDIR=$tmp nice -n 19 "$bin" "$work/corpus" $dict -max_total_time="$seconds" \
        -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" $FUZZ_FLAGS >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1)
    crashes=$(ls "$work/artifacts" | wc -l)
    if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        echo "== $t: fuzzer exit $rc; artifacts in $work/artifacts:"
        ls "$work/artifacts"
        if grep -qE '^(==[0-9]+==ERROR|SUMMARY|fuzz:)' "$log"; then
            grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz:)|#[0-9]+ (0x[0-9a-f]+ )?in ' "$log" | head -n 30
        else
            tail -n 10 "$log"
        fi
        echo "   reproduce: $bin $work/artifacts/<file>   (log: $log)"
        status="CRASH"
        failed=1
    fi
    line=$(printf '%-7s %12s execs %8s/s  %-34s crashes %s  %s' "$t" "${execs:-?}" \
        "${rate:-?}" "${cov:-cov: ?}" "$crashes" "$status")
    echo "$line"
    summary="$summary$line
"
done
echo
echo "fuzz summary ($seconds s per target):"
printf '%s' "$summary"
exit $failed
