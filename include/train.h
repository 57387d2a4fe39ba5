/* train.h - the training loop (SEMANTICS §8): shuffled (or file-order) mini-batches,
 * forward, loss, backward, optimizer step, schedule; evaluation rows written to epochs.csv
 * as they happen; statuses ok / diverged / interrupted; the result row. It owns no model,
 * optimizer or data: the caller builds them and passes them in. */
#ifndef MLPTRAIN_TRAIN_H
#define MLPTRAIN_TRAIN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dataset.h"
#include "model.h"
#include "optim.h"
#include "params.h"
#include "result.h"
#include "sched.h"
#include "util.h"

/* Rng streams derived from train.seed, one per use, so that e.g. adding dropout does not
 * change the initial weights. */
enum { RNG_STREAM_INIT = 1, RNG_STREAM_SPLIT = 2, RNG_STREAM_SHUFFLE = 3, RNG_STREAM_DROPOUT = 4 };

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
    double loss;                     /* mean training loss since the last evaluation row;
                                      * right after a row, that row's; NaN before any batch */
    double samples_per_second;       /* over the training steps so far */
    double eta;                      /* seconds of training left, estimated */
    double last_val_acc;             /* of the last evaluation row; NaN if none yet */
} TrainProgress;

typedef void (*TrainProgressFn)(void *ctx, const TrainProgress *p);

/* Everything of the loop itself that the next step depends on. With the model's
 * parameters, batch-norm buffers and bn_batches, the optimizer's state and the schedule's,
 * it is what a checkpoint holds: a run continued from it computes what the uninterrupted
 * run computes, bit for bit. */
typedef struct {
    long epoch;              /* epoch in progress, 1-based */
    long batch;              /* batches of it done */
    bool shuffled;           /* perm holds this epoch's order already (with tp->shuffle
                                false: the file order, always) */
    bool finished;           /* the loop is over (the checkpoint at a run's end) */
    long iteration;          /* optimizer steps taken */
    double lr_used;          /* LR of the last step: the next row's lr column */
    double window_loss;      /* since the last row: sum of loss x rows, correct, rows */
    long window_correct, window_seen;
    double best_val_acc;     /* of the rows so far; NaN until one has validation */
    double best_metric;      /* best train.early_stop_metric at an epoch's end; NaN = none */
    long best_epoch;         /* its epoch, 0 = none yet */
    long bad_epochs;         /* epochs since, without improvement */
    long stopped_epoch;      /* early stopping ended the run here, 0 = not */
    Rng shuffle_rng, dropout_rng;
    int n_perm;
    int *perm;               /* training record order, reshuffled in place each epoch */
    long test_cursor;        /* test_iter > 0: the test record the next test pass starts
                                at */
    size_t n_best;
    float *best_weights;     /* restore_best: parameters then buffers at best_epoch */
    long long csv_bytes;     /* length of epochs.csv at this state, and its CRC-32 */
    uint32_t csv_crc;
    /* clocks, carried on so the time columns continue; never part of a result */
    double train_seconds, window_seconds, elapsed_seconds;
} TrainState;

/* Safe on a zeroed state. */
void train_state_free(TrainState *st);

/* How many of the pool's threads training steps use, chosen by timing steps: now and then
 * a probe runs a few steps on the current count and a few on half or twice it, and the
 * more threads are kept unless the fewer are clearly faster (a host whose CPUs are far
 * apart, where every job's data crosses between distant caches; a model too small to
 * split; many cores, of which a small model uses a few well). Results do not depend on
 * it. */
typedef struct TrainThreads {
    Pool *pool;
    int all, cap;          /* the pool's threads; the threads steps use now */
    bool off;              /* never probes (one thread, or first infinite) */
    double next;           /* util_now() of the next probe */
    double gap, min_gap;   /* seconds between probes: doubles while the choice holds */
    int step;              /* 0: not probing; else the probe's step, from 1 */
    int side[2];           /* the probe's thread counts: fewer, more */
    bool went_down;        /* the last probe compared the count with its half */
    double seconds[2];     /* the probe's timed steps so far on each side */
    double t0;             /* when the current step began */
    long probes, fewer;    /* probes done, and those that chose the fewer threads */
} TrainThreads;

