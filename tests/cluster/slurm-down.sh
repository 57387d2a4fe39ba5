#!/bin/sh
# slurm-down.sh - stops the one-node Slurm cluster that slurm-up.sh started in STATE_DIR:
# cancels its jobs, then stops slurmd, slurmctld and munged by the pids in their pid files,
# and leaves no process behind. The directory and its logs stay for reading; slurm-up.sh
# wipes it on the next start. Safe to run when nothing runs (exits 0).
#
# Usage: tests/cluster/slurm-down.sh [STATE_DIR]  (default $SLURM_STATE, else /tmp/mlptrain-slurm)
set -eu

state=${1:-${SLURM_STATE:-/tmp/mlptrain-slurm}}
case $state in
/*) ;;
*) state=$(pwd)/$state ;;
esac
[ -d "$state" ] || exit 0
[ "$(id -u)" -eq 0 ] || {
    echo "slurm-down: must run as root" >&2
    exit 1
}

# alive PID NAME: PID runs and is the program NAME (a stale pid file may name another
# process). A zombie is dead: some init processes reap their orphans only every few seconds.
alive() {
    [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] &&
        ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# stop NAME PIDFILE: SIGTERM, up to 10 s for a clean exit, then SIGKILL.
stop() {
    [ -f "$2" ] || return 0
    pid=$(cat "$2" 2>/dev/null) || pid=
    if alive "$pid" "$1"; then
        kill -TERM "$pid" 2>/dev/null || true
        i=0
        while alive "$pid" "$1" && [ "$i" -lt 100 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        if alive "$pid" "$1"; then
            echo "slurm-down: $1 ($pid) ignored SIGTERM for 10 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$2"
}

# in_session SID: the pids of session SID (/proc/PID/stat: pid (comm) state ppid pgrp session).
in_session() {
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v sid="$1" '{ pid = $1; sub(/.*\) /, ""); if ($4 == sid) print pid }'
}

# Jobs first, while slurmctld and slurmd can still end them: cancel all, wait up to 10 s.
ctld=$(cat "$state/slurmctld.pid" 2>/dev/null) || ctld=
if [ -f "$state/slurm.conf" ] && alive "$ctld" slurmctld; then
    export SLURM_CONF="$state/slurm.conf"
    scancel --full --quiet --partition=debug 2>/dev/null || true
    i=0
    while [ -n "$(squeue -h -o %i 2>/dev/null)" ] && [ "$i" -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
fi

stop slurmd "$state/slurmd.pid"

# ours PID: PID has a file open, or its working directory, in this cluster's directory.
ours() {
    for f in "/proc/$1/cwd" "/proc/$1"/fd/*; do
        case $(readlink "$f" 2>/dev/null) in "$state"/*) return 0 ;; esac
    done
    return 1
}

# A step that outlived the cancel (slurmd gone) is a slurmstepd of this cluster. slurmd
# started it in a session of its own, with the job's processes: end that whole session,
# never this script's own.
self_sid=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f4)
grep -l -x slurmstepd /proc/[0-9]*/comm 2>/dev/null | while IFS= read -r c; do
    p=${c%/comm}
    pid=${p#/proc/}
    if ! alive "$pid" slurmstepd || ! ours "$pid"; then continue; fi
    sid=$(sed 's/.*) //' "$p/stat" 2>/dev/null | cut -d' ' -f4)
    if [ -z "$sid" ] || [ "$sid" -le 1 ] || [ "$sid" = "$self_sid" ]; then
        kill -KILL "$pid" 2>/dev/null || true
        continue
    fi
    echo "slurm-down: killing job step $pid ($(tr '\0' ' ' <"$p/cmdline")) and its session $sid" >&2
    for q in $(in_session "$sid"); do
        kill -KILL "$q" 2>/dev/null || true
    done
done

stop slurmctld "$state/slurmctld.pid"
stop munged "$state/munged.pid"
exit 0
