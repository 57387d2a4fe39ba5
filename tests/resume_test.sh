# resume_test.sh - checkpoints, --resume, early stopping, model.bin, `mlptrain eval` and
# the confusion matrix, end to end with the binary on the bundled data: a real SIGTERM and
# a real kill -9 at whatever moment they land, continued (with another thread count) to
# the files of the uninterrupted run; the four damaged checkpoints refused with the run's
# files untouched; the refusals of --resume and eval; eval reproducing result.csv; class
# names; a sweep interrupted and rerun. (tests/test_resume.c stops runs after chosen steps.)
. tests/lib.sh

cat >"$T/r.ini" <<'INI'
[data]
dataset = mnist
path = data/mnist
val_split = 0.1
test_limit = 200
[model]
hidden = 64
dropout = 0.1
[optim]
optimizer = sgd
lr = 0.05
momentum = 0.9
[train]
epochs = 25
batch_size = 32
eval_test_every_epoch = false
checkpoint_every = 1
seed = 4
threads = 1
INI

# The columns of each file that do not depend on time, memory or threads.
untimed_rows() { tr -d '\r' <"$1" | cut -d, -f1-9; }
untimed_result() {
    tr -d '\r' <"$1" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^name$|seconds|peak_rss|threads/) drop[i] = 1 }
        { s = ""; for (i = 1; i <= NF; i++) if (!drop[i]) s = s $i ","; print s }'
}
col() { # FILE COLUMN: the value in row 2
    tr -d '\r' <"$1" | awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i } NR == 2 { print $k }'
}
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
# wait_until COND...: polls every 0.02 s while process $pid lives, for at most 60 s
wait_until() { i=0; while ! "$@" && kill -0 "$pid" 2>/dev/null && [ $i -lt 3000 ]; do sleep 0.02; i=$((i + 1)); done; }
has_rows() { [ "$(lines "$1")" -ge "$2" ]; }
# same_run NAME DIR REF: DIR holds the files of the uninterrupted run REF
same_run() {
    t_check "$1: epochs.csv as uninterrupted" [ "$(untimed_rows "$2/epochs.csv")" = "$(untimed_rows "$3/epochs.csv")" ]
    t_check "$1: result.csv as uninterrupted" [ "$(untimed_result "$2/result.csv")" = "$(untimed_result "$3/result.csv")" ]
    t_check "$1: model.bin as uninterrupted" cmp -s "$2/model.bin" "$3/model.bin"
    t_check "$1: confusion.csv as uninterrupted" cmp -s "$2/confusion.csv" "$3/confusion.csv"
    t_check "$1: per_class.csv as uninterrupted" cmp -s "$2/per_class.csv" "$3/per_class.csv"
}
digest() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs md5sum); }

"$MLPTRAIN" "$T/r.ini" -o "$T/ref" -q --threads 1
for f in checkpoint.bin model.bin confusion.csv per_class.csv; do
    t_check "a run writes $f" [ -s "$T/ref/$f" ]
done
t_check "status ok" [ "$(col "$T/ref/result.csv" status)" = ok ]

# --- SIGTERM at whatever step it lands: exit 143, then --resume with 1 thread instead of 2 ---
"$MLPTRAIN" "$T/r.ini" -o "$T/term" -q --threads 2 &
pid=$!
wait_until has_rows "$T/term/epochs.csv" 3
kill -TERM $pid
wait $pid
rc=$?
t_check "SIGTERM exits 143 (before the run ended)" [ "$rc" -eq 143 ]
t_check "interrupted status" [ "$(col "$T/term/result.csv" status)" = interrupted ]
t_check "interrupted run leaves a checkpoint" [ -s "$T/term/checkpoint.bin" ]
cp -r "$T/term" "$T/term0"
t_run "$MLPTRAIN" --resume "$T/term" --threads 1
t_check "--resume exits 0 ($(tail -n 1 "$T/err"))" [ "$rc" -eq 0 ]
t_check "--resume says where it continues" grep -q "continuing $T/term from its checkpoint: epoch" "$T/err"
same_run "SIGTERM + resume" "$T/term" "$T/ref"
t_check "resumed result.csv names its threads" [ "$(col "$T/term/result.csv" threads)" = 1 ]