/* A choice for pool's threads that probes first after `first` seconds (INFINITY: never,
 * all threads always) and then at least `gap` seconds apart. */
void train_threads_init(TrainThreads *c, Pool *pool, double first, double gap);
/* Around each step, with now = util_now(): before caps the pool for the step and returns
 * its threads; after records the step's time and, at the end of a probe, decides. */
int train_threads_before(TrainThreads *c, double now);
void train_threads_after(TrainThreads *c, double now);

typedef struct {
    FILE *log;                       /* one line per evaluation row; NULL = quiet */
    const char *prefix;              /* put before each log line ("" or NULL: nothing) */
    volatile sig_atomic_t *stop;     /* non-zero: finish the batch, evaluate, stop */
    const char *epochs_csv;          /* path of epochs.csv */
    TrainProgressFn progress;        /* called about 5 times a second and after each row;
                                      * NULL = never */
    void *progress_ctx;
    const char *checkpoint;          /* path of checkpoint.bin; NULL = none is written */
    uint64_t config_hash;            /* recorded in checkpoints (config_result_hash) */
    TrainState *resume;              /* from train_load_checkpoint: continue this run (the
                                      * model, optimizer and schedule loaded with it);
                                      * NULL = a fresh run. Used, not freed. */
    long *confusion;                 /* n_classes x n_classes counts of the final test
                                      * evaluation (row: true class, column: predicted);
                                      * NULL = not wanted */
    void (*on_step)(void *ctx, long iteration); /* after every optimizer step (before the
                                      * stop flag is read); NULL = never */
    void *step_ctx;
    struct TrainThreads *threads;    /* how many threads the steps use (below); NULL =
                                      * train_run's own: first probe after 1 s, gap 4 s */
} TrainIO;

/* Optimizer steps per epoch, for the whole run, and the epochs the run touches (the last
 * may be partial when max_iterations counts the run). */
long train_steps_per_epoch(const TrainParams *tp, long n_train);
long train_total_steps(const TrainParams *tp, long n_train);
long train_epochs(const TrainParams *tp, long n_train);

/* sched_init for a run of tp over n_train training records (its epochs, steps per epoch
 * and max_iterations): the one place a run's schedule is set up from them. */
int train_sched_init(Sched *s, const TrainParams *tp, const SchedParams *sp, double lr,
                     long n_train, Err *e);

/* The most optimizer steps a run may take: bounds the schedule's check and every count. */
#define TRAIN_MAX_STEPS 100000000L

/* Checks what the data and model imply before anything is written: a training batch of
 * one row with batch norm (PyTorch refuses it), an empty training set, a run of more than
 * TRAIN_MAX_STEPS steps, a test pass of more than INT_MAX records. Errors name their key
 * (Err.key). */
int train_check(const TrainParams *tp, const ModelParams *mp, long n_train, Err *e);

/* Rows a batch buffer needs: the larger of min(batch_size, n_train) and
 * min(eval_batch_size, n_eval), so a batch larger than the data reserves nothing extra;
 * batch_size itself when tp->shuffle is false and eval_batch_size itself with
 * tp->test_iter (those batches run on across the end of their set, so are always full). */
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

/* The advice for a run that needs more memory than there is, into buf (size n, always
 * terminated): the largest part of mp and the keys that shrink it. The parts are grouped
 * by those keys: the model (parameters, gradients, optimizer state: model.hidden), the
 * batches (activations, workspace: train.batch_size, train.eval_batch_size, and model.hidden
 * for the activations), the data (data.train_limit, data.test_limit). E.g. "the data is the
 * largest part (1.69 TB); expected data.train_limit or data.test_limit to load fewer
 * records, or a smaller dataset", for a message that goes on ", or --force to try anyway". */
