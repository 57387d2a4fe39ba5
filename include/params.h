/* params.h - the plain structs that describe one experiment: the contract between
 * the config module (which fills them from INI text) and everything else (which reads
 * them), and one table per choice (dataset, schedule, optimizer, ...). No parsing, no
 * I/O here: a C caller can fill these by hand and train.
 *
 * Every choice enum is followed by its count, kept out of the enum itself so that a
 * switch listing every kind with no default is complete and -Wswitch names the switch a
 * new kind was forgotten in. Keep each count after its last kind: the _Static_asserts in
 * params.c tie the name and descriptor tables to it. */
#ifndef MLPTRAIN_PARAMS_H
#define MLPTRAIN_PARAMS_H

#include <stdbool.h>

#define PARAMS_MAX_HIDDEN 64     /* hidden layers */
#define PARAMS_MAX_CHANNELS 3    /* mean/std entries */
#define PARAMS_MAX_MILESTONES 64
#define PARAMS_PATH_MAX 1024
#define PARAMS_EXPR_MAX 512

/* ---- [data] ---- */
typedef enum { DATASET_MNIST, DATASET_FASHION_MNIST, DATASET_KMNIST, DATASET_CIFAR10 } DatasetKind;
enum { DATASET_COUNT = DATASET_CIFAR10 + 1 };
typedef enum { NORM_STANDARD, NORM_SCALE, NORM_NONE } NormKind;
enum { NORM_COUNT = NORM_NONE + 1 };

typedef struct {
    DatasetKind dataset;
    char path[PARAMS_PATH_MAX];          /* directory holding the standard file names */
    NormKind normalize;
    int n_mean, n_std;                   /* 0 = dataset default; 1 = every channel; else channels */
    double mean[PARAMS_MAX_CHANNELS];    /* resolved: always `channels` entries after config_finish */
    double std[PARAMS_MAX_CHANNELS];
    double scale;                        /* NORM_SCALE: 0 = x / 255 (torchvision ToTensor);
                                            > 0: x = pixel * scale in float32 (Caffe's
                                            transform_param scale) */
    double val_split;                    /* fraction of the training set held out, 0 = none */
    long train_limit, test_limit;        /* first N records, 0 = all */
} DataParams;

/* ---- [model] ---- */
typedef enum { ACT_RELU, ACT_SIGMOID, ACT_TANH, ACT_LEAKY_RELU, ACT_GELU } Activation;
enum { ACT_COUNT = ACT_GELU + 1 };
typedef enum {
    INIT_DEFAULT, INIT_XAVIER_UNIFORM, INIT_XAVIER_NORMAL,
    INIT_KAIMING_UNIFORM, INIT_KAIMING_NORMAL, INIT_NORMAL, INIT_CAFFE_XAVIER
} InitKind;
enum { INIT_COUNT = INIT_CAFFE_XAVIER + 1 };
typedef enum { BIAS_INIT_AUTO, BIAS_INIT_DEFAULT, BIAS_INIT_ZEROS, BIAS_INIT_CONSTANT } BiasInit;
enum { BIAS_INIT_COUNT = BIAS_INIT_CONSTANT + 1 };

typedef struct {
    int n_hidden;                        /* 0 = logistic regression */
    int hidden[PARAMS_MAX_HIDDEN];
    Activation activation;
    bool batchnorm;                      /* Linear -> BatchNorm1d -> activation */
    double dropout;                      /* p after each hidden activation, 0 = none */
    InitKind init;
    double init_std;                     /* INIT_NORMAL only */
    BiasInit bias_init;                  /* AUTO: DEFAULT with INIT_DEFAULT, ZEROS otherwise */
    double bias_value;                   /* BIAS_INIT_CONSTANT: every bias (Caffe's constant
                                            filler value) */
} ModelParams;

/* ---- [optim] ---- */
typedef enum { OPTIM_SGD, OPTIM_ADAM, OPTIM_ADAMW } OptimKind;
enum { OPTIM_COUNT = OPTIM_ADAMW + 1 };
/* Where SGD's momentum buffer holds the LR: PyTorch b = m*b + g, p -= lr*b; Caffe
 * V = m*V + lr*g, p -= V (SEMANTICS §6.1). */
typedef enum { MOMENTUM_PYTORCH, MOMENTUM_CAFFE } MomentumForm;
enum { MOMENTUM_FORM_COUNT = MOMENTUM_CAFFE + 1 };

