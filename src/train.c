/* train.c - see train.h. Train loss/accuracy per row are sample-weighted means over the
 * batches since the previous row, measured in train mode during the epoch (SEMANTICS
 * §8.3); validation and test loss are averaged over samples (§8.2). The loop keeps all its
 * own state in a TrainState, so that a checkpoint (the sections written by
 * save_checkpoint, in ckpt.h's format) can hold it whole. Cutting epochs.csv back to a
 * checkpoint's length needs truncate, from POSIX. */
#define _POSIX_C_SOURCE 200809L
#include "train.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"
#include "csv.h"
#include "layers.h"
#include "rundir.h"

/* epochs.csv's columns, in file order: X(id, name). From this one list come the header
 * and, through write_row's switch over EpochColumn, the values of each row. */
#define EPOCH_COLUMN_LIST(X)                                                            \
    X(EPOCH_COL_EPOCH, "epoch")                                                         \
    X(EPOCH_COL_ITERATION, "iteration")                                                 \
    X(EPOCH_COL_LR, "lr")                                                               \
    X(EPOCH_COL_TRAIN_LOSS, "train_loss")                                               \
    X(EPOCH_COL_TRAIN_ACC, "train_acc")                                                 \
    X(EPOCH_COL_VAL_LOSS, "val_loss")                                                   \
    X(EPOCH_COL_VAL_ACC, "val_acc")                                                     \
    X(EPOCH_COL_TEST_LOSS, "test_loss")                                                 \
    X(EPOCH_COL_TEST_ACC, "test_acc")                                                   \
    X(EPOCH_COL_EPOCH_SECONDS, "epoch_seconds")                                         \
    X(EPOCH_COL_ELAPSED_SECONDS, "elapsed_seconds")

typedef enum {
#define EPOCH_COLUMN_ID(id, name) id,
    EPOCH_COLUMN_LIST(EPOCH_COLUMN_ID)
#undef EPOCH_COLUMN_ID
} EpochColumn;

static const char *const epoch_columns[] = {
#define EPOCH_COLUMN_NAME(id, name) [id] = name,
    EPOCH_COLUMN_LIST(EPOCH_COLUMN_NAME)
#undef EPOCH_COLUMN_NAME
};
enum { N_EPOCH_COLUMNS = sizeof epoch_columns / sizeof epoch_columns[0] };

long train_steps_per_epoch(const TrainParams *tp, long n_train)
{
    return (n_train + tp->batch_size - 1) / tp->batch_size;
}

long train_total_steps(const TrainParams *tp, long n_train)
{
    if (tp->max_iterations > 0)
        return tp->max_iterations;
    return tp->epochs * train_steps_per_epoch(tp, n_train);
}

long train_epochs(const TrainParams *tp, long n_train)
{
    long per_epoch = train_steps_per_epoch(tp, n_train);
    return (train_total_steps(tp, n_train) + per_epoch - 1) / per_epoch;
}

int train_sched_init(Sched *s, const TrainParams *tp, const SchedParams *sp, double lr,
                     long n_train, Err *e)
{
    return sched_init(s, sp, lr, train_epochs(tp, n_train), train_steps_per_epoch(tp, n_train),
                      tp->max_iterations, e);
}

int train_check(const TrainParams *tp, const ModelParams *mp, long n_train, Err *e)
{
    if (n_train < 1)
        return err_set_key(e, "data.val_split", "no training records are left (expected "
                           "data.train_limit and data.val_split to leave at least one)");
    long total = train_total_steps(tp, n_train);
    if (total > TRAIN_MAX_STEPS)
        return err_set_key(e, "train.epochs", "%ld epochs of %ld optimizer steps are %ld steps "
                           "(expected at most %ld in a run: fewer epochs or a larger batch)",
                           tp->epochs, train_steps_per_epoch(tp, n_train), total, TRAIN_MAX_STEPS);
    if (tp->test_iter > 0 && tp->test_iter > INT_MAX / tp->eval_batch_size)
        return err_set_key(e, "train.test_iter", "%ld batches of %ld records are more than %d "
                           "records in one test pass (expected a smaller train.test_iter or "
                           "train.eval_batch_size)", tp->test_iter, tp->eval_batch_size, INT_MAX);
    if (!mp->batchnorm)
        return 0;
    /* In file order every batch is full (the stream runs on across the end of the set);
     * shuffled, the last batch of an epoch holds what is left. */
    if (tp->batch_size == 1)
        return err_set_key(e, "model.batchnorm",
                           "train.batch_size = 1 puts 1 record in every training batch, and "
                           "batch norm needs at least 2 per batch in training, as in PyTorch; "
                           "change train.batch_size (e.g. 2)");
    long last = n_train % tp->batch_size;
    if (tp->shuffle && (n_train == 1 || last == 1))
        return err_set_key(e, "model.batchnorm",
                           "a training batch would hold 1 record (%ld training records in batches "
                           "of %ld leave a last batch of 1), and batch norm needs at least 2 per "
                           "batch in training, as in PyTorch; change train.batch_size (e.g. %ld) "
                           "or data.train_limit / data.val_split",
                           n_train, tp->batch_size, tp->batch_size + 1);
    return 0;
}

int train_max_rows(const TrainParams *tp, long n_train, long n_eval)
{
    /* In file order a batch is always full, and so is each batch of a test pass of
     * test_iter batches: both run on across the end of their set. */
    long train_rows = tp->batch_size < n_train || !tp->shuffle ? tp->batch_size : n_train;
    long eval_rows = tp->eval_batch_size < n_eval || tp->test_iter > 0 ? tp->eval_batch_size
                                                                        : n_eval;
    long rows = train_rows > eval_rows ? train_rows : eval_rows;
    return rows < 1 ? 1 : rows > INT_MAX ? INT_MAX : (int)rows;
}

int train_plan_memory(const RunParams *rp, const DataShape *ds, long n_val, int threads,
                      MemPlan *mp, Err *e)
{
    memset(mp, 0, sizeof *mp);
    long n_fit = ds->n_train - n_val;
    long n_eval = n_val > ds->n_test ? n_val : ds->n_test;
    int rows = train_max_rows(&rp->train, n_fit, n_eval);
    Model m;
    if (model_layout(&m, &rp->model, ds->dim, ds->n_classes, rows, NULL, e) < 0)
        return -1;
    ModelMemory mm;
    model_memory(&m, &mm);
    mp->params = mm.params * (rp->train.restore_best ? 2 : 1); /* and the best epoch's copy */
    mp->grads = mm.grads;
    mp->activations = mm.activations;
    mp->optim = optim_state_bytes(&rp->optim, m.n_params);
    model_free(&m);
    double f = sizeof(float), i = sizeof(int);
    mp->workspace = gemm_workspace_bytes(threads) +
                    (double)rows * ((double)ds->dim * f + (double)ds->n_classes * f + 2 * i) +
                    (double)n_fit * i;
    mp->data = (double)(ds->n_train + ds->n_test) * (ds->dim + 1.0) + (double)ds->n_train * i;
    mp->total = mp->params + mp->grads + mp->optim + mp->activations + mp->workspace + mp->data;
    return 0;
}

