#!/bin/sh
# config_test.sh - golden error catalogue for config files and --set, plus the
# print-config round trip. Each tests/config/bad/NAME.ini must make
# `mlptrain --print-config NAME.ini` exit 2 with stderr exactly NAME.err and no stdout.
. tests/lib.sh

# expect_error NAME EXPECTED_STDERR_FILE ARGS...: exit code 2, stdout empty, stderr exact.
expect_error() {
    name=$1
    want=$2
    shift 2
    t_run "$MLPTRAIN" "$@"
    if [ "$rc" -ne 2 ]; then
        t_bad "$name: exit code $rc, expected 2 ($(head -c 300 "$T/err"))"
    elif [ -s "$T/out" ]; then
        t_bad "$name: wrote to stdout"
    elif ! cmp -s "$want" "$T/err"; then
        t_bad "$name: stderr differs:
  got:      $(cat "$T/err")
  expected: $(cat "$want")"
    else
        t_ok
    fi
}

# ---- bad files ----
n_files=0
for f in tests/config/bad/*.ini; do
    n_files=$((n_files + 1))
    expect_error "$(basename "$f")" "${f%.ini}.err" --print-config "$f"
done
t_check "at least 30 bad files" [ "$n_files" -ge 30 ]

echo "mlptrain: cannot open config file 'tests/config/bad/no_such_file.ini': No such file or directory" >"$T/want"
expect_error missing_file "$T/want" --print-config tests/config/bad/no_such_file.ini

# a file that sets no key (bad/empty.ini, bad/comments_only.ini) trains nothing, nor sweeps;
# a [sweep] section alone is a config, and no file at all is every default (below)
: >"$T/empty.ini"
t_run "$MLPTRAIN" "$T/empty.ini" -q -o "$T/empty_run"
t_check "empty file: training exits 2 (got $rc: $(head -c 300 "$T/err"))" [ "$rc" -eq 2 ]
t_check "empty file: the message" grep -qx "mlptrain: $T/empty.ini: sets no key (.*)" "$T/err"
t_check "empty file: no run directory" [ ! -e "$T/empty_run" ]
t_run "$MLPTRAIN" sweep "$T/empty.ini" --list --sweep 'model.hidden=8|16'
t_check "empty file: sweep exits 2 (got $rc: $(head -c 300 "$T/err"))" [ "$rc" -eq 2 ]
printf '[sweep]\nseeds = 1, 2\n' >"$T/sweep_only.ini"
t_run "$MLPTRAIN" sweep "$T/sweep_only.ini" --list
t_check "a [sweep] section alone is not empty (got $rc: $(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]

# ---- bad --set values: CONFIG|ASSIGNMENT|EXPECTED STDERR (OK: must succeed) ----
n_sets=0
while IFS='|' read -r config set expected; do
    [ -n "$config" ] || continue
    if [ "$expected" = OK ]; then
        # the one fix named by the case makes the bad file good: it failed for that reason only
        t_run "$MLPTRAIN" --print-config "$config" --set "$set"
        if [ "$rc" -eq 0 ] && [ ! -s "$T/err" ]; then t_ok; else t_bad "$config --set $set: $(cat "$T/err")"; fi
        continue
    fi
    n_sets=$((n_sets + 1))
    printf '%s\n' "$expected" >"$T/want"
    expect_error "--set $set" "$T/want" --print-config "$config" --set "$set"
done <<'EOF'
tests/config/good.ini|optim.lr=abc|mlptrain: --set optim.lr=abc: 'abc' is not a number (expected a number in (0, 1000])
tests/config/good.ini|optim.lr=1e-3x|mlptrain: --set optim.lr=1e-3x: '1e-3x' is not a number (expected a number in (0, 1000])
tests/config/good.ini|optim.lr=0|mlptrain: --set optim.lr=0: '0' is out of range (expected a number in (0, 1000])
tests/config/good.ini|optim.lr=inf|mlptrain: --set optim.lr=inf: 'inf' is not a number (expected a number in (0, 1000])
tests/config/good.ini|optim.learning_rate=0.1|mlptrain: --set optim.learning_rate=0.1: unknown key 'learning_rate' in section [optim]; did you mean 'lr'?
tests/config/good.ini|optim.wd=0.1|mlptrain: --set optim.wd=0.1: unknown key 'wd' in section [optim]; did you mean 'weight_decay'?
tests/config/good.ini|model.epochs=5|mlptrain: --set model.epochs=5: unknown key 'epochs' in section [model]; did you mean [train] epochs?
tests/config/good.ini|optim.lr|mlptrain: --set optim.lr: missing '=' (expected section.key=value)
tests/config/good.ini|lr=0.1|mlptrain: --set lr=0.1: missing section (expected section.key=value); did you mean optim.lr=0.1?
tests/config/good.ini|.lr=0.1|mlptrain: --set .lr=0.1: missing section (expected section.key=value)
tests/config/good.ini|optim.=0.1|mlptrain: --set optim.=0.1: missing key (expected section.key=value)
tests/config/good.ini|modle.hidden=64|mlptrain: --set modle.hidden=64: unknown section [modle]; did you mean [model]?
tests/config/good.ini|model.hidden=64,,32|mlptrain: --set model.hidden=64,,32: empty item in '64,,32' (expected a comma-separated list of at most 64 integers in [1, 1000000])
tests/config/good.ini|model.hidden=64,|mlptrain: --set model.hidden=64,: empty item in '64,' (expected a comma-separated list of at most 64 integers in [1, 1000000])
tests/config/good.ini|model.hidden=2000000|mlptrain: --set model.hidden=2000000: '2000000' is out of range (expected a comma-separated list of at most 64 integers in [1, 1000000])
tests/config/good.ini|train.batch_size=0|mlptrain: --set train.batch_size=0: '0' is out of range (expected an integer in [1, 1000000])
tests/config/good.ini|train.seed=18446744073709551616|mlptrain: --set train.seed=18446744073709551616: '18446744073709551616' is out of range (expected an integer in [0, 18446744073709551615])
tests/config/good.ini|model.activation=rleu|mlptrain: --set model.activation=rleu: unknown value 'rleu' (expected relu, sigmoid, tanh, leaky_relu or gelu); did you mean 'relu'?
tests/config/good.ini|schedule.type=cosin|mlptrain: --set schedule.type=cosin: unknown value 'cosin' (expected constant, step, multistep, exponential, lambda, cosine, cosine_warm_restarts, linear, plateau, onecycle, fixed, caffe_step, exp, inv, poly, sigmoid or caffe_multistep); did you mean 'cosine'?
tests/config/good.ini|model.batchnorm=2|mlptrain: --set model.batchnorm=2: '2' is not a boolean (expected true, false, yes, no, on, off, 1 or 0)
tests/config/good.ini|output.name=..|mlptrain: --set output.name=..: '..' is not a valid name (expected a name without '/', not '.' or '..')
tests/config/good.ini|data.path=|mlptrain: --set data.path=: empty value (expected a path)
tests/config/good.ini|output.dir=runs #x|mlptrain: --set output.dir=runs #x: 'runs #x' cannot be written back as INI (expected no control character, and no ';' or '#' at the start or after a blank)
tests/config/good.ini|schedule.lambda=exp(|mlptrain: --set schedule.lambda=exp(: column 5: unexpected end of expression, expected a number, name or '('
tests/config/good.ini|schedule.lambda=0.9 ^ epoch)|mlptrain: --set schedule.lambda=0.9 ^ epoch): column 12: unexpected ')', expected an operator or end of expression (unbalanced ')')
tests/config/good.ini|train.max_iterations=100|mlptrain: --set train.max_iterations=100: set either train.epochs or train.max_iterations, not both (train.epochs is set on line 30; train.epochs = 0 leaves the count to max_iterations)
tests/config/good.ini|data.mean=0.1, 0.2|mlptrain: --set data.mean=0.1, 0.2: data.mean: 2 values given, but fashion-mnist has 1 channel (expected 1 value, or none for the dataset default)
tests/config/good.ini|train.eval_batch_size=4294967296|mlptrain: --set train.eval_batch_size=4294967296: '4294967296' is out of range (expected an integer in [1, 1000000])
tests/config/good.ini|train.epochs=1000000000000|mlptrain: --set train.epochs=1000000000000: '1000000000000' is out of range (expected an integer in [0, 1000000])
tests/config/good.ini|train.threads=4294967298|mlptrain: --set train.threads=4294967298: '4294967298' is out of range (expected an integer in [0, 1024])
tests/config/good.ini|train.seed=0x1|mlptrain: --set train.seed=0x1: '0x1' is not an integer (expected an integer in [0, 18446744073709551615])
tests/config/good.ini|optim.lr=0x10|mlptrain: --set optim.lr=0x10: '0x10' is not a number (expected a number in (0, 1000])
tests/config/good.ini|output.name=#3|mlptrain: --set output.name=#3: '#3' cannot be written back as INI (expected no control character, and no ';' or '#' at the start or after a blank)
tests/config/good.ini|schedule.lambda=1 / 0|mlptrain: --set schedule.lambda=1 / 0: the learning rate would be inf at iteration 100 (expected a finite learning rate >= 0 at every step)
tests/config/good.ini|data.val_split=0.00001|mlptrain: --set data.val_split=0.00001: holds out no record of 60000, the dataset's standard size (expected a fraction of at least 1/60000, or 0 for no validation)
tests/config/good.ini|data.path=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|mlptrain: tests/config/good.ini: the run name derived from the file name and --set options is 260 bytes (expected at most 255, the longest file name most file systems allow); set output.name
tests/config/bad/nesterov_without_momentum.ini|optim.momentum=0.9|OK
tests/config/bad/val_split_holds_out_none.ini|data.val_split=0.001|OK
tests/config/bad/val_split_one_record.ini|data.train_limit=2|OK
tests/config/bad/lambda_zero.ini|schedule.lambda=0.5|OK
tests/config/bad/lambda_inf.ini|schedule.lambda=1 / (1 + epoch)|OK
tests/config/bad/too_many_steps.ini|train.batch_size=10|OK
tests/config/bad/onecycle_too_short.ini|train.max_iterations=3|OK
tests/config/bad/batch_times_width_over_int.ini|train.batch_size=2147|OK
tests/config/bad/batchnorm_last_batch_of_one.ini|train.batch_size=65|OK
tests/config/bad/plateau_without_val_split.ini|data.val_split=0.05|OK
tests/config/bad/warmup_both.ini|schedule.warmup_epochs=0|OK
tests/config/bad/lambda_missing.ini|schedule.lambda=0.95 ^ epoch|OK
tests/config/bad/multistep_without_milestones.ini|schedule.milestones=100, 200|OK
tests/config/bad/std_two_values_cifar.ini|data.std=0.2, 0.2, 0.2|OK
tests/config/bad/caffe_momentum_with_adam.ini|optim.optimizer=sgd|OK
tests/config/bad/scale_without_normalize_scale.ini|data.normalize=scale|OK
EOF
t_check "at least 24 --set cases" [ "$n_sets" -ge 24 ]

# ---- a good config: prints, and the printed text re-loads and prints identically ----
t_run "$MLPTRAIN" --print-config tests/config/good.ini
t_check "good.ini: exit 0" [ "$rc" -eq 0 ]
t_check "good.ini: no stderr" [ ! -s "$T/err" ]
cp "$T/out" "$T/print1.ini"
t_check "print: adamw weight_decay default" grep -qx 'weight_decay = 0.01' "$T/print1.ini"
t_check "print: mode follows metric" grep -qx 'mode = max' "$T/print1.ini"
t_check "print: step_unit resolved" grep -qx 'step_unit = iteration' "$T/print1.ini"
t_check "print: bias_init resolved" grep -qx 'bias_init = zeros' "$T/print1.ini"
t_check "print: default mean" grep -qx 'mean = 0.286' "$T/print1.ini"
t_check "print: derived name" grep -qx 'name = good' "$T/print1.ini"
t_check "print: seed" grep -qx 'seed = 18446744073709551615' "$T/print1.ini"
t_run "$MLPTRAIN" --print-config "$T/print1.ini"
t_check "reload: exit 0" [ "$rc" -eq 0 ]
t_check "reload: identical" cmp -s "$T/print1.ini" "$T/out"

# with no file: every default, and the name 'run'
t_run "$MLPTRAIN" --print-config
t_check "defaults: exit 0" [ "$rc" -eq 0 ]
t_check "defaults: name run" grep -qx 'name = run' "$T/out"
cp "$T/out" "$T/print2.ini"
t_run "$MLPTRAIN" --print-config "$T/print2.ini"
t_check "defaults: reload identical" cmp -s "$T/print2.ini" "$T/out"

# --set overrides: applied, and named in the derived run name
t_run "$MLPTRAIN" --print-config tests/config/good.ini --set model.hidden=128 --set optim.lr=0.1
t_check "--set: exit 0" [ "$rc" -eq 0 ]
t_check "--set: hidden" grep -qx 'hidden = 128' "$T/out"
t_check "--set: lr" grep -qx 'lr = 0.1' "$T/out"
t_check "--set: name" grep -qx 'name = good_hidden=128_lr=0.1' "$T/out"

# max_iterations alone: epochs is printed as 0 so the text re-loads
t_run "$MLPTRAIN" --print-config --set train.max_iterations=50
cp "$T/out" "$T/print3.ini"
t_check "max_iterations: epochs 0" grep -qx 'epochs = 0' "$T/print3.ini"
t_run "$MLPTRAIN" --print-config "$T/print3.ini"
t_check "max_iterations: reload exit 0" [ "$rc" -eq 0 ]
t_check "max_iterations: reload identical" cmp -s "$T/print3.ini" "$T/out"

# ---- configs/example.ini, the README's first config: loads, and trains on data/mnist ----
ex=configs/example.ini
t_run "$MLPTRAIN" --print-config "$ex"
t_check "example.ini: --print-config exit 0 ($(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
t_check "example.ini: --print-config no stderr" [ ! -s "$T/err" ]
t_check "example.ini: its hidden and lr" sh -c "grep -qx 'hidden = 32, 32' '$T/out' && grep -qx 'lr = 0.1' '$T/out'"
cp "$T/out" "$T/example.ini"
t_run "$MLPTRAIN" --print-config "$T/example.ini"
t_check "example.ini: printed, reloads identical" cmp -s "$T/example.ini" "$T/out"
t_run "$MLPTRAIN" --summary "$ex"
t_check "example.ini: --summary exit 0 ($(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
t_check "example.ini: --summary 784-32-32-10" grep -qx 'Total params: 26,506' "$T/out"
# its own run, two epochs instead of ten, into $T instead of runs/
runs_before=$(ls -d runs/example* 2>/dev/null)
t_run "$MLPTRAIN" "$ex" -q -o "$T/example" --set train.epochs=2
t_check "example.ini: trains, exit 0 ($(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
t_check "example.ini: status ok" [ "$(tr -d '\r' <"$T/example/result.csv" | sed -n 2p | awk -F, '{ print $NF }')" = ok ]
t_check "example.ini: 2 epochs in epochs.csv" [ "$(wc -l <"$T/example/epochs.csv")" -eq 3 ]
t_check "example.ini: train loss falls" sh -c "tr -d '\r' <'$T/example/epochs.csv' | awk -F, 'NR == 2 { a = \$4 } NR == 3 { b = \$4 } END { exit !(b < a) }'"
t_check "example.ini: test accuracy above chance" sh -c "tr -d '\r' <'$T/example/epochs.csv' | awk -F, 'NR == 3 { exit !(\$9 > 0.5 && \$9 <= 1) }'"
t_check "example.ini: -o keeps it out of runs/" [ "$(ls -d runs/example* 2>/dev/null)" = "$runs_before" ]

# ---- configs/caffe_lenet.ini, Caffe's LeNet solver with an MLP: loads, and trains ----
le=configs/caffe_lenet.ini
t_run "$MLPTRAIN" --print-config "$le"
t_check "caffe_lenet.ini: --print-config exit 0 ($(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
t_check "caffe_lenet.ini: Caffe's conventions" sh -c "grep -qx 'momentum_form = caffe' '$T/out' && grep -qx 'shuffle = false' '$T/out' && grep -qx 'bias_lr_mult = 2' '$T/out' && grep -qx 'scale = 0.00390625' '$T/out'"
cp "$T/out" "$T/lenet.ini"
t_run "$MLPTRAIN" --print-config "$T/lenet.ini"
t_check "caffe_lenet.ini: printed, reloads identical" cmp -s "$T/lenet.ini" "$T/out"
t_run "$MLPTRAIN" --summary "$le"
t_check "caffe_lenet.ini: --summary 784-500-10" grep -qx 'Total params: 397,510' "$T/out"
t_run "$MLPTRAIN" "$le" -q -o "$T/lenet" --set train.max_iterations=40 --set train.eval_every=20 --set train.test_iter=5
t_check "caffe_lenet.ini: trains, exit 0 ($(head -c 300 "$T/err"))" [ "$rc" -eq 0 ]
t_check "caffe_lenet.ini: status ok" [ "$(tr -d '\r' <"$T/lenet/result.csv" | sed -n 2p | awk -F, '{ print $NF }')" = ok ]
t_check "caffe_lenet.ini: rows at 20 and 40" [ "$(tr -d '\r' <"$T/lenet/epochs.csv" | awk -F, 'NR > 1 { printf "%s ", $2 }')" = "20 40 " ]

# the fuzzer's dictionary follows the key table and the choice names
sh tests/fuzz/config_dict.sh >"$T/config.dict"
t_check "tests/fuzz/config.dict is current (else: sh tests/fuzz/config_dict.sh > tests/fuzz/config.dict)" \
    cmp -s "$T/config.dict" tests/fuzz/config.dict

t_done
