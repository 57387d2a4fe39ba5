#!/bin/sh
# cluster_test.sh - the plumbing the sweep recipes run on, without mlptrain: Slurm job arrays
# through `sbatch --wait` on the one-node cluster of tests/cluster/, and GNU parallel rerunning
# exactly the failed job with --joblog and --resume-failed.
#
# The cluster: the one SLURM_CONF names when tests/cluster/slurm-up.sh wrote it (a config from
# anywhere else, say a real cluster's, is ignored: no test job goes to a real cluster);
# otherwise, as root with the daemons installed, one started in the scratch directory and
# stopped at exit. A part that cannot run is skipped, every one of its checks counted as
# skipped (a failure with CI set: .ci/run installs the packages and starts the cluster).
. tests/lib.sh

top=$(pwd)
INSTALL='Debian: apt-get install slurmctld slurmd slurm-client munge'
root=false
[ "$(id -u)" -eq 0 ] && root=true
own_cluster=
# The checks slurm_tests and parallel_tests make (t_group holds them to it).
N_SLURM=13
N_PARALLEL=17

cleanup() {
    [ -n "$own_cluster" ] && sh "$top/tests/cluster/slurm-down.sh" "$own_cluster" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT HUP TERM

have() { command -v "$1" >/dev/null 2>&1; }

# nfiles PATH...: how many of the PATHs exist (an unmatched glob stays as itself).
nfiles() {
    n=0
    for f in "$@"; do [ -e "$f" ] && n=$((n + 1)); done
    echo "$n"
}

# ---- Slurm: job arrays on the one-node cluster ----

# cluster_ready: SLURM_CONF names a usable scratch cluster, found or started here. If not,
# $t_why says why, or is empty when starting one failed (a failure already counted).
cluster_ready() {
    t_why=
    if [ -n "${SLURM_CONF:-}" ]; then
        if grep -q -s '^# One-node scratch cluster written by tests/cluster/slurm-up.sh' "$SLURM_CONF"; then
            return 0
        fi
        echo "$suite: SLURM_CONF=$SLURM_CONF was not written by tests/cluster/slurm-up.sh; not using it"
        unset SLURM_CONF
    fi
    if ! have slurmctld || ! have slurmd || ! have munged; then
        t_why="no Slurm cluster (SLURM_CONF unset) and no daemons to start one ($INSTALL)"
        return 1
    fi
    if ! $root; then
        t_why="no Slurm cluster: starting one needs root (or, as root, eval \"\$(sh tests/cluster/slurm-up.sh)\" and run with that SLURM_CONF)"
        return 1
    fi
    # munged runs as user munge and must reach its files below $T.
    chmod 0755 "$T"
    own_cluster=$T/slurm
    if ! sh tests/cluster/slurm-up.sh "$own_cluster" >"$T/up.out" 2>"$T/up.err"; then
        t_bad "slurm-up.sh fails: $(cat "$T/up.err")"
        return 1
    fi
    t_check "slurm-up.sh prints the SLURM_CONF line" \
        [ "$(cat "$T/up.out")" = "export SLURM_CONF=$own_cluster/slurm.conf" ]
    export SLURM_CONF="$own_cluster/slurm.conf"
}

# Each sbatch --wait gets a time limit, so that a broken cluster fails the suite, not hangs it.
slurm_tests() {
    # An array from the command line, two tasks at a time; on a node with 2 CPUs or more,
    # tasks 0 and 1 must run at the same time: each waits for the other's file.
    mkdir "$T/wrap"
    cpus=$(sinfo -h -o %c 2>/dev/null | head -n 1)
    rendezvous=false
    [ "${cpus:-1}" -ge 2 ] && rendezvous=true
    # shellcheck disable=SC2016 # expanded by the job
    wrap='i=$SLURM_ARRAY_TASK_ID
if [ '"$rendezvous"' = true ] && [ "$i" -le 1 ]; then
    : >here_$i
    n=0
    while [ ! -e here_$((1 - i)) ]; do
        n=$((n + 1)); [ "$n" -le 1200 ] || exit 9; sleep 0.05
    done
fi
echo "$i" >out_$i'
    timeout 120 sbatch --quiet --wait --chdir="$T/wrap" --array=0-3%2 --wrap "$wrap" \
        >"$T/out" 2>"$T/err"
    rc=$?
    t_check "sbatch --wait --array=0-3%2 --wrap exits 0 (got $rc: $(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
    for i in 0 1 2 3; do
        t_check "array task $i wrote its output" [ "$(cat "$T/wrap/out_$i" 2>/dev/null)" = "$i" ]
    done
    t_check "four tasks ran, no more" [ "$(nfiles "$T"/wrap/out_*)" -eq 4 ]

    # A job array script with #SBATCH lines, as a recipe ships it; task 2 fails, and the exit
    # code of sbatch --wait is the highest of the tasks'.
    mkdir "$T/script"
    cat >"$T/script/array.sh" <<'EOF'
#!/bin/sh
#SBATCH --job-name=cluster-test
#SBATCH --array=0-3%2
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --output=log_%A_%a.txt
echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT" >"res_$SLURM_ARRAY_TASK_ID"
[ "$SLURM_ARRAY_TASK_ID" -ne 2 ] || exit 3
EOF
    timeout 120 sbatch --quiet --wait --chdir="$T/script" "$T/script/array.sh" >"$T/out" 2>"$T/err"
    rc=$?
    t_check "sbatch --wait on an #SBATCH array script exits 3, task 2's code (got $rc: $(head -c 300 "$T/err"))" \
        [ "$rc" -eq 3 ]
    for i in 0 1 2 3; do
        t_check "script task $i ran with the #SBATCH array" \
            [ "$(cat "$T/script/res_$i" 2>/dev/null)" = "task $i of 4" ]
    done
    t_check "#SBATCH --output names one log per task" [ "$(nfiles "$T"/script/log_*_[0-3].txt)" -eq 4 ]
    t_check "no job left in the queue" [ -z "$(squeue -h -o %i 2>/dev/null)" ]
}

if ! have sbatch || ! have sinfo || ! have squeue; then
    t_skip "Slurm job arrays" "Slurm client commands (sbatch, sinfo, squeue) missing ($INSTALL)" $N_SLURM
elif cluster_ready; then
    t_group $N_SLURM "Slurm job arrays" slurm_tests
elif [ -n "$t_why" ]; then
    t_skip "Slurm job arrays" "$t_why" $N_SLURM
fi

# ---- GNU parallel: --joblog and --resume-failed ----

parallel_tests() {
    mkdir "$T/par"
    cd "$T/par" || return
    # job.sh I: records each run; job 2 fails the first time only (no marker file yet).
    cat >job.sh <<'EOF'
echo "$1" >>runs
if [ "$1" = 2 ] && [ ! -e marker ]; then : >marker; exit 1; fi
echo "$1" >"out_$1"
EOF
    # exitval I: the Exitval column of the joblog's last row for job I.
    exitval() { awk -F'\t' -v c="sh job.sh $1" '$9 == c { v = $7 } END { print v }' joblog; }
    runs_of() { grep -c -x "$1" runs; }

    parallel --will-cite -j2 --joblog joblog sh job.sh ::: 0 1 2 3 >/dev/null 2>"$T/err"
    rc=$?
    t_check "parallel exits with the number of failed jobs, 1 (got $rc)" [ "$rc" -eq 1 ]
    t_check "joblog: header and 4 rows" [ "$(wc -l <joblog)" -eq 5 ]
    t_check "joblog: job 2 failed with 1" [ "$(exitval 2)" = 1 ]
    for i in 0 1 3; do
        t_check "joblog: job $i exited 0" [ "$(exitval "$i")" = 0 ]
    done

    parallel --will-cite -j2 --joblog joblog --resume-failed sh job.sh ::: 0 1 2 3 >/dev/null 2>"$T/err"
    rc=$?
    t_check "--resume-failed exits 0 (got $rc: $(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
    t_check "--resume-failed reran job 2 once" [ "$(runs_of 2)" -eq 2 ]
    for i in 0 1 3; do
        t_check "--resume-failed left job $i alone" [ "$(runs_of "$i")" -eq 1 ]
    done
    t_check "joblog: one row appended" [ "$(wc -l <joblog)" -eq 6 ]
    t_check "joblog: job 2 now exited 0" [ "$(exitval 2)" = 0 ]
    t_check "job 2 wrote its output" [ "$(cat out_2 2>/dev/null)" = 2 ]

    parallel --will-cite -j2 --joblog joblog --resume-failed sh job.sh ::: 0 1 2 3 >/dev/null 2>"$T/err"
    rc=$?
    t_check "--resume-failed with nothing failed exits 0 (got $rc)" [ "$rc" -eq 0 ]
    t_check "--resume-failed with nothing failed runs nothing" [ "$(wc -l <runs)" -eq 5 ]
    t_check "--resume-failed with nothing failed adds no row" [ "$(wc -l <joblog)" -eq 6 ]
    cd "$top" || return
}

if t_gnu_parallel; then
    t_group $N_PARALLEL "GNU parallel --joblog and --resume-failed" parallel_tests
else
    t_skip "GNU parallel --joblog and --resume-failed" "$t_why" $N_PARALLEL
fi

t_done
