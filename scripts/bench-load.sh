#!/bin/sh
# bench-load.sh - `make bench-load`: training speed when other processes share the cores.
# For each config, each kind of competitor and each k, every thread setting is timed:
#   runs   k copies of the same training run at once, all with that thread setting (a sweep
#          run k at a time: GNU parallel -j k, or k jobs on one Slurm node)
#   busy   one training run beside k busy loops (any other CPU-bound program)
#   alone  the run by itself, for reference
# Each cell is s/epoch (mean over the k runs for "runs"), from `bench_train --seconds`.
# The last column divides the default setting (all available CPUs) by the best setting of
# its row: the target is at most 1.2.
# Usage: [CONFIGS=...] [KS=...] [THREADS=...] [RUN_SECONDS=...] scripts/bench-load.sh BENCH_TRAIN
#   defaults: CONFIGS "A1 A2 A4", KS "2 4", THREADS "1 C 2C" (C = CPUs available: 2C forces
#   more threads than cores), RUN_SECONDS 3 (per timed run)
set -u
bench=${1:?usage: bench-load.sh BENCH_TRAIN}
configs=${CONFIGS:-A1 A2 A4}
ks=${KS:-2 4}
secs=${RUN_SECONDS:-3}
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
echo "load average at start: $(cat /proc/loadavg)"
echo

# run_many K THREADS ID: K runs at once; prints the mean s/epoch (or "fail").
run_many() {
    i=0
    pids=
    while [ "$i" -lt "$1" ]; do
        "$bench" --quiet --seconds "$secs" --threads "$2" "$3" >"$tmp/out.$i" 2>&1 &
        pids="$pids $!"
        i=$((i + 1))
    done
    for p in $pids; do wait "$p"; done
    cat "$tmp"/out.* | awk 'NF == 3 { s += $3; n++ } END { if (n) printf "%.3f", s / n; else printf "fail" }'
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

printf "%-4s %-6s %2s" "id" "with" "k"
for t in $thread_list; do
    label="$t"
    [ "$t" = "$default" ] && label="$t(def)"
    printf " %9s" "$label"
done
printf " %9s\n" "def/best"

for id in $configs; do
    for kind in alone runs busy; do
        for k in $ks; do
            [ "$kind" = alone ] && [ "$k" != "$(echo $ks | cut -d' ' -f1)" ] && continue
            [ "$kind" = alone ] && kk=0 || kk=$k
            printf "%-4s %-6s %2s" "$id" "$kind" "$kk"
            best=
            def=
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
                printf " %9s" "$v"
                [ "$t" = "$default" ] && def=$v
                if [ "$v" != fail ]; then
                    if [ -z "$best" ] || awk "BEGIN { exit !($v < $best) }"; then best=$v; fi
                fi
            done
            if [ -n "$def" ] && [ -n "$best" ] && [ "$def" != fail ]; then
                printf " %9s\n" "$(awk "BEGIN { printf \"%.2f\", $def / $best }")"
            else
                printf " %9s\n" "-"
            fi
        done
    done
done
echo
echo "load average at end: $(cat /proc/loadavg)"
