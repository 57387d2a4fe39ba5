/* config.c - the one table of configuration keys, and everything derived from it:
 * defaults, INI and --set parsing, range checks, cross-key rules, the resolved config
 * and the key reference. It does not open data or know what the values do beyond the
 * rules written here; see SEMANTICS.md §6-§7 for the meaning of the optimizer and
 * schedule parameters. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "ini.h"
#include "rundir.h"

/* ---- the table ---- */

typedef enum {
    KT_BOOL, KT_LONG, KT_ULLONG, KT_DOUBLE, KT_ENUM, KT_STRING, KT_EXPR,
    KT_INT_LIST, KT_LONG_LIST, KT_DOUBLE_LIST
} KeyType;

enum {
    R_MIN = 1 << 0,        /* min applies */
    R_MAX = 1 << 1,        /* max applies */
    R_MIN_OPEN = 1 << 2,   /* v > min rather than v >= min */
    R_MAX_OPEN = 1 << 3,   /* v < max rather than v <= max */
    F_AUTO = 1 << 4,       /* enum: also accepts "auto", stored as -1, resolved by config_finish */
    F_INCREASING = 1 << 5, /* list: strictly increasing */
    F_NONEMPTY = 1 << 6,   /* string: must not be empty */
    F_NAME = 1 << 7,       /* string: a file name (no '/', not "." or ".."); empty = derived */
    F_NO_RESULT = 1 << 8,  /* does not change what a run computes (where it writes, threads) */
    F_LABEL = 1 << 9       /* changes nothing computed but tells runs apart (in the run's
                            * name and a sweep's tables; not in the checkpoint's hash) */
};

typedef struct {
    const char *section, *name;
    KeyType type;
    size_t off;        /* the value (lists: the array) in RunParams */
    size_t count_off;  /* lists: the int item count in RunParams */
    int cap;           /* lists: capacity in items; strings: buffer size */
    double min, max;   /* scalars and list items */
    unsigned flags;
    const char *const *names; /* enums: params_*_names */
    const char *def;   /* default, as text parsed like user input */
    const char *help;
} Key;

/* Compile-time type check of a RunParams field: a mismatch is a negative array size. */
#define FIELD_IS(field, T) (0 * sizeof(char[_Generic(((RunParams *)0)->field, T: 1, default: -1)]))
#define ENUM_FIELD(field) \
    (0 * sizeof(char[sizeof(((RunParams *)0)->field) == sizeof(int) ? 1 : -1]))
#define AT(field, T) (offsetof(RunParams, field) + FIELD_IS(field, T))
#define CAP(field) ((int)(sizeof(((RunParams *)0)->field) / sizeof(((RunParams *)0)->field[0])))

/* Ranges: min, max, flags. */
#define ANY 0, 0, 0
#define IN(a, b) a, b, R_MIN | R_MAX                           /* [a, b] */
#define IN_CO(a, b) a, b, R_MIN | R_MAX | R_MAX_OPEN           /* [a, b) */
#define IN_OC(a, b) a, b, R_MIN | R_MAX | R_MIN_OPEN           /* (a, b] */
#define IN_OO(a, b) a, b, R_MIN | R_MAX | R_MIN_OPEN | R_MAX_OPEN /* (a, b) */

/* Upper bounds shared by several keys (README "Reliability"). Steps match
 * TRAIN_MAX_STEPS in train.h. */
#define MAX_STEPS 100000000L    /* optimizer steps, and any count of them */
#define MAX_EPOCHS 1000000L
#define MAX_BATCH 1000000L      /* rows of a batch */
#define MAX_THREADS 1024L
#define NAME_BYTES 255          /* a run directory's name: NAME_MAX on Linux and most others */

#define BOOL(s, k, f, def, help) {s, k, KT_BOOL, AT(f, bool), 0, 0, ANY, NULL, def, help}
#define LONG(s, k, f, range, def, help) {s, k, KT_LONG, AT(f, long), 0, 0, range, NULL, def, help}
#define ULLONG(s, k, f, def, help) \
    {s, k, KT_ULLONG, AT(f, unsigned long long), 0, 0, ANY, NULL, def, help}
#define DOUBLE(s, k, f, range, def, help) \
    {s, k, KT_DOUBLE, AT(f, double), 0, 0, range, NULL, def, help}
#define ENUM(s, k, f, names, flags, def, help) \
    {s, k, KT_ENUM, offsetof(RunParams, f) + ENUM_FIELD(f), 0, 0, 0, 0, flags, names, def, help}
#define STRING(s, k, f, flags, def, help) \
    {s, k, KT_STRING, AT(f, char *), 0, CAP(f), 0, 0, flags, NULL, def, help}
#define EXPRESSION(s, k, f, def, help) \
    {s, k, KT_EXPR, AT(f, char *), 0, CAP(f), ANY, NULL, def, help}
#define LIST(s, k, type, T, f, n, range, flags, def, help) \
    {s, k, type, AT(f, T *), AT(n, int), CAP(f), range | (flags), NULL, def, help}

