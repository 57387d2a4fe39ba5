#!/bin/sh
# hardening_test.sh - the reproducers of the "Hardening" issue, one or more checks per
# defect 1-14 of its table: bounds on sizes, run length, concurrent starts on one
# directory, memory known before allocating, faults (full disk, closed pipe, SIGHUP),
# config.ini round trips, result.csv columns, FIFOs, read-only output, messages, and
# nonsense refused. Runs use the bundled data, a few hundred records and 1-2 epochs.
# The bad-file catalogues are tests/config/bad (config_test.sh) and data_test.sh.
. tests/lib.sh

cat >"$T/tiny.ini" <<'INI'
[data]
dataset = mnist
path = data/mnist
train_limit = 200
test_limit = 100
val_split = 0.1
[model]
hidden = 8
[optim]
lr = 0.1
[train]
epochs = 1
batch_size = 50
seed = 3
eval_test_every_epoch = false
INI

# A hang is a failure, not a stuck suite: runs that must fail fast get 30 s at most.
if command -v timeout >/dev/null 2>&1; then cap="timeout 30"; else cap=""; fi

# expect NAME CODE MESSAGE CMD...: CMD exits CODE, prints nothing on stdout (unless CODE
# is 0) and exactly the one line MESSAGE on stderr.
expect() {
    name=$1 code=$2 want=$3
    shift 3
    # shellcheck disable=SC2086
    t_run $cap "$@"
    if [ "$rc" -ne "$code" ]; then
        t_bad "$name: exit $rc, expected $code ($(head -c 300 "$T/err"))"
    elif [ "$code" -ne 0 ] && [ -s "$T/out" ]; then
        t_bad "$name: wrote to stdout"
    elif [ "$(cat "$T/err")" != "$want" ] || [ "$(wc -l <"$T/err")" -ne 1 ]; then
        t_bad "$name: stderr differs:
  got:      $(cat "$T/err")
  expected: $want"
    else
        t_ok
    fi
}


# result FILE COLUMN: the value of COLUMN in the one row of a result.csv ("" if none).
result() {
    [ -f "$1" ] || return 0
    tr -d '\r' <"$1" | awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i }
                                             NR == 2 && k { print $k }'
}
# whole_csv FILE COLUMNS: every line ends in CRLF and has COLUMNS fields (no torn row).
whole_csv() {
    [ -s "$1" ] && [ "$(tail -c 2 "$1" | od -An -c | tr -d ' ')" = '\r\n' ] &&
        [ -z "$(tr -d '\r' <"$1" | awk -F, -v n="$2" 'NF != n')" ]
}
# no_temp DIR: nothing half-written left behind (NAME.tmp.PID).
no_temp() { [ -z "$(find "$1" -name '*.tmp*' 2>/dev/null)" ]; }
# limited BLOCKS OUT CMD...: runs CMD under `ulimit -f BLOCKS`, its stdout and stderr
# through a pipe into OUT (a file written by cat, which the limit does not reach), and
# sets rc. The limit applies to every file CMD writes, so CMD must not write OUT itself.
limited() {
    blocks=$1 out=$2
    shift 2
    { sh -c 'ulimit -f "$0" && exec "$@"' "$blocks" "$@"; echo $? >"$T/limited.rc"; } 2>&1 | cat >"$out"
    rc=$(cat "$T/limited.rc")
}

# ---- 1: batch sizes were parsed as long and narrowed to int (heap overflow) ----
expect "1: eval_batch_size = 2^32" 2 "mlptrain: --set train.eval_batch_size=4294967296: '4294967296' is out of range (expected an integer in [1, 1000000])" \
    "$MLPTRAIN" configs/demo.ini -q -o "$T/d1a" --set train.eval_batch_size=4294967296
expect "1: batch_size = 2^32 + 1" 2 "mlptrain: --set train.batch_size=4294967297: '4294967297' is out of range (expected an integer in [1, 1000000])" \
    "$MLPTRAIN" configs/demo.ini -q -o "$T/d1b" --set train.batch_size=4294967297
t_check "1: refused runs create no directory (eval_batch_size)" [ ! -e "$T/d1a" ]
t_check "1: refused runs create no directory (batch_size)" [ ! -e "$T/d1b" ]
# both at their bound on 180 records: buffers sized by the records, the run finishes
t_run "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d1c" --set train.batch_size=1000000 --set train.eval_batch_size=1000000
t_check "1: batch sizes at the bound run" [ "$rc" -eq 0 ]
t_check "1: batch sizes at the bound: status ok" [ "$(result "$T/d1c/result.csv" status)" = ok ]

