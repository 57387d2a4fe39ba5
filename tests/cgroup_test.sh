#!/bin/sh
# cgroup_test.sh - runs under real cgroup memory limits: a run and a `sweep --jobs 2` too
# large for a 1 GiB limit are refused before they allocate (exit 2, the numbers, the limit
# named, no directory), under cgroup v1's memory.limit_in_bytes (what Slurm's --mem sets on
# v1 nodes) and v2's memory.max; a run that fits still runs. Making a cgroup needs root and
# a writable hierarchy with the memory controller; without them the checks are skipped with
# the reason. The parsing behind it is test_cgroup.c's.
. tests/lib.sh

# A hang is a failure, not a stuck suite.
if command -v timeout >/dev/null 2>&1; then cap="timeout 120"; else cap=""; fi
limit=1073741824 # 1 GiB

# The cgroups this suite made, removed on exit (each empty by then: its processes exited),
# and the v2 cgroups where it enabled the memory controller for children, undone after.
made=""
enabled=""
trap 'for c in $made; do rmdir "$c" 2>/dev/null; done
      for d in $enabled; do echo -memory >"$d/cgroup.subtree_control"; done 2>/dev/null
      rm -rf "$T"' EXIT

# in_cgroup DIR CMD...: runs CMD (within $cap) in a shell that first moves itself into
# cgroup DIR.
in_cgroup() {
    # shellcheck disable=SC2016,SC2086
    $cap sh -c 'cg=$1; shift; echo $$ >"$cg/cgroup.procs" && exec "$@"' sh "$@"
}

# new_cgroup LIMIT_FILE BYTES DIR...: makes a cgroup mlptrain-test-PID-N in the first DIR
# where that works, writes BYTES into its LIMIT_FILE and checks a process can move in;
# sets $cg to it, or leaves $cg empty with the reason in $why.
n_made=0
new_cgroup() {
    file=$1 bytes=$2
    shift 2
    cg="" why=""
    for parent in "$@"; do
        n_made=$((n_made + 1))
        c="${parent%/}/mlptrain-test-$$-$n_made"
        if ! mkdir "$c" 2>"$T/mkdir.err"; then
            why="cannot create a cgroup in $parent: $(sed 's/^mkdir: //' "$T/mkdir.err")"
            continue
        fi
        made="$c $made"
        if ! echo "$bytes" >"$c/$file" 2>/dev/null || [ "$(cat "$c/$file")" != "$bytes" ]; then
            why="cannot set $c/$file to $bytes"
        elif ! in_cgroup "$c" true 2>/dev/null; then
            why="cannot move a process into $c"
        else
            cg=$c
            return 0
        fi
        rmdir "$c"
    done
    return 1
}


# A run of about 3.6 GB (SGD with momentum: parameters, gradients and velocity of 1.13 GB
# each), and a sweep of two runs of about 570 MB each (one fits in 1 GiB, two do not).
big="--set model.hidden=16384,16384"
cat >"$T/base.ini" <<'INI'
[data]
dataset = mnist
path = data/mnist
train_limit = 200
test_limit = 100
[model]
hidden = 6400, 6400
[optim]
optimizer = sgd
momentum = 0.9
[train]
epochs = 1
batch_size = 50
INI
{ cat "$T/base.ini" && printf '[sweep]\nseeds = 1, 2\n'; } >"$T/sweep.ini"
# shellcheck disable=SC2086
total=$("$MLPTRAIN" --summary configs/demo.ini $big | awk '$1 == "total" { print $2, $3 }')
t_check "the large run's estimate ($total) is 2-10 GB" \
    awk -v e="$total" 'BEGIN { split(e, f, " "); exit !(f[2] == "GB" && f[1] >= 2 && f[1] < 10) }'
each=$("$MLPTRAIN" --summary "$T/base.ini" --threads 1 | awk '$1 == "total" { print $2, $3 }')
t_check "a sweep run's estimate ($each) is 540-1070 MB: one fits in 1 GiB, two do not" \
    awk -v e="$each" 'BEGIN { split(e, f, " "); exit !(f[2] == "MB" && f[1] > 540 && f[1] < 1070) }'