void train_memory_hint(const MemPlan *mp, char *buf, size_t n)
{
    const struct {
        const char *name, *parts, *advice;
        double bytes;
    } groups[] = {
        {"the model is", "parameters, gradients and optimizer state", "a smaller model.hidden",
         mp->params + mp->grads + mp->optim},
        {"the batches are", "activations and workspace",
         "a smaller train.batch_size or train.eval_batch_size (or model.hidden)",
         mp->activations + mp->workspace},
        {"the data is", NULL, "data.train_limit or data.test_limit to load fewer records, or a "
         "smaller dataset", mp->data},
    };
    size_t big = 0;
    for (size_t g = 1; g < sizeof groups / sizeof groups[0]; g++)
        if (groups[g].bytes > groups[big].bytes)
            big = g;
    char size[32];
    util_format_bytes(size, sizeof size, groups[big].bytes);
    snprintf(buf, n, "%s the largest part (%s%s%s); expected %s", groups[big].name, size,
             groups[big].parts ? ": " : "", groups[big].parts ? groups[big].parts : "",
             groups[big].advice);
}

/* Batch assembly on the pool, by rows. */
typedef struct {
    const Dataset *d;
    const Normalizer *nz;
    const int *idx;
    float *x;
    int *y;
} BatchJob;

static void batch_range(void *ctx, int b, int e)
{
    const BatchJob *j = ctx;
    dataset_batch(j->d, j->nz, j->idx + b, e - b, j->x + (size_t)b * j->d->dim, j->y + b);
}

void train_assemble(Pool *pool, const Dataset *d, const Normalizer *nz, const int *idx, int n,
                    float *x, int *y)
{
    BatchJob j = {d, nz, idx, x, y};
    pool_for(pool, n, 32, batch_range, &j);
}

/* Per-run working memory, allocated once. */
typedef struct {
    float *x, *dlogits;
    int *y;
    int *order;
    double *row_loss;        /* per row of a batch, for the loss on the pool */
    int *row_pred;
} Work;

typedef struct {
    double loss, acc;
} Eval;

static void work_init(Work *w, const Model *m, int dim)
{
    size_t rows = (size_t)m->max_batch;
    w->x = xmalloc(rows * (size_t)dim * sizeof(float));
    w->dlogits = xmalloc(rows * (size_t)m->n_classes * sizeof(float));
    w->y = xmalloc(rows * sizeof(int));
    w->order = xmalloc(rows * sizeof(int));
    w->row_loss = xmalloc(rows * sizeof(double));
    w->row_pred = xmalloc(rows * sizeof(int));
}

static void work_free(Work *w)
{
    free(w->x);
    free(w->dlogits);
    free(w->y);
    free(w->order);
    free(w->row_loss);
    free(w->row_pred);
}

/* The loss on the pool by blocks of rows. */
typedef struct {
    const float *logits;
    const int *y;
    int N, C;
    float smoothing;
    float *dlogits;
    double *row_loss;
    int *row_pred;
} LossJob;

static void loss_range(void *ctx, int b, int e)
{
    const LossJob *j = ctx;
    softmax_xent_rows(j->logits, j->y, b, e, j->N, j->C, j->smoothing, j->dlogits,
                      j->row_loss + b, j->row_pred + b);
}

double train_loss(Pool *pool, const float *logits, const int *y, int n, int C, float smoothing,
                  float *dlogits, double *row_loss, int *row_pred, long *correct)
{
    LossJob j = {logits, y, n, C, smoothing, dlogits, row_loss, row_pred};
    pool_for(pool, n, 32, loss_range, &j);
    double total = 0.0;
    long hits = 0;
    for (int i = 0; i < n; i++) {
        total += row_loss[i];
        hits += row_pred[i] == y[i];
    }
    *correct = hits;
    return total;
}

/* Eval-mode pass over records idx[0..n) of d, or when idx is NULL over n records of d in
 * file order from record `first` on, running on from the last record to the first (a
 * Caffe test pass); confusion (C x C), when not NULL, receives the counts. */
static Eval evaluate(Model *m, const Dataset *d, const Normalizer *nz, const int *idx, int n,
                     int first, int batch, float label_smoothing, Work *w, long *confusion)
{
    double loss = 0.0;
    long hits = 0;
    int C = m->n_classes;
    int *seq = w->order; /* reused as an identity index list when idx is NULL */
    for (int start = 0; start < n; start += batch) {
        int rows = n - start < batch ? n - start : batch;
        const int *ids = idx ? idx + start : seq;
        if (!idx)
            for (int i = 0; i < rows; i++)
                seq[i] = (int)(((long long)first + start + i) % d->n);
        train_assemble(m->pool, d, nz, ids, rows, w->x, w->y);
        const float *logits = model_forward(m, w->x, rows, false, NULL);
        long c = 0;
        loss += train_loss(m->pool, logits, w->y, rows, C, label_smoothing, NULL, w->row_loss,
                           w->row_pred, &c);
        hits += c;
        if (confusion) /* the loss's predictions: the diagonal is its hit count */
            for (int i = 0; i < rows; i++)
                confusion[(size_t)w->y[i] * C + w->row_pred[i]]++;
    }
    Eval r = {n ? loss / n : NAN, n ? (double)hits / n : NAN};
    return r;
}

void train_evaluate(Model *m, const Dataset *d, const Normalizer *nz, int batch,
                    float label_smoothing, long *confusion, double *loss, double *acc)
{
    Work w;
    work_init(&w, m, d->dim);
    if (batch > m->max_batch)
        batch = m->max_batch;
    if (confusion)
        memset(confusion, 0, (size_t)m->n_classes * m->n_classes * sizeof *confusion);
    Eval r = evaluate(m, d, nz, NULL, d->n, 0, batch, label_smoothing, &w, confusion);
    work_free(&w);
    *loss = r.loss;
    *acc = r.acc;
}

typedef struct {
    const TrainParams *tp;
    const TrainData *d;
    Model *m;
    Work *w;
    TrainState *st;
    CsvWriter csv;
    FILE *log;
    double t_start;
    Eval last_val;           /* validation at iteration last_val_iter */
    long last_val_iter;
    double last_val_acc;     /* of the last row, for progress */
    double last_loss;        /* the last row's training loss: progress shows it until a
                              * batch of the next window is done (NaN before any) */
    const char *prefix;
    RunResult *r;
} Loop;