# ---- 2: run length: a silent 30-minute pre-check, signed overflow ----
expect "2: epochs = 10^12" 2 "mlptrain: --set train.epochs=1000000000000: '1000000000000' is out of range (expected an integer in [0, 1000000])" \
    "$MLPTRAIN" configs/demo.ini -q -o "$T/d2" --set train.epochs=1000000000000
expect "2: epochs = LONG_MAX" 2 "mlptrain: --set train.epochs=9223372036854775807: '9223372036854775807' is out of range (expected an integer in [0, 1000000])" \
    "$MLPTRAIN" configs/demo.ini -q -o "$T/d2" --set train.epochs=9223372036854775807
expect "2: warmup_epochs = LONG_MAX" 2 "mlptrain: --set schedule.warmup_epochs=9223372036854775807: '9223372036854775807' is out of range (expected an integer in [0, 1000000])" \
    "$MLPTRAIN" configs/demo.ini -q -o "$T/d2" --set schedule.warmup_epochs=9223372036854775807
expect "2: max_iterations over 10^8" 2 "mlptrain: --set train.max_iterations=100000001: '100000001' is out of range (expected an integer in [0, 100000000])" \
    "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d2" --set train.epochs=0 --set train.max_iterations=100000001
# each key in range, the product over the limit: 10^6 epochs of 180 steps
msg="mlptrain: --set train.epochs=1000000: 1000000 epochs of 180 optimizer steps are 180000000 steps (expected at most 100000000 in a run: fewer epochs or a larger batch)"
expect "2: epochs x steps, training" 2 "$msg" "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d2" --set train.batch_size=1 --set train.epochs=1000000
expect "2: epochs x steps, --print-schedule" 2 "$msg" "$MLPTRAIN" --print-schedule "$T/tiny.ini" --set train.batch_size=1 --set train.epochs=1000000
t_check "2: refused runs create no directory" [ ! -e "$T/d2" ]
# the same limit where the file set the epochs: FILE:LINE and the key
sed 's/^epochs = 1$/epochs = 1000000/' "$T/tiny.ini" >"$T/long.ini"
expect "2: epochs x steps from the file" 2 "mlptrain: $T/long.ini:12: train.epochs: 1000000 epochs of 180 optimizer steps are 180000000 steps (expected at most 100000000 in a run: fewer epochs or a larger batch)" \
    "$MLPTRAIN" --summary "$T/long.ini" --set train.batch_size=1

# ---- 3: four runs started at once into one -o directory: exactly one proceeds ----
round=1
bad_rounds=""
while [ $round -le 10 ]; do
    d="$T/race$round"
    for k in 1 2 3 4; do
        { "$MLPTRAIN" "$T/tiny.ini" -q -o "$d" 2>"$T/race$round.err$k"; echo $? >"$T/race$round.rc$k"; } &
    done
    wait
    zeros=0 twos=0 msgs=0
    for k in 1 2 3 4; do
        case $(cat "$T/race$round.rc$k") in
        0) zeros=$((zeros + 1)) ;;
        2) twos=$((twos + 1))
           [ "$(cat "$T/race$round.err$k")" = "mlptrain: -o $d: the directory already holds a run (config.ini, epochs.csv or result.csv); remove it or choose another directory" ] &&
               msgs=$((msgs + 1)) ;;
        esac
    done
    [ $zeros -eq 1 ] && [ $twos -eq 3 ] && [ $msgs -eq 3 ] || bad_rounds="$bad_rounds $round($zeros ok, $twos refused, $msgs messages)"
    # shellcheck disable=SC2012
    [ "$(ls "$d" | tr '\n' ' ')" = "checkpoint.bin config.ini confusion.csv curves.svg epochs.csv model.bin per_class.csv result.csv summary.txt " ] || bad_rounds="$bad_rounds $round(files: $(ls "$d" | tr '\n' ' '))"
    whole_csv "$d/epochs.csv" 11 && [ "$(wc -l <"$d/epochs.csv")" -eq 2 ] || bad_rounds="$bad_rounds $round(epochs.csv)"
    whole_csv "$d/result.csv" 24 && [ "$(wc -l <"$d/result.csv")" -eq 2 ] || bad_rounds="$bad_rounds $round(result.csv)"
    round=$((round + 1))
done
t_check "3: 10 rounds of 4 runs on one -o: one exit 0, three exit 2 with the message, whole files;$bad_rounds" [ -z "$bad_rounds" ]
t_run "$MLPTRAIN" --print-config "$T/race1/config.ini"
t_check "3: the winner's config.ini loads back unchanged" cmp -s "$T/out" "$T/race1/config.ini"

