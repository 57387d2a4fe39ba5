# sweep_test.sh - studies end to end on the bundled data: `mlptrain sweep` (run
# directories, sweep.csv, summary.csv, summary_by_point.csv, plots that parse and render),
# --list / --status / --index, reruns that skip finished runs, kill -9 and rerun giving the
# summary of an uninterrupted sweep, `mlptrain collect`, the bad-input cases, progress
# output, and the same sweep through GNU parallel and a Slurm cluster started by
# tests/cluster/slurm-up.sh (as .ci/run does). Without a tool the checks that need it are
# skipped (a failure with CI set).
. tests/lib.sh

cat >"$T/study.ini" <<'INI'
[data]
dataset = mnist
path = data/mnist
val_split = 0.2
train_limit = 600
[model]
hidden = 32
[optim]
optimizer = sgd
lr = 0.1
[train]
epochs = 2
batch_size = 64
[sweep]
model.hidden = 16 | 32 | 64
seeds = 1, 2
INI

# summary files without the columns that depend on time, memory or threads
untimed_summary() {
    tr -d '\r' <"$1" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /seconds|peak_rss|threads|run_dir/) drop[i] = 1 }
        { s = ""; for (i = 1; i <= NF; i++) if (!drop[i]) s = s $i ","; print s }'
}
rows() { tr -d '\r' <"$1" | wc -l | tr -d ' '; }