void train_memory_hint(const MemPlan *mp, char *buf, size_t n);

/* Trains m with o and s on d, or continues io->resume. On success returns 0 with r filled,
 * whatever the status (a diverged or interrupted run is a result). Returns -1 on I/O
 * failure. First puts m's Linear biases (model_linear_bias) in o's OPTIM_GROUP_BIAS.
 *
 * Training records: shuffled each epoch with tp->shuffle, else in file order as one
 * stream (Caffe's data layer: step k reads records k * batch_size ... modulo the training
 * set, every batch full). A test pass is the whole test set, or with tp->test_iter that
 * many batches of eval_batch_size, starting where the previous pass stopped and running on
 * across the end of the set (Caffe's test net); with restore_best the best epoch's weights
 * are tested on the records of the final row's pass.
 *
 * Checkpoints (io->checkpoint): at the end of every tp->checkpoint_every-th epoch (after
 * its row and the schedule's epoch step), and when the loop ends (interrupted, or
 * finished; not diverged) before the final row is evaluated. Early stopping and the best
 * epoch are decided at each epoch's end on the validation split. With tp->restore_best
 * the best epoch's weights are put back after the final row, and the test evaluation that
 * r (and io->confusion) report is of them; the final row of epochs.csv is always of the
 * last weights.
 *
 * Steps use all of the model's pool threads, or fewer while timing steps shows them
 * clearly faster (io->threads, TrainThreads). The results are the same either way. */
int train_run(const TrainParams *tp, const TrainData *d, Model *m, Optim *o, Sched *s,
              const TrainIO *io, RunResult *r, Err *e);

/* A batch from records idx[0..n) of d: x (n rows of d->dim) normalized by nz, y the labels;
 * the rows are split over pool. */
void train_assemble(Pool *pool, const Dataset *d, const Normalizer *nz, const int *idx, int n,
                    float *x, int *y);

/* softmax_xent of a batch of n rows of logits (labels y) with its rows split over pool:
 * row_loss and row_pred (n each) receive the rows' losses, added in row order so the sum
 * is softmax_xent's for any thread count, and predicted classes. */
double train_loss(Pool *pool, const float *logits, const int *y, int n, int C, float smoothing,
                  float *dlogits, double *row_loss, int *row_pred, long *correct);

/* Reads checkpoint path into st, m, o and s, which must be built as for a fresh run of
 * the same config on the same data (the schedule by sched_init): checks the config hash,
 * the data's sizes, every array's length and every index before use, and that epochs_csv
 * still begins with the bytes it held when the checkpoint was written. Changes no file.
 * Returns 0; -1 with e when the file is unreadable, damaged, or epochs.csv no longer
 * matches; -2 with e when it belongs to another config or other data. */
int train_load_checkpoint(TrainState *st, const char *path, uint64_t config_hash,
                          const TrainParams *tp, const TrainData *d, Model *m, Optim *o,
                          Sched *s, const char *epochs_csv, Err *e);

/* Evaluates m in eval mode on every record of d, in batches of batch rows, with the code
 * and the order the test row of a run uses: the same weights give the same numbers.
 * confusion (n_classes x n_classes, zeroed here) receives the counts when not NULL. */
void train_evaluate(Model *m, const Dataset *d, const Normalizer *nz, int batch,
                    float label_smoothing, long *confusion, double *loss, double *acc);

/* dir/confusion.csv and dir/per_class.csv for the cn->n classes. confusion.csv: a header
 * "class" then one column per predicted class (its name), and a row per true class: its
 * name, then the counts. per_class.csv: class, name, records,
 * predicted, correct, accuracy (correct / records: the class's recall), precision
 * (correct / predicted); empty where a count is 0. Each written whole. */
int train_write_confusion(const char *dir, const long *confusion, const ClassNames *cn, Err *e);

#endif