# --- kill -9 after a checkpoint (rows written after it go), then --resume ---
"$MLPTRAIN" "$T/r.ini" -o "$T/kill" -q &
pid=$!
wait_until has_rows "$T/kill/epochs.csv" 4
kill -9 $pid
wait $pid 2>/dev/null
t_check "killed before the end (no result.csv)" [ ! -e "$T/kill/result.csv" ]
t_check "a checkpoint survives kill -9" [ -s "$T/kill/checkpoint.bin" ]
t_run "$MLPTRAIN" --resume "$T/kill" -q
t_check "--resume after kill -9 exits 0 ($(cat "$T/err"))" [ "$rc" -eq 0 ]
same_run "kill -9 + resume" "$T/kill" "$T/ref"
# temporaries a killed process left are removed when the run is taken up again; one a live
# process may be writing (a run claiming the directory) is left alone
cp -r "$T/term0" "$T/tmps"
dead=99999
while kill -0 "$dead" 2>/dev/null; do dead=$((dead + 1)); done
echo x >"$T/tmps/checkpoint.bin.tmp.$dead"
echo x >"$T/tmps/model.bin.tmp.$$"
echo x >"$T/tmps/notes.tmp.$dead"
t_run "$MLPTRAIN" --resume "$T/tmps" -q
t_check "--resume beside stale temporaries exits 0 ($(cat "$T/err"))" [ "$rc" -eq 0 ]
t_check "a dead process's checkpoint.bin.tmp.PID is removed" [ ! -e "$T/tmps/checkpoint.bin.tmp.$dead" ]
t_check "a live process's model.bin.tmp.PID is left" [ -e "$T/tmps/model.bin.tmp.$$" ]
t_check "a file that is no run's is left" [ -e "$T/tmps/notes.tmp.$dead" ]

# --- four damaged checkpoints: a clear error, exit 1 or 2, and no file of the run changed ---
"$MLPTRAIN" "$T/r.ini" -o "$T/other" -q --set train.epochs=1 --set train.seed=5
damage() { # NAME CODE MESSAGE_REGEX: resume $T/d (already damaged) and check
    before=$(digest "$T/d")
    t_run "$MLPTRAIN" --resume "$T/d" -q
    t_check "$1: exit $2 (got $rc: $(cat "$T/err"))" [ "$rc" -eq "$2" ]
    t_check "$1: message" grep -qE "$3" "$T/err"
    t_check "$1: one line" [ "$(wc -l <"$T/err")" -eq 1 ]
    t_check "$1: no file of the run changed" [ "$(digest "$T/d")" = "$before" ]
    rm -rf "$T/d"
}
cp -r "$T/term0" "$T/d"
printf 'X' | dd of="$T/d/checkpoint.bin" bs=1 seek=200 conv=notrunc 2>/dev/null
damage "a flipped byte" 1 "checkpoint.bin: damaged: the CRC-32 of its data is [0-9a-f]{8}, the header says"
cp -r "$T/term0" "$T/d"
head -c 1000 "$T/term0/checkpoint.bin" >"$T/d/checkpoint.bin"
damage "a truncated checkpoint" 1 "checkpoint.bin: truncated: the header says [0-9]+ bytes of data follow, the file holds 968"
cp -r "$T/term0" "$T/d"
cp "$T/other/checkpoint.bin" "$T/d/checkpoint.bin"
damage "another config's checkpoint" 2 "checkpoint.bin: written by a run of another config"
cp -r "$T/term0" "$T/d"
printf '\007' | dd of="$T/d/checkpoint.bin" bs=1 seek=8 conv=notrunc 2>/dev/null
damage "an unknown version" 1 "checkpoint.bin: format version 7, which this mlptrain does not read \(expected version 1\)"
cp -r "$T/term0" "$T/d"
printf 'x' >>"$T/d/epochs.csv"
cp "$T/d/epochs.csv" "$T/d.rows"
tr '0' '1' <"$T/d.rows" >"$T/d/epochs.csv"
damage "an epochs.csv changed since" 1 "epochs.csv: its first [0-9]+ bytes differ from those the checkpoint recorded \(CRC-32 [0-9a-f]{8}, the checkpoint says [0-9a-f]{8}; the file is $(wc -c <"$T/d/epochs.csv" | tr -d ' ') bytes\): it was changed since, so the run cannot continue it$"
# line ends converted to LF (a tool, a git checkout): the file's size, and the cause
cp -r "$T/term0" "$T/d"
tr -d '\r' <"$T/term0/epochs.csv" >"$T/d/epochs.csv"
damage "an epochs.csv with LF line ends" 1 "epochs.csv: (is $(wc -c <"$T/d/epochs.csv" | tr -d ' ') bytes, fewer than the [0-9]+ the checkpoint recorded|its first [0-9]+ bytes differ from those the checkpoint recorded \(.*; the file is $(wc -c <"$T/d/epochs.csv" | tr -d ' ') bytes\)): it was changed since, so the run cannot continue it: its line ends are LF, not the CRLF mlptrain writes \(converted by a tool or a git checkout\?\); restore them \(e.g. unix2dos\) to continue$"

