/* params.c - the choice tables shared by config, data, model, optimizer, schedule and
 * output: each choice's spelling and what the program needs to know about each kind.
 * Holds data only: no parsing and no I/O. */
#include "params.h"

#include <assert.h>
#include <stddef.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- names: one spelling per kind, indexed by the enum ----
 * The NULL follows the last name by position (not at [X_COUNT]), so a missing last name
 * makes the table short. */

const char *const params_dataset_names[] = {
    [DATASET_MNIST] = "mnist", [DATASET_FASHION_MNIST] = "fashion-mnist",
    [DATASET_KMNIST] = "kmnist", [DATASET_CIFAR10] = "cifar10", NULL};
const char *const params_norm_names[] = {
    [NORM_STANDARD] = "standard", [NORM_SCALE] = "scale", [NORM_NONE] = "none",
    NULL};
const char *const params_activation_names[] = {
    [ACT_RELU] = "relu", [ACT_SIGMOID] = "sigmoid", [ACT_TANH] = "tanh",
    [ACT_LEAKY_RELU] = "leaky_relu", [ACT_GELU] = "gelu", NULL};
const char *const params_init_names[] = {
    [INIT_DEFAULT] = "default", [INIT_XAVIER_UNIFORM] = "xavier_uniform",
    [INIT_XAVIER_NORMAL] = "xavier_normal", [INIT_KAIMING_UNIFORM] = "kaiming_uniform",
    [INIT_KAIMING_NORMAL] = "kaiming_normal", [INIT_NORMAL] = "normal",
    [INIT_CAFFE_XAVIER] = "caffe_xavier", NULL};
const char *const params_bias_init_names[] = {
    [BIAS_INIT_AUTO] = "auto", [BIAS_INIT_DEFAULT] = "default", [BIAS_INIT_ZEROS] = "zeros",
    [BIAS_INIT_CONSTANT] = "constant", NULL};
const char *const params_optim_names[] = {
    [OPTIM_SGD] = "sgd", [OPTIM_ADAM] = "adam", [OPTIM_ADAMW] = "adamw", NULL};
const char *const params_momentum_form_names[] = {
    [MOMENTUM_PYTORCH] = "pytorch", [MOMENTUM_CAFFE] = "caffe", NULL};
const char *const params_sched_names[] = {
    [SCHED_CONSTANT] = "constant", [SCHED_STEP] = "step", [SCHED_MULTISTEP] = "multistep",
    [SCHED_EXPONENTIAL] = "exponential", [SCHED_LAMBDA] = "lambda", [SCHED_COSINE] = "cosine",
    [SCHED_COSINE_WARM_RESTARTS] = "cosine_warm_restarts", [SCHED_LINEAR] = "linear",
    [SCHED_PLATEAU] = "plateau", [SCHED_ONECYCLE] = "onecycle", [SCHED_FIXED] = "fixed",
    [SCHED_CAFFE_STEP] = "caffe_step", [SCHED_EXP] = "exp", [SCHED_INV] = "inv",
    [SCHED_POLY] = "poly", [SCHED_SIGMOID] = "sigmoid",
    [SCHED_CAFFE_MULTISTEP] = "caffe_multistep", NULL};
const char *const params_step_unit_names[] = {
    [STEP_UNIT_EPOCH] = "epoch", [STEP_UNIT_ITERATION] = "iteration", NULL};
const char *const params_plateau_mode_names[] = {
    [PLATEAU_MIN] = "min", [PLATEAU_MAX] = "max", NULL};
const char *const params_plateau_metric_names[] = {
    [METRIC_VAL_LOSS] = "val_loss", [METRIC_VAL_ACC] = "val_acc", NULL};
const char *const params_threshold_mode_names[] = {
    [THRESH_REL] = "rel", [THRESH_ABS] = "abs", NULL};

/* A count that does not follow its enum's last kind, or a name table that misses the
 * last kind, stops the build here. */