# limit_checks VERSION FILE: the refusals and a run that fits, each in a new cgroup (the
# page cache a run writes stays charged to its cgroup) made in $dirs with FILE set to 1 GiB.
limit_checks() {
    v=$1 file=$2
    what="the cgroup's $(echo "$file" | sed 's/\./\\./g')"
    # shellcheck disable=SC2086
    new_cgroup "$file" "$limit" $dirs || { t_skip "cgroup $v: $file" "$why"; return; }
    # shellcheck disable=SC2086
    t_expect_line "$v: a 3.6 GB run under a 1 GiB $file: exit 2 and the numbers" 2 \
        "^mlptrain: configs/demo\.ini: the run needs about [2-9]\.[0-9]+ GB \(parameters 1\.13 GB, gradients 1\.13 GB, optimizer 1\.13 GB, activations [^,]+, workspace [^,]+, data [^)]+\) but (1\.0[0-7] GB|[0-9]{3} MB) is available \($what\); the model is the largest part \\([0-9.]+ GB: parameters, gradients and optimizer state\\); expected a smaller model\\.hidden, or --force to try anyway$" \
        in_cgroup "$cg" "$MLPTRAIN" configs/demo.ini -q -o "$T/big$v" $big
    echo "$v, run: $(cat "$T/err")"
    t_check "$v: the refused run leaves no directory" [ ! -e "$T/big$v" ]
    t_expect_line "$v: sweep --jobs 2 of two 570 MB runs under a 1 GiB $file: exit 2 and the numbers" 2 \
        "^mlptrain: $T/sweep\.ini: 2 runs at once need up to 1\.[0-9]+ GB \(5[0-9]{2} MB each\) but (1\.0[0-7] GB|[0-9]{3} MB) is available \($what\); expected fewer --jobs, or --force to try anyway$" \
        in_cgroup "$cg" "$MLPTRAIN" sweep "$T/sweep.ini" --jobs 2 -q -o "$T/sweep$v"
    echo "$v, sweep --jobs 2: $(cat "$T/err")"
    t_check "$v: the refused sweep leaves no directory" [ ! -e "$T/sweep$v" ]
    # shellcheck disable=SC2086
    t_expect_line "$v: sweep of two 3.6 GB runs under a 1 GiB $file: exit 2, the first run named" 2 \
        "^mlptrain: $T/sweep\.ini: the run needs about [2-9]\.[0-9]+ GB \(.*\) but (1\.0[0-7] GB|[0-9]{3} MB) is available \($what\); the model is the largest part \\([0-9.]+ GB: parameters, gradients and optimizer state\\); expected a smaller model\\.hidden, or --force to try anyway \(run 0 of 2: train\.seed=1\)$" \
        in_cgroup "$cg" "$MLPTRAIN" sweep "$T/sweep.ini" --jobs 1 -q -o "$T/bigsweep$v" $big
    t_check "$v: the refused sweep of large runs leaves no directory" [ ! -e "$T/bigsweep$v" ]
    # a run that fits runs, in a cgroup of its own (the refusals' reads are charged above)
    # shellcheck disable=SC2086
    new_cgroup "$file" "$limit" $dirs || { t_bad "$v: a second cgroup: $why"; return; }
    t_run in_cgroup "$cg" "$MLPTRAIN" configs/demo.ini -q -o "$T/fits$v" --set train.epochs=1
    t_check "$v: a run that fits under the limit: exit 0 ($(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
    t_check "$v: a run that fits: result.csv" [ -s "$T/fits$v/result.csv" ]
    # the page cache charged to the cgroup is not memory in use: after 960 MB of a file
    # written (and synced) in it, a 148 MB run is still let run (the kernel reclaims the
    # cache as the run allocates; limit minus usage alone would leave about 40 MB). The
    # run is small so that a sanitizer build's shadow memory fits beside it.
    # shellcheck disable=SC2086
    new_cgroup "$file" "$limit" $dirs || { t_bad "$v: a third cgroup: $why"; return; }
    in_cgroup "$cg" dd if=/dev/zero of="$T/cache$v" bs=1M count=960 conv=fsync 2>/dev/null
    t_run in_cgroup "$cg" "$MLPTRAIN" "$T/base.ini" --threads 1 -q -o "$T/cached$v" \
        --set model.hidden=3000,3000
    t_check "$v: a 148 MB run after 960 MB of page cache in its cgroup: exit 0 ($(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
    rm -f "$T/cache$v"
}