# ---- 4: memory known before allocating ----
# --summary describes a model of 10^10 parameters (40 GB) without allocating it
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then
    /usr/bin/time -f %M -o "$T/rss" "$MLPTRAIN" --summary "$T/tiny.ini" --set model.hidden=100000,100000 >"$T/out" 2>"$T/err"
    rc=$?
    rss=$(tail -n 1 "$T/rss")
    t_check "4: --summary of 10^10 parameters: peak RSS ${rss} KB, under 200 MB" [ "$rss" -lt 200000 ]
else
    t_run "$MLPTRAIN" --summary "$T/tiny.ini" --set model.hidden=100000,100000
    t_skip "4: --summary of 10^10 parameters: peak RSS under 200 MB" \
        "GNU time (/usr/bin/time -f %M) missing (Debian: apt-get install time)"
fi
t_check "4: --summary of 10^10 parameters exits 0" [ "$rc" -eq 0 ]
t_check "4: --summary: no stderr" [ ! -s "$T/err" ]
t_check "4: --summary: parameter count" grep -qx 'Total params: 10,079,600,010' "$T/out"
t_check "4: --summary: memory estimate header" grep -qx 'Memory estimate (batch 50, eval batch 1000, [0-9]* threads\{0,1\}, 200 + 100 records):' "$T/out"
t_check "4: --summary: parameters 40.3 GB" grep -Eqx '  parameters +40\.3 GB' "$T/out"
t_check "4: --summary: gradients 40.3 GB" grep -Eqx '  gradients +40\.3 GB' "$T/out"
t_check "4: --summary: a total" grep -Eqx '  total +8[0-9.]+ GB' "$T/out"
# a run whose estimate exceeds the memory available is refused before loading: 8 TB
t_expect_line "4: a run larger than memory: exit 2 and the numbers" 2 \
    "^mlptrain: $T/tiny\.ini: the run needs about 8\.[0-9]+ TB \(parameters 4\.00 TB, gradients 4\.00 TB, optimizer [^,]+, activations [^,]+, workspace [^,]+, data [^)]+\) but [0-9.]+ [KMGT]?B(ytes)? is available \((MemAvailable|the cgroup's memory\.max|the cgroup's memory\.limit_in_bytes)\); the model is the largest part \\([0-9.]+ TB: parameters, gradients and optimizer state\\); expected a smaller model\\.hidden, or --force to try anyway$" \
    $cap "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d4" --threads 1 --set model.hidden=1000000,1000000
t_check "4: the refused run creates no directory" [ ! -e "$T/d4" ]
# --force passes the check: under a 1 GB address-space limit the allocation then fails
# with a message, and no run directory. A sanitizer's shadow memory cannot start under
# `ulimit -v`: there the sanitizer's allocator refuses the 4 TB instead (its largest
# allocation is 1 TB), returning NULL as malloc would.
force_run=""
if sh -c 'ulimit -v 1000000 && exec "$0" --version' "$MLPTRAIN" >/dev/null 2>"$T/ulimit.err"; then
    # shellcheck disable=SC2016
    force_run='ulimit -v 1000000 && exec "$0" "$@"'
elif grep -q 'Sanitizer' "$T/ulimit.err"; then
    # shellcheck disable=SC2016
    force_run='exec env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1" TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}allocator_may_return_null=1" "$0" "$@"'
fi
if [ -n "$force_run" ]; then
    t_run sh -c "$force_run" "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d4" --threads 1 --force --set model.hidden=1000000,1000000
    t_check "4: --force goes past the estimate: exit 1" [ "$rc" -eq 1 ]
    t_check "4: --force: 'out of memory' with the size" grep -qE '^mlptrain: out of memory \(allocating [0-9.]+ [KMGT]B\)$' "$T/err"
    t_check "4: --force: no run directory" [ ! -e "$T/d4" ]
else
    t_skip "4: --force past the estimate, out of memory" \
        "$MLPTRAIN cannot run under ulimit -v ($(head -c 200 "$T/ulimit.err"))" 3
fi
t_run "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d4f" --force
t_check "4: --force on a run that fits: exit 0" [ "$rc" -eq 0 ]
t_check "4: --force on a run that fits: result.csv" [ -s "$T/d4f/result.csv" ]
expect "4: batch_size = 2000000" 2 "mlptrain: --set train.batch_size=2000000: '2000000' is out of range (expected an integer in [1, 1000000])" \
    "$MLPTRAIN" configs/demo.ini -q -o "$T/d4" --set train.batch_size=2000000
