# lib.sh - helpers for the shell test suites (tests/*_test.sh). Source it, call t_*,
# end with t_done, which prints "<suite>: P passed, F failed, S skipped" and sets the exit
# status. $MLPTRAIN is the binary under test; $T is a scratch directory removed on exit.
# A check that cannot run here (a tool or a privilege missing) is t_skip'ed, never left
# out: with CI set, where every tool is installed, a skip counts as a failure.
MLPTRAIN=${MLPTRAIN:-./mlptrain}
suite=$(basename "$0" .sh)
t_pass=0
t_fail=0
t_skipped=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

t_ok() { t_pass=$((t_pass + 1)); }
t_bad() { echo "FAIL: $suite: $*"; t_fail=$((t_fail + 1)); }

# t_check NAME COND...: passes when the command COND... succeeds.
t_check() {
    t_name_=$1
    shift
    if "$@"; then t_ok; else t_bad "$t_name_"; fi
}

# t_skip NAME WHY [N]: the check NAME (or a group of N checks) cannot run here: prints
# "skipped: SUITE: NAME: WHY" and counts N skipped. WHY says what is missing and, for a
# tool, the Debian package to install. With CI set (non-empty) it is a failure instead.
t_skip() {
    t_n_=${3:-1}
    t_what_=$1
    [ "$t_n_" -eq 1 ] || t_what_="$1 ($t_n_ checks)"
    if [ -n "${CI:-}" ]; then
        echo "FAIL: $suite: $t_what_: $2 (CI allows no skip)"
        t_fail=$((t_fail + t_n_))
    else
        echo "skipped: $suite: $t_what_: $2"
        t_skipped=$((t_skipped + t_n_))
    fi
}

# t_skip_machine NAME WHY [N]: as t_skip, for what no package installs and CI cannot
# change (the CPU's instruction sets, which cgroup hierarchy holds the memory controller):
# counted as skipped even under CI, as test.h's SKIP_HARDWARE.
t_skip_machine() {
    t_what_=$1
    [ "${3:-1}" -eq 1 ] || t_what_="$1 (${3} checks)"
    echo "skipped: $suite: $t_what_: $2 (this machine)"
    t_skipped=$((t_skipped + ${3:-1}))
}

# t_group N NAME FUNCTION [ARG...]: runs FUNCTION, a group of checks skipped as a whole by
# `t_skip NAME WHY N` where it cannot run. A FUNCTION that makes other than N checks fails,
# so that the skip stays the count of the checks that did not run.
t_group() {
    t_gn_=$1 t_gname_=$2
    shift 2
    t_before_=$((t_pass + t_fail + t_skipped))
    "$@"
    t_made_=$((t_pass + t_fail + t_skipped - t_before_))
    [ "$t_made_" -eq "$t_gn_" ] ||
        t_bad "$t_gname_: made $t_made_ checks, not the $t_gn_ its skip counts (correct the count)"
}

# t_tool TOOL PACKAGE: true when TOOL is on PATH; otherwise false, with $t_why set to
# "TOOL missing (Debian: apt-get install PACKAGE)" for t_skip.
t_tool() {
    command -v "$1" >/dev/null 2>&1 && return 0
    t_why="$1 missing (Debian: apt-get install $2)"
    return 1
}

# t_gnu_parallel: t_tool for GNU parallel, which moreutils' parallel is not.
t_gnu_parallel() {
    t_tool parallel parallel || return 1
    parallel --version 2>/dev/null | head -n 1 | grep -q '^GNU parallel' && return 0
    t_why="the parallel on PATH is not GNU parallel (Debian: apt-get install parallel)"
    return 1
}

# t_expect_line NAME CODE ERE CMD...: CMD exits CODE, prints nothing on stdout and one
# line on stderr matching ERE: one check.
t_expect_line() {
    t_ename_=$1 t_ecode_=$2 t_ewant_=$3
    shift 3
    t_run "$@"
    if [ "$rc" -ne "$t_ecode_" ]; then
        t_bad "$t_ename_: exit $rc, expected $t_ecode_ ($(head -c 300 "$T/err"))"
    elif [ -s "$T/out" ]; then
        t_bad "$t_ename_: wrote to stdout"
    elif [ "$(wc -l <"$T/err")" -ne 1 ] || ! grep -Eq -- "$t_ewant_" "$T/err"; then
        t_bad "$t_ename_: stderr does not match:
  got:      $(cat "$T/err")
  expected: $t_ewant_"
    else
        t_ok
    fi
}

# t_run: runs "$@" capturing stdout in $T/out, stderr in $T/err and the exit code in $rc.
t_run() {
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
}

# t_unprivileged: sets $as_user to a command prefix that runs a command without root's
# right to read and write anything: "env" for a user who is not root, setpriv to nobody for
# root. Where that cannot be done, $as_user is "" and $t_why says why (the caller t_skips).
t_unprivileged() {
    as_user=""
    nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
    if [ "$(id -u)" -ne 0 ]; then
        as_user="env"
    elif ! t_tool setpriv util-linux; then
        t_why="running as root, and $t_why to run as nobody"
    elif ! $nobody "$MLPTRAIN" --version >/dev/null 2>&1; then
        t_why="nobody (uid 65534) cannot run $MLPTRAIN (a directory above it closed to others?)"
    else
        as_user=$nobody
    fi
}

t_done() {
    echo "$suite: $t_pass passed, $t_fail failed, $t_skipped skipped"
    [ "$t_fail" -eq 0 ]
}
