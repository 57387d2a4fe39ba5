/* result.h - result.csv, the one row a run leaves: a run's statuses, what a run gave
 * (RunResult), the file's columns (one list, from which come the header, the column ids
 * and, through a switch over them, the values written), writing it, and reading a status
 * cell back. Adding a column is a line in RESULT_COLUMN_LIST and a case in result.c.
 * Nothing here trains or knows configs beyond RunParams. */
#ifndef MLPTRAIN_RESULT_H
#define MLPTRAIN_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "params.h"
#include "util.h"

/* A run's status. The first three are the ends a run reaches, the ones result.csv holds;
 * the others are what a sweep knows of a run that has no result (yet). */
typedef enum {
    RUN_OK,             /* trained to its end */
    RUN_DIVERGED,       /* the loss stopped being finite */
    RUN_INTERRUPTED,    /* stopped by a signal; it can be continued from its checkpoint */
    RUN_PENDING,        /* no run there yet (no directory, or no config.ini) */
    RUN_INCOMPLETE,     /* config.ini but no result.csv with a status: killed, failed or
                         * still running */
    RUN_FAILED,         /* the run ended in an error (known to the process that ran it) */
    RUN_STATUS_COUNT
} RunStatus;
/* "ok", "diverged", "interrupted", "pending", "incomplete", "failed", then NULL. */
extern const char *const result_status_names[];

/* Whether result.csv may hold status s (ok, diverged or interrupted). */
static inline bool result_status_in_file(RunStatus s)
{
    return s <= RUN_INTERRUPTED;
}

/* The status a result.csv status cell names, or -1 when text names none of those it may
 * hold. */
int result_status_parse(const char *text);

/* What a run gave: train_run fills it, result_write writes it. */
typedef struct {
    RunStatus status;
    long epochs;             /* epochs started (the last may be partial) */
    long iterations;         /* optimizer steps taken */
    double test_loss, test_acc;  /* of the weights model.bin holds (best or last) */
    double best_val_acc;     /* NaN without a validation split */
    double train_seconds;    /* time in training steps, evaluation excluded */
    long best_epoch;         /* best epoch by train.early_stop_metric; 0 without validation */
    long stopped_epoch;      /* the epoch early stopping ended the run at; 0 = it did not */
    long weights_epoch;      /* the epoch whose weights the model holds at the end */
    bool restored;           /* restore_best put the best epoch's weights back */
} RunResult;

/* result.csv's columns, in file order: X(id, name) for each. From this one list come the
 * ResultColumn enum, the header (result_columns) and, through a switch over
 * ResultColumn, the values result_write writes. */
#define RESULT_COLUMN_LIST(X)                                            \
    X(RESULT_COL_NAME, "name")                                                 \
    X(RESULT_COL_DATASET, "dataset")                                           \
    X(RESULT_COL_HIDDEN, "hidden")                                             \
    X(RESULT_COL_ACTIVATION, "activation")                                     \
    X(RESULT_COL_BATCHNORM, "batchnorm")                                       \
    X(RESULT_COL_DROPOUT, "dropout")                                           \
    X(RESULT_COL_OPTIMIZER, "optimizer")                                       \
    X(RESULT_COL_LR, "lr")                                                     \
    X(RESULT_COL_BATCH_SIZE, "batch_size")                                     \
    X(RESULT_COL_EPOCHS, "epochs")                                             \
    X(RESULT_COL_SCHEDULE, "schedule")                                         \
    X(RESULT_COL_SEED, "seed")                                                 \
    X(RESULT_COL_PARAMS, "params")                                             \
    X(RESULT_COL_TEST_ACC, "test_acc")                                         \
    X(RESULT_COL_TEST_LOSS, "test_loss")                                       \
    X(RESULT_COL_BEST_VAL_ACC, "best_val_acc")                                 \
    X(RESULT_COL_BEST_EPOCH, "best_epoch")                                     \
    X(RESULT_COL_STOPPED_EPOCH, "stopped_epoch")                               \
    X(RESULT_COL_TRAIN_SECONDS, "train_seconds")                               \
    X(RESULT_COL_SECONDS_PER_100_ITERATIONS, "seconds_per_100_iterations")     \
    X(RESULT_COL_PEAK_RSS_BYTES, "peak_rss_bytes")                             \
    X(RESULT_COL_MODEL_BYTES, "model_bytes")                                   \
    X(RESULT_COL_THREADS, "threads")                                           \
    X(RESULT_COL_STATUS, "status")

typedef enum {
#define RESULT_COLUMN_ID(id, name) id,
    RESULT_COLUMN_LIST(RESULT_COLUMN_ID)
#undef RESULT_COLUMN_ID
} ResultColumn;

/* The number of columns: outside ResultColumn, so a switch over the columns needs no case
 * for it. */
enum {
#define RESULT_COLUMN_ONE(id, name) +1
    RESULT_COL_COUNT = 0 RESULT_COLUMN_LIST(RESULT_COLUMN_ONE)
#undef RESULT_COLUMN_ONE
};

/* The result.csv header, indexed by ResultColumn. */
extern const char *const result_columns[RESULT_COL_COUNT];

/* Writes result.csv (header + one row) for the run whole or not at all (a temporary file
 * renamed over path). name is the run's directory name, threads the thread count used. */
int result_write(const char *path, const RunParams *rp, const char *name, int threads,
                 size_t n_params, size_t model_bytes, const RunResult *r, Err *e);

#endif