_Static_assert(ARRAY_LEN(params_dataset_names) == DATASET_COUNT + 1, "one name per dataset");
_Static_assert(ARRAY_LEN(params_norm_names) == NORM_COUNT + 1, "one name per normalization");
_Static_assert(ARRAY_LEN(params_activation_names) == ACT_COUNT + 1, "one name per activation");
_Static_assert(ARRAY_LEN(params_init_names) == INIT_COUNT + 1, "one name per init");
_Static_assert(ARRAY_LEN(params_bias_init_names) == BIAS_INIT_COUNT + 1, "one name per bias init");
_Static_assert(ARRAY_LEN(params_optim_names) == OPTIM_COUNT + 1, "one name per optimizer");
_Static_assert(ARRAY_LEN(params_momentum_form_names) == MOMENTUM_FORM_COUNT + 1,
               "one name per momentum form");
_Static_assert(ARRAY_LEN(params_sched_names) == SCHED_COUNT + 1, "one name per schedule");
_Static_assert(ARRAY_LEN(params_step_unit_names) == STEP_UNIT_COUNT + 1, "one name per unit");
_Static_assert(ARRAY_LEN(params_plateau_mode_names) == PLATEAU_MODE_COUNT + 1,
               "one name per plateau mode");
_Static_assert(ARRAY_LEN(params_plateau_metric_names) == METRIC_COUNT + 1,
               "one name per plateau metric");
_Static_assert(ARRAY_LEN(params_threshold_mode_names) == THRESH_COUNT + 1,
               "one name per threshold mode");

/* ---- datasets ---- */

/* Normalization defaults (SEMANTICS §9.4): the constants torchvision examples use.
 * KMNIST's are the ones its authors publish (0.1918, 0.3483). */
const DatasetDesc params_datasets[] = {
    [DATASET_MNIST] = {
        .help = "MNIST handwritten digits, 28x28 grey",
        .layout = DATA_LAYOUT_IDX, .channels = 1, .input_dim = 28 * 28, .classes = 10,
        .standard_train_size = 60000, .mean = {0.1307}, .std = {0.3081}},
    [DATASET_FASHION_MNIST] = {
        .help = "Fashion-MNIST Zalando article images, 28x28 grey",
        .layout = DATA_LAYOUT_IDX, .channels = 1, .input_dim = 28 * 28, .classes = 10,
        .standard_train_size = 60000, .mean = {0.2860}, .std = {0.3530}},
    [DATASET_KMNIST] = {
        .help = "Kuzushiji-MNIST cursive Japanese characters, 28x28 grey",
        .layout = DATA_LAYOUT_IDX, .channels = 1, .input_dim = 28 * 28, .classes = 10,
        .standard_train_size = 60000, .mean = {0.1918}, .std = {0.3483}},
    [DATASET_CIFAR10] = {
        .help = "CIFAR-10 colour photos in 10 classes, 32x32 RGB",
        .layout = DATA_LAYOUT_CIFAR, .channels = 3, .input_dim = 3 * 32 * 32, .classes = 10,
        .standard_train_size = 50000,
        .mean = {0.4914, 0.4822, 0.4465}, .std = {0.2470, 0.2435, 0.2616}},
};
_Static_assert(ARRAY_LEN(params_datasets) == DATASET_COUNT, "one row per dataset");

int params_channels(DatasetKind kind)
{
    assert((unsigned)kind < DATASET_COUNT);
    return params_datasets[kind].channels;
}

int params_input_dim(DatasetKind kind)
{
    assert((unsigned)kind < DATASET_COUNT);
    return params_datasets[kind].input_dim;
}

void params_default_stats(DatasetKind kind, double *mean, double *std)
{
    assert((unsigned)kind < DATASET_COUNT);
    const DatasetDesc *d = &params_datasets[kind];
    for (int c = 0; c < d->channels; c++) {
        mean[c] = d->mean[c];
        std[c] = d->std[c];
    }
}

/* ---- schedules (SEMANTICS §7) ---- */

/* OneCycle and the Caffe policies are defined per optimizer step (§7.6, §7.8). Plateau
 * alone follows a validation metric, so its LR cannot be known ahead. The formulas are
 * the schedule lines of --help-config. */