/* Reports progress when due (every 0.2 s) or when forced. */
static void report(Loop *L, const TrainIO *io, long n_epochs, long total, double *last_report,
                   int force)
{
    if (!io->progress)
        return;
    double now = util_now();
    if (!force && now - *last_report < 0.2)
        return;
    *last_report = now;
    const TrainState *st = L->st;
    double trained = st->train_seconds + st->window_seconds;
    long seen = st->iteration * L->tp->batch_size;
    double ran = now - L->t_start;
    TrainProgress p = {
        .epoch = st->epoch, .n_epochs = n_epochs, .iteration = st->iteration,
        .total_iterations = total,
        .loss = st->window_seen ? st->window_loss / st->window_seen : L->last_loss,
        .samples_per_second = trained > 0 ? (double)seen / trained : NAN,
        .eta = st->iteration > 0 ? ran * (double)(total - st->iteration) / (double)st->iteration
                                 : NAN,
        .last_val_acc = L->last_val_acc};
    io->progress(io->progress_ctx, &p);
}

/* The validation result at this iteration, evaluated once however often it is asked for. */
static Eval validate(Loop *L, long iteration)
{
    const TrainData *d = L->d;
    if (L->last_val_iter != iteration) {
        L->last_val = evaluate(L->m, d->train, d->nz, d->split->val_idx, d->split->n_val, 0,
                               (int)L->tp->eval_batch_size, (float)L->tp->label_smoothing, L->w,
                               NULL);
        L->last_val_iter = iteration;
    }
    return L->last_val;
}

/* Records in a test pass: test_iter batches of eval_batch_size (train_check bounds it by
 * INT_MAX), else the whole test set; none from an empty one. */
static int test_records(const TrainParams *tp, const TrainData *d)
{
    if (tp->test_iter > 0 && d->test->n > 0)
        return (int)(tp->test_iter * tp->eval_batch_size);
    return d->test->n;
}

/* Evaluates and appends one row to epochs.csv (and the log); confusion as evaluate's. */
static int write_row(Loop *L, int with_test, long *confusion, Err *e)
{
    const TrainData *d = L->d;
    TrainState *st = L->st;
    Work *w = L->w;
    int eval_batch = (int)L->tp->eval_batch_size;
    float ls = (float)L->tp->label_smoothing;
    double train_loss = st->window_seen ? st->window_loss / st->window_seen : NAN;
    double train_acc = st->window_seen ? (double)st->window_correct / st->window_seen : NAN;
    Eval val = {NAN, NAN}, test = {NAN, NAN};
    int has_val = d->split->n_val > 0;
    if (has_val) {
        val = validate(L, st->iteration);
        if (isnan(st->best_val_acc) || val.acc > st->best_val_acc)
            st->best_val_acc = val.acc;
    }
    if (with_test) {
        if (confusion)
            memset(confusion, 0, (size_t)L->m->n_classes * L->m->n_classes * sizeof *confusion);
        int n = test_records(L->tp, d);
        test = evaluate(L->m, d->test, d->nz, NULL, n, (int)st->test_cursor, eval_batch, ls, w,
                        confusion);
        /* Caffe's test data layer reads on where the last pass stopped. */
        if (L->tp->test_iter > 0 && n > 0)
            st->test_cursor = (long)(((long long)st->test_cursor + n) % d->test->n);
        L->r->test_loss = test.loss;
        L->r->test_acc = test.acc;
    }
    double elapsed = util_now() - L->t_start;
    CsvWriter *c = &L->csv;
    /* One value per column, each beside its column's name: no default, so a column
     * without a value is a -Wswitch warning, not a shifted row. */
    for (int col = 0; col < N_EPOCH_COLUMNS; col++) {
        switch ((EpochColumn)col) {
        case EPOCH_COL_EPOCH: csv_long(c, st->epoch); break;
        case EPOCH_COL_ITERATION: csv_long(c, st->iteration); break;
        case EPOCH_COL_LR: csv_double(c, st->lr_used); break;
        case EPOCH_COL_TRAIN_LOSS: csv_double_or_empty(c, train_loss, st->window_seen > 0); break;
        case EPOCH_COL_TRAIN_ACC: csv_double_or_empty(c, train_acc, st->window_seen > 0); break;
        case EPOCH_COL_VAL_LOSS: csv_double_or_empty(c, val.loss, has_val); break;
        case EPOCH_COL_VAL_ACC: csv_double_or_empty(c, val.acc, has_val); break;
        case EPOCH_COL_TEST_LOSS: csv_double_or_empty(c, test.loss, with_test); break;
        case EPOCH_COL_TEST_ACC: csv_double_or_empty(c, test.acc, with_test); break;
        case EPOCH_COL_EPOCH_SECONDS: csv_double(c, st->window_seconds); break;
        case EPOCH_COL_ELAPSED_SECONDS: csv_double(c, elapsed); break;
        }
    }
    if (csv_end_row(c, e) < 0)
        return -1;
    if (has_val)
        L->last_val_acc = val.acc;
    if (st->window_seen > 0)
        L->last_loss = train_loss;
    if (L->log) {
        /* One write per line, so the lines of runs sharing stderr never interleave. */
        char line[1024], vpart[64] = "", tpart[64] = "";
        if (has_val)
            snprintf(vpart, sizeof vpart, " | val loss %.4f acc %.4f", val.loss, val.acc);
        if (with_test)
            snprintf(tpart, sizeof tpart, " | test loss %.4f acc %.4f", test.loss, test.acc);
        snprintf(line, sizeof line, "%sepoch %ld iter %ld lr %.6g | train loss %.4f acc %.4f%s%s | "
                 "%.2fs\n", L->prefix, st->epoch, st->iteration, st->lr_used, train_loss,
                 train_acc, vpart, tpart, st->window_seconds);
        fputs(line, L->log);
        fflush(L->log);
    }
    st->train_seconds += st->window_seconds;
    st->window_loss = 0.0;
    st->window_correct = st->window_seen = 0;
    st->window_seconds = 0.0;
    return 0;
}

/* Whether an eval_every row is due right after the step that made st->batch batches of
 * the epoch. The row of an epoch's last batch is written at the epoch's end instead,
 * after the early-stopping decision, so a run that stops there gets one final row. */
static bool row_due(const TrainParams *tp, const TrainState *st, long per_epoch, long total)
{
    return tp->eval_every > 0 && st->iteration % tp->eval_every == 0 && st->iteration < total &&
           st->batch < per_epoch;
}

/* At an epoch's end (validation present): is this epoch the best so far by
 * early_stop_metric (beating the best by more than early_stop_min_delta)? Keeps the
 * best epoch's weights for restore_best, and counts the epochs without improvement. */
static void track_best(Loop *L)
{
    const TrainParams *tp = L->tp;
    TrainState *st = L->st;
    Eval v = validate(L, st->iteration);
    double x = NAN;
    switch (tp->early_stop_metric) {
    case METRIC_VAL_LOSS: x = v.loss; break;
    case METRIC_VAL_ACC: x = v.acc; break;
    }
    bool higher = params_plateau_metrics[tp->early_stop_metric].mode == PLATEAU_MAX;
    double d = tp->early_stop_min_delta, best = st->best_metric;
    bool improved = !isnan(x) &&
                    (isnan(best) || (higher ? x > best + d : x < best - d));
    if (!improved) {
        st->bad_epochs++;
        return;
    }
    st->best_metric = x;
    st->best_epoch = st->epoch;
    st->bad_epochs = 0;
    if (st->best_weights) {
        Model *m = L->m;
        memcpy(st->best_weights, m->params, m->n_params * sizeof(float));
        memcpy(st->best_weights + m->n_params, m->buffers, m->n_buffers * sizeof(float));
    }
}

