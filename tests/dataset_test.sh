# dataset_test.sh - scripts/fetch-data.sh without a network: help, usage errors, the
# refusal to overwrite, and whole runs against a file:// mirror of small fake files, which
# must pass the size checks or fail them leaving DEST untouched (skipped without curl).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
script="$(dirname "$0")/../scripts/fetch-data.sh"
rc=0

# entries DIR: how many names DIR holds, dot files included.
# shellcheck disable=SC2012
entries() { ls -A "$1" | wc -l | tr -d ' '; }

# help
t_run sh "$script" --help
t_check "help exit 0" [ "$rc" -eq 0 ]
t_check "help usage line" grep -q '^Usage: scripts/fetch-data.sh \[--force\] NAME \[DEST\]' "$T/out"
t_check "help names datasets" grep -q 'mnist | fashion-mnist | kmnist | cifar10' "$T/out"
t_check "help names --force" grep -q -- '--force' "$T/out"
t_run sh "$script" cifar10 "$T/never" -h
t_check "-h wins over other arguments" [ "$rc" -eq 0 ]
t_check "-h writes nothing" [ ! -e "$T/never" ]

# usage errors: exit 2, one message, nothing created
t_run sh "$script"
t_check "no args exit 2" [ "$rc" -eq 2 ]
t_check "no args message" grep -q '^fetch-data.sh: no dataset named$' "$T/err"
t_run sh "$script" cifar100 "$T/never"
t_check "unknown dataset exit 2" [ "$rc" -eq 2 ]
t_check "unknown dataset message" grep -q "^fetch-data.sh: unknown dataset 'cifar100' (expected mnist, fashion-mnist, kmnist or cifar10)$" "$T/err"
t_run sh "$script" --forse mnist "$T/never"
t_check "unknown option exit 2" [ "$rc" -eq 2 ]
t_check "unknown option message" grep -q "^fetch-data.sh: unknown option '--forse'$" "$T/err"
t_run sh "$script" mnist "$T/never" extra
t_check "too many args exit 2" [ "$rc" -eq 2 ]
t_check "usage errors write nothing" [ ! -e "$T/never" ]

# refusal to overwrite: before any download, naming every file in the way
mkdir "$T/m"
echo keep >"$T/m/t10k-labels-idx1-ubyte"
echo keep >"$T/m/train-images-idx3-ubyte"
t_run sh "$script" mnist "$T/m"
t_check "refuse exit 1" [ "$rc" -eq 1 ]
t_check "refuse message" grep -q "^fetch-data.sh: refusing to overwrite in $T/m: train-images-idx3-ubyte t10k-labels-idx1-ubyte (use --force to replace them)$" "$T/err"
t_check "refused file untouched" [ "$(cat "$T/m/t10k-labels-idx1-ubyte")" = keep ]
t_check "refusal downloads nothing" [ "$(entries "$T/m")" -eq 2 ]
mkdir "$T/c"
: >"$T/c/batches.meta.txt"
t_run sh "$script" cifar10 "$T/c"
t_check "cifar refuse" grep -q "^fetch-data.sh: refusing to overwrite in $T/c: batches.meta.txt (use --force" "$T/err"
mkdir -p "$T/d/data_batch_2.bin"
t_run sh "$script" --force cifar10 "$T/d"
t_check "directory in the way" grep -q "^fetch-data.sh: $T/d/data_batch_2.bin is a directory$" "$T/err"

# whole runs against a file:// mirror (curl only: wget has no file:// support)
mirror_tests() {
    mkdir "$T/mirror"
    fake() { head -c "$2" /dev/zero | gzip -c >"$T/mirror/$1.gz"; }
    fake train-images-idx3-ubyte 47040016
    fake train-labels-idx1-ubyte 60008
    fake t10k-images-idx3-ubyte 7840016
    fake t10k-labels-idx1-ubyte 10008
    # KMNIST has no published MD5 of its uncompressed files: right sizes pass
    t_run env FETCH_MIRROR="file://$T/mirror" sh "$script" kmnist "$T/k"
    t_check "mirror run exit 0" [ "$rc" -eq 0 ]
    t_check "mirror run message" grep -q "^fetch-data.sh: kmnist is in $T/k$" "$T/out"
    t_check "mirror run size" [ "$(wc -c <"$T/k/train-labels-idx1-ubyte" | tr -d ' ')" -eq 60008 ]
    t_check "mirror run leaves only the 4 files" [ "$(entries "$T/k")" -eq 4 ]
    # --force replaces them
    t_run env FETCH_MIRROR="file://$T/mirror" sh "$script" --force kmnist "$T/k"
    t_check "--force exit 0" [ "$rc" -eq 0 ]
    # MNIST's published MD5s reject zeros
    if t_tool md5sum coreutils; then
        t_run env FETCH_MIRROR="file://$T/mirror" sh "$script" mnist "$T/bad"
        t_check "md5 mismatch exit 1" [ "$rc" -eq 1 ]
        t_check "md5 mismatch message" grep -q "^fetch-data.sh: train-images-idx3-ubyte: MD5 is .*, expected 6bbc9ace898e44ae57da46a324031adb" "$T/err"
        t_check "md5 mismatch writes nothing" [ "$(entries "$T/bad")" -eq 0 ]
    else
        t_skip "md5 mismatch" "$t_why" 3
    fi
    # a wrong size is rejected and nothing replaces the existing files
    fake t10k-labels-idx1-ubyte 1000
    t_run env FETCH_MIRROR="file://$T/mirror" sh "$script" --force fashion-mnist "$T/m"
    t_check "size mismatch exit 1" [ "$rc" -eq 1 ]
    t_check "size mismatch message" grep -q "^fetch-data.sh: t10k-labels-idx1-ubyte: 1000 bytes, expected 10008 (truncated or not the official file); nothing was written to $T/m$" "$T/err"
    t_check "size mismatch keeps old files" [ "$(cat "$T/m/t10k-labels-idx1-ubyte")" = keep ]
    t_check "size mismatch leaves no scratch" [ "$(entries "$T/m")" -eq 2 ]
}
if t_tool curl curl && t_tool gzip gzip; then
    t_group 12 "whole runs against a file:// mirror" mirror_tests
else
    t_skip "whole runs against a file:// mirror" "$t_why" 12
fi

t_done
