#!/bin/bash
# slurm-sweep.sh - runs an mlptrain sweep as Slurm job arrays: one array task per run, at
# most K at once, then `mlptrain collect` as a job that waits for every array. Rerunning it
# submits only the runs that are not finished (ok or diverged); with none left, it collects.
#
# Usage (on the login node, from the directory holding the config's data paths):
#   scripts/slurm-sweep.sh CONFIG.ini [-k K] [-c CPUS] [-w] [-- SWEEP OPTIONS...]
#     -k K      array tasks running at once, over the whole sweep [4]
#     -c CPUS   CPUs per task, used as train.threads [1]
#     -w        wait for the runs and the collect job to finish (sbatch --wait on the
#               collect job); exit 1 if a run is still unfinished then
#     SWEEP OPTIONS: passed to every `mlptrain sweep` (e.g. --set train.epochs=5, -o DIR)
# Extra sbatch options go in SBATCH_* environment variables (e.g. SBATCH_PARTITION=gpu,
# SBATCH_TIMELIMIT=2:00:00), which sbatch reads itself.
# $MLPTRAIN names the binary [mlptrain on PATH, else ./mlptrain].
#
# Chunks: an array index must be below the cluster's MaxArraySize (read with `scontrol show
# config`; Slurm's default, 1001, when it cannot be read) and an array may hold at most
# SchedulerParameters' max_array_tasks tasks. So the unfinished runs go in chunks, one
# array job each: from its first unfinished run OFFSET, those below OFFSET+MaxArraySize,
# as array indices shifted down by OFFSET (ranges kept, the list at most 1000 characters),
# each task running `mlptrain sweep CONFIG --index $((SLURM_ARRAY_TASK_ID + OFFSET))`.
# The throttle %K is set on every chunk, and a chunk starts only when the one before it has
# ended (--dependency=afterany), so K holds for the whole sweep, not per chunk. To stop a
# sweep, scancel every job it printed: a cancelled chunk has ended, and the next one starts.
set -euo pipefail

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit "${1:-2}"
}

# The longest index expression one --array gets: some clusters limit the string's length.
# The expressions are ranges, so only a sweep with thousands of scattered unfinished runs
# comes near it; such a chunk ends early and the next one goes on.
MAX_ARRAY_CHARS=1000

bin=${MLPTRAIN:-}
if [ -z "$bin" ]; then
    if command -v mlptrain >/dev/null 2>&1; then bin=$(command -v mlptrain); else bin=$PWD/mlptrain; fi
fi
[ -x "$bin" ] || { echo "slurm-sweep.sh: no mlptrain binary at '$bin' (set MLPTRAIN)" >&2; exit 2; }

[ $# -ge 1 ] || usage
case $1 in -h|--help) usage 0 ;; esac
config=$1
shift
throttle=4 cpus=1 wait=false
while [ $# -gt 0 ]; do
    case $1 in
        -k) throttle=${2:-}; shift 2 || usage ;;
        -c) cpus=${2:-}; shift 2 || usage ;;
        -w) wait=true; shift ;;
        --) shift; break ;;
        -h|--help) usage 0 ;;
        *) echo "slurm-sweep.sh: unknown option '$1'" >&2; usage ;;
    esac
done
opts=("$@")
case $throttle in '' | *[!0-9]* | 0) echo "slurm-sweep.sh: -k '$throttle': expected a number >= 1" >&2; exit 2 ;; esac
case $cpus in '' | *[!0-9]* | 0) echo "slurm-sweep.sh: -c '$cpus': expected a number >= 1" >&2; exit 2 ;; esac

# Validates every run (exit 2 on a bad config) and names the unfinished ones.
indices=$("$bin" sweep "$config" "${opts[@]}" --status -q)
dir=$(dirname "$("$bin" sweep "$config" "${opts[@]}" --list | head -n 1 | cut -f3)")
if [ -z "$indices" ]; then
    echo "slurm-sweep.sh: every run of $dir is finished; collecting"
    exec "$bin" collect "$dir"
fi

