#!/bin/sh
# cluster_test.sh - the plumbing the sweep recipes run on: Slurm job arrays through
# `sbatch --wait` on the one-node cluster of tests/cluster/, scripts/slurm-sweep.sh splitting a
# sweep larger than the cluster's MaxArraySize into chained array jobs there, and GNU parallel
# rerunning exactly the failed job with --joblog and --resume-failed.
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
# The checks slurm_tests, chunk_tests and parallel_tests make (t_group holds them to it).
N_SLURM=13
N_CHUNKS=23
N_PARALLEL=17
# The MaxArraySize the chunk checks are written for: slurm-up.sh's default, given here too
# when this suite starts its own cluster.
CHUNK_MAX_ARRAY=5

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
    if ! SLURM_MAX_ARRAY_SIZE=$CHUNK_MAX_ARRAY sh tests/cluster/slurm-up.sh "$own_cluster" \
        >"$T/up.out" 2>"$T/up.err"; then
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

# ---- slurm-sweep.sh: a sweep larger than MaxArraySize, in chunks ----

# summary files without the columns that depend on time, memory or threads (as sweep_test.sh)
untimed_summary() {
    tr -d '\r' <"$1" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /seconds|peak_rss|threads|run_dir/) drop[i] = 1 }
        { s = ""; for (i = 1; i <= NF; i++) if (!drop[i]) s = s $i ","; print s }'
}

# A sweep of 12 runs on a cluster whose array indices stop at 4 (MaxArraySize 5), one run at
# a time (-k 1). Runs 1, 2 and 8 are done beforehand, so the unfinished ones are 0,3-7,9-11:
# three array jobs, each of the runs below its first run + 5, with the index list shifted
# by that first run. Through two wrappers: sbatch, which logs each submission with its job
# id, and mlptrain, which logs each run index it is given and how many runs were running when
# it started, and fails run 6 the first time without running it.
chunk_tests() {
    c=$T/chunks
    mkdir -p "$c/bin" "$c/running"
    real_sbatch=$(command -v sbatch)
    bin=$MLPTRAIN
    case $bin in /*) ;; *) bin=$top/$bin ;; esac
    cat >"$c/bin/sbatch" <<EOF
#!/bin/sh
out=\$("$real_sbatch" "\$@")
rc=\$?
printf '%s\t%s\n' "\${out%%;*}" "\$*" >>"$c/sbatch.log"
[ -z "\$out" ] || echo "\$out"
exit \$rc
EOF
    cat >"$c/mlptrain" <<EOF
#!/bin/sh
i= prev=
for a; do
    [ "\$prev" != --index ] || i=\$a
    prev=\$a
done
[ -n "\$i" ] || exec "$bin" "\$@"
: >"$c/running/\$i"
echo "\$i \$(ls "$c/running" | wc -l)" >>"$c/runs.log"
if [ "\$i" = 6 ] && [ ! -e "$c/failed_6" ]; then
    : >"$c/failed_6"
    rc=1
else
    "$bin" "\$@"
    rc=\$?
fi
# A run from a job stays counted a little longer, so that runs at once would overlap.
[ -z "\${SLURM_JOB_ID:-}" ] || sleep 0.5
rm -f "$c/running/\$i"
exit \$rc
EOF
    chmod +x "$c/bin/sbatch" "$c/mlptrain"
    cat >"$c/chunks.ini" <<EOF
[data]
dataset = mnist
path = $top/data/mnist
val_split = 0.2
train_limit = 300
test_limit = 200
[model]
hidden = 8
[optim]
optimizer = sgd
lr = 0.1
[train]
epochs = 1
batch_size = 64
[sweep]
model.hidden = 8 | 16 | 32
seeds = 1, 2, 3, 4
EOF
    "$MLPTRAIN" sweep "$c/chunks.ini" -o "$c/ref" -q
    for i in 1 2 8; do
        "$c/mlptrain" sweep "$c/chunks.ini" -o "$c/sl" --index "$i" -q
    done
    # slurm_sweep: scripts/slurm-sweep.sh -k 1 -w on the sweep, the sbatch wrapper first on
    # PATH; a time limit, so that a broken cluster fails the suite, not hangs it.
    slurm_sweep() {
        PATH="$c/bin:$PATH" MLPTRAIN="$c/mlptrain" timeout 300 \
            bash scripts/slurm-sweep.sh "$c/chunks.ini" -k 1 -w -- -o "$c/sl" >"$T/out" 2>"$T/err"
        rc=$?
    }
    # opt NAME [FROM]: the --NAME=VALUE of each submission from line FROM of the log on (-
    # for none), on one line; ids: their job ids; offsets [FROM]: the OFFSET of each
    # array's --index $((SLURM_ARRAY_TASK_ID + OFFSET)).
    opt() {
        tail -n +"${2:-1}" "$c/sbatch.log" | awk -F'\t' -v o="--$1=" '{ v = "-"; n = split($2, w, " ")
            for (i = 1; i <= n; i++) if (index(w[i], o) == 1) v = substr(w[i], length(o) + 1)
            printf "%s ", v }'
    }
    ids() { cut -f1 "$c/sbatch.log" | tr '\n' ' '; }
    offsets() {
        tail -n +"${1:-1}" "$c/sbatch.log" | sed -n 's/.*SLURM_ARRAY_TASK_ID + \([0-9]*\))).*/\1/p' | tr '\n' ' '
    }
    started() { cut -d' ' -f1 "$c/runs.log" | sort -n | tr '\n' ' '; }

    slurm_sweep
    t_check "slurm-sweep.sh -w with run 6 failing exits 1 (got $rc: $(tail -n 3 "$T/err"))" [ "$rc" -eq 1 ]
    t_check "and names run 6 as unfinished" grep -q '^slurm-sweep.sh: runs 6 of .* are not finished' "$T/err"
    t_check "three array jobs and a collect job submitted ($(opt array))" [ "$(wc -l <"$c/sbatch.log")" -eq 4 ]
    t_check "the arrays' indices are below MaxArraySize: 0,3-4 0-2,4 0-1, one task at a time ($(opt array))" \
        [ "$(opt array)" = "0,3-4%1 0-2,4%1 0-1%1 - " ]
    t_check "their runs are the array index + 0, 5 and 10 ($(offsets))" [ "$(offsets)" = "0 5 10 " ]
    # shellcheck disable=SC2046 # the job ids, one word each
    set -- $(ids)
    t_check "each array job starts when the one before has ended ($(opt dependency))" \
        [ "$(opt dependency | cut -d' ' -f1-3)" = "- afterany:$1 afterany:$2" ]
    t_check "the collect job waits for all three ($(opt dependency 4))" [ "$(opt dependency 4)" = "afterany:$1:$2:$3 " ]
    t_check "one output file per array task" [ "$(nfiles "$c"/sl/slurm/[0-9]*_[0-9]*.out)" -eq 9 ]
    t_check "every run started once, run 6 after it failed included ($(started))" \
        [ "$(started)" = "0 1 2 3 4 5 6 7 8 9 10 11 " ]
    t_check "never more than one run at once, over the three arrays ($(sort -k2 -n "$c/runs.log" | tail -n 1))" \
        [ "$(cut -d' ' -f2 "$c/runs.log" | sort -n | tail -n 1)" -eq 1 ]
    t_check "--status: run 6 alone is unfinished" \
        [ "$("$MLPTRAIN" sweep "$c/chunks.ini" -o "$c/sl" --status -q 2>&1)" = 6 ]
    t_check "the collect job summarized the other 11 runs" [ "$(tr -d '\r' <"$c/sl/summary.csv" | wc -l)" -eq 12 ]

    # Again: run 6 alone, as array index 0 + 6.
    slurm_sweep
    t_check "the rerun exits 0 (got $rc: $(tail -n 3 "$T/err"))" [ "$rc" -eq 0 ]
    t_check "the rerun submits run 6 alone and a collect job ($(opt array 5))" [ "$(opt array 5)" = "0%1 - " ]
    t_check "as array index 0 + 6 ($(offsets 5))" [ "$(offsets 5)" = "6 " ]
    t_check "run 6 started a second time, no other run again ($(started))" \
        [ "$(started)" = "0 1 2 3 4 5 6 6 7 8 9 10 11 " ]
    t_check "--status: nothing unfinished" [ -z "$("$MLPTRAIN" sweep "$c/chunks.ini" -o "$c/sl" --status -q 2>&1)" ]
    t_check "Slurm in chunks: same summary.csv as the local sweep" \
        [ "$(untimed_summary "$c/sl/summary.csv")" = "$(untimed_summary "$c/ref/summary.csv")" ]
    t_check "Slurm in chunks: same summary_by_point.csv" \
        [ "$(untimed_summary "$c/sl/summary_by_point.csv")" = "$(untimed_summary "$c/ref/summary_by_point.csv")" ]

    # And again: nothing left to submit.
    slurm_sweep
    t_check "a third run exits 0 (got $rc: $(tail -n 3 "$T/err"))" [ "$rc" -eq 0 ]
    t_check "and says every run is finished ($(head -n 1 "$T/out"))" \
        grep -q '^slurm-sweep.sh: every run of .* is finished; collecting$' "$T/out"
    t_check "a third run submits nothing" [ "$(wc -l <"$c/sbatch.log")" -eq 6 ]
    t_check "no job left in the queue" [ -z "$(squeue -h -o %i 2>/dev/null)" ]
}

