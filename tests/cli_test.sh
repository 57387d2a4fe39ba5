# cli_test.sh - end-to-end runs of the mlptrain binary on the bundled data: files and
# columns written, loss falls, reproducibility, divergence, interruption, summaries,
# exit codes and error text.
. tests/lib.sh

EPOCH_HEADER='epoch,iteration,lr,train_loss,train_acc,val_loss,val_acc,test_loss,test_acc,epoch_seconds,elapsed_seconds'
RESULT_HEADER='name,dataset,hidden,activation,batchnorm,dropout,optimizer,lr,batch_size,epochs,schedule,seed,params,test_acc,test_loss,best_val_acc,best_epoch,stopped_epoch,train_seconds,seconds_per_100_iterations,peak_rss_bytes,model_bytes,threads,status'

cat >"$T/small.ini" <<'INI'
[data]
dataset = mnist
path = data/mnist
val_split = 0.2
train_limit = 1000
[model]
hidden = 32, 32
activation = relu
[optim]
optimizer = sgd
lr = 0.1
[train]
epochs = 2
batch_size = 64
seed = 7
eval_test_every_epoch = false
INI

# Columns 1-9 of epochs.csv: everything but the two time columns.
untimed() { tr -d '\r' <"$1" | cut -d, -f1-9; }
field() { tr -d '\r' <"$1" | sed -n "${2}p" | cut -d, -f"$3"; }
col_of() { tr -d '\r' <"$1" | head -n 1 | tr ',' '\n' | grep -n -x "$2" | cut -d: -f1; }

# --- a 2-epoch run: exit 0, every file, exact headers, loss falls ---
t_run "$MLPTRAIN" "$T/small.ini" -o "$T/run1" -q
t_check "run exits 0" [ "$rc" -eq 0 ]
for f in epochs.csv result.csv config.ini summary.txt; do
    t_check "run writes $f" [ -s "$T/run1/$f" ]
done
t_check "epochs.csv header" [ "$(head -n 1 "$T/run1/epochs.csv" | tr -d '\r')" = "$EPOCH_HEADER" ]
t_check "result.csv header" [ "$(head -n 1 "$T/run1/result.csv" | tr -d '\r')" = "$RESULT_HEADER" ]
t_check "epochs.csv has 2 rows" [ "$(wc -l <"$T/run1/epochs.csv")" -eq 3 ]
t_check "CRLF line ends" grep -q "$(printf '\r')$" "$T/run1/epochs.csv"
l1=$(field "$T/run1/epochs.csv" 2 4)
l2=$(field "$T/run1/epochs.csv" 3 4)
t_check "train loss falls ($l1 -> $l2)" awk -v a="$l1" -v b="$l2" 'BEGIN { exit !(b < a) }'
t_check "first row has no test columns" [ -z "$(field "$T/run1/epochs.csv" 2 8)" ]
t_check "last row has test accuracy" [ -n "$(field "$T/run1/epochs.csv" 3 9)" ]
t_check "result row has 24 fields" [ "$(sed -n 2p "$T/run1/result.csv" | tr -d '\r' | awk -F, '{print NF}')" -eq 24 ]
t_check "status ok" [ "$(field "$T/run1/result.csv" 2 "$(col_of "$T/run1/result.csv" status)")" = ok ]
t_check "params column" [ "$(field "$T/run1/result.csv" 2 "$(col_of "$T/run1/result.csv" params)")" = 26506 ]
acc=$(field "$T/run1/result.csv" 2 "$(col_of "$T/run1/result.csv" test_acc)")
t_check "test accuracy is a fraction above chance ($acc)" awk -v a="$acc" 'BEGIN { exit !(a > 0.5 && a <= 1) }'

# --- config.ini in the run directory re-runs to the same numbers ---
t_run "$MLPTRAIN" "$T/run1/config.ini" -o "$T/run1b" -q
t_check "resolved config.ini re-runs" [ "$rc" -eq 0 ]
t_check "re-run from config.ini is identical" [ "$(untimed "$T/run1/epochs.csv")" = "$(untimed "$T/run1b/epochs.csv")" ]