# --- what --resume refuses ---
expect() { # NAME CODE MESSAGE_REGEX ARGS...
    n=$1 code=$2 re=$3
    shift 3
    t_run "$MLPTRAIN" "$@"
    t_check "$n: exit $code (got $rc: $(head -c 300 "$T/err"))" [ "$rc" -eq "$code" ]
    t_check "$n: message" grep -qE -e "$re" "$T/err"
}
cp -r "$T/term0" "$T/t1"
expect "--set of a key that changes results" 2 "^mlptrain: --set optim.lr=0.1: a continued run keeps the config it started with \($T/t1/config.ini\): its results must be those of the uninterrupted run, so only train.threads, train.checkpoint_every, output.dir, output.name may be set$" --resume "$T/t1" --set optim.lr=0.1
t_run "$MLPTRAIN" --resume "$T/t1" -q --threads 1 --set train.checkpoint_every=0 --set output.name=x
t_check "--set of keys that change no result is accepted" [ "$rc" -eq 0 ]
same_run "resume with other output keys" "$T/t1" "$T/ref"
expect "a finished run" 2 "ref: the run is finished \(status ok in result.csv\); there is nothing to continue" --resume "$T/ref"
mkdir "$T/norun"
expect "not a run directory" 2 "norun: not a run directory \(it holds no config.ini\)" --resume "$T/norun"
expect "a missing directory" 2 "missing: not a run directory" --resume "$T/missing"
cp -r "$T/term0" "$T/t2"
rm "$T/t2/checkpoint.bin"
expect "no checkpoint" 2 "t2: no checkpoint.bin to continue from" --resume "$T/t2"
# a checkpoint.bin that is no file is a damaged run (exit 1), not a missing checkpoint; a
# FIFO is never opened, so nothing blocks (timeout's 124 would say it did)
if command -v timeout >/dev/null 2>&1; then cap="timeout 30"; else cap=""; fi
cp -r "$T/t2" "$T/t3"
mkdir "$T/t3/checkpoint.bin"
before=$(digest "$T/t3")
# shellcheck disable=SC2086
t_expect_line "checkpoint.bin a directory" 1 "^mlptrain: $T/t3/checkpoint.bin: is a directory \(expected a checkpoint file\)$" $cap "$MLPTRAIN" --resume "$T/t3" -q
t_check "checkpoint.bin a directory: no file of the run changed" [ "$(digest "$T/t3")" = "$before" ]
rmdir "$T/t3/checkpoint.bin"
if mkfifo "$T/t3/checkpoint.bin" 2>/dev/null; then
    # shellcheck disable=SC2086
    t_expect_line "checkpoint.bin a FIFO" 1 "^mlptrain: $T/t3/checkpoint.bin: is a named pipe \(expected a checkpoint file\)$" $cap "$MLPTRAIN" --resume "$T/t3" -q
    t_check "checkpoint.bin a FIFO: no file of the run changed" [ "$(digest "$T/t3")" = "$before" ]
else
    t_skip "checkpoint.bin a FIFO" "mkfifo cannot make a FIFO in $T" 2