void train_state_free(TrainState *st)
{
    free(st->perm);
    free(st->best_weights);
    memset(st, 0, sizeof *st);
}

/* The training records of the next step (st->batch of the epoch, st->iteration of the
 * run) and their count. Shuffled: the epoch's permutation in slices of batch_size, the last
 * holding what is left (PyTorch's DataLoader, drop_last false). In file order: Caffe's
 * data layer, which reads its database as one stream and starts again at the first record
 * after the last (src/caffe/layers/data_layer.cpp, Next), so step k reads records
 * k * batch_size ... modulo n_train and every batch is full; an epoch is still
 * ceil(n_train / batch_size) steps. The stream's indices go into buf (batch_size ints). */
static const int *batch_records(const TrainParams *tp, const TrainState *st, long n_train,
                                int *buf, int *rows)
{
    long B = tp->batch_size;
    if (tp->shuffle) {
        long start = st->batch * B;
        *rows = (int)(n_train - start < B ? n_train - start : B);
        return st->perm + start;
    }
    long at = (long)(((long long)st->iteration * B) % n_train);
    for (long i = 0; i < B; i++) {
        buf[i] = st->perm[at];
        at = at + 1 == n_train ? 0 : at + 1;
    }
    *rows = (int)B;
    return buf;
}

/* The state of a run before its first step. */
static void state_init(TrainState *st, const TrainParams *tp, const TrainData *d, const Model *m,
                       const Sched *s)
{
    memset(st, 0, sizeof *st);
    st->epoch = 1;
    st->lr_used = sched_lr(s);
    st->best_val_acc = st->best_metric = NAN;
    rng_seed(&st->shuffle_rng, tp->seed, RNG_STREAM_SHUFFLE);
    rng_seed(&st->dropout_rng, tp->seed, RNG_STREAM_DROPOUT);
    st->n_perm = d->split->n_train;
    st->perm = xmalloc((size_t)(st->n_perm ? st->n_perm : 1) * sizeof(int));
    memcpy(st->perm, d->split->train_idx, (size_t)st->n_perm * sizeof(int));
    if (tp->restore_best) {
        st->n_best = m->n_params + m->n_buffers;
        st->best_weights = xcalloc(st->n_best, sizeof(float));
    }
}

/* ---- checkpoints ---- */

/* Extends *crc, the CRC-32 of the first `from` bytes of path, to its first `to` bytes; -1
 * with e if the file holds fewer or cannot be read. */
static int file_crc(const char *path, long long from, long long to, uint32_t *crc, Err *e)
{
    FILE *f = util_open_regular(path, e);
    if (!f)
        return -1;
    unsigned char buf[65536];
    uint32_t c = *crc;
    long long left = to - from;
    if (from > 0 && fseek(f, (long)from, SEEK_SET) != 0)
        left = -1;
    while (left > 0) {
        size_t want = left < (long long)sizeof buf ? (size_t)left : sizeof buf;
        size_t got = fread(buf, 1, want, f);
        c = ckpt_crc32(c, buf, got);
        left -= (long long)got;
        if (got < want)
            break;
    }
    int bad = ferror(f) || left < 0;
    fclose(f);
    if (bad)
        return err_set(e, "cannot read '%s': %s", path, strerror(errno));
    if (left > 0)
        return err_set(e, "%s: holds %lld bytes, fewer than the %lld it held at the checkpoint",
                       path, to - left, to);
    *crc = c;
    return 0;
}

/* The line ends of path that are a bare LF (epochs.csv's rows end in CRLF): what a tool or
 * a git checkout that converts line ends leaves. 0 when it cannot be read. */
static long long bare_line_feeds(const char *path)
{
    FILE *f = util_open_regular(path, NULL);
    if (!f)
        return 0;
    unsigned char buf[65536];
    long long n = 0;
    int prev = 0;
    for (size_t got; (got = fread(buf, 1, sizeof buf, f)) > 0;)
        for (size_t i = 0; i < got; prev = buf[i++])
            n += buf[i] == '\n' && prev != '\r';
    fclose(f);
    return n;
}

/* Whether epochs_csv still begins with the bytes (bytes long, CRC-32 crc) a checkpoint
 * recorded; -1 with e naming both sizes, and converted line ends when those are the cause,
 * if not. */
static int check_rows(const char *epochs_csv, long long bytes, uint32_t crc, Err *e)
{
    long long size = util_file_size(epochs_csv, e);
    if (size < 0)
        return -1;
    uint32_t have = 0;
    if (file_crc(epochs_csv, 0, size < bytes ? size : bytes, &have, e) < 0)
        return -1;
    if (size >= bytes && have == crc)
        return 0;
    char why[200] = "";
    if (bare_line_feeds(epochs_csv) > 0)
        snprintf(why, sizeof why, ": its line ends are LF, not the CRLF mlptrain writes "
                 "(converted by a tool or a git checkout?); restore them (e.g. unix2dos) to "
                 "continue");
    if (size < bytes)
        return err_set(e, "%s: is %lld bytes, fewer than the %lld the checkpoint recorded: it was "
                       "changed since, so the run cannot continue it%s", epochs_csv, size, bytes,
                       why);
    return err_set(e, "%s: its first %lld bytes differ from those the checkpoint recorded (CRC-32 "
                   "%08lx, the checkpoint says %08lx; the file is %lld bytes): it was changed "
                   "since, so the run cannot continue it%s", epochs_csv, bytes,
                   (unsigned long)have, (unsigned long)crc, size, why);
}

/* The sizes a checkpoint is checked against: records of each part, inputs, classes. */
enum { SHAPE_TRAIN, SHAPE_VAL, SHAPE_TEST, SHAPE_DIM, SHAPE_CLASSES, SHAPE_N };

static void data_shape(const TrainData *d, int64_t *shape)
{
    shape[SHAPE_TRAIN] = d->split->n_train;
    shape[SHAPE_VAL] = d->split->n_val;
    shape[SHAPE_TEST] = d->test->n;
    shape[SHAPE_DIM] = d->train->dim;
    shape[SHAPE_CLASSES] = d->train->n_classes;
}

/* The entries of the sections loop.counts and loop.values. */
enum { LI_EPOCH, LI_BATCH, LI_SHUFFLED, LI_FINISHED, LI_ITERATION, LI_CORRECT, LI_SEEN,
       LI_BEST_EPOCH, LI_BAD_EPOCHS, LI_STOPPED, LI_CSV_BYTES, LI_CSV_CRC, LI_N };
