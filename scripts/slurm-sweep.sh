#!/bin/bash
# slurm-sweep.sh - runs an mlptrain sweep as a Slurm job array: one array task per run,
# at most K at once (the % throttle), then `mlptrain collect` as a job that waits for the
# array. Rerunning it submits only the runs that are not finished (ok or diverged).
#
# Usage (on the login node, from the directory holding the config's data paths):
#   scripts/slurm-sweep.sh CONFIG.ini [-k K] [-c CPUS] [-w] [-- SWEEP OPTIONS...]
#     -k K      array tasks running at once [4]
#     -c CPUS   CPUs per task, used as train.threads [1]
#     -w        wait for the array and the collect job to finish (sbatch --wait)
#     SWEEP OPTIONS: passed to every `mlptrain sweep` (e.g. --set train.epochs=5, -o DIR)
# Extra sbatch options go in SBATCH_* environment variables (e.g. SBATCH_PARTITION=gpu,
# SBATCH_TIMELIMIT=2:00:00), which sbatch reads itself.
# $MLPTRAIN names the binary [mlptrain on PATH, else ./mlptrain].
# Inside the job, each task runs: mlptrain sweep CONFIG --index $SLURM_ARRAY_TASK_ID.
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

bin=${MLPTRAIN:-}
if [ -z "$bin" ]; then
    if command -v mlptrain >/dev/null 2>&1; then bin=$(command -v mlptrain); else bin=$PWD/mlptrain; fi
fi
[ -x "$bin" ] || { echo "slurm-sweep.sh: no mlptrain binary at '$bin' (set MLPTRAIN)" >&2; exit 2; }

[ $# -ge 1 ] || usage
case $1 in -h|--help) usage 0 ;; esac
config=$1
shift
throttle=4 cpus=1 wait=()
while [ $# -gt 0 ]; do
    case $1 in
        -k) throttle=$2; shift 2 ;;
        -c) cpus=$2; shift 2 ;;
        -w) wait=(--wait); shift ;;
        --) shift; break ;;
        -h|--help) usage 0 ;;
        *) echo "slurm-sweep.sh: unknown option '$1'" >&2; usage ;;
    esac
done
opts=("$@")

# Validates every run (exit 2 on a bad config) and names the unfinished ones.
indices=$("$bin" sweep "$config" "${opts[@]}" --status -q)
dir=$(dirname "$("$bin" sweep "$config" "${opts[@]}" --list | head -n 1 | cut -f3)")
if [ -z "$indices" ]; then
    echo "slurm-sweep.sh: every run of $dir is finished; collecting"
    exec "$bin" collect "$dir"
fi
mkdir -p "$dir/slurm"
array=$(sbatch --parsable "${wait[@]}" --job-name="mlptrain-$(basename "$dir")" \
    --array="$indices%$throttle" --cpus-per-task="$cpus" --chdir="$PWD" \
    --output="$dir/slurm/%A_%a.out" \
    --wrap="$(printf '%q ' "$bin" sweep "$config" "${opts[@]}" --threads "$cpus" -q)")
array=${array%%;*}
echo "slurm-sweep.sh: array job $array runs $indices of $dir, $throttle at a time"
collect=$(sbatch --parsable "${wait[@]}" --job-name="mlptrain-collect" \
    --dependency="afterany:$array" --chdir="$PWD" --output="$dir/slurm/collect_%j.out" \
    --wrap="$(printf '%q ' "$bin" collect "$dir")")
echo "slurm-sweep.sh: job ${collect%%;*} collects $dir when the array is done"