# --- a sweep: 3 widths x 2 seeds (and a reference copy, one run at a time) ---
"$MLPTRAIN" sweep "$T/study.ini" -o "$T/ref" -q --jobs 1
t_run "$MLPTRAIN" sweep "$T/study.ini" -o "$T/s" --jobs 2 -q
t_check "sweep exits 0 ($(cat "$T/err"))" [ "$rc" -eq 0 ]
t_check "6 run directories" [ "$(find "$T/s" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 6 ]
t_check "sweep.csv: header and 6 rows" [ "$(rows "$T/s/sweep.csv")" -eq 7 ]
t_check "sweep.csv header" [ "$(head -n 1 "$T/s/sweep.csv" | tr -d '\r')" = "index,point,seed,overrides,run_dir,status" ]
t_check "every run ok in sweep.csv" [ "$(tr -d '\r' <"$T/s/sweep.csv" | grep -c ',ok$')" -eq 6 ]
t_check "summary.csv: 6 runs" [ "$(rows "$T/s/summary.csv")" -eq 7 ]
# sweep.ini: the command as typed, where it ran, then the config file's bytes
t_check "sweep.ini: the command as typed" \
    [ "$(sed -n 1p "$T/s/sweep.ini")" = "; command: $MLPTRAIN sweep $T/study.ini -o $T/s --jobs 2 -q" ]
t_check "sweep.ini: where it ran" [ "$(sed -n 2p "$T/s/sweep.ini")" = "; in directory: $(pwd -P)" ]
tail -n +3 "$T/s/sweep.ini" >"$T/record.ini"
t_check "sweep.ini: then the config file's bytes" cmp -s "$T/record.ini" "$T/study.ini"
t_check "summary_by_point.csv: 3 points" [ "$(rows "$T/s/summary_by_point.csv")" -eq 4 ]
t_check "2 runs per point" [ "$(tr -d '\r' <"$T/s/summary_by_point.csv" | sed -n 2p | cut -d, -f2)" = 2 ]
n_curves=$(find "$T/s" -name curves.svg | wc -l)
t_check "curves.svg in every run ($n_curves)" [ "$n_curves" -eq 6 ]
t_check "sweep_curves.svg" [ -s "$T/s/sweep_curves.svg" ]
t_check "test_acc_by_hidden.svg" [ -s "$T/s/test_acc_by_hidden.svg" ]
t_check "no heatmap with one swept key" [ ! -e "$T/s/test_acc_heatmap.svg" ]
for svg in "$T/s/sweep_curves.svg" "$T/s/test_acc_by_hidden.svg" "$(find "$T/s" -name curves.svg | head -n 1)"; do
    name=$(basename "$svg")
    if t_tool xmllint libxml2-utils; then
        t_check "$name parses (xmllint)" xmllint --noout "$svg"
    else
        t_skip "$name parses (xmllint)" "$t_why"
    fi
    if t_tool rsvg-convert librsvg2-bin; then
        rm -f "$T/x.png"
        t_check "$name renders (rsvg-convert)" rsvg-convert -o "$T/x.png" "$svg"
        t_check "$name PNG is not empty" [ -s "$T/x.png" ]
    else
        t_skip "$name renders (rsvg-convert)" "$t_why"
        t_skip "$name PNG is not empty" "$t_why"
    fi
done

# --- the runs are exactly the single runs they name ---
one=$(find "$T/s" -mindepth 1 -maxdepth 1 -type d -name '*hidden=32*seed=2' | head -n 1)
t_run "$MLPTRAIN" "$one/config.ini" -o "$T/single" -q
t_check "a run's config.ini re-runs alone" [ "$rc" -eq 0 ]
t_check "with the same epochs.csv" [ "$(cut -d, -f1-9 "$one/epochs.csv")" = "$(cut -d, -f1-9 "$T/single/epochs.csv")" ]
t_check "its config.ini has no [sweep]" [ "$(grep -c '^\[sweep\]' "$one/config.ini")" -eq 0 ]

# --- --list, --status, --index ---
t_run "$MLPTRAIN" sweep "$T/study.ini" -o "$T/s" --list
t_check "--list: 6 lines" [ "$(wc -l <"$T/out")" -eq 6 ]
t_check "--list line" [ "$(sed -n 2p "$T/out")" = "1	model.hidden=16, train.seed=2	$T/s/study_hidden=16_seed=2" ]
t_run "$MLPTRAIN" sweep "$T/study.ini" -o "$T/s" --status
t_check "--status exits 0" [ "$rc" -eq 0 ]
t_check "--status: nothing unfinished" [ "$(cat "$T/out")" = "" ]
rm "$T/s/study_hidden=32_seed=1/result.csv"
rm -r "$T/s/study_hidden=64_seed=1" "$T/s/study_hidden=64_seed=2"
t_run "$MLPTRAIN" sweep "$T/study.ini" -o "$T/s" --status -q
t_check "--status in array syntax" [ "$(cat "$T/out")" = "2,4-5" ]
t_check "--status rewrites sweep.csv" grep -q ',incomplete' "$T/s/sweep.csv"
t_run "$MLPTRAIN" sweep "$T/study.ini" -o "$T/s" --index 6
t_check "--index out of range exits 2" [ "$rc" -eq 2 ]
t_check "--index message" [ "$(cat "$T/err")" = "mlptrain: --index 6: out of range (expected 0..5: the sweep has 6 runs)" ]
t_run env SLURM_ARRAY_TASK_ID=4 "$MLPTRAIN" sweep "$T/study.ini" -o "$T/s" -q
t_check "SLURM_ARRAY_TASK_ID: exit 0" [ "$rc" -eq 0 ]
t_check "SLURM_ARRAY_TASK_ID runs that run" [ -s "$T/s/study_hidden=64_seed=1/result.csv" ]
t_check "and no other" [ ! -e "$T/s/study_hidden=64_seed=2" ]
t_run env SLURM_ARRAY_TASK_ID=0 "$MLPTRAIN" sweep "$T/study.ini" -o "$T/task" -q --set 'output.name=it'"'"'s'
t_check "an array task into a new directory: exit 0 ($(cat "$T/err"))" [ "$rc" -eq 0 ]
t_check "it writes sweep.ini, a word with a quote quoted for the shell" \
    [ "$(sed -n 1p "$T/task/sweep.ini")" = "; command: $MLPTRAIN sweep $T/study.ini -o $T/task -q --set 'output.name=it'\\''s'" ]
before=$(stat -c %Y "$T/s/study_hidden=16_seed=1/result.csv")
t_run "$MLPTRAIN" sweep "$T/study.ini" -o "$T/s"
t_check "rerun exits 0" [ "$rc" -eq 0 ]
t_check "rerun runs only the unfinished" grep -q '6 runs, 2 to run (4 finished already)' "$T/err"
t_check "finished runs are left alone" [ "$(stat -c %Y "$T/s/study_hidden=16_seed=1/result.csv")" = "$before" ]
t_check "rerun completes the summary" [ "$(rows "$T/s/summary.csv")" -eq 7 ]

# --- kill -9 anywhere, rerun: the summary of an uninterrupted sweep ---
sed 's/^epochs = 2/epochs = 6/; s/^train_limit = 600/train_limit = 2000/' "$T/study.ini" >"$T/long.ini"
"$MLPTRAIN" sweep "$T/long.ini" -o "$T/whole" -q --jobs 1
for delay in 0.3 0.9; do
    "$MLPTRAIN" sweep "$T/long.ini" -o "$T/k$delay" -q --jobs 2 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    t_run "$MLPTRAIN" sweep "$T/long.ini" -o "$T/k$delay" -q --jobs 2
    t_check "rerun after kill -9 at ${delay}s exits 0" [ "$rc" -eq 0 ]
    t_check "kill -9 at ${delay}s + rerun: summary.csv as uninterrupted" [ "$(untimed_summary "$T/k$delay/summary.csv")" = "$(untimed_summary "$T/whole/summary.csv")" ]
    t_check "kill -9 at ${delay}s + rerun: summary_by_point.csv as uninterrupted" [ "$(untimed_summary "$T/k$delay/summary_by_point.csv")" = "$(untimed_summary "$T/whole/summary_by_point.csv")" ]
done
t_check "--jobs 2 and --jobs 1 give the same runs" [ "$(untimed_summary "$T/k0.3/summary.csv")" = "$(untimed_summary "$T/whole/summary.csv")" ]

# --- collect ---
t_run "$MLPTRAIN" collect "$T/s" -o "$T/c"
t_check "collect exits 0" [ "$rc" -eq 0 ]
t_check "collect writes the sweep's summary" [ "$(untimed_summary "$T/c/summary_by_point.csv")" = "$(untimed_summary "$T/ref/summary_by_point.csv")" ]
t_check "--jobs 2 + reruns = --jobs 1" [ "$(untimed_summary "$T/c/summary.csv")" = "$(untimed_summary "$T/ref/summary.csv")" ]
mkdir "$T/empty"
t_run "$MLPTRAIN" collect "$T/empty"
t_check "collect on a directory with no runs exits 1" [ "$rc" -eq 1 ]
t_check "collect names the directory" grep -q "$T/empty: no runs found" "$T/err"
echo garbage >"$T/s/study_hidden=16_seed=2/result.csv"
t_run "$MLPTRAIN" collect "$T/s" -o "$T/c2"
t_check "a malformed result.csv: exit 1" [ "$rc" -eq 1 ]
t_check "a malformed result.csv is named" grep -q 'study_hidden=16_seed=2/result.csv' "$T/err"
t_check "the others are collected" [ "$(rows "$T/c2/summary.csv")" -eq 6 ]
t_run "$MLPTRAIN" collect "$T/s" "$T/whole"
t_check "collect of several directories needs -o" [ "$rc" -eq 2 ]

# --- bad input ---
expect() { # NAME CODE MESSAGE_REGEX ARGS...
    n=$1 code=$2 re=$3
    shift 3
    t_run "$MLPTRAIN" "$@"
    t_check "$n: exit $code (got $rc: $(head -c 300 "$T/err"))" [ "$rc" -eq "$code" ]
    t_check "$n: message" grep -qE "$re" "$T/err"
}
printf '[sweep]\nmodel.hiden = 8 | 16\n' >"$T/bad1.ini"
expect "unknown key in [sweep]" 2 "bad1.ini:2: unknown key 'hiden' in section \[model\]; did you mean 'hidden'\?" sweep "$T/bad1.ini"
printf '[sweep]\nmodel.hidden =\n' >"$T/bad2.ini"
expect "empty value list" 2 "bad2.ini:2: sweep model.hidden: empty value list" sweep "$T/bad2.ini"
printf '[sweep]\noptim.lr = 0.1 | 0.01\nschedule.type = step | exponential | cosine\nzip = optim.lr, schedule.type\n' >"$T/bad3.ini"
expect "zip of different lengths" 2 "bad3.ini:4: sweep zip: optim.lr has 2 values but schedule.type has 3" sweep "$T/bad3.ini"
printf '[sweep]\nmodel.hidden = 8 | 16 | 08\n' >"$T/bad6.ini"
expect "one value spelled twice" 2 "bad6.ini:2: sweep model.hidden: '08' is the same value as '8' \(listed twice\)" sweep "$T/bad6.ini" --list
expect "one value spelled twice by --sweep" 2 "^mlptrain: --sweep optim.lr=0.1\|1e-1: sweep optim.lr: '1e-1' is the same value as '0.1' \(listed twice\)$" sweep "$T/study.ini" --list --sweep 'optim.lr=0.1|1e-1'
long=$(printf '%0250d' 0)
printf '[data]\npath = data/mnist\n[sweep]\ndata.path = data/mnist | data/%s\n' "$long" >"$T/bad7.ini"
expect "a run name over 255 bytes" 2 "^mlptrain: $T/bad7.ini: the name of this sweep's run, made of the file name and the swept values, is 265 bytes \(expected at most 255, the longest file name most file systems allow\); expected shorter values or fewer swept keys \(a sweep names its runs by their values, not by output.name, and another -o does not help: the limit is on each name in a path\) \(run 1 of 2: data.path=data/$long\)$" sweep "$T/bad7.ini" --list
{ printf '[sweep]\nmodel.hidden = '; seq -s ' | ' 1 101; printf 'train.batch_size = '; seq -s ' | ' 1 100; } >"$T/bad4.ini"
expect "more than 10000 runs" 2 "the sweep has 10100 runs \(101 x 100\), more than 10000 \(expected fewer values, or --max-points" sweep "$T/bad4.ini" --list
t_run "$MLPTRAIN" sweep "$T/bad4.ini" --list --max-points 20000 --set data.path=data/mnist
t_check "--max-points raises the limit" [ "$rc" -eq 0 ]
t_check "10100 runs listed" [ "$(wc -l <"$T/out")" -eq 10100 ]
printf '[data]\npath = data/mnist\ntrain_limit = 600\n[train]\nepochs = 1\n[sweep]\nmodel.batchnorm = false | true\ntrain.batch_size = 64 | 599\n' >"$T/bad5.ini"
expect "a bad run fails before any starts" 2 "run 3 of 4: model.batchnorm=true, train.batch_size=599" sweep "$T/bad5.ini" -o "$T/b5"
t_check "nothing was run" [ ! -e "$T/b5" ]
expect "not a sweep" 2 "nothing to sweep" sweep tests/config/good.ini
expect "a sweep config run alone" 2 "the config has a \[sweep\] section; run it with 'mlptrain sweep" "$T/study.ini"
# a run directory of another config inside the sweep directory: refused, untouched
mkdir -p "$T/o"
sed '/^\[sweep\]/,$d' "$T/study.ini" >"$T/plain.ini"
"$MLPTRAIN" "$T/plain.ini" -q -o "$T/o/study_hidden=16_seed=1" --set train.epochs=1
cp "$T/o/study_hidden=16_seed=1/config.ini" "$T/o.ini.before"
expect "another config's run in the sweep directory" 2 "study_hidden=16_seed=1: holds a run of a different config \(model.hidden = 32, not 16 as in run 0 of 6: model.hidden=16, train.seed=1\)" sweep "$T/study.ini" -o "$T/o"
t_check "it is left untouched" cmp -s "$T/o.ini.before" "$T/o/study_hidden=16_seed=1/config.ini"
t_check "and nothing else ran" [ "$(find "$T/o" -mindepth 1 -maxdepth 1 | wc -l)" -eq 1 ]

# --- who owns a sweep directory: two sweeps at once, foreign directories, a run as -o ---
cat >"$T/four.ini" <<'INI'
[data]
dataset = mnist
path = data/mnist
val_split = 0.2
train_limit = 300
[model]
hidden = 8
[optim]
optimizer = sgd
lr = 0.1
[train]
epochs = 1
batch_size = 64
[sweep]
model.hidden = 4 | 8 | 12 | 16
seeds = 1, 2
INI
# Two sweeps of one config into one directory at once (a script run twice): every run is
# trained once between them, both exit 0, and both leave the full summary. 20 trials; 5 in
# a sanitizer build (SANITIZED, make sanitize and tsan), which looks for other faults.
bad_trials=""
trials=20
[ -z "${SANITIZED:-}" ] || trials=5
for trial in $(seq 1 "$trials"); do
    rm -rf "$T/both"
    "$MLPTRAIN" sweep "$T/four.ini" -o "$T/both" --threads 1 >"$T/a.log" 2>&1 &
    pa=$!
    "$MLPTRAIN" sweep "$T/four.ini" -o "$T/both" --threads 1 --jobs 2 >"$T/b.log" 2>&1 &
    pb=$!
    wait $pa
    ra=$?
    wait $pb
    rb=$?
    trained=$(cat "$T/a.log" "$T/b.log" | grep -c 'mlptrain: ok: test acc')
    epochs_rows=$(cat "$T"/both/*/epochs.csv | tr -d '\r' | grep -vc '^epoch')
    if [ "$ra" -ne 0 ] || [ "$rb" -ne 0 ] || [ "$trained" -ne 8 ] || [ "$epochs_rows" -ne 8 ] ||
        [ "$(rows "$T/both/summary.csv")" -ne 9 ]; then
        bad_trials="$bad_trials $trial(exits $ra $rb, trained $trained, rows $epochs_rows)"
    fi
done
t_check "two sweeps at once into one directory, $trials trials: each run once, full summaries:${bad_trials:- all good}" [ -z "$bad_trials" ]
# an array task of a run another process is running says so and touches nothing
rm -rf "$T/held"
"$MLPTRAIN" sweep "$T/four.ini" -o "$T/held" --index 0 -q --set train.epochs=20000 &
held=$!
for _ in $(seq 1 100); do [ -f "$T/held/four_epochs=20000_hidden=4_seed=1/epochs.csv" ] && break; sleep 0.1; done
t_run "$MLPTRAIN" sweep "$T/four.ini" -o "$T/held" --index 0 -q --set train.epochs=20000
t_check "--index of a run being run: exit 2 ($rc)" [ "$rc" -eq 2 ]
t_check "--index of a run being run: says who runs it" grep -q "run 0: process $held is running it now" "$T/err"
kill -TERM $held 2>/dev/null
wait $held
# a run's directory is no sweep directory
"$MLPTRAIN" data/../configs/demo.ini -q -o "$T/arun" --set train.epochs=1
before=$(cd "$T/arun" && find . -type f | LC_ALL=C sort | xargs md5sum)
t_run "$MLPTRAIN" sweep "$T/four.ini" -o "$T/arun" -q
t_check "sweep -o a run's directory: exit 2 ($rc)" [ "$rc" -eq 2 ]
t_check "sweep -o a run's directory: says so" grep -q "arun: holds a run (epochs.csv)" "$T/err"
t_check "sweep -o a run's directory: the run is untouched" [ "$(cd "$T/arun" && find . -type f | LC_ALL=C sort | xargs md5sum)" = "$before" ]
# a foreign run inside a sweep directory is reported and left out, by sweep and collect
mkdir -p "$T/mixed"
cp -r "$T/arun" "$T/mixed/foreign"
t_run "$MLPTRAIN" sweep "$T/four.ini" -o "$T/mixed" --threads 1
t_check "sweep beside a foreign run: exit 0 ($rc)" [ "$rc" -eq 0 ]
t_check "sweep beside a foreign run: reported" grep -q "left out of the summary, not a run of this sweep: foreign" "$T/err"
t_check "sweep beside a foreign run: 8 runs summarized" [ "$(rows "$T/mixed/summary.csv")" -eq 9 ]
t_check "sweep beside a foreign run: no swept key of the foreign run" [ "$(tr -d '\r' <"$T/mixed/summary.csv" | head -n 1 | tr ',' '\n' | grep -c '\.')" -eq 1 ]
t_run "$MLPTRAIN" collect "$T/mixed"
t_check "collect of the sweep directory: exit 0 ($rc)" [ "$rc" -eq 0 ]
rm "$T/mixed/summary.csv"
"$MLPTRAIN" collect "$T/mixed" -q
t_check "collect of the sweep directory: its 8 runs only" [ "$(rows "$T/mixed/summary.csv")" -eq 9 ]
t_check "the foreign run is untouched" cmp -s "$T/arun/result.csv" "$T/mixed/foreign/result.csv"
# the study's config saved as config.ini in its own sweep directory
mkdir -p "$T/self"
cp "$T/four.ini" "$T/self/config.ini"
t_run "$MLPTRAIN" sweep "$T/self/config.ini" -o "$T/self" -q --threads 1
t_check "a sweep directory holding its config.ini: exit 0 ($(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
t_check "a sweep directory holding its config.ini: 8 runs summarized" [ "$(rows "$T/self/summary.csv")" -eq 9 ]

# --- progress: plain lines off a terminal, a live line on one, nothing with -q ---
t_run "$MLPTRAIN" "$T/plain.ini" -o "$T/p1"
t_check "off a terminal: per-epoch lines" [ "$(grep -c '^epoch ' "$T/err")" -eq 2 ]
t_check "off a terminal: no control characters" [ "$(grep -c "$(printf '\033')" "$T/err")" -eq 0 ]
if t_tool script bsdutils; then
    script -qec "$MLPTRAIN $T/plain.ini -o $T/p2 --set train.epochs=300" "$T/tty" >/dev/null 2>&1
    t_check "on a terminal: a live line redrawn in place" grep -q "$(printf '\033')\[K" "$T/tty"
    t_check "on a terminal: the live line has the ETA" grep -q 'samples/s ETA' "$T/tty"
    t_check "on a terminal: no 'loss nan' after an evaluation row" [ "$(grep -c 'loss nan' "$T/tty")" -eq 0 ]
    script -qec "$MLPTRAIN $T/plain.ini -o $T/p3 -q" "$T/tty" >/dev/null 2>&1
    t_check "on a terminal with -q: no mlptrain output" [ "$(grep -c "mlptrain:\|epoch\|$(printf '\033')" "$T/tty")" -eq 0 ]
else
    t_skip "on a terminal: a live line redrawn in place" "$t_why"
    t_skip "on a terminal: the live line has the ETA" "$t_why"
    t_skip "on a terminal: no 'loss nan' after an evaluation row" "$t_why"
    t_skip "on a terminal with -q: no mlptrain output" "$t_why"
fi

# --- GNU parallel and Slurm run the same sweep: the same summary ---
if t_gnu_parallel; then
    t_run env MLPTRAIN="$MLPTRAIN" bash scripts/parallel-sweep.sh "$T/study.ini" -j 2 -- -o "$T/gp"
    t_check "parallel-sweep.sh exits 0 ($(tail -n 2 "$T/err"))" [ "$rc" -eq 0 ]
    t_check "GNU parallel: same summary.csv as the local sweep" [ "$(untimed_summary "$T/gp/summary.csv")" = "$(untimed_summary "$T/ref/summary.csv")" ]
    t_check "GNU parallel: same summary_by_point.csv" [ "$(untimed_summary "$T/gp/summary_by_point.csv")" = "$(untimed_summary "$T/ref/summary_by_point.csv")" ]
    t_check "GNU parallel: job log" [ "$(tail -n +2 "$T/gp/parallel.log" | wc -l)" -eq 6 ]
else
    t_skip "parallel-sweep.sh exits 0" "$t_why"
    t_skip "GNU parallel: same summary.csv as the local sweep" "$t_why"
    t_skip "GNU parallel: same summary_by_point.csv" "$t_why"
    t_skip "GNU parallel: job log" "$t_why"
fi
# Only on the scratch cluster of tests/cluster/slurm-up.sh: no test job goes to a real one.
slurm=false
if ! command -v sbatch >/dev/null 2>&1; then
    t_why="sbatch missing (Debian: apt-get install slurmctld slurmd slurm-client munge; then, as root, eval \"\$(sh tests/cluster/slurm-up.sh)\" as .ci/run does)"
elif [ -z "${SLURM_CONF:-}" ]; then
    t_why="no Slurm cluster: SLURM_CONF unset (as root: eval \"\$(sh tests/cluster/slurm-up.sh)\", as .ci/run does)"
elif ! grep -q -s '^# One-node scratch cluster written by tests/cluster/slurm-up.sh' "$SLURM_CONF"; then
    t_why="SLURM_CONF=$SLURM_CONF was not written by tests/cluster/slurm-up.sh (no test job goes to a real cluster)"
else
    slurm=true
fi
if $slurm; then
    t_run env MLPTRAIN="$MLPTRAIN" bash scripts/slurm-sweep.sh "$T/study.ini" -k 2 -w -- -o "$T/sl"
    t_check "slurm-sweep.sh exits 0 ($(tail -n 3 "$T/err"))" [ "$rc" -eq 0 ]
    t_check "Slurm: same summary.csv as the local sweep" [ "$(untimed_summary "$T/sl/summary.csv")" = "$(untimed_summary "$T/ref/summary.csv")" ]
    t_check "Slurm: same summary_by_point.csv" [ "$(untimed_summary "$T/sl/summary_by_point.csv")" = "$(untimed_summary "$T/ref/summary_by_point.csv")" ]
else
    t_skip "slurm-sweep.sh exits 0" "$t_why"
    t_skip "Slurm: same summary.csv as the local sweep" "$t_why"
    t_skip "Slurm: same summary_by_point.csv" "$t_why"
fi
# --- named variants: one more axis of sets of assignments, each run named by its variant ---
cat >"$T/var.ini" <<'INI'
[data]
dataset = mnist
path = data/mnist
val_split = 0.2
train_limit = 400
test_limit = 200
[model]
hidden = 32, 32
activation = sigmoid
[optim]
lr = 0.1
[train]
epochs = 1
batch_size = 64
[sweep]
variant baseline =
variant deep = model.hidden = 32, 32, 32, 32, 32, 32
variant relu_adam = model.activation = relu & optim.optimizer = adam
variant relu_lr1 = model.activation = relu & optim.lr = 1.0
seeds = 1, 2
INI
t_run "$MLPTRAIN" sweep "$T/var.ini" -o "$T/v" --list
t_check "variants --list: 8 runs (4 variants x 2 seeds)" [ "$(wc -l <"$T/out")" -eq 8 ]
t_check "variants --list: the baseline" [ "$(sed -n 1p "$T/out")" = "0	variant=baseline, train.seed=1	$T/v/var_variant=baseline_seed=1" ]
t_check "variants --list: a variant with its values" [ "$(sed -n 6p "$T/out")" = "5	variant=relu_adam (model.activation=relu & optim.optimizer=adam), train.seed=2	$T/v/var_variant=relu_adam_seed=2" ]
t_run "$MLPTRAIN" sweep "$T/var.ini" -o "$T/v" --jobs 2 -q
t_check "variants: sweep exits 0 ($(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
t_check "variants: 8 run directories named by variant and seed" [ "$(find "$T/v" -mindepth 1 -maxdepth 1 -type d -name 'var_variant=*_seed=[12]' | wc -l)" -eq 8 ]
t_check "variants: every run ok" [ "$(tr -d '\r' <"$T/v/sweep.csv" | grep -c ',ok$')" -eq 8 ]
t_check "variants: sweep.csv names each run's variant" grep -q '^4,2,1,"variant=relu_adam (model.activation=relu & optim.optimizer=adam), train.seed=1",var_variant=relu_adam_seed=1,ok' "$T/v/sweep.csv"
t_check "variants: summary_by_point.csv has 4 points" [ "$(rows "$T/v/summary_by_point.csv")" -eq 5 ]
t_check "variants: key columns, the variant's last" [ "$(head -n 1 "$T/v/summary_by_point.csv" | cut -d, -f1-5)" = "model.hidden,model.activation,optim.optimizer,optim.lr,output.variant" ]
# column NAME of a CSV file without quoted commas in the rows read (here: the last columns)
column() { tr -d '\r' <"$2" | awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i - NF; next } { print $(NF + c) }'; }
t_check "variants: one point per variant" [ "$(column output.variant "$T/v/summary_by_point.csv" | sort | tr '\n' ' ')" = "baseline deep relu_adam relu_lr1 " ]
t_check "variants: two runs per point" [ "$(column runs "$T/v/summary_by_point.csv" | sort -u)" = 2 ]
t_check "variants: test_acc_by_variant.svg" [ -s "$T/v/test_acc_by_variant.svg" ]
deep="$T/v/var_variant=deep_seed=2"
t_check "variants: the run's config.ini says its variant" grep -qx 'variant = deep' "$deep/config.ini"
t_check "variants: and its values" grep -qx 'hidden = 32, 32, 32, 32, 32, 32' "$deep/config.ini"
t_run "$MLPTRAIN" "$deep/config.ini" -o "$T/vsingle" -q
t_check "variants: a run's config.ini re-runs alone ($(head -c 200 "$T/err"))" [ "$rc" -eq 0 ]
t_check "variants: with the same epochs.csv" [ "$(cut -d, -f1-9 "$deep/epochs.csv")" = "$(cut -d, -f1-9 "$T/vsingle/epochs.csv")" ]
touch "$T/v.mark"
t_run "$MLPTRAIN" sweep "$T/var.ini" -o "$T/v" -q
t_check "variants: a rerun exits 0" [ "$rc" -eq 0 ]
t_check "variants: a rerun trains nothing" [ "$(find "$T/v" -name epochs.csv -newer "$T/v.mark" | wc -l)" -eq 0 ]
t_run "$MLPTRAIN" collect "$T/v" -o "$T/vc"
t_check "variants: collect gives the sweep's points" [ "$(untimed_summary "$T/vc/summary_by_point.csv")" = "$(untimed_summary "$T/v/summary_by_point.csv")" ]
# crossed with a swept key: variants x values x seeds
t_run "$MLPTRAIN" sweep "$T/var.ini" -o "$T/vx" --list --sweep 'train.batch_size=32|64'
t_check "variants x --sweep: 16 runs" [ "$(wc -l <"$T/out")" -eq 16 ]
t_check "variants x --sweep: named by both" [ "$(sed -n 4p "$T/out" | cut -f3)" = "$T/vx/var_variant=baseline_batch_size=64_seed=2" ]
printf '[data]\npath = data/mnist\n[optim]\nlr = 0.1\n[sweep]\nvariant a =\nvariant b = optim.lr = 1e-1\n' >"$T/badv1.ini"
expect "a variant that is the config" 2 "badv1.ini:7: sweep variant b: the same run as variant a \(line 6\): variant b sets optim.lr = 1e-1, the config's own value" sweep "$T/badv1.ini" --list
expect "--set of a variant's key" 2 "^mlptrain: --set optim.lr=0.5: optim.lr is set by variant relu_lr1 \($T/var.ini:19\); change it there instead$" sweep "$T/var.ini" --list --set optim.lr=0.5
printf '[data]\npath = data/mnist\n[sweep]\nvariant a = model.activation = relu ; optim.lr = 0.5\nvariant b = model.activation = relu\n' >"$T/badv2.ini"
expect "';' after a blank starts a comment ('&' separates)" 2 "badv2.ini:5: sweep variant b: the same assignments as variant a \(line 4\)" sweep "$T/badv2.ini" --list
# --- configs/studies/: each lists the runs its protocol asks for (on the bundled data) ---
for study in mnist-hparams:mnist:24 cifar10-width-bn:cifar10:8 cifar10-lr:cifar10:8 mnist-caffe-batch-lr:mnist:9 mnist-numpy:mnist:1; do
    name=${study%%:*} rest=${study#*:}
    t_run "$MLPTRAIN" sweep "configs/studies/$name.ini" -o "$T/st" --list --set "data.path=data/${rest%%:*}"
    t_check "studies/$name.ini: --list exits 0 ($(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
    t_check "studies/$name.ini: ${rest#*:} runs" [ "$(wc -l <"$T/out")" -eq "${rest#*:}" ]
done
t_run "$MLPTRAIN" sweep configs/studies/mnist-hparams.ini -o "$T/st" --list --set data.path=data/mnist
t_check "studies/mnist-hparams.ini: 8 variants x seeds 1, 2, 3" [ "$(cut -f2 "$T/out" | sed 's/^variant=\([^ ,]*\).*seed=\([0-9]*\)$/\1 \2/' | tr '\n' ' ')" = "baseline 1 baseline 2 baseline 3 deep 1 deep 2 deep 3 wide 1 wide 2 wide 3 tanh 1 tanh 2 tanh 3 relu 1 relu 2 relu 3 relu_adam 1 relu_adam 2 relu_adam 3 relu_lr1.0 1 relu_lr1.0 2 relu_lr1.0 3 relu_lr0.01 1 relu_lr0.01 2 relu_lr0.01 3 " ]
# the Caffe study's test batch is twice its training batch in every case
t_run "$MLPTRAIN" sweep configs/studies/mnist-caffe-batch-lr.ini -o "$T/st" --list --set data.path=data/mnist
t_check "studies/mnist-caffe-batch-lr.ini: test batch = 2 x batch in the 4 variants that change the batch" sh -c "cut -f2 '$T/out' | awk '/batch_size/ { split(\$0, a, /train.batch_size=/); split(a[2], b, / /); split(\$0, c, /eval_batch_size=/); split(c[2], d, /[ )]/); if (d[1] != 2 * b[1]) bad = 1; n++ } END { exit bad || n != 4 }'"
t_done
