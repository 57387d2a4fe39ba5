# lib.sh - helpers for the shell test suites (tests/*_test.sh). Source it, call t_*,
# end with t_done, which prints "<suite>: P passed, F failed" and sets the exit status.
# $MLPTRAIN is the binary under test; $T is a scratch directory removed on exit.
MLPTRAIN=${MLPTRAIN:-./mlptrain}
suite=$(basename "$0" .sh)
t_pass=0
t_fail=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

t_ok() { t_pass=$((t_pass + 1)); }
t_bad() { echo "FAIL: $suite: $*"; t_fail=$((t_fail + 1)); }

# t_check NAME COND...: passes when the command COND... succeeds.
t_check() {
    name=$1
    shift
    if "$@"; then t_ok; else t_bad "$name"; fi
}

# t_run: runs "$@" capturing stdout in $T/out, stderr in $T/err and the exit code in $rc.
t_run() {
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
}

# t_unprivileged: sets $as_user to a command prefix that runs a command without root's
# right to read and write anything: "env" for a user who is not root, setpriv to nobody for
# root, "" when root has no setpriv (the caller then skips its checks).
t_unprivileged() {
    as_user=""
    if [ "$(id -u)" -eq 0 ]; then
        command -v setpriv >/dev/null 2>&1 && as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
    else
        as_user="env"
    fi
}

t_done() {
    echo "$suite: $t_pass passed, $t_fail failed"
    [ "$t_fail" -eq 0 ]
}