enum { LF_LR, LF_LOSS, LF_BEST_VAL_ACC, LF_BEST_METRIC, LF_TRAIN_SECONDS, LF_WINDOW_SECONDS,
       LF_ELAPSED, LF_N };

/* Writes the checkpoint after the last step taken: the config hash and the data's shape it
 * is checked against, the sections of the model, the optimizer and the schedule (each
 * module writes its own), then the loop's state st. */
static int save_checkpoint(Loop *L, const TrainIO *io, const Optim *o, const Sched *s, Err *e)
{
    TrainState *st = L->st;
    /* epochs.csv only grows between checkpoints: extend the last one's CRC. */
    if (file_crc(io->epochs_csv, st->csv_bytes, L->csv.good, &st->csv_crc, e) < 0)
        return -1;
    st->csv_bytes = L->csv.good;
    st->elapsed_seconds = util_now() - L->t_start;
    CkptWriter w;
    if (ckpt_writer_open(&w, CKPT_CHECKPOINT, io->checkpoint, e) < 0)
        return -1;
    int64_t shape[SHAPE_N];
    data_shape(L->d, shape);
    ckpt_put_u64(&w, "config_hash", &io->config_hash, 1);
    ckpt_put_i64(&w, "data.shape", shape, SHAPE_N);
    model_ckpt_put(L->m, &w);
    optim_ckpt_put(o, &w);
    sched_ckpt_put(s, &w);
    int64_t li[LI_N] = {[LI_EPOCH] = st->epoch, [LI_BATCH] = st->batch,
                        [LI_SHUFFLED] = st->shuffled, [LI_FINISHED] = st->finished,
                        [LI_ITERATION] = st->iteration, [LI_CORRECT] = st->window_correct,
                        [LI_SEEN] = st->window_seen, [LI_BEST_EPOCH] = st->best_epoch,
                        [LI_BAD_EPOCHS] = st->bad_epochs, [LI_STOPPED] = st->stopped_epoch,
                        [LI_CSV_BYTES] = st->csv_bytes, [LI_CSV_CRC] = st->csv_crc};
    double lf[LF_N] = {[LF_LR] = st->lr_used, [LF_LOSS] = st->window_loss,
                       [LF_BEST_VAL_ACC] = st->best_val_acc, [LF_BEST_METRIC] = st->best_metric,
                       [LF_TRAIN_SECONDS] = st->train_seconds,
                       [LF_WINDOW_SECONDS] = st->window_seconds,
                       [LF_ELAPSED] = st->elapsed_seconds};
    ckpt_put_i64(&w, "loop.counts", li, LI_N);
    ckpt_put_f64(&w, "loop.values", lf, LF_N);
    ckpt_put_u64(&w, "rng.shuffle", st->shuffle_rng.s, 4);
    ckpt_put_u64(&w, "rng.dropout", st->dropout_rng.s, 4);
    ckpt_put_i32(&w, "loop.order", st->perm, (size_t)st->n_perm);
    if (L->tp->test_iter > 0)
        ckpt_put_long(&w, "loop.test_cursor", st->test_cursor);
    if (st->best_weights)
        ckpt_put_f32(&w, "loop.best_weights", st->best_weights, st->n_best);
    return ckpt_writer_commit(&w, e);
}

/* -1 with e: value k of section name outside [lo, hi]. */
static int bad_value(const CkptFile *f, const char *name, int k, int64_t v, long long lo,
                     long long hi, Err *e)
{
    return err_set(e, "%s: damaged: entry %d of section '%s' is %lld (expected %lld..%lld)",
                   f->path, k, name, (long long)v, lo, hi);
}