# The cluster's limits: array indices 0..MaxArraySize-1, at most max_array_tasks tasks per
# array (MaxArraySize unless SchedulerParameters sets it lower).
read -r max_size max_tasks < <(
    { scontrol show config 2>/dev/null || true; } | awk '
        $1 == "MaxArraySize" && $2 == "=" && $3 ~ /^[0-9]+$/ { size = $3 }
        $1 == "SchedulerParameters" && $2 == "=" {
            n = split($3, p, ",")
            for (i = 1; i <= n; i++)
                if (p[i] ~ /^max_array_tasks=[0-9]+$/) { sub(/.*=/, "", p[i]); tasks = p[i] + 0 }
        }
        END { print (size == "" ? "-" : size), (tasks > 0 ? tasks : "-") }')
if [ "$max_size" = - ]; then
    echo "slurm-sweep.sh: cannot read MaxArraySize from 'scontrol show config'; assuming Slurm's default, 1001" >&2
    max_size=1001
fi
if [ "$max_size" -eq 0 ]; then
    echo "slurm-sweep.sh: this cluster disables job arrays (MaxArraySize = 0)" >&2
    exit 2
fi
[ "$max_tasks" != - ] && [ "$max_tasks" -lt "$max_size" ] || max_tasks=$max_size

# chunks: one line per array job, "OFFSET ARRAY_INDICES RUNS", from the --status list
# ("3,7-9,1200-2500", ascending). A chunk starts at its first run, OFFSET; it takes the runs
# below OFFSET+MaxArraySize, at most max_tasks of them, while its index list stays within
# MAX_ARRAY_CHARS. Ranges stay ranges, shifted by -OFFSET.
chunks=$(awk -v list="$indices" -v size="$max_size" -v tasks="$max_tasks" -v chars="$MAX_ARRAY_CHARS" '
    function item(a, b) { return a == b ? a : a "-" b }
    function flush() {
        if (n > 0) print off, arr, runs
        n = 0; arr = ""; runs = ""
    }
    BEGIN {
        k = split(list, r, ",")
        last = -1
        for (i = 1; i <= k; i++) {
            if (r[i] !~ /^[0-9]+(-[0-9]+)?$/) { bad = r[i]; exit 1 }
            a = r[i] + 0; b = a
            if (r[i] ~ /-/) { b = substr(r[i], index(r[i], "-") + 1) + 0 }
            if (a <= last || b < a) { bad = r[i]; exit 1 }
            last = b
            while (a <= b) {
                if (n > 0 && (a >= off + size || n >= tasks)) flush()
                if (n == 0) off = a
                e = b
                if (e > off + size - 1) e = off + size - 1
                if (e > a + tasks - n - 1) e = a + tasks - n - 1
                it = item(a - off, e - off)
                if (n > 0 && length(arr) + 1 + length(it) > chars) { flush(); continue }
                arr = arr (n > 0 ? "," : "") it
                runs = runs (n > 0 ? "," : "") item(a, e)
                n += e - a + 1
                a = e + 1
            }
        }
        flush()
    }
    END { if (bad != "") { print "slurm-sweep.sh: unexpected item \"" bad "\" in the --status list " list > "/dev/stderr"; exit 2 } }')

mkdir -p "$dir/slurm"
name=mlptrain-$(basename "$dir")
submitted=()
# fail MESSAGE: sbatch refused a job: cancels the ones this run submitted, so that a rerun
# starts from a clean queue, and exits 1.
fail() {
    echo "slurm-sweep.sh: $1" >&2
    if ((${#submitted[@]})); then
        scancel "${submitted[@]}" || true
        echo "slurm-sweep.sh: cancelled the jobs submitted before it: ${submitted[*]}" >&2
    fi
    exit 1
}

# A chunk waits for the previous chunk to end, whatever its tasks' exit codes (afterany):
# with the throttle %K on each chunk, at most K runs at once over the whole sweep, as -k
# says, and a failed run (left for a rerun) does not hold the runs after it back. The tasks
# of independent chunks would run K per chunk at once; aftercorr would also let the next
# chunk's task i start beside the rest of this chunk, and would stop at a failed run.
prev=
n=0
while read -r off arr runs; do
    n=$((n + 1))
    dep=()
    [ -z "$prev" ] || dep=(--dependency="afterany:$prev")
    job_name=$name
    [ "$off" -eq 0 ] || job_name=$name+$off
    # The task's run index is computed by the job's shell: $((SLURM_ARRAY_TASK_ID + OFFSET)).
    run="$(printf '%q ' "$bin" sweep "$config" "${opts[@]}" --threads "$cpus" -q)--index \$((SLURM_ARRAY_TASK_ID + $off))"
    id=$(sbatch --parsable "${dep[@]}" --job-name="$job_name" \
        --array="$arr%$throttle" --cpus-per-task="$cpus" --chdir="$PWD" \
        --output="$dir/slurm/%A_%a.out" --wrap="$run" </dev/null) ||
        fail "sbatch refused the array job of runs $runs (--array=$arr%$throttle)"
    id=${id%%;*}
    submitted+=("$id")
    after=
    [ -z "$prev" ] || after=", after job $prev"
    echo "slurm-sweep.sh: array job $id runs $runs of $dir (run = array index + $off), $throttle at a time$after"
    prev=$id
done <<<"$chunks"

deps=$(IFS=:; echo "${submitted[*]}")
wait_opt=()
if $wait; then wait_opt=(--wait); fi
rc=0
collect=$(sbatch --parsable "${wait_opt[@]}" --job-name="mlptrain-collect" \
    --dependency="afterany:$deps" --chdir="$PWD" --output="$dir/slurm/collect_%j.out" \
    --wrap="$(printf '%q ' "$bin" collect "$dir")" </dev/null) || rc=$?
collect=${collect%%;*}
if ! $wait; then
    [ "$rc" -eq 0 ] || fail "sbatch refused the collect job"
    echo "slurm-sweep.sh: job $collect collects $dir when the $n array job(s) are done"
    exit 0
fi
[ -n "$collect" ] || fail "sbatch refused the collect job"
if [ "$rc" -ne 0 ]; then
    echo "slurm-sweep.sh: the collect job $collect of $dir failed (exit $rc): see $dir/slurm/collect_$collect.out" >&2
    exit "$rc"
fi
left=$("$bin" sweep "$config" "${opts[@]}" --status -q)
if [ -n "$left" ]; then
    echo "slurm-sweep.sh: runs $left of $dir are not finished (logs in $dir/slurm/); run again to resubmit them" >&2
    exit 1
fi
echo "slurm-sweep.sh: every run of $dir is finished and collected (job $collect)"
