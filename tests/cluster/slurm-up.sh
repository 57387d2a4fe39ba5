#!/bin/sh
# slurm-up.sh - starts a one-node Slurm cluster (munged, slurmctld, slurmd) as root, all of
# its files in one scratch state directory; it never reads or writes /etc/slurm or /etc/munge.
# It is test plumbing for the Slurm recipes, not a way to run a real cluster.
#
# Usage: tests/cluster/slurm-up.sh [STATE_DIR]    (default $SLURM_STATE, else /tmp/mlptrain-slurm)
#   eval "$(tests/cluster/slurm-up.sh)"          sets SLURM_CONF in the calling shell
# Prints one line on stdout, `export SLURM_CONF=STATE_DIR/slurm.conf`, which every Slurm
# command needs; progress and errors go to stderr. Exits 0 once the node is idle and accepts
# jobs. Running it again first stops the cluster of that directory and starts afresh.
# Stop with tests/cluster/slurm-down.sh STATE_DIR.
#
# Timing: up takes well under a second; slurm-down.sh about half a second. The scheduler's
# first pass comes 3 s after slurmctld starts (Slurm 22.05 reads batch_sched_delay there),
# so the first job waits up to 3 s; `sbatch --wait` checks after 2, 10 and 42 s.
#
# Job arrays: MaxArraySize is 5 (array indices 0..4), not Slurm's default 1001, so that a
# sweep of a handful of runs already meets the limit a real sweep meets at 1001 runs and
# scripts/slurm-sweep.sh has to submit it in chunks. SLURM_MAX_ARRAY_SIZE sets another.
#
# Environment: SLURM_UP_TIMEOUT (seconds to wait for the idle node, default 30),
# SLURMCTLD_PORT and SLURMD_PORT (default: the first free pair from 16817 on, so that a
# system Slurm on 6817/6818 or a second scratch cluster does not clash),
# SLURM_MAX_ARRAY_SIZE (the MaxArraySize written to slurm.conf, default 5; 1001 is Slurm's).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
state=${1:-${SLURM_STATE:-/tmp/mlptrain-slurm}}
timeout=${SLURM_UP_TIMEOUT:-30}
max_array=${SLURM_MAX_ARRAY_SIZE:-5}

started=false

# die MESSAGE: reports, stops whatever this run started (the logs stay), exits 1.
die() {
    echo "slurm-up: $*" >&2
    if $started; then "$here/slurm-down.sh" "$state" >/dev/null 2>&1 || true; fi
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (slurmd starts jobs as their user)"
for c in munged munge unmunge slurmctld slurmd sinfo scontrol runuser; do
    command -v "$c" >/dev/null 2>&1 ||
        die "$c not found (install with: apt-get install slurmctld slurmd slurm-client munge)"
done
getent passwd munge >/dev/null || die "no user 'munge' (the munge package creates it)"
case $max_array in
'' | *[!0-9]*) die "SLURM_MAX_ARRAY_SIZE='$max_array' is not a number (expected 0..4000001, as slurm.conf's MaxArraySize)" ;;
esac
[ "$max_array" -le 4000001 ] ||
    die "SLURM_MAX_ARRAY_SIZE=$max_array is more than 4000001, Slurm's limit for MaxArraySize"