fi
expect "-o with --resume" 2 "-o does not go with it" --resume "$T/t2" -o "$T/x"
expect "a config file with --resume" 2 "takes no config file" --resume "$T/t2" "$T/r.ini"

# --- one process per run directory: a running run cannot be continued by another ---
"$MLPTRAIN" "$T/r.ini" -o "$T/busy" -q --set train.epochs=100000 &
pid=$!
wait_until [ -s "$T/busy/checkpoint.bin" ]
before=$(digest "$T/busy" | grep -v 'epochs.csv\|checkpoint.bin')
t_run "$MLPTRAIN" --resume "$T/busy" -q
t_check "--resume of a running run: exit 2 ($(cat "$T/err"))" [ "$rc" -eq 2 ]
t_check "--resume of a running run: message" grep -q "busy: process $pid is running this run now" "$T/err"
kill -9 $pid
wait $pid 2>/dev/null
t_check "--resume of a running run changed nothing" [ "$(digest "$T/busy" | grep -v 'epochs.csv\|checkpoint.bin')" = "$before" ]

# --- eval: the saved model gives result.csv's test numbers again, exactly ---
t_run "$MLPTRAIN" eval "$T/ref"
t_check "eval exits 0 ($(cat "$T/err"))" [ "$rc" -eq 0 ]
t_check "eval test_loss = result.csv's" [ "$(sed -n 's/^test_loss //p' "$T/out")" = "$(col "$T/ref/result.csv" test_loss)" ]
t_check "eval test_acc = result.csv's" [ "$(sed -n 's/^test_acc //p' "$T/out")" = "$(col "$T/ref/result.csv" test_acc)" ]
t_check "eval prints the records" grep -qx 'records 200' "$T/out"
t_check "eval's confusion.csv = the run's" cmp -s "$T/ref/eval/confusion.csv" "$T/ref/confusion.csv"
t_check "eval's per_class.csv = the run's" cmp -s "$T/ref/eval/per_class.csv" "$T/ref/per_class.csv"
t_check "eval.csv" [ "$(tr -d '\r' <"$T/ref/eval/eval.csv" | sed -n 2p)" = "$T/ref,last,25,mnist,data/mnist,200,$(col "$T/ref/result.csv" test_loss),$(col "$T/ref/result.csv" test_acc)" ]
t_run "$MLPTRAIN" eval "$T/term" -q --threads 2
t_check "eval of a resumed run, 2 threads, reproduces it" [ "$(sed -n 's/^test_acc //p' "$T/out")" = "$(col "$T/term/result.csv" test_acc)" ]
t_run "$MLPTRAIN" eval "$T/ref" -q --set data.dataset=fashion-mnist --set data.path=data/fashion-mnist -o "$T/fm"
t_check "eval on another dataset of the same shape" [ "$rc" -eq 0 ]
t_check "Fashion-MNIST class names" [ "$(head -n 1 "$T/fm/confusion.csv" | tr -d '\r')" = "class,T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot" ]
t_check "the run's own eval/ is left alone" cmp -s "$T/ref/eval/confusion.csv" "$T/ref/confusion.csv"
expect "eval on an incompatible dataset" 2 "data/cifar10: cifar10 records have 3072 values in 10 classes, but the model takes 784 values in 10 classes \(expected a dataset like the one it was trained on, mnist\)" eval "$T/ref" --set data.dataset=cifar10 --set data.path=data/cifar10
expect "eval of a key that is not the test set" 2 "^mlptrain: --set optim.lr=1: eval evaluates the saved model as it was trained, so only data.dataset, data.path, data.test_limit, train.threads may be set$" eval "$T/ref" --set optim.lr=1
expect "eval into the run directory" 2 "never overwrites the run's own confusion.csv" eval "$T/ref" -o "$T/ref"
# eval -o writes only into a new or empty directory or an earlier eval of the same run
before=$(digest "$T/term")
expect "eval -o another run's directory" 2 "-o $T/term: holds a run \(config.ini\); eval never writes into a run's directory" eval "$T/ref" -o "$T/term"
t_check "the other run's files are untouched" [ "$(digest "$T/term")" = "$before" ]
expect "eval -o another run's evaluation" 2 "-o $T/fm: holds the evaluation of another run \(its eval.csv does not name $T/term\)" eval "$T/term" -o "$T/fm"
t_check "the other evaluation is untouched" [ "$(sed -n 2p "$T/fm/eval.csv" | cut -d, -f1)" = "$T/ref" ]
mkdir "$T/stray" && echo notes >"$T/stray/notes.txt"
expect "eval -o a directory of other files" 2 "-o $T/stray: holds notes.txt, which eval does not write" eval "$T/ref" -o "$T/stray"
t_run "$MLPTRAIN" eval "$T/ref" -q --set data.dataset=fashion-mnist --set data.path=data/fashion-mnist -o "$T/fm"
t_check "eval -o its own earlier evaluation again ($(head -c 200 "$T/err"))" [ "$rc" -eq 0 ]
cp -r "$T/ref" "$T/badmodel"
printf 'X' | dd of="$T/badmodel/model.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
expect "eval of a damaged model.bin" 1 "model.bin: damaged: the CRC-32" eval "$T/badmodel"
expect "eval of a directory without a run" 2 "not a run directory" eval "$T/norun"