static int load(TrainState *st, const CkptFile *f, uint64_t config_hash, const TrainParams *tp,
                const TrainData *d, Model *m, Optim *o, Sched *s, const char *epochs_csv, Err *e)
{
    uint64_t hash;
    if (ckpt_get_u64(f, "config_hash", &hash, 1, e) < 0)
        return -1;
    if (hash != config_hash)
        return err_set(e, "%s: written by a run of another config (config hash %016llx, this "
                       "config's is %016llx): a checkpoint continues only the run it was "
                       "written for", f->path, (unsigned long long)hash,
                       (unsigned long long)config_hash), -2;
    int64_t shape[SHAPE_N], want[SHAPE_N];
    data_shape(d, want);
    if (ckpt_get_i64(f, "data.shape", shape, SHAPE_N, e) < 0)
        return -1;
    if (memcmp(shape, want, sizeof shape) != 0)
        return err_set(e, "%s: written for %lld training, %lld validation and %lld test records "
                       "of %lld values in %lld classes, but the data now gives %lld, %lld and "
                       "%lld of %lld in %lld (the data files changed)", f->path,
                       (long long)shape[0], (long long)shape[1], (long long)shape[2],
                       (long long)shape[3], (long long)shape[4], (long long)want[0],
                       (long long)want[1], (long long)want[2], (long long)want[3],
                       (long long)want[4]), -2;
    /* Both count training steps: bounded by the most a run may take, so that stepping on
     * from them cannot overflow. */
    if (model_ckpt_get(m, f, TRAIN_MAX_STEPS, e) < 0 ||
        optim_ckpt_get(o, f, TRAIN_MAX_STEPS, e) < 0)
        return -1;

    long n_train = d->split->n_train;
    long per_epoch = train_steps_per_epoch(tp, n_train), total = train_total_steps(tp, n_train);
    long n_epochs = train_epochs(tp, n_train);
    int64_t li[LI_N];
    double lf[LF_N];
    if (ckpt_get_i64(f, "loop.counts", li, LI_N, e) < 0 ||
        ckpt_get_f64(f, "loop.values", lf, LF_N, e) < 0 ||
        ckpt_get_u64(f, "rng.shuffle", st->shuffle_rng.s, 4, e) < 0 ||
        ckpt_get_u64(f, "rng.dropout", st->dropout_rng.s, 4, e) < 0)
        return -1;
    /* Every count bounded by what the run can reach: the loop indexes with them. */
    long long samples = (long long)total * tp->batch_size; /* a row's window at most */
    const long long hi[LI_N] = {n_epochs, per_epoch, 1, 1, total, samples, samples,
                                n_epochs, n_epochs, n_epochs, LLONG_MAX, UINT32_MAX};
    for (int k = 0; k < LI_N; k++)
        if (li[k] < 0 || li[k] > hi[k])
            return bad_value(f, "loop.counts", k, li[k], 0, hi[k], e);
    if (li[LI_EPOCH] < 1)
        return bad_value(f, "loop.counts", LI_EPOCH, li[LI_EPOCH], 1, n_epochs, e);
    /* The counts agree as the loop keeps them, or the continued run would leave its epochs:
     * the iteration is the epochs before plus the batches of this one (none before its
     * shuffle), each a step of the optimizer; a finished run ended at its last step or
     * was stopped early in this epoch; the best and the bad epochs lie among those done. */
    long long epoch = li[LI_EPOCH], batch = li[LI_BATCH], iteration = li[LI_ITERATION];
    long long done = epoch - (li[LI_FINISHED] ? 0 : 1), stopped = li[LI_STOPPED];
    if (iteration != (epoch - 1) * per_epoch + batch || (!li[LI_SHUFFLED] && batch != 0))
        return err_set(e, "%s: damaged: section 'loop.counts' holds epoch %lld, batch %lld%s "
                       "and iteration %lld (expected iteration = (epoch - 1) x %ld + batch, "
                       "batch 0 before the epoch's shuffle)", f->path, epoch, batch,
                       li[LI_SHUFFLED] ? "" : " (not shuffled)", iteration, per_epoch);
    if (o->t != iteration)
        return err_set(e, "%s: damaged: section 'optim.t' holds %ld steps, section "
                       "'loop.counts' %lld (expected the same)", f->path, o->t, iteration);
    if ((stopped != 0 && (stopped != epoch || !li[LI_FINISHED])) ||
        (li[LI_FINISHED] && stopped == 0 && iteration != total))
        return err_set(e, "%s: damaged: section 'loop.counts' holds a run %s at epoch %lld, "
                       "iteration %lld, stopped at epoch %lld (expected a finished run to end "
                       "at iteration %ld or stop early in its last epoch)", f->path,
                       li[LI_FINISHED] ? "finished" : "not finished", epoch, iteration,
                       stopped, total);
    /* The training window since the last row: its samples were trained on in the steps
     * taken, and it grows by at most a batch a step, so the continued run stays in bounds. */
    if (li[LI_CORRECT] > li[LI_SEEN] || li[LI_SEEN] > iteration * tp->batch_size)
        return err_set(e, "%s: damaged: section 'loop.counts' holds %lld correct of %lld "
                       "samples seen after %lld iterations of batch %ld (expected correct <= "
                       "seen <= iterations x batch size)", f->path, (long long)li[LI_CORRECT],
                       (long long)li[LI_SEEN], iteration, (long)tp->batch_size);
    if (li[LI_BEST_EPOCH] > done || li[LI_BAD_EPOCHS] > done)
        return err_set(e, "%s: damaged: section 'loop.counts' holds best epoch %lld and %lld "
                       "epochs without improvement after %lld epochs done (expected at most "
                       "%lld)", f->path, (long long)li[LI_BEST_EPOCH],
                       (long long)li[LI_BAD_EPOCHS], done, done);
    /* The schedule steps on from its state: each value within what its run can reach, its
     * step count that of the loop's iterations and epoch ends (each but the last epoch's). */
    if (sched_ckpt_get(s, f, (long)li[LI_ITERATION], (long)li[LI_EPOCH] - 1, e) < 0)
        return -1;
    st->epoch = (long)li[LI_EPOCH];
    st->batch = (long)li[LI_BATCH];
    st->shuffled = li[LI_SHUFFLED] != 0;
    st->finished = li[LI_FINISHED] != 0;
    st->iteration = (long)li[LI_ITERATION];
    st->window_correct = (long)li[LI_CORRECT];
    st->window_seen = (long)li[LI_SEEN];
    st->best_epoch = (long)li[LI_BEST_EPOCH];
    st->bad_epochs = (long)li[LI_BAD_EPOCHS];
    st->stopped_epoch = (long)li[LI_STOPPED];
    st->csv_bytes = li[LI_CSV_BYTES];
    st->csv_crc = (uint32_t)li[LI_CSV_CRC];
    st->lr_used = lf[LF_LR];
    st->window_loss = lf[LF_LOSS];
    st->best_val_acc = lf[LF_BEST_VAL_ACC];
    st->best_metric = lf[LF_BEST_METRIC];
    st->train_seconds = lf[LF_TRAIN_SECONDS];
    st->window_seconds = lf[LF_WINDOW_SECONDS];
    st->elapsed_seconds = lf[LF_ELAPSED];

    /* The order indexes the dataset: it must be the training records, each once. */
    if (ckpt_get_i32(f, "loop.order", st->perm, (size_t)st->n_perm, e) < 0)
        return -1;
    unsigned char *seen = xcalloc((size_t)d->train->n, 1);
    for (int i = 0; i < d->split->n_train; i++)
        seen[d->split->train_idx[i]] = 1;
    int rc = 0;
    for (int i = 0; i < st->n_perm && rc == 0; i++) {
        int r = st->perm[i];
        if (r < 0 || r >= d->train->n || seen[r] != 1)
            rc = err_set(e, "%s: damaged: entry %d of section 'loop.order' is %d, not a training "
                         "record that is not listed already", f->path, i, r);
        else
            seen[r] = 2;
    }
    free(seen);
    if (rc < 0)
        return -1;
    if (st->best_weights && ckpt_get_f32(f, "loop.best_weights", st->best_weights, st->n_best, e))
        return -1;
    if (tp->test_iter > 0 &&
        ckpt_get_long(f, "loop.test_cursor", 0, d->test->n > 0 ? d->test->n - 1 : 0,
                      &st->test_cursor, e) < 0)
        return -1;

    return check_rows(epochs_csv, st->csv_bytes, st->csv_crc, e);
}

int train_load_checkpoint(TrainState *st, const char *path, uint64_t config_hash,
                          const TrainParams *tp, const TrainData *d, Model *m, Optim *o,
                          Sched *s, const char *epochs_csv, Err *e)
{
    state_init(st, tp, d, m, s);
    CkptFile f;
    if (ckpt_read(&f, path, CKPT_CHECKPOINT, e) < 0) {
        train_state_free(st);
        return -1;
    }
    int rc = load(st, &f, config_hash, tp, d, m, o, s, epochs_csv, e);
    ckpt_file_free(&f);
    if (rc < 0)
        train_state_free(st);
    return rc;
}

/* ---- the loop ---- */

/* Opens epochs.csv: new, or for a resumed run cut back to the checkpoint's length (the
 * rows written after it, an interrupted run's last row or those before a kill, go) and
 * continued. */
static int open_rows(Loop *L, const TrainIO *io, bool resumed, Err *e)
{
    if (!resumed)
        return csv_open(&L->csv, io->epochs_csv, epoch_columns, N_EPOCH_COLUMNS, e);
    if (truncate(io->epochs_csv, (off_t)L->st->csv_bytes) != 0)
        return err_set(e, "cannot write '%s': %s", io->epochs_csv, strerror(errno));
    if (csv_append(&L->csv, io->epochs_csv, N_EPOCH_COLUMNS, e) < 0)
        return -1;
    if (L->csv.good != L->st->csv_bytes) {
        csv_close(&L->csv, NULL);
        return err_set(e, "%s: does not end with a whole row at byte %lld, where the checkpoint "
                       "left it", io->epochs_csv, L->st->csv_bytes);
    }
    return 0;
}

