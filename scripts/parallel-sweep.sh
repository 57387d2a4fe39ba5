#!/bin/bash
# parallel-sweep.sh - runs an mlptrain sweep with GNU parallel: one job per run, J at a
# time, each on one thread, with a job log in the sweep directory; then collects. Run it
# again after a failure or an interruption: parallel's --resume-failed reruns what failed
# or never ran, and mlptrain skips runs that are already finished.
#
# Usage: scripts/parallel-sweep.sh CONFIG.ini [-j J] [-- SWEEP OPTIONS...]
#     -j J      runs at once [the number of CPUs]
#     SWEEP OPTIONS: passed to every `mlptrain sweep` (e.g. --set train.epochs=5, -o DIR)
# Other machines: add parallel's --sshlogin options through $PARALLEL (see man parallel);
# the sweep directory must then be on a shared file system.
# $MLPTRAIN names the binary [mlptrain on PATH, else ./mlptrain].
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

bin=${MLPTRAIN:-}
if [ -z "$bin" ]; then
    if command -v mlptrain >/dev/null 2>&1; then bin=$(command -v mlptrain); else bin=$PWD/mlptrain; fi
fi
[ -x "$bin" ] || { echo "parallel-sweep.sh: no mlptrain binary at '$bin' (set MLPTRAIN)" >&2; exit 2; }
command -v parallel >/dev/null 2>&1 || { echo "parallel-sweep.sh: GNU parallel is not installed (Debian: apt-get install parallel)" >&2; exit 2; }

[ $# -ge 1 ] || usage
case $1 in -h|--help) usage 0 ;; esac
config=$1
shift
jobs=$(nproc 2>/dev/null || echo 2)
while [ $# -gt 0 ]; do
    case $1 in
        -j) jobs=$2; shift 2 ;;
        --) shift; break ;;
        -h|--help) usage 0 ;;
        *) echo "parallel-sweep.sh: unknown option '$1'" >&2; usage ;;
    esac
done
opts=("$@")

list=$("$bin" sweep "$config" "${opts[@]}" --list)   # validates every run first
dir=$(dirname "$(printf '%s\n' "$list" | head -n 1 | cut -f3)")
mkdir -p "$dir"
rc=0
printf '%s\n' "$list" | cut -f1 |
    parallel -j "$jobs" --joblog "$dir/parallel.log" --resume-failed \
        "$bin" sweep "$config" "${opts[@]}" --index {} --threads 1 -q || rc=$?
"$bin" collect "$dir" || rc=$?
exit "$rc"