# --- same seed twice: identical apart from time columns; any thread count identical too ---
t_run "$MLPTRAIN" "$T/small.ini" -o "$T/run2" -q --threads 1
t_check "same seed, same epochs.csv" [ "$(untimed "$T/run1/epochs.csv")" = "$(untimed "$T/run2/epochs.csv")" ]
t_run "$MLPTRAIN" "$T/small.ini" -o "$T/run3" -q --threads 2
t_check "2 threads, same epochs.csv" [ "$(untimed "$T/run1/epochs.csv")" = "$(untimed "$T/run3/epochs.csv")" ]
t_run "$MLPTRAIN" "$T/small.ini" -o "$T/run3b" -q --threads 3 --set model.hidden=300,200 --set model.batchnorm=true --set model.dropout=0.2 --set optim.optimizer=adam --set optim.lr=0.001
t_run "$MLPTRAIN" "$T/small.ini" -o "$T/run3c" -q --threads 1 --set model.hidden=300,200 --set model.batchnorm=true --set model.dropout=0.2 --set optim.optimizer=adam --set optim.lr=0.001
t_check "3 threads = 1 thread (wide net, batch norm, dropout, Adam)" [ "$(untimed "$T/run3b/epochs.csv")" = "$(untimed "$T/run3c/epochs.csv")" ]
t_run "$MLPTRAIN" "$T/small.ini" -o "$T/run4" -q --set train.seed=8
t_check "another seed differs" [ "$(untimed "$T/run1/epochs.csv")" != "$(untimed "$T/run4/epochs.csv")" ]

# --- stderr: one line per epoch, silenced by -q ---
t_run "$MLPTRAIN" "$T/small.ini" -o "$T/run5"
t_check "per-epoch lines on stderr" [ "$(grep -c '^epoch ' "$T/err")" -eq 2 ]
t_run "$MLPTRAIN" "$T/small.ini" -o "$T/run6" -q
t_check "-q silences stderr" [ ! -s "$T/err" ]

# --- a diverging run is a result: status diverged, exit 0 ---
t_run "$MLPTRAIN" "$T/small.ini" -o "$T/div" -q --set optim.lr=50
t_check "diverged run exits 0" [ "$rc" -eq 0 ]
t_check "status diverged" [ "$(field "$T/div/result.csv" 2 "$(col_of "$T/div/result.csv" status)")" = diverged ]
t_check "diverged run still has a test row" [ -n "$(tr -d '\r' <"$T/div/epochs.csv" | tail -n 1 | cut -d, -f9)" ]

# --- run names: derived from the file and --set, made unique ---
t_run "$MLPTRAIN" "$T/small.ini" -q --set output.dir="$T/runs" --set model.hidden=16
t_check "derived run name" [ -f "$T/runs/small_hidden=16/result.csv" ]
t_run "$MLPTRAIN" "$T/small.ini" -q --set output.dir="$T/runs" --set model.hidden=16
t_check "second run gets -2" [ -f "$T/runs/small_hidden=16-2/result.csv" ]
t_run "$MLPTRAIN" "$T/small.ini" -q -o "$T/run1"
t_check "-o refuses a directory holding a run" [ "$rc" -eq 2 ]
t_check "-o refusal says why" grep -q 'already holds a run' "$T/err"