typedef struct {
    OptimKind optimizer;
    double lr;
    double momentum, dampening;
    bool nesterov;
    MomentumForm momentum_form;          /* SGD only */
    double weight_decay;                 /* coupled L2 for sgd/adam, decoupled for adamw */
    double beta1, beta2, eps;
    bool amsgrad;
    double l1;                           /* L1 penalty on every parameter, as a loss term */
    double clip_grad_norm;               /* 0 = no clipping */
    /* The bias group (the Linear biases; optim_set_group): its LR is lr * bias_lr_mult and
     * its weight decay weight_decay * bias_decay_mult, as a PyTorch param group or Caffe's
     * lr_mult / decay_mult of a layer's second blob. 1 and 1 leave every step as without
     * groups; a caller filling this by hand sets them. */
    double bias_lr_mult, bias_decay_mult;
} OptimParams;

/* ---- [schedule] ---- */
typedef enum {
    SCHED_CONSTANT, SCHED_STEP, SCHED_MULTISTEP, SCHED_EXPONENTIAL, SCHED_LAMBDA,
    SCHED_COSINE, SCHED_COSINE_WARM_RESTARTS, SCHED_LINEAR, SCHED_PLATEAU, SCHED_ONECYCLE,
    SCHED_FIXED, SCHED_CAFFE_STEP, SCHED_EXP, SCHED_INV, SCHED_POLY, SCHED_SIGMOID,
    SCHED_CAFFE_MULTISTEP
} SchedKind;
enum { SCHED_COUNT = SCHED_CAFFE_MULTISTEP + 1 };
typedef enum { STEP_UNIT_EPOCH, STEP_UNIT_ITERATION } StepUnit;
enum { STEP_UNIT_COUNT = STEP_UNIT_ITERATION + 1 };
typedef enum { PLATEAU_MIN, PLATEAU_MAX } PlateauMode;
enum { PLATEAU_MODE_COUNT = PLATEAU_MAX + 1 };
typedef enum { METRIC_VAL_LOSS, METRIC_VAL_ACC } PlateauMetric;
enum { METRIC_COUNT = METRIC_VAL_ACC + 1 };
typedef enum { THRESH_REL, THRESH_ABS } ThresholdMode;
enum { THRESH_COUNT = THRESH_ABS + 1 };

typedef struct {
    SchedKind type;
    StepUnit step_unit;                  /* resolved by config_finish */
    long step_size;
    double gamma;
    int n_milestones;
    long milestones[PARAMS_MAX_MILESTONES];
    long T_max;                          /* resolved: 0 in the file means total epochs/iterations */
    double eta_min;
    long T_0, T_mult;
    double start_factor, end_factor;
    long total_iters;
    PlateauMode mode;
    PlateauMetric metric;
    double factor;
    long patience;
    double threshold;
    ThresholdMode threshold_mode;
    long cooldown;
    double min_lr;
    double max_lr;                       /* onecycle; 0 = optim.lr */
    double pct_start, div_factor, final_div_factor;
    double power;
    long stepsize;                       /* Caffe step / sigmoid */
    long max_iter;                       /* Caffe poly; 0 = total iterations */
    long warmup_epochs, warmup_iterations;
    double warmup_start_factor;
    char lambda[PARAMS_EXPR_MAX];        /* expression over epoch, iteration, base_lr */
} SchedParams;

/* ---- [train] ---- */
typedef struct {
    long epochs;
    long max_iterations;                 /* > 0: stop after this many optimizer steps */
    long batch_size, eval_batch_size;
    long eval_every;                     /* iterations between evaluation rows, 0 = per epoch */
    bool eval_test_every_epoch;
    long test_iter;                      /* > 0: a test pass is test_iter batches of
                                            eval_batch_size records, read on from where the
                                            last pass stopped (Caffe); 0 = the whole set */
    bool shuffle;                        /* false: records in file order as one stream that
                                            runs on across the end (Caffe's data layer) */
    double label_smoothing;
    unsigned long long seed;
    long threads;                        /* 0 = all online CPUs */
    long checkpoint_every;               /* epochs between checkpoints, 0 = only on interrupt
                                            and at the end */
    long early_stop_patience;            /* epochs without improvement before stopping, 0 = off */
    PlateauMetric early_stop_metric;     /* val_loss or val_acc (params_plateau_metrics says
                                            which way is better) */
    double early_stop_min_delta;         /* least change that counts as an improvement */
    bool restore_best;                   /* test (and model.bin) with the best epoch's weights */
} TrainParams;

/* ---- [output] ---- */
typedef struct {
    char dir[PARAMS_PATH_MAX];           /* parent of run directories */
    char name[PARAMS_PATH_MAX];          /* run name; resolved by config_finish */
    char variant[64];                    /* the sweep's variant this run is, "" = none */
} OutputParams;

typedef struct {
    DataParams data;
    ModelParams model;
    OptimParams optim;
    SchedParams sched;
    TrainParams train;
    OutputParams output;
} RunParams;