case $state in
/*) ;;
*) state=$(pwd)/$state ;;
esac

# The directory is wiped, so it must be new, empty or one of ours (marked by .slurm-up).
if [ -e "$state" ] && [ ! -e "$state/.slurm-up" ] && [ -n "$(ls -A "$state" 2>/dev/null)" ]; then
    die "$state exists and was not made by slurm-up.sh; choose a new or empty STATE_DIR"
fi
# A cluster left running from this directory is stopped first: up is idempotent.
"$here/slurm-down.sh" "$state" >/dev/null

rm -rf "$state"
mkdir -p "$state/spool/ctld" "$state/spool/d" "$state/log" "$state/munge"
: >"$state/.slurm-up"
chmod 0755 "$state"

# munged refuses a key, socket or log directory that others could write; it runs as munge.
chown munge:munge "$state/munge"
chmod 0755 "$state/munge"
runuser -u munge -- test -w "$state/munge" ||
    die "user munge cannot reach $state/munge: a parent directory is closed to others; choose a STATE_DIR below one others can enter, such as /tmp"
# shellcheck disable=SC2016 # $1 is expanded by the inner sh
runuser -u munge -- sh -c 'umask 077; dd if=/dev/urandom of="$1" bs=1024 count=1 2>/dev/null' \
    sh "$state/munge/munge.key" || die "cannot write the munge key $state/munge/munge.key"
chmod 0400 "$state/munge/munge.key"

# Slurm's name for this host (the "hostname -s" that SlurmctldHost expects) and its CPUs.
# Addresses are given as 127.0.0.1, so nothing depends on the host name resolving.
node=$(hostname -s 2>/dev/null || hostname)
[ -n "$node" ] || die "cannot read the host name"
cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)

# Two clusters started at once (two test runs on one machine) would pick the same free
# ports: choosing ports and starting the daemons happen under one lock, held until the node
# is idle. The daemons must not inherit the lock's descriptor (9>&-), or they would hold it.
if command -v flock >/dev/null 2>&1; then
    exec 9>>/tmp/mlptrain-slurm-up.lock
    flock -w 60 9 || die "another slurm-up.sh held /tmp/mlptrain-slurm-up.lock for 60 s"
fi

# port_free PORT: no TCP socket listens on PORT (hex in /proc/net/tcp*, state 0A = LISTEN).
port_free() {
    hex=$(printf '%04X' "$1")
    ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }'
}
if [ -z "${SLURMCTLD_PORT:-}" ] || [ -z "${SLURMD_PORT:-}" ]; then
    p=16817
    while [ "$p" -lt 17817 ]; do
        if port_free "$p" && port_free $((p + 1)); then break; fi
        p=$((p + 2))
    done
    [ "$p" -lt 17817 ] || die "no free pair of TCP ports in 16817-17816 (set SLURMCTLD_PORT and SLURMD_PORT)"
    SLURMCTLD_PORT=${SLURMCTLD_PORT:-$p}
    SLURMD_PORT=${SLURMD_PORT:-$((p + 1))}
fi

: >"$state/plugstack.conf"
cat >"$state/slurm.conf" <<EOF
# One-node scratch cluster written by tests/cluster/slurm-up.sh.
ClusterName=mlptrain
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$SLURMCTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$state/munge/munge.socket
StateSaveLocation=$state/spool/ctld
SlurmdSpoolDir=$state/spool/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$state/plugstack.conf
MailProg=/bin/true
# No cgroups: their plugins fail in most containers.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
# Several one-CPU array tasks run side by side on the node's CPUs.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# A finished task's CPU goes to the next pending task within a second, not after 3 s.
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
# Finished jobs stay known for 300 s, so that sbatch --wait sees every task's exit code.
# (sbatch polls after 2, 10, 42 s; MinJobAge below 6 makes it poll every 2 s, but then a
# failed task's record can be purged while its array still runs, and sbatch exits 0.)
MinJobAge=300
# Array indices 0..MaxArraySize-1 (SLURM_MAX_ARRAY_SIZE; Slurm's default is 1001).
MaxArraySize=$max_array
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$state/slurm.conf"

started=true
runuser -u munge -- munged \
    --key-file="$state/munge/munge.key" \
    --socket="$state/munge/munge.socket" \
    --pid-file="$state/munge/munged.pid" \
    --log-file="$state/munge/munged.log" \
    --seed-file="$state/munge/munged.seed" 9>&- ||
    die "munged did not start; read $state/munge/munged.log"
cp "$state/munge/munged.pid" "$state/munged.pid"
munge -n -S "$state/munge/munge.socket" | unmunge -S "$state/munge/munge.socket" >/dev/null ||
    die "munge cannot encode and decode a credential; read $state/munge/munged.log"

# Both daemonize and write their pid files; slurmd keeps registering until slurmctld answers.
slurmctld 9>&- || die "slurmctld did not start; read $state/log/slurmctld.log"
slurmd -N "$node" 9>&- || die "slurmd did not start; read $state/log/slurmd.log"

# The node is usable once slurmd has registered and the node is idle.
i=0
st=
while :; do
    st=$(sinfo -h -n "$node" -o %T 2>/dev/null) || st=
    case $st in
    idle) break ;;
    esac
    i=$((i + 1))
    if [ "$i" -gt $((timeout * 10)) ]; then
        die "node $node is '${st:-unreachable}' after ${timeout}s, not idle; read $state/log/slurmctld.log and $state/log/slurmd.log"
    fi
    sleep 0.1
done
echo "export SLURM_CONF=$SLURM_CONF"