static const Key keys[] = {
    ENUM("data", "dataset", data.dataset, params_dataset_names, 0, "mnist",
         "dataset to train and test on"),
    STRING("data", "path", data.path, F_NONEMPTY, "data/mnist",
           "directory holding the dataset's standard file names"),
    ENUM("data", "normalize", data.normalize, params_norm_names, 0, "standard",
         "standard: (x/255 - mean) / std per channel; scale: x/255, or x * data.scale; none: "
         "raw bytes 0..255"),
    DOUBLE("data", "scale", data.scale, IN(0, 1000), "0",
           "normalize = scale: 0 = x/255 as torchvision's ToTensor (a true division); > 0: x = "
           "pixel * scale in float32, no mean or std, as Caffe's transform_param scale "
           "(src/caffe/data_transformer.cpp); Caffe's LeNet uses 0.00390625 = 1/256"),
    LIST("data", "mean", KT_DOUBLE_LIST, double, data.mean, data.n_mean, IN(-1000, 1000), 0, "",
         "per-channel mean for standard: empty = the dataset's usual value, 1 value = every channel"),
    LIST("data", "std", KT_DOUBLE_LIST, double, data.std, data.n_std, IN_OC(0, 1000), 0, "",
         "per-channel std for standard: empty = the dataset's usual value, 1 value = every channel"),
    DOUBLE("data", "val_split", data.val_split, IN_CO(0, 1), "0",
           "fraction of the training set held out for validation, 0 = none"),
    LONG("data", "train_limit", data.train_limit, IN(0, INT_MAX), "0",
         "use only the first N training records, 0 = all"),
    LONG("data", "test_limit", data.test_limit, IN(0, INT_MAX), "0",
         "use only the first N test records, 0 = all"),

    LIST("model", "hidden", KT_INT_LIST, int, model.hidden, model.n_hidden, IN(1, 1000000), 0,
         "128", "hidden layer widths, input side first; empty = logistic regression"),
    ENUM("model", "activation", model.activation, params_activation_names, 0, "relu",
         "activation after each hidden layer"),
    BOOL("model", "batchnorm", model.batchnorm, "false",
         "Linear -> BatchNorm1d -> activation in every hidden layer"),
    DOUBLE("model", "dropout", model.dropout, IN_CO(0, 1), "0",
           "dropout probability after each hidden activation, 0 = none"),
    ENUM("model", "init", model.init, params_init_names, 0, "default",
         "weight init (SEMANTICS 1.2); default = PyTorch's nn.Linear; caffe_xavier = Caffe's "
         "XavierFiller with variance_norm FAN_IN (include/caffe/filler.hpp): U(-sqrt(3 / fan_in), "
         "sqrt(3 / fan_in)), not PyTorch's xavier_uniform"),
    DOUBLE("model", "init_std", model.init_std, IN_OC(0, 1000), "0.01",
           "standard deviation of init = normal"),
    ENUM("model", "bias_init", model.bias_init, params_bias_init_names, 0, "auto",
         "auto = default with init = default, zeros otherwise; constant = model.bias_value"),
    DOUBLE("model", "bias_value", model.bias_value, IN(-1000, 1000), "0",
           "bias_init = constant: every bias, as Caffe's bias_filler { type: \"constant\" } "
           "with its value (ConstantFiller, include/caffe/filler.hpp; 0 in Caffe's LeNet)"),

    ENUM("optim", "optimizer", optim.optimizer, params_optim_names, 0, "sgd",
         "update rule (SEMANTICS 6)"),
    DOUBLE("optim", "lr", optim.lr, IN_OC(0, 1000),
           "0.01", "base learning rate; schedules scale it"),
    DOUBLE("optim", "momentum", optim.momentum, IN(0, 1), "0", "SGD momentum, 0 = none"),
    DOUBLE("optim", "dampening", optim.dampening, IN(0, 1), "0", "SGD momentum dampening"),
    BOOL("optim", "nesterov", optim.nesterov, "false",
         "SGD Nesterov momentum; needs momentum > 0 and dampening = 0"),
    ENUM("optim", "momentum_form", optim.momentum_form, params_momentum_form_names, 0, "pytorch",
         "SGD momentum: pytorch = b = m*b + g, p -= lr*b (torch/optim/sgd.py); caffe = "
         "V = m*V + lr*g, p -= V, V starting at 0 (SGDSolver::ComputeUpdateValue, "
         "src/caffe/solvers/sgd_solver.cpp): the LR is inside the buffer, so the two differ once "
         "the LR changes; g includes weight_decay * p in both (Regularize, L2); caffe takes no "
         "dampening or nesterov"),
    DOUBLE("optim", "weight_decay", optim.weight_decay, IN(0, 1000), "0",
           "L2 (sgd, adam) or decoupled (adamw) decay; 0.01 for adamw when not set"),
    DOUBLE("optim", "beta1", optim.beta1, IN_CO(0, 1), "0.9", "Adam first-moment decay"),
    DOUBLE("optim", "beta2", optim.beta2, IN_CO(0, 1), "0.999", "Adam second-moment decay"),
    DOUBLE("optim", "eps", optim.eps, IN_OC(0, 1), "1e-8", "Adam denominator epsilon"),
    BOOL("optim", "amsgrad", optim.amsgrad, "false", "Adam/AdamW AMSGrad variant"),
    DOUBLE("optim", "l1", optim.l1, IN(0, 1000),
           "0", "L1 penalty l1 * sum |p| over every parameter"),
    DOUBLE("optim", "clip_grad_norm", optim.clip_grad_norm, IN(0, 1e9), "0",
           "clip the global gradient 2-norm to this, 0 = off"),
    DOUBLE("optim", "bias_lr_mult", optim.bias_lr_mult, IN(0, 1000), "1",
           "the Linear biases learn at lr * this (a PyTorch param group; Caffe's lr_mult of a "
           "layer's bias blob, local_rate = rate * lr_mult in SGDSolver::ComputeUpdateValue, "
           "src/caffe/solvers/sgd_solver.cpp; 2 in Caffe's LeNet); 0 freezes them"),
    DOUBLE("optim", "bias_decay_mult", optim.bias_decay_mult, IN(0, 1000), "1",
           "the Linear biases decay with weight_decay * this (Caffe's decay_mult, local_decay = "
           "weight_decay * decay_mult in SGDSolver::Regularize; caffe.proto's default 1, which "
           "Caffe's LeNet keeps); optim.l1 is not scaled"),

    ENUM("schedule", "type", sched.type, params_sched_names, 0, "constant",
         "learning-rate schedule; formulas below"),
    LONG("schedule", "step_size", sched.step_size, IN(1, MAX_STEPS),
         "10", "step: epochs between decays"),
    DOUBLE("schedule", "gamma", sched.gamma, IN_OC(0, 1000), "0.1",
           "decay factor (step, multistep, exponential, Caffe policies)"),
    LIST("schedule", "milestones", KT_LONG_LIST, long, sched.milestones, sched.n_milestones,
         IN(1, MAX_STEPS), F_INCREASING, "", "multistep, caffe_multistep: steps at which lr *= gamma"),
    LONG("schedule", "T_max", sched.T_max, IN(0, MAX_STEPS), "0",
         "cosine: half period; 0 = the run's total epochs or iterations (resolved by the schedule)"),
    DOUBLE("schedule", "eta_min", sched.eta_min, IN(0, 1000), "0", "cosine schedules: lowest lr"),
    LONG("schedule", "T_0", sched.T_0, IN(1, MAX_STEPS),
         "10", "cosine_warm_restarts: first period"),
    LONG("schedule", "T_mult", sched.T_mult, IN(1, 1000), "1",
         "cosine_warm_restarts: period growth per restart"),
    DOUBLE("schedule", "start_factor", sched.start_factor, IN_OC(0, 1), "0.33333333333333331",
           "linear: factor at step 0"),
    DOUBLE("schedule", "end_factor", sched.end_factor, IN(0, 1), "1", "linear: final factor"),
    LONG("schedule", "total_iters", sched.total_iters, IN(1, MAX_STEPS), "5",
         "linear: steps from start_factor to end_factor"),
    ENUM("schedule", "mode", sched.mode, params_plateau_mode_names, 0, "min",
         "plateau: min = lower metric is better; max when metric = val_acc and not set"),
    ENUM("schedule", "metric", sched.metric, params_plateau_metric_names, 0, "val_loss",
         "plateau: validation metric watched"),
    DOUBLE("schedule", "factor", sched.factor, IN_OO(0, 1),
           "0.1", "plateau: lr *= factor on a cut"),
    LONG("schedule", "patience", sched.patience, IN(0, MAX_STEPS), "10",
         "plateau: bad epochs tolerated before a cut"),
    DOUBLE("schedule", "threshold", sched.threshold, IN(0, 1000), "0.0001",
           "plateau: least change that counts as better"),
    ENUM("schedule", "threshold_mode", sched.threshold_mode, params_threshold_mode_names, 0, "rel",
         "plateau: threshold relative to best, or absolute"),
    LONG("schedule", "cooldown", sched.cooldown, IN(0, MAX_STEPS),
         "0", "plateau: epochs to wait after a cut"),
    DOUBLE("schedule", "min_lr", sched.min_lr, IN(0, 1000), "0", "plateau: lowest lr"),
    DOUBLE("schedule", "max_lr", sched.max_lr, IN(0, 1000), "0", "onecycle: peak lr, 0 = optim.lr"),
    DOUBLE("schedule", "pct_start", sched.pct_start, IN_OO(0, 1), "0.3",
           "onecycle: fraction of the run spent rising"),
    DOUBLE("schedule", "div_factor", sched.div_factor, IN_OC(0, 1e12), "25",
           "onecycle: initial lr = max_lr / div_factor"),
    DOUBLE("schedule", "final_div_factor", sched.final_div_factor, IN_OC(0, 1e12), "10000",
           "onecycle: final lr = initial lr / final_div_factor"),
    DOUBLE("schedule", "power", sched.power, IN_OC(0, 1000), "1", "inv, poly: exponent"),
    LONG("schedule", "stepsize", sched.stepsize, IN(1, MAX_STEPS), "1000",
         "caffe_step: iterations between decays; sigmoid: midpoint iteration"),
    LONG("schedule", "max_iter", sched.max_iter, IN(0, MAX_STEPS), "0",
         "poly: iteration where lr reaches 0; 0 = the run's total iterations"),
    LONG("schedule", "warmup_epochs", sched.warmup_epochs, IN(0, MAX_EPOCHS), "0",
         "linear warm-up length in epochs before the schedule, 0 = none"),
    LONG("schedule", "warmup_iterations", sched.warmup_iterations, IN(0, MAX_STEPS), "0",
         "linear warm-up length in iterations (not with warmup_epochs)"),
    DOUBLE("schedule", "warmup_start_factor", sched.warmup_start_factor, IN_OC(0, 1), "0.1",
           "warm-up: factor at step 0"),
    ENUM("schedule", "step_unit", sched.step_unit, params_step_unit_names, F_AUTO, "auto",
         "what one schedule step is; auto = iteration for onecycle, the Caffe policies and "
         "warmup_iterations, else epoch"),
    EXPRESSION("schedule", "lambda", sched.lambda, "",
               "lambda: lr = base * this, over epoch, iteration, base_lr (e.g. 0.95 ^ epoch)"),

    LONG("train", "epochs", train.epochs, IN(0, MAX_EPOCHS), "10",
         "passes over the training set; 0 when max_iterations counts the run instead"),
    LONG("train", "max_iterations", train.max_iterations, IN(0, MAX_STEPS), "0",
         "> 0: run this many optimizer steps instead of epochs (with epochs = 0)"),
    LONG("train", "batch_size", train.batch_size, IN(1, MAX_BATCH),
         "64", "training minibatch size"),
    LONG("train", "eval_batch_size", train.eval_batch_size, IN(1, MAX_BATCH),
         "1000", "evaluation batch size"),
    LONG("train", "eval_every", train.eval_every, IN(0, MAX_STEPS), "0",
         "iterations between evaluation rows, 0 = once per epoch"),
    BOOL("train", "eval_test_every_epoch", train.eval_test_every_epoch, "true",
         "evaluate the test set at every evaluation, not only at the end"),
    LONG("train", "test_iter", train.test_iter, IN(0, INT_MAX), "0",
         "a test pass is test_iter batches of eval_batch_size test records, starting where the "
         "last pass stopped and running on from the last record to the first, as Caffe's "
         "solver test_iter (Solver::Test, src/caffe/solver.cpp; 100 x 100 in Caffe's LeNet); "
         "0 = the whole test set; `mlptrain eval` always tests the whole set"),
    BOOL("train", "shuffle", train.shuffle, "true",
         "reshuffle the training records every epoch (PyTorch's DataLoader shuffle=True); "
         "false = file order as one stream: step k reads records k * batch_size on, modulo the "
         "training set, so a batch runs on from the last record to the first, as Caffe's data "
         "layer reads its LMDB (src/caffe/layers/data_layer.cpp); the same as PyTorch's "
         "shuffle=False only when batch_size divides the training set"),
    DOUBLE("train", "label_smoothing", train.label_smoothing, IN_CO(0, 1), "0",
           "cross-entropy label smoothing"),
    ULLONG("train", "seed", train.seed, "1", "seed of every random stream"),
    LONG("train", "threads", train.threads, IN(0, MAX_THREADS) | F_NO_RESULT, "0",
         "worker threads, at most the CPUs this process may use (taskset, cgroup quota), "
         "0 = all of them; a run uses fewer while timing its steps shows that faster; results "
         "are identical for any value"),
    LONG("train", "checkpoint_every", train.checkpoint_every, IN(0, MAX_EPOCHS) | F_NO_RESULT,
         "0", "epochs between checkpoints (" RUNDIR_CHECKPOINT "); 0 = only on interrupt and at the "
         "end"),
    LONG("train", "early_stop_patience", train.early_stop_patience, IN(0, MAX_EPOCHS), "0",
         "stop after this many epochs without improvement of early_stop_metric, 0 = never; "
         "needs data.val_split"),
    ENUM("train", "early_stop_metric", train.early_stop_metric, params_plateau_metric_names, 0,
         "val_loss", "validation metric early stopping, best_epoch and restore_best follow"),
    DOUBLE("train", "early_stop_min_delta", train.early_stop_min_delta, IN(0, 1e9), "0",
           "an epoch improves only when it beats the best by more than this"),
    BOOL("train", "restore_best", train.restore_best, "false",
         "test (and save in " RUNDIR_MODEL ") the weights of the best epoch, not the last; needs "
         "data.val_split"),

    STRING("output", "dir", output.dir, F_NONEMPTY | F_NO_RESULT, "runs",
           "parent directory of run directories"),
    STRING("output", "name", output.name, F_NAME | F_NO_RESULT, "",
           "run directory name; empty = config file name plus _key=value per --set"),
    STRING("output", "variant", output.variant, F_NAME | F_LABEL, "",
           "the [sweep] variant this run is, set by `mlptrain sweep` from a 'variant NAME = "
           "...' line: the run's name says variant=NAME instead of the variant's values, and "
           "the sweep's tables have it as a column; changes nothing a run computes"),
};

