#!/bin/sh
# bench-load.sh - `make bench-load`: training speed when other processes share the cores.
# For each config, each kind of competitor and each k, every thread setting is timed:
#   runs   k copies of the same training run at once, all with that thread setting (a sweep
#          run k at a time: GNU parallel -j k, or k jobs on one Slurm node)
#   busy   one training run beside k busy loops (any other CPU-bound program)
#   alone  the run by itself, for reference
# Each cell is s/epoch (mean over the k runs for "runs"), from `bench_train --seconds`,
# the median of REPS repetitions (the thread settings take turns, so slow drifts in the
# machine's other load hit them alike). "def/best" divides the default setting (all
# available CPUs) by the best setting of its row: the target is at most 1.2. "%peak" is
# what the default setting's runs train together (k runs for "runs", one otherwise) as a
# share of the FP32 peak of all the CPUs, measured at the start. "cut" is the
# share of the default runs' pool jobs that ran on fewer threads (on 2: the caller alone)
# because its threads kept it waiting (pool.h).
# Usage: [CONFIGS=...] [KS=...] [THREADS=...] [RUN_SECONDS=...] [REPS=...]
#        scripts/bench-load.sh BENCH_TRAIN
#   defaults: CONFIGS "A1 A2 A4", KS "2 4", THREADS "1 C 2C" (C = CPUs available: 2C forces
#   more threads than cores), RUN_SECONDS 3 (per timed run), REPS 3
set -u
bench=${1:?usage: bench-load.sh BENCH_TRAIN}
configs=${CONFIGS:-A1 A2 A4}
ks=${KS:-2 4}
secs=${RUN_SECONDS:-3}
reps=${REPS:-3}
tmp=$(mktemp -d)
busy_pids=
cleanup() {
    for p in $busy_pids; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

default=$("$bench" --cpus) || exit 1
if [ "$default" -gt 1 ]; then thread_list=${THREADS:-1 $default $((2 * default))}; else thread_list=${THREADS:-1 2}; fi
echo "CPUs available: $default (the default thread count); cores: $(grep -c ^processor /proc/cpuinfo)"
peak=$("$bench" --peak) || exit 1
echo "FP32 peak of the $default CPUs (FMA loop): $peak GFLOP/s"
echo "load average at start: $(cat /proc/loadavg)"
echo

# run_many K THREADS ID: K runs at once; prints the mean s/epoch, the mean cut share and the
# GFLOP/s of the K runs together (or "fail").
run_many() {
    i=0
    pids=
    while [ "$i" -lt "$1" ]; do
        "$bench" --quiet --seconds "$secs" --threads "$2" "$3" >"$tmp/out.$i" 2>&1 &
        pids="$pids $!"
        i=$((i + 1))
    done
    for p in $pids; do wait "$p"; done
    cat "$tmp"/out.* | awk 'NF == 5 { s += $3; o += $4; g += $5; n++ }
        END { if (n) printf "%.3f %.2f %.1f", s / n, o / n, g; else printf "fail" }'
    rm -f "$tmp"/out.*
}

start_busy() {
    i=0
    while [ "$i" -lt "$1" ]; do
        sh -c 'while :; do :; done' &
        busy_pids="$busy_pids $!"
        i=$((i + 1))
    done
}

stop_busy() {
    for p in $busy_pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    busy_pids=
}

# median FILE: the median of the numbers in FILE, one per line.
median() {
    sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) print "fail"; else if (NR % 2) print v[(NR + 1) / 2];
        else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

printf "%-4s %-6s %2s" "id" "with" "k"
for t in $thread_list; do
    label="$t"
    [ "$t" = "$default" ] && label="$t(def)"
    printf " %9s" "$label"
done
printf " %9s %6s %5s\n" "def/best" "%peak" "cut"

for id in $configs; do
    for kind in alone runs busy; do
        for k in $ks; do
            [ "$kind" = alone ] && [ "$k" != "$(echo $ks | cut -d' ' -f1)" ] && continue
            [ "$kind" = alone ] && kk=0 || kk=$k
            printf "%-4s %-6s %2s" "$id" "$kind" "$kk"
            rm -f "$tmp"/cell.* "$tmp"/cut "$tmp"/gflops
            r=0
            while [ "$r" -lt "$reps" ]; do
                for t in $thread_list; do
                    case $kind in
                    alone) v=$(run_many 1 "$t" "$id") ;;
                    runs) v=$(run_many "$k" "$t" "$id") ;;
                    busy)
                        start_busy "$k"
                        v=$(run_many 1 "$t" "$id")
                        stop_busy
                        ;;
                    esac
                    [ "$v" = fail ] && continue
                    echo "$v" | cut -d' ' -f1 >>"$tmp/cell.$t"
                    if [ "$t" = "$default" ]; then
                        echo "$v" | cut -d' ' -f2 >>"$tmp/cut"
                        echo "$v" | cut -d' ' -f3 >>"$tmp/gflops"
                    fi
                done
                r=$((r + 1))
            done
            best=
            def=
            for t in $thread_list; do
                v=$( [ -f "$tmp/cell.$t" ] && median "$tmp/cell.$t" || echo fail)
                printf " %9s" "$v"
                [ "$t" = "$default" ] && def=$v
                if [ "$v" != fail ]; then
                    if [ -z "$best" ] || awk "BEGIN { exit !($v < $best) }"; then best=$v; fi
                fi
            done
            cut=$( [ -f "$tmp/cut" ] && awk '{ s += $1; n++ } END { printf "%.0f%%", 100 * s / n }' "$tmp/cut" || echo -)
            share=$( [ -f "$tmp/gflops" ] && awk -v p="$peak" '{ s += $1; n++ }
                END { printf "%.0f%%", 100 * s / n / p }' "$tmp/gflops" || echo -)
            if [ -n "$def" ] && [ -n "$best" ] && [ "$def" != fail ]; then
                printf " %9s %6s %5s\n" "$(awk "BEGIN { printf \"%.2f\", $def / $best }")" "$share" "$cut"
            else
                printf " %9s %6s %5s\n" "-" "$share" "$cut"
            fi
        done
    done
done
echo
echo "load average at end: $(cat /proc/loadavg)"