if ! have sbatch || ! have sinfo || ! have squeue; then
    t_why="Slurm client commands (sbatch, sinfo, squeue) missing ($INSTALL)"
    t_skip "Slurm job arrays" "$t_why" $N_SLURM
    t_skip "slurm-sweep.sh in chunks" "$t_why" $N_CHUNKS
elif cluster_ready; then
    t_group $N_SLURM "Slurm job arrays" slurm_tests
    max_array=$(scontrol show config 2>/dev/null | awk '$1 == "MaxArraySize" { print $3 }')
    if [ ! -x "$MLPTRAIN" ]; then
        t_skip "slurm-sweep.sh in chunks" "no mlptrain binary at $MLPTRAIN (make)" $N_CHUNKS
    elif [ "$max_array" != "$CHUNK_MAX_ARRAY" ]; then
        t_skip "slurm-sweep.sh in chunks" "the cluster's MaxArraySize is ${max_array:-unreadable}, not $CHUNK_MAX_ARRAY (slurm-up.sh's default: was SLURM_MAX_ARRAY_SIZE set?)" $N_CHUNKS
    else
        t_group $N_CHUNKS "slurm-sweep.sh in chunks" chunk_tests
    fi
elif [ -n "$t_why" ]; then
    t_skip "Slurm job arrays" "$t_why" $N_SLURM
    t_skip "slurm-sweep.sh in chunks" "$t_why" $N_CHUNKS
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