# --- early stopping with the best weights ---
t_run "$MLPTRAIN" "$T/r.ini" -o "$T/es" -q --set train.early_stop_patience=2 --set train.restore_best=true --set train.eval_test_every_epoch=true --set optim.lr=0.2
t_check "early stopping run exits 0" [ "$rc" -eq 0 ]
stopped=$(col "$T/es/result.csv" stopped_epoch)
best=$(col "$T/es/result.csv" best_epoch)
t_check "stopped before epoch 25 ($stopped)" [ "${stopped:-25}" -lt 25 ]
t_check "epochs = stopped_epoch" [ "$(col "$T/es/result.csv" epochs)" = "$stopped" ]
t_check "one row per epoch up to the stop" [ "$(lines "$T/es/epochs.csv")" -eq $((stopped + 1)) ]
t_check "the best epoch 2 epochs before the stop ($best)" [ "$best" -eq $((stopped - 2)) ]
best_row_acc=$(tr -d '\r' <"$T/es/epochs.csv" | awk -F, -v b="$best" '$1 == b { print $9 }')
t_check "test_acc of the restored best weights = the best epoch's row" [ "$(col "$T/es/result.csv" test_acc)" = "$best_row_acc" ]
t_run "$MLPTRAIN" eval "$T/es" -q
t_check "model.bin holds the best weights" [ "$(sed -n 's/^test_acc //p' "$T/out")" = "$best_row_acc" ]
t_check "eval.csv says best" [ "$(tr -d '\r' <"$T/es/eval/eval.csv" | sed -n 2p | cut -d, -f2,3)" = "best,$best" ]
t_run "$MLPTRAIN" "$T/r.ini" -o "$T/es0" -q --set data.val_split=0 --set train.early_stop_patience=2
t_check "early stopping without validation: exit 2" [ "$rc" -eq 2 ]
t_check "early stopping without validation: message" [ "$(cat "$T/err")" = "mlptrain: --set train.early_stop_patience=2: train.early_stop_patience = 2 requires data.val_split > 0 (early stopping follows a validation metric); set data.val_split, e.g. 0.1" ]
t_run "$MLPTRAIN" "$T/r.ini" -o "$T/es1" -q --set data.val_split=0 --set train.restore_best=yes
t_check "restore_best without validation: exit 2" [ "$rc" -eq 2 ]
t_check "restore_best without validation: message" grep -q "train.restore_best = true requires data.val_split > 0" "$T/err"
"$MLPTRAIN" "$T/r.ini" -o "$T/nv" -q --set data.val_split=0 --set train.epochs=1
t_check "without validation: best_epoch empty" [ -z "$(col "$T/nv/result.csv" best_epoch)" ]
t_check "without early stopping: stopped_epoch empty" [ -z "$(col "$T/ref/result.csv" stopped_epoch)" ]