const SchedDesc params_scheds[] = {
    [SCHED_CONSTANT] = {
        .help = "the base LR throughout",
        .printable = true,
        .formula =
            "lr = base"},
    [SCHED_STEP] = {
        .help = "PyTorch StepLR: times gamma every step_size steps",
        .printable = true,
        .formula =
            "lr = base * gamma^floor(t / step_size)                          (StepLR)"},
    [SCHED_MULTISTEP] = {
        .help = "PyTorch MultiStepLR: times gamma at each milestone",
        .printable = true, .uses_milestones = true,
        .formula =
            "lr = base * gamma^(number of milestones <= t)                   (MultiStepLR)"},
    [SCHED_EXPONENTIAL] = {
        .help = "PyTorch ExponentialLR: times gamma every step",
        .printable = true,
        .formula =
            "lr = base * gamma^t                                           (ExponentialLR)"},
    [SCHED_LAMBDA] = {
        .help = "PyTorch LambdaLR: the base LR times an expression of epoch and iteration",
        .printable = true,
        .formula =
            "lr = base * lambda(epoch, iteration, base_lr)                   (LambdaLR)"},
    [SCHED_COSINE] = {
        .help = "PyTorch CosineAnnealingLR, recursive: cosine from the base LR down to eta_min",
        .printable = true,
        .formula =
            "lr = eta_min + (base - eta_min) * (1 + cos(pi * t / T_max)) / 2, continuing past\n"
            "T_max with period 2 T_max; T_max = 0: the whole run  (CosineAnnealingLR, recursive)"},
    [SCHED_COSINE_WARM_RESTARTS] = {
        .help = "PyTorch CosineAnnealingWarmRestarts: cosine periods that restart at the base LR",
        .printable = true,
        .formula =
            "lr = eta_min + (base - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2;\n"
            "T_cur counts from 0 and restarts when it reaches T_i; T_i = T_0, then *= T_mult"},
    [SCHED_LINEAR] = {
        .help = "PyTorch LinearLR: factor from start_factor to end_factor over total_iters steps",
        .printable = true,
        .formula =
            "lr = base * (start_factor + (end_factor - start_factor) * min(t, total_iters)\n"
            "/ total_iters)                                                  (LinearLR)"},
    [SCHED_PLATEAU] = {
        .help = "PyTorch ReduceLROnPlateau: times factor when the validation metric stalls",
        .needs_validation = true,
        .formula =
            "after each epoch, if metric has not improved on the best by threshold (rel:\n"
            "x < best * (1 - threshold) for min; abs: x < best - threshold) for more than\n"
            "patience epochs: lr = max(lr * factor, min_lr), then skip cooldown epochs"},
    [SCHED_ONECYCLE] = {
        .help = "PyTorch OneCycleLR: cosine rise to max_lr, then cosine fall far below the start",
        .per_iteration = true, .printable = true,
        .formula =
            "per iteration over T steps: lr rises from max_lr / div_factor to max_lr over\n"
            "pct_start * T steps, then falls to max_lr / div_factor / final_div_factor, both\n"
            "as cosine halves; max_lr = 0: optim.lr                          (OneCycleLR)"},
    [SCHED_FIXED] = {
        .help = "Caffe fixed: the base LR throughout",
        .per_iteration = true, .caffe = true, .printable = true,
        .formula =
            "lr = base                                         (Caffe policies: per iteration)"},
    [SCHED_CAFFE_STEP] = {
        .help = "Caffe step: times gamma every stepsize iterations",
        .per_iteration = true, .caffe = true, .printable = true,
        .formula =
            "lr = base * gamma^floor(iter / stepsize)"},
    [SCHED_EXP] = {
        .help = "Caffe exp: times gamma every iteration",
        .per_iteration = true, .caffe = true, .printable = true,
        .formula =
            "lr = base * gamma^iter"},
    [SCHED_INV] = {
        .help = "Caffe inv: inverse decay base * (1 + gamma * iter)^-power",
        .per_iteration = true, .caffe = true, .printable = true,
        .formula =
            "lr = base * (1 + gamma * iter)^(-power)"},
    [SCHED_POLY] = {
        .help = "Caffe poly: polynomial decay to 0 at max_iter",
        .per_iteration = true, .caffe = true, .printable = true,
        .formula =
            "lr = base * (1 - iter / max_iter)^power; max_iter = 0: the whole run"},
    [SCHED_SIGMOID] = {
        .help = "Caffe sigmoid: logistic curve centred on iteration stepsize",
        .per_iteration = true, .caffe = true, .printable = true,
        .formula =
            "lr = base / (1 + exp(-gamma * (iter - stepsize)))"},
    [SCHED_CAFFE_MULTISTEP] = {
        .help = "Caffe multistep: times gamma at each milestone iteration",
        .per_iteration = true, .caffe = true, .printable = true, .uses_milestones = true,
        .formula =
            "lr = base * gamma^(number of milestones <= iter)"},
};
_Static_assert(ARRAY_LEN(params_scheds) == SCHED_COUNT, "one row per schedule");

