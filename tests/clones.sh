#!/bin/sh
# clones.sh - the element loops compiled as SIMD clones (AVX-512, AVX2, baseline; simd.h)
# round exactly as the plain C loops: runs that exercise every layer kernel, the
# optimizers and the loss give byte-identical model.bin and epochs.csv (time columns
# aside) from $MLPTRAIN (clones, the best one for this CPU) and $PLAIN (built with
# -DSIMD_CLONES=). `make test-kernels` builds $PLAIN and runs this.
. tests/lib.sh
PLAIN=${PLAIN:?PLAIN: the mlptrain built with -DSIMD_CLONES=}

cat >"$T/c.ini" <<'INI'
[data]
dataset = mnist
path = data/mnist
train_limit = 600
test_limit = 200
val_split = 0.1
[model]
hidden = 48, 24
[optim]
lr = 0.01
[train]
epochs = 2
batch_size = 50
seed = 9
INI

# same NAME SETS...: the two binaries' runs with --set SETS agree byte for byte.
same() {
    run=$1
    shift
    sets=
    for s in "$@"; do sets="$sets --set $s"; done
    # shellcheck disable=SC2086
    "$MLPTRAIN" "$T/c.ini" -q --force -o "$T/a-$run" $sets
    # shellcheck disable=SC2086
    "$PLAIN" "$T/c.ini" -q --force -o "$T/b-$run" $sets
    t_check "$run: both ran 2 epochs" \
        [ "$(wc -l <"$T/a-$run/epochs.csv") $(wc -l <"$T/b-$run/epochs.csv")" = "3 3" ]
    t_check "$run: model.bin identical" cmp -s "$T/a-$run/model.bin" "$T/b-$run/model.bin"
    cut -d, -f1-9 "$T/a-$run/epochs.csv" >"$T/a.csv"
    cut -d, -f1-9 "$T/b-$run/epochs.csv" >"$T/b.csv"
    t_check "$run: epochs.csv identical" cmp -s "$T/a.csv" "$T/b.csv"
}

same relu_bn_dropout_adam model.activation=relu model.batchnorm=true model.dropout=0.2 optim.optimizer=adam
same sigmoid_sgd_momentum model.activation=sigmoid optim.optimizer=sgd optim.momentum=0.9 optim.lr=0.1
same tanh_adamw_clip model.activation=tanh optim.optimizer=adamw optim.clip_grad_norm=1
same gelu_nesterov_l1_smoothing model.activation=gelu optim.optimizer=sgd optim.momentum=0.9 optim.nesterov=true optim.l1=0.0001 optim.lr=0.05 train.label_smoothing=0.1
same leaky_caffe_momentum_bias_group model.activation=leaky_relu optim.optimizer=sgd optim.momentum=0.9 optim.momentum_form=caffe optim.weight_decay=0.0005 optim.bias_lr_mult=2 schedule.type=inv schedule.gamma=0.01 schedule.power=0.75 train.shuffle=false
same relu_sgd_bias_decay model.activation=relu optim.optimizer=sgd optim.weight_decay=0.01 optim.bias_decay_mult=0 optim.bias_lr_mult=0.5
t_done