/* ---- the choice tables ----
 * A choice's spelling lives once, in its NULL-terminated name table, indexed by the enum:
 * config parses with it (and suggests from it); CSV rows and summaries print it. What
 * the program needs to know about each kind lives in its descriptor table, indexed by the
 * same enum. Behaviour that differs per kind is a switch with no default in the module
 * that owns it. Adding a kind: its enum value, its name, its descriptor row, and the
 * switch cases the compiler then asks for. The tables are declared here without a size on
 * purpose: a size would pad a short table with zeroed rows and hide it from the length
 * checks in params.c. */

extern const char *const params_dataset_names[];
extern const char *const params_norm_names[];
extern const char *const params_activation_names[];
extern const char *const params_init_names[];
extern const char *const params_bias_init_names[];
extern const char *const params_optim_names[];
extern const char *const params_momentum_form_names[];
extern const char *const params_sched_names[];
extern const char *const params_step_unit_names[];
extern const char *const params_plateau_mode_names[];
extern const char *const params_plateau_metric_names[];
extern const char *const params_threshold_mode_names[];

/* How a dataset's files are named and laid out; dataset.c has one loader per layout. */
typedef enum {
    DATA_LAYOUT_IDX,      /* {train,t10k}-{images-idx3,labels-idx1}-ubyte (SEMANTICS §9.1) */
    DATA_LAYOUT_CIFAR     /* data_batch_1..5.bin, test_batch.bin (SEMANTICS §9.2) */
} DataLayout;

typedef struct {
    const char *help;             /* one line */
    DataLayout layout;
    int channels;                 /* planes per record (CHW), <= PARAMS_MAX_CHANNELS */
    int input_dim;                /* bytes per record: channels * height * width */
    int classes;                  /* labels 0 .. classes - 1 */
    long standard_train_size;     /* records in the official training set */
    /* normalization defaults per channel (SEMANTICS §9.4), `channels` entries */
    double mean[PARAMS_MAX_CHANNELS], std[PARAMS_MAX_CHANNELS];
} DatasetDesc;
extern const DatasetDesc params_datasets[];

/* The shape of a dataset, from params_datasets (kind must be a DatasetKind). mean/std
 * receive `params_channels(kind)` values. */
int params_channels(DatasetKind kind);
int params_input_dim(DatasetKind kind);
void params_default_stats(DatasetKind kind, double *mean, double *std);

typedef struct {
    const char *help;             /* one line: what it is and where it comes from */
    bool per_iteration;           /* defined per optimizer step: always stepped per iteration,
                                     and step_unit = auto resolves to iteration */
    bool caffe;                   /* a Caffe SGDSolver lr_policy (SEMANTICS §7.8) */
    bool needs_validation;        /* follows a validation metric after each epoch: needs
                                     data.val_split > 0 */
    bool printable;               /* LR known before training: --print-schedule prints it and
                                     sched_init checks every step of it */
    bool uses_milestones;         /* steps at schedule.milestones: needs at least one */
    /* Its lines in --help-config after "name:"; '\n' starts an indented continuation. */
    const char *formula;
} SchedDesc;
extern const SchedDesc params_scheds[];

/* The state buffers an optimizer may keep, one float per parameter each (Optim.state in
 * optim.h): the SGD momentum buffer or Adam's first moment, Adam's second moment, and
 * AMSGrad's running max of it. */
typedef enum { OPTIM_STATE_M, OPTIM_STATE_V, OPTIM_STATE_VMAX } OptimState;
enum { OPTIM_STATE_COUNT = OPTIM_STATE_VMAX + 1 };
/* When an optimizer keeps one of them: never (0, so a row need not name the buffers it
 * does not keep), always, only when optim.momentum != 0, only with optim.amsgrad. */
typedef enum { KEPT_NEVER, KEPT_ALWAYS, KEPT_WITH_MOMENTUM, KEPT_WITH_AMSGRAD } OptimKept;

typedef struct {
    const char *help;             /* one line */
    /* Which buffers it keeps, indexed by OptimState: what optim_init allocates,
     * optim_state_bytes counts and a checkpoint holds. */
    OptimKept state[OPTIM_STATE_COUNT];
    bool decoupled_weight_decay;  /* p *= 1 - lr * weight_decay before the update (AdamW),
                                     instead of g += weight_decay * p */
    double default_weight_decay;  /* PyTorch's default, used when optim.weight_decay is not set */
} OptimDesc;
extern const OptimDesc params_optims[];

typedef struct {
    const char *help;             /* one line: the function */
    const char *module;           /* PyTorch's nn module name, shown by --summary */
} ActivationDesc;
extern const ActivationDesc params_activations[];

typedef struct {
    const char *help;             /* one line */
    PlateauMode mode;             /* which way is better: schedule.mode when not set */
} PlateauMetricDesc;
extern const PlateauMetricDesc params_plateau_metrics[];

#endif