#define N_KEYS ((int)(sizeof keys / sizeof keys[0]))
_Static_assert(sizeof keys / sizeof keys[0] <= CONFIG_MAX_KEYS, "raise CONFIG_MAX_KEYS");

static const char *const sections[] = {"data",  "model", "optim", "schedule",
                                       "train", "output", "sweep", NULL};
#define N_SECTIONS ((int)(sizeof sections / sizeof sections[0]) - 1)

static const char *const bool_true[] = {"true", "yes", "on", "1"};
static const char *const bool_false[] = {"false", "no", "off", "0"};

/* ---- small helpers ---- */

static int strieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

/* The shortest of %.15g and %.17g that reads back as v. */
static void fmt_double(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, n, "%.17g", v);
}

static int key_index(const char *section, const char *name)
{
    for (int i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
            return i;
    return -1;
}

static int section_known(const char *section)
{
    for (int i = 0; i < N_SECTIONS; i++)
        if (strcmp(sections[i], section) == 0)
            return 1;
    return 0;
}

static int key_at(size_t off)
{
    for (int i = 0; i < N_KEYS; i++)
        if (keys[i].off == off)
            return i;
    return -1;
}

/* ---- did you mean ---- */

/* Optimal-string-alignment distance (adjacent swaps count 1), case-insensitive;
 * a large value for strings longer than 63 bytes. */
static int edit_distance(const char *a, const char *b)
{
    enum { M = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= M || lb >= M)
        return 1000;
    int d[M][M];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            int best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* Close enough to suggest: short words allow one edit, longer ones two. */
static int is_close(const char *typed, const char *candidate)
{
    size_t n = strlen(typed);
    return edit_distance(typed, candidate) <= (n <= 4 ? 1 : 2);
}

/* "learning_rate" -> "lr": the first letter of each '_'-separated word. */
static void initials(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = s; *p && k + 1 < n; p++)
        if (p == s || p[-1] == '_')
            if (*p != '_')
                out[k++] = (char)tolower((unsigned char)*p);
    out[k] = '\0';
}

/* Whether one name abbreviates the other by initials (learning_rate ~ lr, wd ~ weight_decay). */
static int same_initials(const char *typed, const char *candidate)
{
    char a[64], b[64];
    initials(typed, a, sizeof a);
    initials(candidate, b, sizeof b);
    return (strchr(typed, '_') && strlen(a) >= 2 && strieq(a, candidate)) ||
           (strchr(candidate, '_') && strlen(b) >= 2 && strieq(b, typed));
}

static const char *suggest_enum(const char *const *names, const char *typed)
{
    int best = -1, best_d = 1000;
    for (int i = 0; names[i]; i++) {
        int d = edit_distance(typed, names[i]);
        if (d < best_d && is_close(typed, names[i])) {
            best = i;
            best_d = d;
        }
    }
    return best >= 0 ? names[best] : NULL;
}

static const char *suggest_section(const char *typed)
{
    return suggest_enum(sections, typed);
}

/* Writes "; did you mean 'lr'?" or "; did you mean [train] batch_size?" or "". */
static void suggest_key(const char *section, const char *typed, char *out, size_t n)
{
    int best = -1, best_d = 1000;
    out[0] = '\0';
    for (int i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) != 0 && strieq(keys[i].name, typed)) {
            snprintf(out, n, "; did you mean [%s] %s?", keys[i].section, keys[i].name);
            return;
        }
    for (int i = 0; i < N_KEYS; i++) {
        if (strcmp(keys[i].section, section) != 0)
            continue;
        int d = edit_distance(typed, keys[i].name);
        if (d < best_d && is_close(typed, keys[i].name)) {
            best = i;
            best_d = d;
        }
    }
    for (int i = 0; best < 0 && i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && same_initials(typed, keys[i].name))
            best = i;
    if (best >= 0) {
        snprintf(out, n, "; did you mean '%s'?", keys[best].name);
        return;
    }
    for (int i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) != 0 && is_close(typed, keys[i].name)) {
            snprintf(out, n, "; did you mean [%s] %s?", keys[i].section, keys[i].name);
            return;
        }
}

/* ---- expected text, from the table ---- */

static void fmt_bound(const Key *k, double v, char *buf, size_t n)
{
    if (k->type == KT_DOUBLE || k->type == KT_DOUBLE_LIST)
        fmt_double(buf, n, v);
    else
        snprintf(buf, n, "%ld", (long)v);
}

/* " > 0", " in [0, 1)", or "". */
static void range_text(const Key *k, char *buf, size_t n)
{
    char lo[32], hi[32];
    fmt_bound(k, k->min, lo, sizeof lo);
    fmt_bound(k, k->max, hi, sizeof hi);
    unsigned f = k->flags;
    if ((f & R_MIN) && (f & R_MAX))
        snprintf(buf, n, " in %c%s, %s%c", f & R_MIN_OPEN ? '(' : '[', lo, hi,
                 f & R_MAX_OPEN ? ')' : ']');
    else if (f & R_MIN)
        snprintf(buf, n, " %s %s", f & R_MIN_OPEN ? ">" : ">=", lo);
    else if (f & R_MAX)
        snprintf(buf, n, " %s %s", f & R_MAX_OPEN ? "<" : "<=", hi);
    else
        buf[0] = '\0';
}

/* "relu, sigmoid, tanh, leaky_relu or gelu" with sep = ", ", last = " or "; "auto"
 * first for F_AUTO. */
static void choices_text(const Key *k, const char *sep, const char *last, char *buf, size_t n)
{
    const char *all[32];
    int count = 0;
    if (k->flags & F_AUTO)
        all[count++] = "auto";
    for (int i = 0; k->names[i] && count < 32; i++)
        all[count++] = k->names[i];
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < count && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", all[i],
                                i == count - 1 ? "" : i == count - 2 ? last : sep);
}

static void expected_text(const Key *k, char *buf, size_t n)
{
    char r[80], ch[256];
    range_text(k, r, sizeof r);
    switch (k->type) {
    case KT_BOOL: snprintf(buf, n, "true, false, yes, no, on, off, 1 or 0"); break;
    case KT_LONG: snprintf(buf, n, "an integer%s", r); break;
    case KT_ULLONG: snprintf(buf, n, "an integer in [0, %llu]", ULLONG_MAX); break;
    case KT_DOUBLE: snprintf(buf, n, "a number%s", r); break;
    case KT_ENUM:
        choices_text(k, ", ", " or ", ch, sizeof ch);
        snprintf(buf, n, "%s", ch);
        break;
    case KT_STRING:
        if (k->flags & F_NAME)
            snprintf(buf, n, "a name without '/', not '.' or '..'");
        else
            snprintf(buf, n, "a path");
        break;
    case KT_EXPR: snprintf(buf, n, "an expression over epoch, iteration and base_lr"); break;
    case KT_INT_LIST:
    case KT_LONG_LIST:
        snprintf(buf, n, "a comma-separated%s list of at most %d integers%s",
                 k->flags & F_INCREASING ? ", strictly increasing" : "", k->cap, r);
        break;
    case KT_DOUBLE_LIST:
        snprintf(buf, n, "a comma-separated list of at most %d numbers%s", k->cap, r);
        break;
    }
}

/* ---- parsing one value into RunParams ---- */

static void *field(RunParams *run, const Key *k)
{
    return (char *)run + k->off;
}

static const void *cfield(const RunParams *run, const Key *k)
{
    return (const char *)run + k->off;
}

static int in_range(const Key *k, double v)
{
    unsigned f = k->flags;
    if (f & R_MIN && (f & R_MIN_OPEN ? !(v > k->min) : !(v >= k->min)))
        return 0;
    if (f & R_MAX && (f & R_MAX_OPEN ? !(v < k->max) : !(v <= k->max)))
        return 0;
    return 1;
}

static int in_range_long(const Key *k, long v)
{
    unsigned f = k->flags;
    long lo = (long)k->min, hi = (long)k->max;
    if (f & R_MIN && (f & R_MIN_OPEN ? v <= lo : v < lo))
        return 0;
    if (f & R_MAX && (f & R_MAX_OPEN ? v >= hi : v > hi))
        return 0;
    return 1;
}

/* Error messages below are "what is wrong (expected ...)", without the key or location. */
/* text as a message shows it: control characters as \xNN, cut after 200 bytes with "...". */
static const char *shown(const char *text, char *buf, size_t n)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 8 < n; p++) {
        if (p - (const unsigned char *)text == 200) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (*p < 0x20 || *p == 0x7f)
            o += (size_t)snprintf(buf + o, n - o, "\\x%02x", *p);
        else
            buf[o++] = (char)*p;
    }
    buf[o] = '\0';
    return buf;
}

