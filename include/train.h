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

typedef struct {
    FILE *log;                       /* one line per evaluation row; NULL = quiet */
    volatile sig_atomic_t *stop;     /* non-zero: finish the batch, evaluate, stop */
    const char *epochs_csv;          /* path of epochs.csv */
} TrainIO;

/* Optimizer steps per epoch, for the whole run, and the epochs the run touches (the last
 * may be partial when max_iterations counts the run). */
long train_steps_per_epoch(const TrainParams *tp, long n_train);
long train_total_steps(const TrainParams *tp, long n_train);
long train_epochs(const TrainParams *tp, long n_train);

/* Checks what the data and model imply before anything is written: a training batch of
 * one row with batch norm (PyTorch refuses it), an empty training set. */
int train_check(const TrainParams *tp, const ModelParams *mp, long n_train, Err *e);

/* Trains m with o and s on d. On success returns 0 with r filled, whatever the status
 * (a diverged or interrupted run is a result). Returns -1 on I/O failure. */
int train_run(const TrainParams *tp, const TrainData *d, Model *m, Optim *o, Sched *s,
              const TrainIO *io, TrainResult *r, Err *e);

/* Writes result.csv (header + one row) for the run. */
int train_write_result(const char *path, const RunParams *rp, const Model *m,
                       const TrainResult *r, Err *e);

#endif