# --- SIGTERM: finish the batch, write results, exit 143 ---
"$MLPTRAIN" "$T/small.ini" -o "$T/term" -q --set train.epochs=100000 --set data.train_limit=0 >/dev/null 2>&1 &
pid=$!
i=0
while [ ! -s "$T/term/epochs.csv" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $pid
wait $pid
rc=$?
t_check "SIGTERM exits 143" [ "$rc" -eq 143 ]
t_check "interrupted status" [ "$(field "$T/term/result.csv" 2 "$(col_of "$T/term/result.csv" status)")" = interrupted ]

# --- batch norm with a last batch of 1 record: refused before training ---
t_run "$MLPTRAIN" "$T/small.ini" -q -o "$T/bn1" --set model.batchnorm=true --set data.train_limit=1025 --set data.val_split=0
t_check "bn batch of 1 exits 2" [ "$rc" -eq 2 ]
t_check "bn batch of 1 explains" grep -q 'last batch of 1' "$T/err"

# --- --summary: torchsummary counts, no data needed ---
t_run "$MLPTRAIN" --summary "$T/small.ini" --set data.dataset=cifar10 --set data.path=/nonexistent --set model.hidden=256,256
t_check "summary exits 0" [ "$rc" -eq 0 ]
t_check "summary 3072-256-256-10" grep -q '^Total params: 855,050$' "$T/out"
t_check "summary rows" grep -q '^            Linear-1                  \[-1, 256\]         786,688$' "$T/out"
t_run "$MLPTRAIN" --summary "$T/small.ini" --set data.dataset=cifar10 --set model.hidden=2048,2048 --set model.batchnorm=true
t_check "summary 3072-2048-2048-10 bn" grep -q '^Total params: 10,518,538$' "$T/out"
t_check "summary BatchNorm1d row" grep -q 'BatchNorm1d-2' "$T/out"

# --- schedules: --print-schedule, and the lr column follows the schedule ---
t_run "$MLPTRAIN" --print-schedule "$T/small.ini" --set schedule.type=step --set schedule.step_size=1 --set schedule.gamma=0.5 --set train.epochs=3
t_check "--print-schedule exits 0" [ "$rc" -eq 0 ]
t_check "--print-schedule table" [ "$(tr -d '\r' <"$T/out" | tr '\n' ' ')" = "epoch,lr 0,0.10000000000000001 1,0.050000000000000003 2,0.025000000000000001 " ]
t_run "$MLPTRAIN" --print-schedule "$T/small.ini" --set schedule.type=inv --set schedule.gamma=0.001 --set schedule.power=0.75 --set train.epochs=1
t_check "--print-schedule per iteration for Caffe inv" [ "$(tr -d '\r' <"$T/out" | sed -n 3p)" = "1,0.099925065564900106" ]
t_check "inv table has one row per iteration" [ "$(wc -l <"$T/out")" -eq 14 ]
t_run "$MLPTRAIN" --print-schedule "$T/small.ini" --set schedule.type=plateau
t_check "plateau without validation is a config error" [ "$rc" -eq 2 ]
t_run "$MLPTRAIN" "$T/small.ini" -q -o "$T/sched" --set schedule.type=step --set schedule.step_size=1 --set schedule.gamma=0.5
t_check "lr column follows the schedule" [ "$(tr -d '\r' <"$T/sched/epochs.csv" | cut -d, -f3 | tr '\n' ' ')" = "lr 0.1 0.05 " ]
t_run "$MLPTRAIN" "$T/small.ini" -q -o "$T/plateau" --set schedule.type=plateau --set schedule.patience=0 --set schedule.threshold=10 --set train.epochs=3
t_check "plateau run cuts the LR each epoch" [ "$(tr -d '\r' <"$T/plateau/epochs.csv" | cut -d, -f3 | tr '\n' ' ')" = "lr 0.1 0.01 0.001 " ]

# --- CLI basics and exit codes ---
t_run "$MLPTRAIN" --version
t_check "--version exits 0" [ "$rc" -eq 0 ]
t_check "--version names mlptrain" grep -q '^mlptrain ' "$T/out"
t_run "$MLPTRAIN" --help
t_check "--help lists exit codes" grep -q '^exit codes:' "$T/out"
t_run "$MLPTRAIN" --help-config
t_check "--help-config lists keys" grep -q 'optim.lr' "$T/out"
t_run "$MLPTRAIN"
t_check "no config: exit 2" [ "$rc" -eq 2 ]
t_run "$MLPTRAIN" --frobnicate "$T/small.ini"
t_check "unknown option: exit 2" [ "$rc" -eq 2 ]
t_check "unknown option: named" grep -q "unknown option '--frobnicate'" "$T/err"
t_run "$MLPTRAIN" "$T/small.ini" -q -o "$T/nodata" --set data.path="$T/missing"
t_check "missing data: exit 1" [ "$rc" -eq 1 ]
t_check "missing data: names the path" grep -q "$T/missing" "$T/err"

# --- the other bundled datasets train ---
t_run "$MLPTRAIN" "$T/small.ini" -q -o "$T/fm" --set data.dataset=fashion-mnist --set data.path=data/fashion-mnist --set train.epochs=1
t_check "fashion-mnist subset trains" [ "$rc" -eq 0 ]
t_run "$MLPTRAIN" "$T/small.ini" -q -o "$T/cf" --set data.dataset=cifar10 --set data.path=data/cifar10 --set train.epochs=1 --set data.train_limit=0
t_check "cifar10 subset trains" [ "$rc" -eq 0 ]

# --- what goes to stdout is a result: a failed write is an error, not exit 0 ---
if [ -w /dev/full ]; then
    "$MLPTRAIN" --print-config configs/demo.ini >/dev/full 2>"$T/err"
    rc=$?
    t_check "--print-config to a full disk: exit 1 ($rc)" [ "$rc" -eq 1 ]
    t_check "--print-config to a full disk: says so" grep -q "cannot write to standard output: No space left on device" "$T/err"
    "$MLPTRAIN" sweep configs/study.ini --list >/dev/full 2>"$T/err"
    rc=$?
    t_check "sweep --list to a full disk: exit 1 ($rc)" [ "$rc" -eq 1 ]
else
    t_skip_machine "stdout to a full disk" "no writable /dev/full" 3
fi
# --- a FIFO where a run's file would be is never opened (it would block) ---
if command -v mkfifo >/dev/null 2>&1; then
    mkdir "$T/fifo" && mkfifo "$T/fifo/epochs.csv"
    t_run timeout 20 "$MLPTRAIN" configs/demo.ini -q -o "$T/fifo"
    t_check "-o a directory with a FIFO epochs.csv: refused at once, exit 2 ($rc)" [ "$rc" -eq 2 ]
else
    t_skip "a FIFO as epochs.csv" "mkfifo missing (Debian: apt-get install coreutils)"
fi

t_done