static int bad_value(const Key *k, char *msg, size_t n, const char *what, const char *text)
{
    char exp[512], show[1024];
    expected_text(k, exp, sizeof exp);
    if (*text == '\0')
        snprintf(msg, n, "empty value (expected %s)", exp);
    else
        snprintf(msg, n, "'%s' %s (expected %s)", shown(text, show, sizeof show), what, exp);
    return -1;
}

static int parse_long_item(const Key *k, const char *text, long *out, char *msg, size_t n)
{
    long v;
    int rc = util_parse_long(text, &v);
    if (rc == -1)
        return bad_value(k, msg, n, "is not an integer", text);
    if (rc != 0 || !in_range_long(k, v))
        return bad_value(k, msg, n, "is out of range", text);
    *out = v;
    return 0;
}

static int parse_double_item(const Key *k, const char *text, double *out, char *msg, size_t n)
{
    double v;
    int rc = util_parse_double(text, &v);
    if (rc == -1)
        return bad_value(k, msg, n, "is not a number", text);
    if (rc != 0 || !in_range(k, v))
        return bad_value(k, msg, n, "is out of range", text);
    *out = v;
    return 0;
}

static int parse_list(const Key *k, const char *text, RunParams *run, char *msg, size_t n)
{
    char exp[512];
    size_t len = strlen(text);
    char *copy = xmalloc(len + 1);
    memcpy(copy, text, len + 1);
    long lv[PARAMS_MAX_HIDDEN > PARAMS_MAX_MILESTONES ? PARAMS_MAX_HIDDEN : PARAMS_MAX_MILESTONES];
    double dv[PARAMS_MAX_CHANNELS];
    int count = 0, rc = 0;
    char *cursor = copy;
    if (*util_trim(copy) == '\0')
        cursor = NULL; /* the empty list */
    for (const char *item; (item = util_next_item(&cursor, ',')) != NULL;) {
        if (*item == '\0') {
            expected_text(k, exp, sizeof exp);
            snprintf(msg, n, "empty item in '%.200s' (expected %s)", text, exp);
            rc = -1;
            break;
        }
        if (count == k->cap) {
            expected_text(k, exp, sizeof exp);
            snprintf(msg, n, "more than %d items (expected %s)", k->cap, exp);
            rc = -1;
            break;
        }
        if (k->type == KT_DOUBLE_LIST) {
            rc = parse_double_item(k, item, &dv[count], msg, n);
        } else {
            rc = parse_long_item(k, item, &lv[count], msg, n);
            if (rc == 0 && (k->flags & F_INCREASING) && count > 0 && lv[count] <= lv[count - 1]) {
                expected_text(k, exp, sizeof exp);
                snprintf(msg, n, "'%ld' after '%ld' is not increasing (expected %s)", lv[count],
                         lv[count - 1], exp);
                rc = -1;
            }
        }
        if (rc)
            break;
        count++;
    }
    free(copy);
    if (rc)
        return -1;
    for (int i = 0; i < count; i++) {
        if (k->type == KT_DOUBLE_LIST)
            ((double *)field(run, k))[i] = dv[i];
        else if (k->type == KT_LONG_LIST)
            ((long *)field(run, k))[i] = lv[i];
        else
            ((int *)field(run, k))[i] = (int)lv[i]; /* items are range-checked to fit */
    }
    *(int *)((char *)run + k->count_off) = count;
    return 0;
}

/* Whether INI would read text back unchanged as a value: no control characters, no
 * blanks at the ends, no comment character (ini_is_comment_char) first or after a blank
 * (config_print writes "key = value", where either would start a comment). */
static int ini_safe(const char *text)
{
    size_t len = strlen(text);
    if (len && (isspace((unsigned char)text[0]) || isspace((unsigned char)text[len - 1])))
        return 0;
    if (ini_is_comment_char((unsigned char)text[0]))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch < 0x20 || ch == 0x7f)
            return 0;
        if (ini_is_comment_char(ch) && i > 0 && isspace((unsigned char)text[i - 1]))
            return 0;
    }
    return 1;
}

/* Parses text as the value of key k into run. 0, or -1 with msg. */
static int parse_value(const Key *k, const char *text, RunParams *run, char *msg, size_t n)
{
    switch (k->type) {
    case KT_BOOL:
        for (size_t i = 0; i < sizeof bool_true / sizeof bool_true[0]; i++) {
            if (strieq(text, bool_true[i]) || strieq(text, bool_false[i])) {
                *(bool *)field(run, k) = strieq(text, bool_true[i]);
                return 0;
            }
        }
        return bad_value(k, msg, n, "is not a boolean", text);
    case KT_LONG:
        return parse_long_item(k, text, (long *)field(run, k), msg, n);
    case KT_ULLONG: {
        int rc = util_parse_ullong(text, (unsigned long long *)field(run, k));
        if (rc)
            return bad_value(k, msg, n, rc == -1 ? "is not an integer" : "is out of range", text);
        return 0;
    }
    case KT_DOUBLE:
        return parse_double_item(k, text, (double *)field(run, k), msg, n);
    case KT_ENUM: {
        if ((k->flags & F_AUTO) && strcmp(text, "auto") == 0) {
            *(int *)field(run, k) = -1;
            return 0;
        }
        for (int i = 0; k->names[i]; i++) {
            if (strcmp(text, k->names[i]) == 0) {
                *(int *)field(run, k) = i;
                return 0;
            }
        }
        char exp[256];
        choices_text(k, ", ", " or ", exp, sizeof exp);
        const char *hint = suggest_enum(k->names, text);
        snprintf(msg, n, "unknown value '%.200s' (expected %s)%s%s%s", text, exp,
                 hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
        return -1;
    }
    case KT_STRING:
    case KT_EXPR: {
        size_t len = strlen(text);
        if ((int)len >= k->cap) {
            snprintf(msg, n, "value is too long (%zu bytes; expected at most %d)", len, k->cap - 1);
            return -1;
        }
        if (!ini_safe(text)) {
            snprintf(msg, n, "'%.200s' cannot be written back as INI (expected no control "
                     "character, and no " INI_COMMENT_CHARS_TEXT " at the start or after a "
                     "blank)", text);
            return -1;
        }
        if ((k->flags & F_NONEMPTY) && len == 0) {
            char exp[256];
            expected_text(k, exp, sizeof exp);
            snprintf(msg, n, "empty value (expected %s)", exp);
            return -1;
        }
        if ((k->flags & F_NAME) &&
            (strchr(text, '/') || strcmp(text, ".") == 0 || strcmp(text, "..") == 0))
            return bad_value(k, msg, n, "is not a valid name", text);
        if ((k->flags & F_NAME) && len > NAME_BYTES) {
            snprintf(msg, n, "the name is %zu bytes (expected at most %d, the longest file name "
                     "most file systems allow)", len, NAME_BYTES);
            return -1;
        }
        if (k->type == KT_EXPR && len > 0) {
            Expr x;
            Err ee;
            if (expr_compile(&x, text, &ee)) {
                snprintf(msg, n, "%.900s", ee.msg);
                return -1;
            }
        }
        memcpy(field(run, k), text, len + 1);
        return 0;
    }
    case KT_INT_LIST:
    case KT_LONG_LIST:
    case KT_DOUBLE_LIST:
        return parse_list(k, text, run, msg, n);
    }
    return -1;
}

/* ---- init, load, set ---- */

void config_init(Config *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < N_KEYS; i++) {
        char msg[1024];
        if (parse_value(&keys[i], keys[i].def, &c->run, msg, sizeof msg) != 0) {
            /* A broken table, not a user error; tests/test_config.c checks every row. */
            fprintf(stderr, "mlptrain: internal error: default of %s.%s: %s\n", keys[i].section,
                    keys[i].name, msg);
            abort();
        }
    }
}

void config_free(Config *c)
{
    for (int i = 0; i < c->n_overrides; i++)
        free(c->overrides[i]);
    c->n_overrides = 0;
    sweep_free(&c->sweep);
}

static const SweepKeys sweep_keys;

typedef struct {
    Config *c;
    const char *path;
    Err *e;
    int first_line[CONFIG_MAX_KEYS]; /* line of each key in this file, 0 = not yet */
    int n_keys;                      /* key lines read, [sweep] ones included */
} LoadCtx;

static int load_handler(void *user, const char *section, const char *key, const char *value,
                        int line)
{
    LoadCtx *L = user;
    L->n_keys += key != NULL;
    if (strcmp(section, "sweep") == 0) {
        if (!key)
            return 0;
        char what[PARAMS_PATH_MAX + 32];
        snprintf(what, sizeof what, "%s:%d", L->path, line);
        return sweep_line(&L->c->sweep, &sweep_keys, what, key, value, line, L->e) < 0;
    }
    if (!section_known(section)) {
        const char *hint = suggest_section(section);
        if (hint)
            err_set(L->e, "%s:%d: unknown section [%s]; did you mean [%s]?", L->path, line, section,
                    hint);
        else
            err_set(L->e, "%s:%d: unknown section [%s] (expected data, model, optim, schedule, "
                    "train, output or sweep)", L->path, line, section);
        return 1;
    }
    if (!key)
        return 0;
    int i = key_index(section, key);
    if (i < 0) {
        char hint[128], show[1024];
        suggest_key(section, key, hint, sizeof hint);
        err_set(L->e, "%s:%d: unknown key '%s' in section [%s]%s", L->path, line,
                shown(key, show, sizeof show), section, hint);
        return 1;
    }
    if (L->first_line[i]) {
        err_set(L->e, "%s:%d: %s.%s: duplicate key (first set on line %d)", L->path, line, section,
                key, L->first_line[i]);
        return 1;
    }
    char msg[1024];
    if (parse_value(&keys[i], value, &L->c->run, msg, sizeof msg)) {
        err_set(L->e, "%s:%d: %s.%s: %s", L->path, line, section, key, msg);
        return 1;
    }
    L->first_line[i] = line;
    L->c->is_set[i] = true;
    L->c->line[i] = line;
    return 0;
}