/* ---- optimizers (SEMANTICS §6; torch/optim/sgd.py, adam.py, adamw.py) ---- */

/* AdamW's weight_decay defaults to 0.01 in PyTorch (SEMANTICS §6.3), SGD's and Adam's to 0.
 * The state is PyTorch's: SGD keeps a momentum_buffer only with momentum; Adam and AdamW
 * keep exp_avg and exp_avg_sq, and max_exp_avg_sq with amsgrad. */
const OptimDesc params_optims[] = {
    [OPTIM_SGD] = {
        .help = "SGD with optional momentum, dampening, Nesterov and L2 weight decay",
        .state = {[OPTIM_STATE_M] = KEPT_WITH_MOMENTUM}},
    [OPTIM_ADAM] = {
        .help = "Adam (optionally AMSGrad) with L2 weight decay added to the gradient",
        .state = {[OPTIM_STATE_M] = KEPT_ALWAYS, [OPTIM_STATE_V] = KEPT_ALWAYS,
                  [OPTIM_STATE_VMAX] = KEPT_WITH_AMSGRAD}},
    [OPTIM_ADAMW] = {
        .help = "Adam (optionally AMSGrad) with decoupled weight decay",
        .state = {[OPTIM_STATE_M] = KEPT_ALWAYS, [OPTIM_STATE_V] = KEPT_ALWAYS,
                  [OPTIM_STATE_VMAX] = KEPT_WITH_AMSGRAD},
        .decoupled_weight_decay = true, .default_weight_decay = 0.01},
};
_Static_assert(ARRAY_LEN(params_optims) == OPTIM_COUNT, "one row per optimizer");

/* ---- activations (SEMANTICS §2) ---- */

const ActivationDesc params_activations[] = {
    [ACT_RELU] = {.help = "max(x, 0)", .module = "ReLU"},
    [ACT_SIGMOID] = {.help = "1 / (1 + exp(-x))", .module = "Sigmoid"},
    [ACT_TANH] = {.help = "tanh(x)", .module = "Tanh"},
    [ACT_LEAKY_RELU] = {.help = "x for x > 0, else 0.01 x", .module = "LeakyReLU"},
    [ACT_GELU] = {.help = "x * Phi(x), the exact erf form", .module = "GELU"},
};
_Static_assert(ARRAY_LEN(params_activations) == ACT_COUNT, "one row per activation");

/* ---- plateau metrics (SEMANTICS §7.7) ---- */

const PlateauMetricDesc params_plateau_metrics[] = {
    [METRIC_VAL_LOSS] = {.help = "validation loss: lower is better", .mode = PLATEAU_MIN},
    [METRIC_VAL_ACC] = {.help = "validation accuracy: higher is better", .mode = PLATEAU_MAX},
};
_Static_assert(ARRAY_LEN(params_plateau_metrics) == METRIC_COUNT, "one row per plateau metric");