# buffers are sized by min(batch, records): batches of 10^6 on 180 records estimate as
# batches of 180 (train) and 100 (the test set)
"$MLPTRAIN" --summary "$T/tiny.ini" --threads 1 --set train.batch_size=1000000 --set train.eval_batch_size=1000000 | sed -n '/^Memory/,$p' | tail -n +2 >"$T/mem_big"
"$MLPTRAIN" --summary "$T/tiny.ini" --threads 1 --set train.batch_size=180 --set train.eval_batch_size=100 | sed -n '/^Memory/,$p' | tail -n +2 >"$T/mem_small"
t_check "4: --summary prints an estimate" [ -s "$T/mem_big" ]
t_check "4: batch 10^6 on 180 records: the estimate of batch 180" cmp -s "$T/mem_big" "$T/mem_small"
t_run "$MLPTRAIN" "$T/tiny.ini" -o "$T/d4h" --threads 1
t_check "4: a run prints its estimate" grep -Eq '^mlptrain: mnist: 180 train / 20 val / 100 test records, 6370 params, about [0-9.]+ [KM]B of memory, 1 thread, ' "$T/err"
t_check "4: summary.txt holds the estimate" grep -q '^Memory estimate (batch 50, eval batch 1000, 1 thread, 200 + 100 records):$' "$T/d4h/summary.txt"