/* The end of reading a file: its syntax error, the handler's, or a file that sets nothing,
 * which would otherwise train every default (on data/mnist) as if it were a config. */
static int load_done(const LoadCtx *L, int rc, const IniError *ie, Err *e)
{
    if (rc == -1 && ie->line > 0)
        return err_set(e, "%s:%d: %s", L->path, ie->line, ie->msg);
    if (rc == -1)
        return err_set(e, "%s: %s", L->path, ie->msg);
    if (rc)
        return -1; /* the handler filled e */
    if (L->n_keys == 0)
        return err_set(e, "%s: sets no key (an empty or comments-only config; expected at "
                       "least a [data] section with path = DIR, see configs/example.ini or "
                       "mlptrain --help-config)", L->path);
    return 0;
}

int config_load_string(Config *c, const char *name, const char *text, Err *e)
{
    LoadCtx L = {.c = c, .path = name, .e = e};
    IniError ie;
    util_strlcpy(c->source, name, sizeof c->source);
    int rc = ini_parse_string(text, load_handler, &L, &ie);
    return load_done(&L, rc, &ie, e);
}

int config_load_file(Config *c, const char *path, Err *e)
{
    /* A pipe is fine (a config made by process substitution); a directory is not. */
    if (util_is_dir(path) == 1)
        return err_set(e, "%s: is a directory (expected a config file)", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(e, "cannot open config file '%s': %s", path, strerror(errno));
    LoadCtx L = {.c = c, .path = path, .e = e};
    IniError ie;
    util_strlcpy(c->source, path, sizeof c->source);
    int rc = ini_parse_file(f, load_handler, &L, &ie);
    fclose(f);
    return load_done(&L, rc, &ie, e);
}

/* Splits "section.key=value" (in a copy) into trimmed parts; NULL parts when absent. */
typedef struct {
    char *buf;
    const char *section, *key, *value;
} Assignment;

static void split_assignment(Assignment *a, const char *text)
{
    a->buf = xstrdup(text);
    a->section = a->key = a->value = NULL;
    char *eq = strchr(a->buf, '=');
    if (!eq)
        return;
    *eq = '\0';
    a->value = util_trim(eq + 1);
    char *dot = strchr(a->buf, '.');
    if (dot) {
        *dot = '\0';
        a->section = util_trim(a->buf);
        a->key = util_trim(dot + 1);
    } else {
        a->key = util_trim(a->buf);
    }
}

/* The table row of "section.key" as written after what (e.g. "--set x=1" or "f.ini:3"),
 * with the errors of a misspelt or incomplete name; -1 with e set. */
static int resolve_key(const char *what, const char *section, const char *key, const char *value,
                       Err *e)
{
    if (section && (!*section || !*key))
        return err_set(e, "%s: missing %s (expected section.key=value)", what,
                       *section ? "key" : "section");
    if (!section) {
        int only = -1, count = 0;
        for (int i = 0; i < N_KEYS; i++)
            if (strcmp(keys[i].name, key) == 0) {
                only = i;
                count++;
            }
        if (count == 1)
            return err_set(e, "%s: missing section (expected section.key=value); did you mean "
                           "%s.%s=%s?", what, keys[only].section, key, value);
        return err_set(e, "%s: missing section (expected section.key=value, e.g. optim.lr=0.1)",
                       what);
    }
    if (!section_known(section)) {
        const char *hint = suggest_section(section);
        if (hint)
            return err_set(e, "%s: unknown section [%s]; did you mean [%s]?", what, section, hint);
        return err_set(e, "%s: unknown section [%s] (expected data, model, optim, schedule, "
                       "train or output)", what, section);
    }
    int i = key_index(section, key);
    if (i < 0) {
        char hint[1024];
        suggest_key(section, key, hint, sizeof hint);
        char show[1024];
        return err_set(e, "%s: unknown key '%s' in section [%s]%s", what,
                       shown(key, show, sizeof show), section, hint);
    }
    return i;
}

/* Applies "section.key=value" as an override. line > 0: the value comes from that line of
 * the source file (a [sweep] line), which messages then name; else from the command line,
 * as --set (kind 's') or --sweep (kind 'w'). */
/* The option an override came from as the user typed it: "--set a.b=v", "--sweep a.b=v|w"
 * or "--threads N". */
static void option_text(char kind, const char *assignment, char *buf, size_t n)
{
    const char *eq = strchr(assignment, '=');
    if (kind == 't' && eq)
        snprintf(buf, n, "--threads %.1100s", eq + 1);
    else
        snprintf(buf, n, "%s %.1100s", kind == 'w' ? "--sweep" : "--set", assignment);
}

static int set_override(Config *c, const char *assignment, int line, char kind, Err *e)
{
    Assignment a;
    split_assignment(&a, assignment);
    char what[1200];
    if (line > 0)
        snprintf(what, sizeof what, "%s:%d", c->source, line);
    else
        option_text(kind, assignment, what, sizeof what);
    int rc = -1;
    char msg[1024];
    int i;
    if (!a.value) {
        err_set(e, "%s: missing '=' (expected section.key=value)", what);
    } else if ((i = resolve_key(what, a.section, a.key, a.value, e)) < 0) {
        /* e is set */
    } else if (c->n_overrides == CONFIG_MAX_OVERRIDES) {
        err_set(e, "%s: too many --set options (at most %d)", what, CONFIG_MAX_OVERRIDES);
    } else if (parse_value(&keys[i], a.value, &c->run, msg, sizeof msg)) {
        if (line > 0)
            err_set(e, "%s: %s.%s: %s", what, a.section, a.key, msg);
        else
            err_set(e, "%s: %s", what, msg);
    } else {
        c->override_kind[c->n_overrides] = kind;
        c->overrides[c->n_overrides++] = xstrdup(assignment);
        c->is_set[i] = true;
        c->line[i] = line > 0 ? line : -c->n_overrides;
        rc = 0;
    }
    free(a.buf);
    return rc;
}

int config_set(Config *c, const char *assignment, Err *e)
{
    return set_override(c, assignment, 0, 's', e);
}

int config_set_threads(Config *c, const char *count, Err *e)
{
    char assignment[1200];
    snprintf(assignment, sizeof assignment, "train.threads=%.1100s", count);
    return set_override(c, assignment, 0, 't', e);
}

int config_override(Config *c, const ConfigOverride *o, Err *e)
{
    switch (o->kind) {
    case CONFIG_SET: return config_set(c, o->text, e);
    case CONFIG_THREADS: return config_set_threads(c, o->text, e);
    case CONFIG_SWEEP: return config_sweep_add(c, o->text, e);
    }
    return err_set(e, "unknown override kind");
}

int config_load(Config *c, const char *path, const ConfigOverride *ov, int n, bool sweep,
                Err *e)
{
    if (path && config_load_file(c, path, e) < 0)
        return -1;
    /* --set and --threads first, as a sweep's runs apply them before their own values. */
    for (int i = 0; i < n; i++)
        if (ov[i].kind != CONFIG_SWEEP && config_override(c, &ov[i], e) < 0)
            return -1;
    for (int i = 0; sweep && i < n; i++)
        if (ov[i].kind == CONFIG_SWEEP && config_override(c, &ov[i], e) < 0)
            return -1;
    return 0;
}

/* ---- sweeps: the syntax is sweep.c's; the keys, and what overrides them, are ours ---- */

/* SweepKeys.find: a key a sweep may vary (one that changes results, and not the seed,
 * which 'seeds' repeats). */
static int sweep_find(void *ctx, const char *what, const char *section, const char *key,
                      const char *value, Err *e)
{
    (void)ctx;
    int i = resolve_key(what, section, key, value, e);
    if (i < 0)
        return -1;
    if (keys[i].flags & F_NO_RESULT)
        return err_set(e, "%s: %s.%s does not change what a run computes, so it cannot be swept "
                       "(expected a key of [data], [model], [optim], [schedule] or [train])", what,
                       keys[i].section, keys[i].name);
    if (keys[i].off == offsetof(RunParams, train.seed))
        return err_set(e, "%s: train.seed is repeated with 'seeds = 1, 2, 3' in [sweep], not "
                       "swept as a key", what);
    if (keys[i].flags & F_LABEL)
        return err_set(e, "%s: %s.%s is the name of a variant, given by its 'variant NAME = "
                       "...' line in [sweep]", what, keys[i].section, keys[i].name);
    return i;
}

/* SweepKeys.check: parses text into a scratch RunParams. */
static int sweep_value(void *ctx, int k, const char *text, char *msg, size_t n)
{
    (void)ctx;
    RunParams scratch;
    memset(&scratch, 0, sizeof scratch);
    return parse_value(&keys[k], text, &scratch, msg, n);
}

static void value_text(const Key *k, const RunParams *run, char *buf, size_t n);

/* SweepKeys.canon: parses text into a scratch RunParams and writes it back as config_print
 * would. */
static void sweep_canon(void *ctx, int k, const char *text, char *buf, size_t n)
{
    (void)ctx;
    RunParams scratch;
    memset(&scratch, 0, sizeof scratch);
    char msg[1024];
    if (parse_value(&keys[k], text, &scratch, msg, sizeof msg) == 0)
        value_text(&keys[k], &scratch, buf, n);
    else
        snprintf(buf, n, "%s", text); /* not reached: check accepted text */
}

static void sweep_name(void *ctx, int k, char *buf, size_t n)
{
    (void)ctx;
    snprintf(buf, n, "%s.%s", keys[k].section, keys[k].name);
}

/* SweepKeys.current: the value of row k in the Config ctx, as sweep_canon writes it. */
static void sweep_current(void *ctx, int k, char *buf, size_t n)
{
    const Config *c = ctx;
    value_text(&keys[k], &c->run, buf, n);
}

static const SweepKeys sweep_keys = {.ctx = NULL, .find = sweep_find, .check = sweep_value,
                                     .canon = sweep_canon, .name = sweep_name};

int config_sweep_add(Config *c, const char *assignment, Err *e)
{
    return sweep_option(&c->sweep, &sweep_keys, assignment, e);
}

/* The --set option (or --threads) that set row k, if one did, into opt. */
static bool set_by_option(const Config *c, int k, char *opt, size_t n)
{
    int o = -c->line[k] - 1;
    if (c->line[k] >= 0 || c->override_kind[o] == 'w')
        return false;
    option_text(c->override_kind[o], c->overrides[o], opt, n);
    return true;
}

int config_sweep_check(const Config *c, long max_runs, long *n_runs, Err *e)
{
    Sweep *sw = (Sweep *)&c->sweep; /* zip groups are resolved there, once */
    const char *source = c->source[0] ? c->source : "config";
    char opt[1200], w[PARAMS_PATH_MAX + 1200];
    for (int a = 0; a < sw->n_axes; a++) {
        int k = sw->axes[a].key;
        if (set_by_option(c, k, opt, sizeof opt)) {
            sweep_axis_where(sw, &sw->axes[a], c->source, w, sizeof w);
            return err_set(e, "%s: %s.%s is swept (%s); change its values there instead", opt,
                           keys[k].section, keys[k].name, w);
        }
    }
    for (int v = 0; v < sw->n_variants; v++) {
        const SweepVariant *var = &sw->variants[v];
        for (int i = 0; i < var->n; i++)
            if (set_by_option(c, var->set[i].key, opt, sizeof opt))
                return err_set(e, "%s: %s is set by variant %s (%s:%d); change it there "
                               "instead", opt, var->set[i].name, var->name, source, var->line);
        if (v == 0 && set_by_option(c, key_index("output", "variant"), opt, sizeof opt))
            return err_set(e, "%s: the variants name their runs (%s:%d)", opt, source, var->line);
    }
    if (sweep_check(sw, source, max_runs, n_runs, e) < 0)
        return -1;
    SweepKeys k = sweep_keys;
    k.ctx = (void *)c;
    k.current = sweep_current;
    return sweep_check_variants(sw, &k, source, e);
}

int config_apply_point(Config *c, const SweepPoint *pt, Err *e)
{
    /* A variant's run is named by the variant (first: it varies slowest), not its values. */
    if (pt->variant >= 0) {
        char label[SWEEP_NAME_MAX + 32];
        snprintf(label, sizeof label, "output.variant=%s", pt->variant_name);
        if (set_override(c, label, pt->variant_line, 's', e) < 0)
            return -1;
        c->override_kind[c->n_overrides - 1] = 'w';
    }
    for (int i = 0; i < pt->n; i++) {
        int line = pt->line[i];
        char kind = 's';
        if (line < 0) { /* from --sweep: messages name that option */
            kind = 'w';
            line = 0;
        }
        if (set_override(c, pt->assignment[i], line, kind, e) < 0)
            return -1;
        /* a sweep's value, from a [sweep] line or --sweep: the run's name is made of these */
        c->override_kind[c->n_overrides - 1] = pt->of_variant[i] ? 'v' : 'w';
    }
    sweep_free(&c->sweep);
    return 0;
}

int config_key_affects_results(const char *full_key)
{
    const char *dot = strchr(full_key, '.');
    for (int i = 0; dot && i < N_KEYS; i++)
        if (strncmp(keys[i].section, full_key, (size_t)(dot - full_key)) == 0 &&
            keys[i].section[dot - full_key] == '\0' && strcmp(keys[i].name, dot + 1) == 0)
            return !(keys[i].flags & F_NO_RESULT);
    return 0;
}

/* ---- finish: cross-key rules and dependent defaults ---- */

#define IDX(field) key_at(offsetof(RunParams, field))

/* "PATH:LINE", "--set ASSIGNMENT", or PATH / "config" when the key kept its default. */
static void where(const Config *c, int i, char *buf, size_t n)
{
    if (c->line[i] > 0)
        snprintf(buf, n, "%s:%d", c->source, c->line[i]);
    else if (c->line[i] < 0)
        option_text(c->override_kind[-c->line[i] - 1], c->overrides[-c->line[i] - 1], buf, n);
    else
        snprintf(buf, n, "%s", c->source[0] ? c->source : "config");
}

int config_locate(const Config *c, const char *full_key, char *buf, size_t n)
{
    const char *dot = strchr(full_key, '.');
    for (int i = 0; dot && i < N_KEYS; i++)
        if (strncmp(keys[i].section, full_key, (size_t)(dot - full_key)) == 0 &&
            keys[i].section[dot - full_key] == '\0' && strcmp(keys[i].name, dot + 1) == 0) {
            where(c, i, buf, n);
            return 0;
        }
    snprintf(buf, n, "%s", c->source[0] ? c->source : "config");
    return -1;
}

void config_error_text(const Config *c, const Err *e, const char *context, char *buf, size_t n)
{
    char w[PARAMS_PATH_MAX + 1200] = "";
    if (e->key[0]) {
        config_locate(c, e->key, w, sizeof w);
        size_t len = strlen(w);
        /* An option names the key already; a file's line does not. */
        if (strncmp(w, "--", 2) != 0)
            snprintf(w + len, sizeof w - len, ": %s", e->key);
        len = strlen(w);
        snprintf(w + len, sizeof w - len, ": ");
    }
    char line[sizeof w + sizeof e->msg + 2400];
    if (context)
        snprintf(line, sizeof line, "%s%s (%s)", w, e->msg, context);
    else
        snprintf(line, sizeof line, "%s%s", w, e->msg);
    util_escape_controls(buf, n, line);
}

/* "on line 7", "by --set ...", "by default". */
static void set_at(const Config *c, int i, char *buf, size_t n)
{
    if (c->line[i] > 0)
        snprintf(buf, n, "on line %d", c->line[i]);
    else if (c->line[i] < 0 && n > 3)
        option_text(c->override_kind[-c->line[i] - 1], c->overrides[-c->line[i] - 1],
                    buf + snprintf(buf, n, "by "), n - 3);
    else
        snprintf(buf, n, "by default");
}

static int check_stats_count(const Config *c, int i, int count, Err *e)
{
    const RunParams *r = &c->run;
    int ch = params_channels(r->data.dataset);
    if (count == 0 || count == 1 || count == ch)
        return 0;
    char w[1200];
    where(c, i, w, sizeof w);
    const char *name = params_dataset_names[r->data.dataset];
    if (ch == 1)
        return err_set(e, "%s: data.%s: %d values given, but %s has 1 channel (expected 1 value, "
                       "or none for the dataset default)", w, keys[i].name, count, name);
    return err_set(e, "%s: data.%s: %d values given, but %s has %d channels (expected 1 or %d "
                   "values, or none for the dataset default)", w, keys[i].name, count, name, ch, ch);
}

/* The Caffe conventions' keys: a value that would be ignored, or a combination Caffe has
 * no meaning for, is an error. */
static int check_caffe_rules(const Config *c, Err *e)
{
    const RunParams *r = &c->run;
    char w[1200], v[32];
    if (r->optim.momentum_form == MOMENTUM_CAFFE) {
        where(c, IDX(optim.momentum_form), w, sizeof w);
        if (r->optim.optimizer != OPTIM_SGD)
            return err_set(e, "%s: optim.momentum_form = caffe applies to optim.optimizer = sgd "
                           "only (Caffe's SGDSolver), but optim.optimizer is %s", w,
                           params_optim_names[r->optim.optimizer]);
        if (r->optim.nesterov)
            return err_set(e, "%s: optim.momentum_form = caffe cannot take optim.nesterov = true "
                           "(Caffe's SGDSolver has no Nesterov term; Nesterov is its own solver "
                           "type there)", w);
        if (r->optim.dampening != 0) {
            fmt_double(v, sizeof v, r->optim.dampening);
            return err_set(e, "%s: optim.momentum_form = caffe cannot take optim.dampening = %s "
                           "(Caffe's SGDSolver has no dampening; expected 0)", w, v);
        }
    }
    if (r->data.scale > 0 && r->data.normalize != NORM_SCALE) {
        where(c, IDX(data.scale), w, sizeof w);
        fmt_double(v, sizeof v, r->data.scale);
        return err_set(e, "%s: data.scale = %s applies only with data.normalize = scale (it is "
                       "%s)", w, v, params_norm_names[r->data.normalize]);
    }
    if (r->model.bias_value != 0 && r->model.bias_init != BIAS_INIT_CONSTANT) {
        where(c, IDX(model.bias_value), w, sizeof w);
        fmt_double(v, sizeof v, r->model.bias_value);
        return err_set(e, "%s: model.bias_value = %s applies only with model.bias_init = "
                       "constant (it is %s)", w, v,
                       r->model.bias_init < 0 ? "auto" : params_bias_init_names[r->model.bias_init]);
    }
    if (r->train.test_iter > INT_MAX / r->train.eval_batch_size) {
        where(c, IDX(train.test_iter), w, sizeof w);
        return err_set(e, "%s: train.test_iter = %ld batches of train.eval_batch_size = %ld are "
                       "more than %d records in one test pass (expected fewer)", w,
                       r->train.test_iter, r->train.eval_batch_size, INT_MAX);
    }
    return 0;
}

static int check_rules(const Config *c, Err *e)
{
    const RunParams *r = &c->run;
    char w[1200], s[1200];
    int i_epochs = IDX(train.epochs), i_maxit = IDX(train.max_iterations);
    if (c->is_set[i_epochs] && r->train.epochs > 0 && r->train.max_iterations > 0) {
        where(c, i_maxit, w, sizeof w);
        set_at(c, i_epochs, s, sizeof s);
        return err_set(e, "%s: set either train.epochs or train.max_iterations, not both "
                       "(train.epochs is set %s; train.epochs = 0 leaves the count to "
                       "max_iterations)", w, s);
    }
    if (r->train.epochs == 0 && r->train.max_iterations == 0) {
        where(c, i_epochs, w, sizeof w);
        return err_set(e, "%s: train.epochs = 0 needs train.max_iterations > 0 (expected "
                       "epochs >= 1, or a number of iterations)", w);
    }
    if (r->sched.warmup_epochs > 0 && r->sched.warmup_iterations > 0) {
        int i = IDX(sched.warmup_iterations);
        where(c, i, w, sizeof w);
        set_at(c, IDX(sched.warmup_epochs), s, sizeof s);
        return err_set(e, "%s: set either schedule.warmup_epochs or schedule.warmup_iterations, "
                       "not both (schedule.warmup_epochs is set %s)", w, s);
    }
    if (r->optim.optimizer == OPTIM_SGD && r->optim.nesterov &&
        (r->optim.momentum <= 0 || r->optim.dampening != 0)) {
        char m[32], d[32];
        where(c, IDX(optim.nesterov), w, sizeof w);
        fmt_double(m, sizeof m, r->optim.momentum);
        fmt_double(d, sizeof d, r->optim.dampening);
        return err_set(e, "%s: optim.nesterov = true requires optim.momentum > 0 and "
                       "optim.dampening = 0, as in PyTorch (momentum is %s, dampening is %s)",
                       w, m, d);
    }
    if (check_caffe_rules(c, e))
        return -1;
    int i_type = IDX(sched.type);
    const char *type = params_sched_names[r->sched.type];
    where(c, i_type, w, sizeof w);
    if (params_scheds[r->sched.type].needs_validation && !(r->data.val_split > 0))
        return err_set(e, "%s: schedule.type = %s requires data.val_split > 0 (it watches a "
                       "validation metric); set data.val_split, e.g. 0.1", w, type);
    /* Early stopping and restore_best follow a validation metric. */
    char patience[32];
    snprintf(patience, sizeof patience, "%ld", r->train.early_stop_patience);
    const struct {
        bool on;
        int key;
        const char *value, *what;
    } needs_val[] = {
        {r->train.early_stop_patience > 0, IDX(train.early_stop_patience), patience,
         "early stopping"},
        {r->train.restore_best, IDX(train.restore_best), "true", "the best epoch"},
    };
    for (size_t i = 0; i < sizeof needs_val / sizeof needs_val[0]; i++)
        if (needs_val[i].on && !(r->data.val_split > 0)) {
            where(c, needs_val[i].key, w, sizeof w);
            return err_set(e, "%s: train.%s = %s requires data.val_split > 0 (%s follows a "
                           "validation metric); set data.val_split, e.g. 0.1", w,
                           keys[needs_val[i].key].name, needs_val[i].value, needs_val[i].what);
        }
    if (params_scheds[r->sched.type].uses_milestones && r->sched.n_milestones == 0)
        return err_set(e, "%s: schedule.type = %s requires schedule.milestones (e.g. milestones = "
                       "30, 60)", w, type);
    if (r->sched.type == SCHED_LAMBDA && r->sched.lambda[0] == '\0')
        return err_set(e, "%s: schedule.type = lambda requires schedule.lambda (e.g. lambda = "
                       "0.95 ^ epoch)", w);
    if (check_stats_count(c, IDX(data.mean), r->data.n_mean, e) ||
        check_stats_count(c, IDX(data.std), r->data.n_std, e))
        return -1;
    return 0;
}

/* Appends src to dst (size n) with characters outside [A-Za-z0-9._=-] replaced by '-'. */
static int append_sanitized(char *dst, size_t n, const char *src)
{
    size_t len = strlen(dst);
    for (; *src; src++) {
        if (len + 1 >= n)
            return -1;
        unsigned char ch = (unsigned char)*src;
        int keep = isalnum(ch) || ch == '.' || ch == '_' || ch == '=' || ch == '-';
        dst[len++] = keep ? (char)ch : '-';
    }
    dst[len] = '\0';
    return 0;
}

/* The derived name is over NAME_BYTES (size says by how much: "260 bytes", "more than 1023
 * bytes"). A single run is named by output.name instead; a sweep's run (its values came as
 * overrides of kind 'w') is named by its values whatever output.name says, so the advice is
 * about those. */
static int name_too_long(const Config *c, const char *size, Err *e)
{
    const char *source = c->source[0] ? c->source : "config";
    bool swept = false, set = false;
    for (int i = 0; i < c->n_overrides; i++) {
        Assignment a;
        split_assignment(&a, c->overrides[i]);
        int k = key_index(a.section, a.key);
        free(a.buf);
        if ((k >= 0 && (keys[k].flags & F_NO_RESULT)) || c->override_kind[i] == 'v')
            continue; /* not in the name */
        swept |= c->override_kind[i] == 'w';
        set |= c->override_kind[i] != 'w';
    }
    if (!swept)
        return err_set(e, "%s: the run name derived from the file name and --set options is %s "
                       "(expected at most %d, the longest file name most file systems allow); "
                       "set output.name", source, size, NAME_BYTES);
    return err_set(e, "%s: the name of this sweep's run, made of the file name%s and the swept "
                   "values, is %s (expected at most %d, the longest file name most file systems "
                   "allow); expected shorter values or fewer swept keys (a sweep names its runs "
                   "by their values, not by output.name, and another -o does not help: the limit "
                   "is on each name in a path)", source, set ? ", the --set options" : "", size,
                   NAME_BYTES);
}

/* The config file's base name without ".ini", then "_key=value" per override, leaving out
 * the overrides that cannot change the results ([output] keys and train.threads) and a
 * variant's assignments (its output.variant names them). */
static int derive_name(const Config *c, char *out, size_t out_size, Err *e)
{
    char name[PARAMS_PATH_MAX] = "";
    if (c->source[0]) {
        const char *base = strrchr(c->source, '/');
        base = base ? base + 1 : c->source;
        char stem[PARAMS_PATH_MAX];
        util_strlcpy(stem, base, sizeof stem);
        size_t len = strlen(stem);
        if (len > 4 && strcmp(stem + len - 4, ".ini") == 0)
            stem[len - 4] = '\0';
        append_sanitized(name, sizeof name, stem);
    } else {
        strcpy(name, "run");
    }
    for (int i = 0; i < c->n_overrides; i++) {
        Assignment a;
        split_assignment(&a, c->overrides[i]);
        int k = key_index(a.section, a.key);
        if ((k >= 0 && (keys[k].flags & F_NO_RESULT)) || c->override_kind[i] == 'v') {
            free(a.buf);
            continue;
        }
        int rc = append_sanitized(name, sizeof name, "_");
        rc = rc || append_sanitized(name, sizeof name, a.key);
        rc = rc || append_sanitized(name, sizeof name, "=");
        rc = rc || append_sanitized(name, sizeof name, a.value);
        free(a.buf);
        if (rc) {
            char size[64];
            snprintf(size, sizeof size, "more than %zu bytes", sizeof name - 1);
            return name_too_long(c, size, e);
        }
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || name[0] == '\0')
        return err_set(e, "%s: cannot derive a run name from this file name; set output.name",
                       c->source);
    if (strlen(name) > NAME_BYTES) {
        char size[64];
        snprintf(size, sizeof size, "%zu bytes", strlen(name));
        return name_too_long(c, size, e);
    }
    if (util_strlcpy(out, name, out_size) < 0)
        return err_set(e, "%s: the derived run name is too long; set output.name", c->source);
    return 0;
}

int config_run_name(const Config *c, char *buf, size_t n, Err *e)
{
    if (c->run.output.name[0])
        return util_strlcpy(buf, c->run.output.name, n) < 0 ? err_set(e, "output.name too long")
                                                            : 0;
    return derive_name(c, buf, n, e);
}

/* The value of k in run as the config file spells it, into buf (cut to size n). */
static void value_text(const Key *k, const RunParams *run, char *buf, size_t n)
{
    const void *p = cfield(run, k);
    char num[64];
    size_t len = 0;
    buf[0] = '\0';
    switch (k->type) {
    case KT_BOOL: snprintf(buf, n, "%s", *(const bool *)p ? "true" : "false"); break;
    case KT_LONG: snprintf(buf, n, "%ld", *(const long *)p); break;
    case KT_ULLONG: snprintf(buf, n, "%llu", *(const unsigned long long *)p); break;
    case KT_DOUBLE: fmt_double(buf, n, *(const double *)p); break;
    case KT_ENUM: {
        int v = *(const int *)p;
        snprintf(buf, n, "%s", v < 0 ? "auto" : k->names[v]);
        break;
    }
    case KT_STRING:
    case KT_EXPR: snprintf(buf, n, "%s", (const char *)p); break;
    case KT_INT_LIST:
    case KT_LONG_LIST:
    case KT_DOUBLE_LIST: {
        int count = *(const int *)((const char *)run + k->count_off);
        for (int i = 0; i < count && len < n; i++) {
            if (k->type == KT_INT_LIST)
                snprintf(num, sizeof num, "%d", ((const int *)p)[i]);
            else if (k->type == KT_LONG_LIST)
                snprintf(num, sizeof num, "%ld", ((const long *)p)[i]);
            else
                fmt_double(num, sizeof num, ((const double *)p)[i]);
            len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", num);
        }
        break;
    }
    }
}

/* Whether key k holds the same value in a and b. */
static int same_value(const Key *k, const RunParams *a, const RunParams *b)
{
    const void *x = cfield(a, k), *y = cfield(b, k);
    switch (k->type) {
    case KT_BOOL: return *(const bool *)x == *(const bool *)y;
    case KT_LONG: return *(const long *)x == *(const long *)y;
    case KT_ULLONG: return *(const unsigned long long *)x == *(const unsigned long long *)y;
    case KT_DOUBLE: return *(const double *)x == *(const double *)y;
    case KT_ENUM: return *(const int *)x == *(const int *)y;
    case KT_STRING:
    case KT_EXPR: return strcmp((const char *)x, (const char *)y) == 0;
    case KT_INT_LIST:
    case KT_LONG_LIST:
    case KT_DOUBLE_LIST: {
        int n = *(const int *)((const char *)a + k->count_off);
        if (n != *(const int *)((const char *)b + k->count_off))
            return 0;
        size_t item = k->type == KT_INT_LIST ? sizeof(int)
                      : k->type == KT_LONG_LIST ? sizeof(long) : sizeof(double);
        return memcmp(x, y, (size_t)n * item) == 0;
    }
    }
    return 0;
}

int config_diff(const Config *a, const Config *b, char *what, size_t n)
{
    for (int i = 0; i < N_KEYS; i++) {
        if ((keys[i].flags & F_NO_RESULT) || same_value(&keys[i], &a->run, &b->run))
            continue;
        char va[200], vb[200];
        value_text(&keys[i], &a->run, va, sizeof va);
        value_text(&keys[i], &b->run, vb, sizeof vb);
        snprintf(what, n, "%s.%s = %s, not %s", keys[i].section, keys[i].name, va, vb);
        return 1;
    }
    return 0;
}

uint64_t config_result_hash(const Config *c)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a, 64 bits */
    char text[4096 + 160];
    Config *def = xmalloc(sizeof *def);
    config_init(def);
    for (int i = 0; i < N_KEYS; i++) {
        if ((keys[i].flags & (F_NO_RESULT | F_LABEL)) || same_value(&keys[i], &c->run, &def->run))
            continue;
        int n = snprintf(text, sizeof text, "%s.%s=", keys[i].section, keys[i].name);
        value_text(&keys[i], &c->run, text + n, sizeof text - (size_t)n - 1);
        strcat(text, "\n");
        for (const unsigned char *p = (const unsigned char *)text; *p; p++)
            h = (h ^ *p) * 0x100000001b3u;
    }
    config_free(def);
    free(def);
    return h;
}