/* The thread choice (train.h). A probe compares two thread counts a factor of two apart,
 * one of them the current count (on 2 CPUs always 1 and 2): PROBE_RUN steps on the fewer,
 * then as many on the more (the first step of each run only brings the data to the caches
 * it will use); the more are kept unless the fewer are clearly faster. From the pool's
 * size probes go down, from one thread up, and between they alternate, so the choice
 * walks to the count that pays on any number of CPUs. A probe stops after a round when
 * one side is clearly faster, so it costs a few steps' difference; the next comes after
 * PROBE_COST times that cost and at least the gap, which doubles while the choice holds. */
#define PROBE_MAX_S 512.0
#define PROBE_COST 100.0   /* probes cost at most about 1% of the time */
#define PROBE_RUN 3        /* steps in a row on one setting, the first untimed */
#define PROBE_ROUNDS 2     /* rounds (the fewer, then the more) when no side wins early */
#define PROBE_CLEAR 1.25   /* a side this many times faster after a round wins at once */
#define PROBE_MARGIN 0.9   /* otherwise the fewer are kept when under 0.9x the more's time */

void train_threads_init(TrainThreads *c, Pool *pool, double first, double gap)
{
    int all = pool_threads(pool);
    *c = (TrainThreads){pool, all, all, all < 2 || !isfinite(first), util_now() + first, gap, gap,
                        0, {1, all}, false, {0, 0}, 0, 0, 0};
}

/* Which side step s of a probe runs: 0 the fewer threads, 1 the more. */
static int probe_side(int s)
{
    return (s - 1) / PROBE_RUN % 2;
}

/* The two counts the next probe compares: the current one and half or twice it. */
static void probe_sides(TrainThreads *c)
{
    bool down = c->cap == c->all || (c->cap > 1 && !c->went_down);
    c->went_down = down;
    if (down) {
        c->side[0] = c->cap / 2 > 1 ? c->cap / 2 : 1;
        c->side[1] = c->cap;
    } else {
        c->side[0] = c->cap;
        c->side[1] = 2 * c->cap < c->all ? 2 * c->cap : c->all;
    }
}

int train_threads_before(TrainThreads *c, double now)
{
    if (c->off)
        return c->cap;
    if (c->step == 0 && now >= c->next) {
        c->step = 1;
        c->seconds[0] = c->seconds[1] = 0;
        probe_sides(c);
    }
    int n = c->step == 0 ? c->cap : c->side[probe_side(c->step)];
    pool_cap(c->pool, n);
    c->t0 = now;
    return n;
}

void train_threads_after(TrainThreads *c, double now)
{
    if (c->off || c->step == 0)
        return;
    int s = c->step++;
    if ((s - 1) % PROBE_RUN)
        c->seconds[probe_side(s)] += now - c->t0;
    if (s % (2 * PROBE_RUN))
        return; /* the round goes on */
    double fewer = c->seconds[0], more = c->seconds[1];
    int cap;
    if (fewer >= PROBE_CLEAR * more)
        cap = c->side[1];
    else if (PROBE_CLEAR * fewer <= more && c->cap == c->side[0])
        cap = c->side[0];
    else if (s < 2 * PROBE_RUN * PROBE_ROUNDS)
        return;
    else
        cap = fewer < PROBE_MARGIN * more ? c->side[0] : c->side[1];
    double wait = PROBE_COST * fabs(fewer - more) * PROBE_RUN / (PROBE_RUN - 1);
    c->gap = cap != c->cap ? c->min_gap : 2 * c->gap < PROBE_MAX_S ? 2 * c->gap : PROBE_MAX_S;
    c->cap = cap;
    pool_cap(c->pool, cap);
    c->probes++;
    c->fewer += cap < c->side[1];
    c->step = 0;
    c->next = now + (wait > c->gap ? wait : c->gap);
}