# ---- 5: result files through faults ----
# a closed pipe on stderr (`| head -n 2`) does not stop the run
{ "$MLPTRAIN" "$T/tiny.ini" -o "$T/d5p" --set train.epochs=30 --set data.train_limit=1000; echo $? >"$T/pipe.rc"; } 2>&1 | head -n 2 >"$T/pipe.out"
t_check "5: | head -n 2: head read 2 lines" [ "$(wc -l <"$T/pipe.out")" -eq 2 ]
t_check "5: | head -n 2: mlptrain exits 0 (not 141)" [ "$(cat "$T/pipe.rc")" = 0 ]
t_check "5: | head -n 2: result.csv written, status ok" [ "$(result "$T/d5p/result.csv" status)" = ok ]
t_check "5: | head -n 2: all 30 epochs in epochs.csv" [ "$(wc -l <"$T/d5p/epochs.csv")" -eq 31 ]
# SIGHUP (a closed ssh session) stops like SIGTERM: exit 129, files written
"$MLPTRAIN" "$T/tiny.ini" -o "$T/d5h" -q --set train.epochs=100000 >/dev/null 2>&1 &
pid=$!
i=0
# shellcheck disable=SC2002
while [ "$(cat "$T/d5h/epochs.csv" 2>/dev/null | wc -l)" -lt 2 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -HUP $pid
# a run that ignored SIGHUP would go on for a minute: a watchdog ends it sooner
(i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done; kill -KILL $pid) >/dev/null 2>&1 &
dog=$!
wait $pid
rc=$?
kill $dog 2>/dev/null
t_check "5: SIGHUP exits 129" [ "$rc" -eq 129 ]
t_check "5: SIGHUP: status interrupted" [ "$(result "$T/d5h/result.csv" status)" = interrupted ]
t_check "5: SIGHUP: epochs.csv whole" whole_csv "$T/d5h/epochs.csv" 11
t_check "5: SIGHUP: summary.txt written" [ -s "$T/d5h/summary.txt" ]
t_check "5: SIGHUP: config.ini written" [ -s "$T/d5h/config.ini" ]
t_check "5: SIGHUP: no temporary files" no_temp "$T/d5h"
# A full disk is a file-size limit (ulimit -f). ThreadSanitizer (make tsan) writes a 512 KB
# file into $TMPDIR before main, which a limit of 0 stops; it does without the file when
# $TMPDIR does not exist, as here (mlptrain itself never uses $TMPDIR).
notmp=$T/no-such-tmpdir
# a full disk at start (a file-size limit of 0): the reason, exit 1, no empty config.ini
limited 0 "$T/fd0.err" env TMPDIR="$notmp" "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/fd0"
t_check "5: full disk at start: exit 1" [ "$rc" -eq 1 ]
t_check "5: full disk at start: the reason" [ "$(cat "$T/fd0.err")" = "mlptrain: cannot write '$T/fd0/config.ini': File too large" ]
t_check "5: full disk at start: nothing in the directory" [ -z "$(ls -A "$T/fd0")" ]
t_run "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/fd0"
t_check "5: the directory left by a failed start takes a run" [ "$rc" -eq 0 ]
limited 0 "$T/fd0b.err" env TMPDIR="$notmp" "$MLPTRAIN" "$T/tiny.ini" -q --set output.dir="$T/fd0b"
t_check "5: full disk, output.dir: exit 1" [ "$rc" -eq 1 ]
t_check "5: full disk, output.dir: the reason" [ "$(cat "$T/fd0b.err")" = "mlptrain: cannot write '$T/fd0b/tiny/config.ini': File too large" ]
t_check "5: full disk, output.dir: the claimed directory is removed" [ -z "$(ls -A "$T/fd0b")" ]
# room for config.ini (about 1.3 KB) but not for summary.txt (50 layers: about 7 KB);
# `ulimit -f 4` is 2 KB in dash, 4 KB in bash
wide=8
n=1
while [ $n -lt 50 ]; do wide="$wide,8"; n=$((n + 1)); done
limited 4 "$T/fd1.err" "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/fd1" --set model.hidden="$wide" --set output.name=wide
t_check "5: full disk at summary.txt: exit 1" [ "$rc" -eq 1 ]
t_check "5: full disk at summary.txt: the reason" [ "$(cat "$T/fd1.err")" = "mlptrain: cannot write '$T/fd1/summary.txt': File too large" ]
t_check "5: full disk at summary.txt: no summary.txt" [ ! -e "$T/fd1/summary.txt" ]
t_check "5: full disk at summary.txt: no temporary" no_temp "$T/fd1"
t_check "5: full disk at summary.txt: config.ini kept" [ -s "$T/fd1/config.ini" ]
# the disk fills during training (epochs.csv grows to about 15 KB): it is cut back to its
# last complete row
limited 4 "$T/fd2.err" "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/fd2" --set train.epochs=0 --set train.max_iterations=200 --set train.eval_every=1
t_check "5: full disk in training: exit 1 (not 153, SIGXFSZ)" [ "$rc" -eq 1 ]
t_check "5: full disk in training: the reason" [ "$(cat "$T/fd2.err")" = "mlptrain: cannot write '$T/fd2/epochs.csv': File too large" ]
t_check "5: full disk in training: epochs.csv ends in a whole row" whole_csv "$T/fd2/epochs.csv" 11
t_check "5: full disk in training: some rows were written" [ "$(wc -l <"$T/fd2/epochs.csv")" -gt 2 ]
t_check "5: full disk in training: no result.csv" [ ! -e "$T/fd2/result.csv" ]
t_check "5: full disk in training: no temporary" no_temp "$T/fd2"

# ---- 6: config.ini loads back as it was written ----
printf '[data]\npath=;' >"$T/semi.ini"
expect "6: path=; is refused" 2 "mlptrain: $T/semi.ini:2: data.path: ';' cannot be written back as INI (expected no control character, and no ';' or '#' at the start or after a blank)" \
    "$MLPTRAIN" --print-config "$T/semi.ini"
expect "6: --set output.name=#3 is refused" 2 "mlptrain: --set output.name=#3: '#3' cannot be written back as INI (expected no control character, and no ';' or '#' at the start or after a blank)" \
    "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d6x" --set output.name=#3
t_check "6: the refused run creates no directory" [ ! -e "$T/d6x" ]
# ';' and '#' inside a value round-trip through a run's config.ini
t_run "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d6" --set 'output.name=a#3;b'
t_check "6: a name with # and ; trains" [ "$rc" -eq 0 ]
t_check "6: config.ini keeps the name" grep -qx 'name = a#3;b' "$T/d6/config.ini"
t_run "$MLPTRAIN" --print-config "$T/d6/config.ini"
t_check "6: config.ini loads back unchanged" cmp -s "$T/out" "$T/d6/config.ini"
t_run "$MLPTRAIN" "$T/d6/config.ini" -q -o "$T/d6b"
t_check "6: config.ini re-runs" [ "$rc" -eq 0 ]

# ---- 7: the uint64 seed is written unsigned ----
t_run "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d7" --set train.seed=18446744073709551615
t_check "7: seed 2^64-1 runs" [ "$rc" -eq 0 ]
t_check "7: result.csv seed = 18446744073709551615" [ "$(result "$T/d7/result.csv" seed)" = 18446744073709551615 ]
t_check "7: config.ini seed = 18446744073709551615" grep -qx 'seed = 18446744073709551615' "$T/d7/config.ini"

# ---- 8: result.csv names the run directory ----
for k in 1 2 3 4; do
    "$MLPTRAIN" "$T/tiny.ini" -q --set output.dir="$T/many" >/dev/null 2>&1 &
done
wait
names=""
for d in "$T"/many/*; do
    names="$names $(basename "$d")=$(result "$d/result.csv" name)"
done
t_check "8: 4 runs at once without -o:$names" [ "$names" = " tiny=tiny tiny-2=tiny-2 tiny-3=tiny-3 tiny-4=tiny-4" ]
t_run "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/my run"
t_check "8: with -o, the directory's name" [ "$(result "$T/my run/result.csv" name)" = "my run" ]

# ---- 9: what the config decides is decided before loading, with FILE:LINE ----
cat >"$T/inf.ini" <<'INI'
[data]
path = data/mnist
[schedule]
type = lambda
lambda = 1 / 0
INI
msg="mlptrain: $T/inf.ini:5: schedule.lambda: the learning rate would be inf at epoch 0 (expected a finite learning rate >= 0 at every step)"
expect "9: lambda = 1 / 0, training" 2 "$msg" "$MLPTRAIN" "$T/inf.ini" -q -o "$T/d9"
expect "9: lambda = 1 / 0, --summary" 2 "$msg" "$MLPTRAIN" --summary "$T/inf.ini"
expect "9: lambda = 1 / 0, --print-config" 2 "$msg" "$MLPTRAIN" --print-config "$T/inf.ini"
expect "9: lambda = 1 / 0, --print-schedule" 2 "$msg" "$MLPTRAIN" --print-schedule "$T/inf.ini"
expect "9: lambda = 1 / 0, no data files" 2 "mlptrain: $T/inf.ini:5: schedule.lambda: the learning rate would be inf at epoch 0 (expected a finite learning rate >= 0 at every step)" \
    "$MLPTRAIN" --summary "$T/inf.ini" --set data.path="$T/nowhere"
t_expect_line "9: lambda = 0 / 0 (NaN)" 2 "^mlptrain: --set schedule.lambda=0 / 0: the learning rate would be -?nan at epoch 0 \(expected a finite learning rate >= 0 at every step\)$" \
    $cap "$MLPTRAIN" "$T/inf.ini" -q -o "$T/d9" --set 'schedule.lambda=0 / 0'
expect "9: lambda negative from epoch 2" 2 "mlptrain: --set schedule.lambda=1 - epoch: the learning rate would be -0.01 at epoch 2 (expected a finite learning rate >= 0 at every step)" \
    "$MLPTRAIN" "$T/inf.ini" -q -o "$T/d9" --set 'schedule.lambda=1 - epoch'
expect "9: onecycle too short" 2 "mlptrain: --set schedule.type=onecycle: onecycle needs at least 2 iterations in the run (got 1)" \
    "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d9" --set schedule.type=onecycle --set train.epochs=0 --set train.max_iterations=1
expect "9: val_split holding out 0 records" 2 "mlptrain: --set data.val_split=0.001: holds out no record of 200 (expected a fraction of at least 1/200, or 0 for no validation)" \
    "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d9" --set data.val_split=0.001
expect "9: val_split holding out 0 records, --print-config" 2 "mlptrain: $T/tiny.ini:6: data.val_split: holds out no record of 9 (expected a fraction of at least 1/9, or 0 for no validation)" \
    "$MLPTRAIN" --print-config "$T/tiny.ini" --set data.train_limit=9
t_check "9: refused runs create no directory" [ ! -e "$T/d9" ]

# ---- 10: a FIFO where a file should be is refused, not waited on ----
mkdir "$T/fifo"
cp data/mnist/* "$T/fifo/"
rm "$T/fifo/t10k-images-idx3-ubyte"
mkfifo "$T/fifo/t10k-images-idx3-ubyte"
expect "10: FIFO as a data file" 1 "mlptrain: $T/fifo/t10k-images-idx3-ubyte: is a named pipe (expected a regular file)" \
    "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d10" --set data.path="$T/fifo"
t_check "10: no run directory" [ ! -e "$T/d10" ]
# a config through a pipe (process substitution, a FIFO with a writer) still loads
mkfifo "$T/conf.fifo"
printf '[optim]\nlr = 0.25\n' >"$T/conf.fifo" &
writer=$!
# shellcheck disable=SC2086
t_run $cap "$MLPTRAIN" --print-config "$T/conf.fifo"
kill $writer 2>/dev/null # blocked for ever if mlptrain never opened the FIFO
wait $writer
t_check "10: a config from a FIFO with a writer: exit 0" [ "$rc" -eq 0 ]
t_check "10: a config from a FIFO with a writer: read" grep -qx 'lr = 0.25' "$T/out"

# ---- 11: threads: an upper bound, said ----
expect "11: threads = 2^32 + 2" 2 "mlptrain: --set train.threads=4294967298: '4294967298' is out of range (expected an integer in [0, 1024])" \
    "$MLPTRAIN" configs/demo.ini -q -o "$T/d11" --set train.threads=4294967298
expect "11: --threads 1025" 2 "mlptrain: --threads 1025: '1025' is out of range (expected an integer in [0, 1024])" \
    "$MLPTRAIN" configs/demo.ini -q -o "$T/d11" --threads 1025
t_run "$MLPTRAIN" --print-config "$T/tiny.ini" --set train.threads=1024
t_check "11: threads = 1024: exit 0" [ "$rc" -eq 0 ]
t_check "11: threads = 1024 is kept" grep -qx 'threads = 1024' "$T/out"
t_run "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d11t" --threads 1
t_check "11: result.csv threads column" [ "$(result "$T/d11t/result.csv" threads)" = 1 ]
# The default (0) is the CPUs the process may use, so a run pinned to one CPU runs one
# thread, not one per online CPU on a core it does not own.
if t_tool taskset util-linux; then
    t_run taskset -c 0 "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d11a"
    t_check "11: default threads under taskset -c 0: 1" [ "$(result "$T/d11a/result.csv" threads)" = 1 ]
    # More threads than CPUs would only wait for each other: they run as many as CPUs.
    t_run taskset -c 0 "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d11b" --threads 4
    t_check "11: --threads 4 under taskset -c 0 runs 1" [ "$(result "$T/d11b/result.csv" threads)" = 1 ]
else
    t_skip "11: default threads under taskset -c 0: 1" "$t_why"
    t_skip "11: --threads 4 under taskset -c 0 runs 1" "$t_why"
fi

# ---- 12: an unwritable output directory: exit 1 however it is reached ----
: >"$T/plain"
expect "12: -o under a file" 1 "mlptrain: cannot create directory '$T/plain/run': Not a directory" \
    "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/plain/run"
expect "12: output.dir under a file" 1 "mlptrain: --set output.dir=$T/plain/runs: cannot create directory '$T/plain/runs': Not a directory" \
    "$MLPTRAIN" "$T/tiny.ini" -q --set output.dir="$T/plain/runs"
expect "12: output.dir is a file" 1 "mlptrain: --set output.dir=$T/plain: $T/plain: is a regular file (expected a directory)" \
    "$MLPTRAIN" "$T/tiny.ini" -q --set output.dir="$T/plain"
# a read-only directory: as a user who cannot write it (root writes anywhere: run as
# nobody through setpriv)
t_unprivileged
if [ -n "$as_user" ]; then
    chmod 755 "$T"
    mkdir -m 755 "$T/pub"
    cp "$T/tiny.ini" "$T/pub/tiny.ini"
    mkdir -m 555 "$T/pub/ro"
    # shellcheck disable=SC2086
    if $as_user "$MLPTRAIN" --print-config "$T/pub/tiny.ini" >/dev/null 2>"$T/pub.err"; then
        # shellcheck disable=SC2086
        expect "12: read-only, -o" 1 "mlptrain: cannot create directory '$T/pub/ro/run': Permission denied" \
            $as_user "$MLPTRAIN" "$T/pub/tiny.ini" -q -o "$T/pub/ro/run"
        # shellcheck disable=SC2086
        expect "12: read-only, output.dir" 1 "mlptrain: cannot create directory '$T/pub/ro/tiny': Permission denied" \
            $as_user "$MLPTRAIN" "$T/pub/tiny.ini" -q --set output.dir="$T/pub/ro"
        # shellcheck disable=SC2086
        t_expect_line "12: read-only directory as -o" 1 "^mlptrain: cannot write '$T/pub/ro/config\.ini': Permission denied$" \
            $as_user $cap "$MLPTRAIN" "$T/pub/tiny.ini" -q -o "$T/pub/ro"
        t_check "12: nothing written into the read-only directory" [ -z "$(ls -A "$T/pub/ro")" ]
    else
        t_skip "12: a read-only directory" "as nobody, $MLPTRAIN cannot load its config: $(head -c 200 "$T/pub.err")" 4
    fi
else
    t_skip "12: a read-only directory" "$t_why" 4
fi

# ---- 13: unclear messages ----
expect "13: a directory as the config" 2 "mlptrain: $T: is a directory (expected a config file)" "$MLPTRAIN" "$T" -q -o "$T/d13"
expect "13: a directory as the config, --print-config" 2 "mlptrain: $T: is a directory (expected a config file)" "$MLPTRAIN" --print-config "$T"
# CR-only line ends (old Mac files) load; an error names the right line
printf '[data]\rpath = data/mnist\rtrain_limit = 200\r[optim]\rlr = 0.5\r' >"$T/cr.ini"
t_run "$MLPTRAIN" --print-config "$T/cr.ini"
t_check "13: CR-only config: exit 0" [ "$rc" -eq 0 ]
t_check "13: CR-only config: no stderr" [ ! -s "$T/err" ]
t_check "13: CR-only config: the key on line 5" grep -qx 'lr = 0.5' "$T/out"
t_check "13: CR-only config: the key on line 3" grep -qx 'train_limit = 200' "$T/out"
printf '[data]\r\npath = data/mnist\r\n[optim]\r\nlr = 0.5\r\n' >"$T/crlf.ini"
t_run "$MLPTRAIN" --print-config "$T/crlf.ini"
t_check "13: CRLF config: exit 0" [ "$rc" -eq 0 ]
t_check "13: CRLF config: read" grep -qx 'lr = 0.5' "$T/out"
printf '[data]\rpath = data/mnist\r\r[optim]\rlr = fast\r' >"$T/crbad.ini"
expect "13: CR-only config: error on line 5" 2 "mlptrain: $T/crbad.ini:5: optim.lr: 'fast' is not a number (expected a number in (0, 1000])" \
    "$MLPTRAIN" --print-config "$T/crbad.ini"
mkdir -p "$T/dirdata"
cp data/mnist/* "$T/dirdata/"
rm "$T/dirdata/train-labels-idx1-ubyte"
mkdir "$T/dirdata/train-labels-idx1-ubyte"
expect "13: a directory as a data file" 1 "mlptrain: $T/dirdata/train-labels-idx1-ubyte: is a directory (expected a regular file)" \
    "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d13" --set data.path="$T/dirdata"
long=$(printf '%0250d' 0)
expect "13: derived run name over 255 bytes" 2 "mlptrain: $T/tiny.ini: the run name derived from the file name and --set options is 260 bytes (expected at most 255, the longest file name most file systems allow); set output.name" \
    "$MLPTRAIN" "$T/tiny.ini" -q --set output.dir="$T/d13" --set data.path="$long"
expect "13: output.name over 255 bytes" 2 "mlptrain: --set output.name=${long}123456: the name is 256 bytes (expected at most 255, the longest file name most file systems allow)" \
    "$MLPTRAIN" "$T/tiny.ini" -q --set output.dir="$T/d13" --set output.name="${long}123456"
t_check "13: refused runs create no directory" [ ! -e "$T/d13" ]

# ---- 14: nonsense refused, not read as something else ----
expect "14: lr = 0x10" 2 "mlptrain: --set optim.lr=0x10: '0x10' is not a number (expected a number in (0, 1000])" \
    "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d14" --set optim.lr=0x10
expect "14: epochs = 0x2" 2 "mlptrain: --set train.epochs=0x2: '0x2' is not an integer (expected an integer in [0, 1000000])" \
    "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d14" --set train.epochs=0x2
expect "14: lr = 0" 2 "mlptrain: --set optim.lr=0: '0' is out of range (expected a number in (0, 1000])" \
    "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d14" --set optim.lr=0
expect "14: lambda = 0" 2 "mlptrain: --set schedule.lambda=0: the learning rate would be 0 at every step, so nothing would train (expected a schedule with a learning rate > 0 at some step)" \
    "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d14" --set schedule.type=lambda --set schedule.lambda=0
expect "14: lr = nan" 2 "mlptrain: --set optim.lr=nan: 'nan' is not a number (expected a number in (0, 1000])" \
    "$MLPTRAIN" "$T/tiny.ini" -q -o "$T/d14" --set optim.lr=nan
t_check "14: refused runs create no directory" [ ! -e "$T/d14" ]
# a zero LR on some steps is a choice (a warm-up from 0 is not refused)
t_run "$MLPTRAIN" --print-schedule "$T/tiny.ini" --set schedule.type=lambda --set 'schedule.lambda=min(epoch, 1)' --set train.epochs=2
t_check "14: lambda 0 then 1: exit 0" [ "$rc" -eq 0 ]
t_check "14: lambda 0 then 1: the schedule" [ "$(tr -d '\r' <"$T/out" | tr '\n' ' ')" = "epoch,lr 0,0 1,0.10000000000000001 " ]

t_done