int config_finish(Config *c, Err *e)
{
    RunParams *r = &c->run;
    if (check_rules(c, e))
        return -1;

    /* A run counted in iterations has no epoch count of its own. */
    if (r->train.max_iterations > 0)
        r->train.epochs = 0;
    /* PyTorch's per-optimizer default: 0.01 for AdamW (SEMANTICS 6.3). */
    if (!c->is_set[IDX(optim.weight_decay)])
        r->optim.weight_decay = params_optims[r->optim.optimizer].default_weight_decay;
    /* SEMANTICS 1.2: a re-initialized weight comes with a zero bias. */
    if (r->model.bias_init == BIAS_INIT_AUTO)
        r->model.bias_init = r->model.init == INIT_DEFAULT ? BIAS_INIT_DEFAULT : BIAS_INIT_ZEROS;

    int ch = params_channels(r->data.dataset);
    double mean[PARAMS_MAX_CHANNELS], std[PARAMS_MAX_CHANNELS];
    params_default_stats(r->data.dataset, mean, std);
    for (int k = 0; k < ch; k++) {
        if (r->data.n_mean > 0)
            mean[k] = r->data.mean[r->data.n_mean == 1 ? 0 : k];
        if (r->data.n_std > 0)
            std[k] = r->data.std[r->data.n_std == 1 ? 0 : k];
    }
    for (int k = 0; k < ch; k++) {
        r->data.mean[k] = mean[k];
        r->data.std[k] = std[k];
    }
    r->data.n_mean = r->data.n_std = ch;

    if (r->sched.step_unit != STEP_UNIT_EPOCH && r->sched.step_unit != STEP_UNIT_ITERATION) {
        bool per_iteration = params_scheds[r->sched.type].per_iteration ||
                             r->sched.warmup_iterations > 0;
        r->sched.step_unit = per_iteration ? STEP_UNIT_ITERATION : STEP_UNIT_EPOCH;
    }
    if (!c->is_set[IDX(sched.mode)])
        r->sched.mode = params_plateau_metrics[r->sched.metric].mode;

    if (r->output.name[0] == '\0' &&
        derive_name(c, r->output.name, sizeof r->output.name, e))
        return -1;
    return 0;
}