int train_run(const TrainParams *tp, const TrainData *d, Model *m, Optim *o, Sched *s,
              const TrainIO *io, RunResult *r, Err *e)
{
    memset(r, 0, sizeof *r);
    r->status = RUN_OK;
    r->best_val_acc = r->test_loss = r->test_acc = NAN;
    long n_train = d->split->n_train;
    if (train_check(tp, &m->p, n_train, e) < 0)
        return -1;
    /* The Linear biases are the optimizer's bias group (lr_mult / decay_mult). */
    size_t bias_at;
    int bias_n;
    for (int k = 0; model_linear_bias(m, k, &bias_at, &bias_n); k++)
        optim_set_group(o, bias_at, bias_at + (size_t)bias_n, OPTIM_GROUP_BIAS);
    Work w;
    work_init(&w, m, d->train->dim);
    TrainState fresh;
    TrainState *st = io->resume;
    bool resumed = st != NULL;
    if (!resumed) {
        state_init(&fresh, tp, d, m, s);
        st = &fresh;
    }

    TrainThreads own, *choice = io->threads ? io->threads : &own;
    if (!io->threads)
        train_threads_init(&own, m->pool, 1.0, 4.0);
    Loop L;
    memset(&L, 0, sizeof L);
    L.tp = tp;
    L.d = d;
    L.m = m;
    L.w = &w;
    L.st = st;
    L.log = io->log;
    L.r = r;
    L.prefix = io->prefix ? io->prefix : "";
    L.last_val_acc = NAN;
    L.last_loss = NAN;
    L.last_val_iter = -1;
    L.last_val = (Eval){NAN, NAN};
    double last_report = 0.0;
    int rc = open_rows(&L, io, resumed, e);
    if (rc < 0)
        goto done;

    long per_epoch = train_steps_per_epoch(tp, n_train);
    long total = train_total_steps(tp, n_train);
    long n_epochs = train_epochs(tp, n_train);
    bool watch_val = params_scheds[s->p.type].needs_validation;
    bool has_val = d->split->n_val > 0;
    L.t_start = util_now() - st->elapsed_seconds;
    int stopped = 0;
    /* A run interrupted right after a step that owed an eval_every row owes it still. */
    if (resumed && !st->finished && st->shuffled && st->batch > 0 &&
        row_due(tp, st, per_epoch, total) &&
        (rc = write_row(&L, tp->eval_test_every_epoch, NULL, e)) < 0)
        goto done;
    while (!st->finished) {
        r->epochs = st->epoch;
        if (!st->shuffled) {
            if (tp->shuffle)
                rng_shuffle(&st->shuffle_rng, st->perm, (int)n_train);
            st->shuffled = true;
            st->batch = 0;
        }
        double t0 = util_now();
        while (st->batch < per_epoch && st->iteration < total) {
            train_threads_before(choice, util_now());
            int rows;
            const int *ids = batch_records(tp, st, n_train, w.order, &rows);
            train_assemble(m->pool, d->train, d->nz, ids, rows, w.x, w.y);
            const float *logits = model_forward(m, w.x, rows, true, &st->dropout_rng);
            long correct = 0;
            double loss_sum = train_loss(m->pool, logits, w.y, rows, m->n_classes,
                                         (float)tp->label_smoothing, w.dlogits, w.row_loss,
                                         w.row_pred, &correct);
            double loss = loss_sum / rows + optim_l1_penalty(o, m->params);
            st->window_loss += loss * rows;
            st->window_correct += correct;
            st->window_seen += rows;
            if (!isfinite(loss)) {
                /* Diverged: keep the last finite parameters, record what we have. */
                r->status = RUN_DIVERGED;
                stopped = 1;
                break;
            }
            model_backward(m, w.x, w.dlogits, rows);
            st->lr_used = sched_lr(s);
            optim_step(o, m->params, m->grads, st->lr_used);
            train_threads_after(choice, util_now());
            st->iteration++;
            st->batch++;
            sched_after_iteration(s);
            if (io->on_step)
                io->on_step(io->step_ctx, st->iteration);
            if (io->stop && *io->stop) {
                r->status = RUN_INTERRUPTED;
                stopped = 1;
                break;
            }
            if (io->progress) {
                st->window_seconds += util_now() - t0; /* so the rate counts this epoch too */
                t0 = util_now();
                report(&L, io, n_epochs, total, &last_report, 0);
            }
            if (row_due(tp, st, per_epoch, total)) {
                st->window_seconds += util_now() - t0;
                if ((rc = write_row(&L, tp->eval_test_every_epoch, NULL, e)) < 0)
                    goto done;
                t0 = util_now();
            }
        }
        st->window_seconds += util_now() - t0;
        if (stopped)
            break;
        /* The epoch's batches are done (or the run's steps, when they end inside it). */
        bool last = st->iteration >= total;
        if (has_val)
            track_best(&L);
        if (!last && tp->early_stop_patience > 0 && st->bad_epochs >= tp->early_stop_patience) {
            st->stopped_epoch = st->epoch;
            last = true;
        }
        if (last) {
            st->finished = true;
            break;
        }
        if (tp->eval_every == 0 || st->iteration % tp->eval_every == 0) {
            if ((rc = write_row(&L, tp->eval_test_every_epoch, NULL, e)) < 0)
                goto done;
            report(&L, io, n_epochs, total, &last_report, 1);
        }
        /* A schedule that follows validation (plateau) sees the metric at every epoch
         * end, row or no row. */
        if (watch_val && has_val)
            validate(&L, st->iteration);
        sched_after_epoch(s, L.last_val.loss, L.last_val.acc);
        st->epoch++;
        st->shuffled = false;
        st->batch = 0;
        if (io->checkpoint && tp->checkpoint_every > 0 &&
            (st->epoch - 1) % tp->checkpoint_every == 0 &&
            (rc = save_checkpoint(&L, io, o, s, e)) < 0)
            goto done;
    }
    r->epochs = st->epoch;
    /* The state after the last step, before the final row: a resumed run writes that row
     * again, as the uninterrupted run does. A diverged run is final, with nothing to save. */
    if (io->checkpoint && r->status != RUN_DIVERGED && (rc = save_checkpoint(&L, io, o, s, e)) < 0)
        goto done;
    /* The final row always carries the test evaluation. */
    bool restore = tp->restore_best && st->best_epoch > 0 && st->best_weights;
    long final_test_first = st->test_cursor;
    if ((rc = write_row(&L, 1, restore ? NULL : io->confusion, e)) < 0)
        goto done;
    r->weights_epoch = st->epoch;
    if (restore) {
        memcpy(m->params, st->best_weights, m->n_params * sizeof(float));
        memcpy(m->buffers, st->best_weights + m->n_params, m->n_buffers * sizeof(float));
        if (io->confusion)
            memset(io->confusion, 0, (size_t)m->n_classes * m->n_classes * sizeof *io->confusion);
        /* The records of the final row's test pass. */
        Eval t = evaluate(m, d->test, d->nz, NULL, test_records(tp, d), (int)final_test_first,
                          (int)tp->eval_batch_size, (float)tp->label_smoothing, &w,
                          io->confusion);
        r->test_loss = t.loss;
        r->test_acc = t.acc;
        r->weights_epoch = st->best_epoch;
        r->restored = true;
    }
done:
    pool_cap(m->pool, pool_threads(m->pool));
    r->iterations = st->iteration;
    r->best_val_acc = st->best_val_acc;
    r->best_epoch = st->best_epoch;
    r->stopped_epoch = st->stopped_epoch;
    r->train_seconds = st->train_seconds;
    if (csv_close(&L.csv, rc == 0 ? e : NULL) < 0)
        rc = -1;
    work_free(&w);
    if (!resumed)
        train_state_free(&fresh);
    return rc;
}


int train_write_confusion(const char *dir, const long *confusion, const ClassNames *cn, Err *e)
{
    int n_classes = cn->n;
    const char *names[DATASET_MAX_CLASSES];
    for (int k = 0; k < n_classes; k++)
        names[k] = cn->name[k];
    char confusion_path[4200], per_class_path[4200];
    snprintf(confusion_path, sizeof confusion_path, "%s/" RUNDIR_CONFUSION, dir);
    snprintf(per_class_path, sizeof per_class_path, "%s/" RUNDIR_PER_CLASS, dir);
    AtomicFile af;
    if (util_atomic_open(&af, confusion_path, e) < 0)
        return -1;
    CsvWriter c;
    csv_attach_file(&c, &af, NULL, n_classes + 1);
    csv_str(&c, "class");
    for (int k = 0; k < n_classes; k++)
        csv_str(&c, names[k]);
    csv_end_row(&c, NULL);
    for (int t = 0; t < n_classes; t++) {
        csv_str(&c, names[t]);
        for (int k = 0; k < n_classes; k++)
            csv_long(&c, confusion[(size_t)t * n_classes + k]);
        csv_end_row(&c, NULL);
    }
    if (csv_commit(&c, &af, e) < 0)
        return -1;

    static const char *const cols[] = {"class", "name", "records", "predicted", "correct",
                                       "accuracy", "precision"};
    if (util_atomic_open(&af, per_class_path, e) < 0)
        return -1;
    csv_attach_file(&c, &af, cols, (int)(sizeof cols / sizeof cols[0]));
    for (int k = 0; k < n_classes; k++) {
        long records = 0, predicted_k = 0, correct = confusion[(size_t)k * n_classes + k];
        for (int j = 0; j < n_classes; j++) {
            records += confusion[(size_t)k * n_classes + j];
            predicted_k += confusion[(size_t)j * n_classes + k];
        }
        csv_long(&c, k);
        csv_str(&c, names[k]);
        csv_long(&c, records);
        csv_long(&c, predicted_k);
        csv_long(&c, correct);
        csv_double_or_empty(&c, (double)correct / (double)records, records > 0);
        csv_double_or_empty(&c, (double)correct / (double)predicted_k, predicted_k > 0);
        csv_end_row(&c, NULL);
    }
    return csv_commit(&c, &af, e);
}