# mount_of FSTYPE [CONTROLLER]: "MOUNT_POINT ROOT" of the first mount in /proc/self/mountinfo
# of file system FSTYPE whose super options hold CONTROLLER ("" if none).
mount_of() {
    awk -v fs="$1" -v ctl="${2:-}" '{ for (i = 7; i < NF && $i != "-"; i++) ;
        if ($(i + 1) == fs && (ctl == "" || ("," $(i + 3) ",") ~ ("," ctl ","))) { print $5, $4; exit } }' /proc/self/mountinfo
}
# cgroup_dirs MOUNT ROOT PATH: the process's cgroup directory (PATH, without the mount's
# ROOT), then the mount point: where to try making a cgroup.
cgroup_dirs() {
    root=${2%/}
    own=""
    case $3 in
    "$root" | "$root"/*) own=$1${3#"$root"} ;;
    esac
    own=${own%/}
    if [ -n "$own" ] && [ "$own" != "$1" ]; then echo "$own $1"; else echo "$1"; fi
}

if [ "$(id -u)" -ne 0 ]; then
    t_skip "cgroup v1: memory.limit_in_bytes" "not root: making a cgroup needs root"
    t_skip "cgroup v2: memory.max" "not root: making a cgroup needs root"
    t_done
    exit
fi

# ---- cgroup v1: the memory controller's hierarchy (a "cgroup" mount whose super options
# hold memory), a child of the process's memory cgroup, else of the mount's root ----
v1=$(mount_of cgroup memory)
v1_path=$(awk -F: '{ n = split($2, c, ","); for (i = 1; i <= n; i++) if (c[i] == "memory") { sub(/^[^:]*:[^:]*:/, ""); print; exit } }' /proc/self/cgroup)
if [ -z "$v1" ] || [ -z "$v1_path" ]; then
    t_skip_machine "cgroup v1: memory.limit_in_bytes" "no cgroup v1 memory hierarchy (mountinfo: '$v1', /proc/self/cgroup: '$v1_path')"
else
    # shellcheck disable=SC2086
    dirs=$(cgroup_dirs $v1 "$v1_path")
    limit_checks v1 memory.limit_in_bytes
fi

# ---- cgroup v2: a child of the process's cgroup or of the mount's root, where the memory
# controller is available and can be enabled for children ----
v2=$(mount_of cgroup2)
v2_mount=${v2%% *}
v2_path=$(sed -n 's/^0:://p' /proc/self/cgroup)
if [ -z "$v2" ] || [ -z "$v2_path" ]; then
    t_skip_machine "cgroup v2: memory.max" "no cgroup v2 hierarchy (mountinfo: '$v2', /proc/self/cgroup: '$v2_path')"
elif ! grep -qw memory "$v2_mount/cgroup.controllers"; then
    t_skip_machine "cgroup v2: memory.max" "the cgroup2 hierarchy at $v2_mount has no memory controller (cgroup.controllers: '$(cat "$v2_mount/cgroup.controllers")'; cgroup v1 holds it)"
else
    dirs=""
    # shellcheck disable=SC2086
    dirs_tried=$(cgroup_dirs $v2 "$v2_path")
    for d in $dirs_tried; do
        # children get a memory.max only where the parent enables the controller for them
        if ! grep -qw memory "$d/cgroup.subtree_control" 2>/dev/null &&
            echo +memory >"$d/cgroup.subtree_control" 2>/dev/null; then
            enabled="$enabled $d"
        fi
        grep -qw memory "$d/cgroup.subtree_control" 2>/dev/null && dirs="$dirs $d"
    done
    if [ -z "$dirs" ]; then
        t_skip "cgroup v2: memory.max" "cannot enable the memory controller for children of $(echo "$dirs_tried" | sed 's/ / or /')"
    else
        limit_checks v2 memory.max
    fi
fi

# ---- a v1 CPU quota (cpu.cfs_quota_us, what Docker's --cpus sets on v1 hosts) on the
# process's own cpu cgroup, below the hierarchy's root: a run takes as many threads as the
# quota gives CPUs ----
v1cpu=$(mount_of cgroup cpu)
v1cpu_path=$(awk -F: '{ n = split($2, c, ","); for (i = 1; i <= n; i++) if (c[i] == "cpu") { sub(/^[^:]*:[^:]*:/, ""); print; exit } }' /proc/self/cgroup)
if [ -z "$v1cpu" ] || [ -z "$v1cpu_path" ]; then
    t_skip_machine "cgroup v1: cpu.cfs_quota_us" "no cgroup v1 cpu hierarchy (mountinfo: '$v1cpu', /proc/self/cgroup: '$v1cpu_path')"
elif [ "$(getconf _NPROCESSORS_ONLN)" -lt 2 ]; then
    t_skip_machine "cgroup v1: cpu.cfs_quota_us" "one CPU: a quota of one changes nothing"
else
    # shellcheck disable=SC2086
    dirs=$(cgroup_dirs $v1cpu "$v1cpu_path")
    # shellcheck disable=SC2086
    if new_cgroup cpu.cfs_quota_us 100000 $dirs; then
        echo 100000 >"$cg/cpu.cfs_period_us"
        t_run in_cgroup "$cg" "$MLPTRAIN" configs/demo.ini -o "$T/cpu1" --set train.epochs=1
        t_check "v1: a run under a 1-CPU cpu.cfs_quota_us: exit 0 ($(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
        t_check "v1: it runs 1 thread ($(head -n 1 "$T/err"))" grep -q ' 1 thread, ' "$T/err"
    else
        t_skip "cgroup v1: cpu.cfs_quota_us" "$why"
    fi
fi

t_done