/* ---- print ---- */

static void print_value(const Key *k, const RunParams *run, FILE *f)
{
    /* Values are at most a path, an expression or 64 list items: 4 KB holds any. */
    char buf[4096];
    value_text(k, run, buf, sizeof buf);
    fputs(buf, f);
}

static int value_is_empty(const Key *k, const RunParams *run)
{
    if (k->type == KT_STRING || k->type == KT_EXPR)
        return *(const char *)cfield(run, k) == '\0';
    if (k->type == KT_INT_LIST || k->type == KT_LONG_LIST || k->type == KT_DOUBLE_LIST)
        return *(const int *)((const char *)run + k->count_off) == 0;
    return 0;
}

void config_print(const Config *c, FILE *f)
{
    const char *section = "";
    fputs("; mlptrain configuration, resolved: every key; loads back as it is\n", f);
    for (int i = 0; i < N_KEYS; i++) {
        const Key *k = &keys[i];
        if (strcmp(k->section, section) != 0) {
            fprintf(f, "\n[%s]\n", k->section);
            section = k->section;
        }
        fputs(k->name, f);
        fputs(value_is_empty(k, &c->run) ? " =" : " = ", f);
        print_value(k, &c->run, f);
        fputc('\n', f);
    }
    sweep_print(&c->sweep, f);
}