# --- CIFAR-10: class names from batches.meta.txt ---
"$MLPTRAIN" "$T/r.ini" -o "$T/cf" -q --set data.dataset=cifar10 --set data.path=data/cifar10 --set train.epochs=1 --set model.hidden=16
t_check "CIFAR-10 confusion.csv header" [ "$(head -n 1 "$T/cf/confusion.csv" | tr -d '\r')" = "class,airplane,automobile,bird,cat,deer,dog,frog,horse,ship,truck" ]
t_check "CIFAR-10 confusion.csv: a row per class" [ "$(tr -d '\r' <"$T/cf/confusion.csv" | cut -d, -f1 | tail -n +2 | tr '\n' ' ')" = "airplane automobile bird cat deer dog frog horse ship truck " ]
t_check "per_class.csv header" [ "$(head -n 1 "$T/cf/per_class.csv" | tr -d '\r')" = "class,name,records,predicted,correct,accuracy,precision" ]
total=$(tr -d '\r' <"$T/cf/per_class.csv" | awk -F, 'NR > 1 { s += $3 } END { print s }')
t_check "per_class.csv counts every test record" [ "$total" = 200 ]
mkdir "$T/cmeta"
cp data/cifar10/*.bin "$T/cmeta/"
printf 'airplane\nautomobile\n' >"$T/cmeta/batches.meta.txt"
expect "a short batches.meta.txt" 1 "batches.meta.txt: 2 class names \(expected 10, one a line\)" "$T/r.ini" -o "$T/cm" --set data.dataset=cifar10 --set "data.path=$T/cmeta"

# --- a sweep interrupted and rerun continues its interrupted run ---
cat >"$T/sweep.ini" <<'INI'
[data]
dataset = mnist
path = data/mnist
val_split = 0.1
test_limit = 100
[model]
hidden = 32
[optim]
lr = 0.05
[train]
epochs = 20
batch_size = 32
threads = 1
[sweep]
seeds = 1, 2
INI
"$MLPTRAIN" sweep "$T/sweep.ini" -o "$T/sw-ref" -q --jobs 1
"$MLPTRAIN" sweep "$T/sweep.ini" -o "$T/sw" -q --jobs 1 &
pid=$!
wait_until has_rows "$T/sw/sweep_seed=1/epochs.csv" 3
kill -TERM $pid
wait $pid
rc=$?
t_check "interrupted sweep exits 143" [ "$rc" -eq 143 ]
t_check "its run is interrupted" [ "$(tr -d '\r' <"$T/sw/sweep.csv" | grep -c ',interrupted$')" -eq 1 ]
t_run "$MLPTRAIN" sweep "$T/sweep.ini" -o "$T/sw" --jobs 1
t_check "rerun exits 0 ($(tail -n 1 "$T/err"))" [ "$rc" -eq 0 ]
t_check "rerun continues the interrupted run" grep -q "continuing $T/sw/sweep_seed=1 from its checkpoint" "$T/err"
for run in sweep_seed=1 sweep_seed=2; do
    same_run "sweep rerun, $run" "$T/sw/$run" "$T/sw-ref/$run"
done

# --- a run interrupted by an earlier mlptrain (tests/fixtures/resume-2026-12: its
# config.ini, epochs.csv and checkpoint.bin, SIGINT after 54 of 150 epochs) resumes: the
# checkpoint format and the config hash of its keys hold across versions (a key added since
# has a default that keeps the old results, so it leaves the hash as it was) ---
cp -R tests/fixtures/resume-2026-12 "$T/old"
t_run "$MLPTRAIN" --resume "$T/old" -q
t_check "a checkpoint of 2026-12 resumes: exit 0 ($(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
t_check "it finishes the run: status ok" [ "$(tr -d '\r' <"$T/old/result.csv" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "status") c = i } NR == 2 { print $c }')" = ok ]
t_check "it finishes the run: 150 epoch rows" [ "$(($(wc -l <"$T/old/epochs.csv") - 1))" -eq 150 ]
acc=$(tr -d '\r' <"$T/old/result.csv" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "test_acc") c = i } NR == 2 { print $c }')
t_check "and trains on from where it was: test accuracy $acc (0.788 on the AVX2 path that wrote it)" \
    awk -v a="$acc" 'BEGIN { exit !(a >= 0.7) }'

t_done
