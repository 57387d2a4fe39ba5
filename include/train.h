/* train.h - the training loop (SEMANTICS §8): shuffled mini-batches, forward, loss,
 * backward, optimizer step, schedule; evaluation rows written to epochs.csv as they
 * happen; statuses ok / diverged / interrupted; the result row. It owns no model,
 * optimizer or data: the caller builds them and passes them in. */
#ifndef MLPTRAIN_TRAIN_H
#define MLPTRAIN_TRAIN_H

#include <signal.h>
#include <stdio.h>

#include "dataset.h"
#include "model.h"
#include "optim.h"
#include "params.h"
#include "sched.h"
#include "util.h"

/* Rng streams derived from train.seed, one per use, so that e.g. adding dropout does not
 * change the initial weights. */
enum { RNG_STREAM_INIT = 1, RNG_STREAM_SPLIT = 2, RNG_STREAM_SHUFFLE = 3, RNG_STREAM_DROPOUT = 4 };

typedef enum { RUN_OK, RUN_DIVERGED, RUN_INTERRUPTED } RunStatus;
extern const char *const train_status_names[];

typedef struct {
    RunStatus status;
    long epochs;             /* epochs started (the last may be partial) */
    long iterations;         /* optimizer steps taken */
    double test_loss, test_acc;
    double best_val_acc;     /* NaN without a validation split */
    double train_seconds;    /* time in training steps, evaluation excluded */
} TrainResult;

typedef struct {
    const Dataset *train;    /* records indexed by split */
    const Dataset *test;
    const DataSplit *split;
    const Normalizer *nz;
} TrainData;

/* Where a run is, for a live progress line. */
typedef struct {
    long epoch, n_epochs;            /* epoch in progress (1-based) of the run's epochs */
    long iteration, total_iterations;
    double loss;                     /* mean training loss since the last evaluation row */
    double samples_per_second;       /* over the training steps so far */
    double eta;                      /* seconds of training left, estimated */
    double last_val_acc;             /* of the last evaluation row; NaN if none yet */
} TrainProgress;

typedef void (*TrainProgressFn)(void *ctx, const TrainProgress *p);

typedef struct {
    FILE *log;                       /* one line per evaluation row; NULL = quiet */
    const char *prefix;              /* put before each log line ("" or NULL: nothing) */
    volatile sig_atomic_t *stop;     /* non-zero: finish the batch, evaluate, stop */
    const char *epochs_csv;          /* path of epochs.csv */
    TrainProgressFn progress;        /* called about 5 times a second and after each row;
                                      * NULL = never */
    void *progress_ctx;
} TrainIO;

/* Optimizer steps per epoch, for the whole run, and the epochs the run touches (the last
 * may be partial when max_iterations counts the run). */
long train_steps_per_epoch(const TrainParams *tp, long n_train);
long train_total_steps(const TrainParams *tp, long n_train);
long train_epochs(const TrainParams *tp, long n_train);

/* The most optimizer steps a run may take: bounds the schedule's check and every count. */
#define TRAIN_MAX_STEPS 100000000L

/* Checks what the data and model imply before anything is written: a training batch of
 * one row with batch norm (PyTorch refuses it), an empty training set, a run of more than
 * TRAIN_MAX_STEPS steps. Errors name their key (Err.key). */
int train_check(const TrainParams *tp, const ModelParams *mp, long n_train, Err *e);

/* Rows a batch buffer needs: the larger of min(batch_size, n_train) and
 * min(eval_batch_size, n_eval), so a batch larger than the data reserves nothing extra. */
int train_max_rows(const TrainParams *tp, long n_train, long n_eval);

/* The memory a run allocates, in bytes, by kind: known before anything is allocated. */
typedef struct {
    double params;        /* parameters and batch-norm buffers */
    double grads;
    double optim;         /* momentum / moments */
    double activations;   /* per-layer outputs and gradient buffers for the largest batch */
    double workspace;     /* GEMM packing, batch assembly, index lists */
    double data;          /* pixels and labels as bytes, split indices */
    double total;
} MemPlan;

/* Fills mp for the run rp on data of shape ds with n_val records held out, on threads
 * threads. Fails only as model_layout does. */
int train_plan_memory(const RunParams *rp, const DataShape *ds, long n_val, int threads,
                      MemPlan *mp, Err *e);

/* Trains m with o and s on d. On success returns 0 with r filled, whatever the status
 * (a diverged or interrupted run is a result). Returns -1 on I/O failure. */
int train_run(const TrainParams *tp, const TrainData *d, Model *m, Optim *o, Sched *s,
              const TrainIO *io, TrainResult *r, Err *e);

/* Writes result.csv (header + one row) for the run whole or not at all (a temporary file
 * renamed over path). name is the run's directory name, threads the thread count used. */
int train_write_result(const char *path, const RunParams *rp, const char *name, int threads,
                       const Model *m, const TrainResult *r, Err *e);

#endif