/* ---- help ---- */

static const char *type_name(const Key *k)
{
    switch (k->type) {
    case KT_BOOL: return "bool";
    case KT_LONG: return "integer";
    case KT_ULLONG: return "uint64";
    case KT_DOUBLE: return "number";
    case KT_ENUM: return "choice";
    case KT_STRING: return "string";
    case KT_EXPR: return "expression";
    case KT_INT_LIST:
    case KT_LONG_LIST: return "integer list";
    case KT_DOUBLE_LIST: return "number list";
    }
    return "?";
}

/* A schedule's lines in --help-config: "name:" and the first line of its formula, then
 * the continuation lines indented under it. */
static void print_formula(FILE *f, const char *name, const char *formula)
{
    char label[64];
    snprintf(label, sizeof label, "%s:", name);
    for (const char *line = formula, *end;; line = end + 1) {
        end = strchr(line, '\n');
        fprintf(f, "  %-10s %.*s\n", line == formula ? label : "",
                end ? (int)(end - line) : (int)strlen(line), line);
        if (!end)
            break;
    }
}

/* The warm-up in front of any schedule (sched.c), after the schedules' own formulas. */
static const char warmup_formula[] =
    "with W = warmup_epochs or warmup_iterations > 0, for t < W\n"
    "lr = base * (warmup_start_factor + (1 - warmup_start_factor) * t / W), then the\n"
    "schedule above starting from its own step 0 at t = W     (LinearLR + SequentialLR)";

void config_print_help(FILE *f)
{
    fputs("Configuration keys: [section] key = value in the INI file, or --set section.key=value.\n",
          f);
    for (int i = 0; i < N_KEYS; i++) {
        const Key *k = &keys[i];
        char full[64], what[512];
        snprintf(full, sizeof full, "%s.%s", k->section, k->name);
        if (k->type == KT_ENUM)
            choices_text(k, " | ", " | ", what, sizeof what);
        else
            expected_text(k, what, sizeof what);
        fprintf(f, "\n  %-32s %-12s default: %s\n", full, type_name(k),
                k->def[0] ? k->def : "(empty)");
        fprintf(f, "      %s\n      %s\n", what, k->help);
    }
    /* SEMANTICS.md §7: PyTorch lr_scheduler, Caffe SGDSolver. */
    fputs("\n  [sweep]                          a study: `mlptrain sweep CONFIG` runs every point\n"
          "      section.key = v1 | v2 | v3     values of a key (the runs are the cartesian\n"
          "                                     product of these lines)\n"
          "      zip = section.key, section.key pairs keys instead of crossing them (lists of\n"
          "                                     one length, e.g. an lr with its schedule)\n"
          "      seeds = 1, 2, 3                repeats every point with each train.seed\n"
          "      variant NAME = a.b = v & c.d = w\n"
          "                                     a point: these values in place of the config's\n"
          "                                     own (none after the '='); the variants are one\n"
          "                                     more axis, their runs named variant=NAME\n", f);
    fputs("\nSchedules (schedule.type; SEMANTICS.md section 7):\n", f);
    fputs("  t counts epochs or iterations per schedule.step_unit; base = optim.lr\n", f);
    for (int k = 0; k < SCHED_COUNT; k++)
        print_formula(f, params_sched_names[k], params_scheds[k].formula);
    print_formula(f, "warm-up", warmup_formula);
}

int config_key_info(int i, const char **section, const char **key, const char **def)
{
    if (i < 0 || i >= N_KEYS)
        return -1;
    *section = keys[i].section;
    *key = keys[i].name;
    *def = keys[i].def;
    return 0;
}
